"""One raw LINE webhook event (the dict LINE sent, as stored) -> one neutral ``InboundMessage``.

Pure and tolerant: a field LINE leaves out, or an event type LINE adds later, gives ``Kind.UNKNOWN``
rather than an exception; so does a one-to-one event without a userId, and a text message whose
text is missing or not a string (the webhook already ignores both). A postback is checked against
``conversations.postbacks``: one that does not fit is logged and becomes the ``invalid`` action,
which the bot answers politely. Events from group chats and multi-person rooms carry ``group_id``
(``"group:<id>"`` or ``"room:<id>"``) and no user id: the bot serves one-to-one chats only.
"""

from __future__ import annotations

import logging
from typing import Any

from conversations import postbacks
from conversations.content import InboundMessage, Kind

from .rendering import decode_postback

log = logging.getLogger(__name__)

MEDIA_TYPES = {"sticker", "image", "video", "audio", "file", "location"}
SIMPLE = {"follow": Kind.FOLLOW, "unfollow": Kind.UNFOLLOW, "join": Kind.JOIN, "leave": Kind.LEAVE}


def source_of(raw: dict[str, Any]) -> tuple[str, str]:
    """(source type, id): ("user", userId), ("group", groupId) or ("room", roomId)."""
    source = raw.get("source") if isinstance(raw.get("source"), dict) else {}
    kind = str(source.get("type", ""))
    if kind == "group":
        return "group", _id(source.get("groupId"))
    if kind == "room":
        return "room", _id(source.get("roomId"))
    return "user", _id(source.get("userId"))


def _id(value: Any) -> str:
    """An id LINE sent, or "" when it is missing or not a string (``null`` is not a user called "None")."""
    return value.strip()[:128] if isinstance(value, str) else ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_event(raw: dict[str, Any]) -> InboundMessage:
    raw = _dict(raw)
    etype = str(raw.get("type", ""))
    source_type, source_id = source_of(raw)
    reply_token = str(raw.get("replyToken", "") or "")
    if source_type != "user":
        # Group or room: nobody to answer one-to-one. The adapter explains and leaves.
        kind = Kind.LEAVE if etype == "leave" else Kind.JOIN
        return InboundMessage(kind, "", reply_token=reply_token, group_id=f"{source_type}:{source_id}")
    user = source_id
    if not user:
        return InboundMessage(Kind.UNKNOWN, "")  # nobody to answer
    if raw.get("mode") == "standby" and etype in ("message", "postback", "follow"):
        return InboundMessage(Kind.UNKNOWN, user)  # another module holds this chat: stay silent
    if etype in SIMPLE:
        return InboundMessage(SIMPLE[etype], user, reply_token=reply_token)
    if etype == "message":
        message = _dict(raw.get("message"))
        mtype = str(message.get("type", ""))
        message_id = str(message.get("id", ""))
        if mtype == "text":
            text = message.get("text")
            if not isinstance(text, str) or not text.strip():
                return InboundMessage(Kind.UNKNOWN, user, message_id=message_id)
            return InboundMessage(Kind.TEXT, user, text=text, message_id=message_id, reply_token=reply_token)
        if mtype in MEDIA_TYPES:
            return InboundMessage(Kind.MEDIA, user, message_id=message_id, media_type=mtype, reply_token=reply_token)
        return InboundMessage(Kind.UNKNOWN, user, message_id=message_id)
    if etype == "postback":
        data = decode_postback(str(_dict(raw.get("postback")).get("data", "")))
        try:
            data = postbacks.validate(data)
        except postbacks.InvalidPostback as exc:
            log.warning("LINE postback not understood (%s): answered politely", exc)
            data = {"action": postbacks.INVALID}
        return InboundMessage(Kind.POSTBACK, user, postback=data, reply_token=reply_token)
    if etype == "unsend":
        return InboundMessage(Kind.UNSEND, user, message_id=str(_dict(raw.get("unsend")).get("messageId", "")))
    return InboundMessage(Kind.UNKNOWN, user)
