"""One raw LINE webhook event (the dict LINE sent, as stored) -> one neutral ``InboundMessage``.

Pure and tolerant: a field LINE leaves out, or an event type LINE adds later, gives ``Kind.UNKNOWN``
rather than an exception. Events from group chats and multi-person rooms carry ``group_id``
(``"group:<id>"`` or ``"room:<id>"``) and no user id: the bot serves one-to-one chats only.
"""

from __future__ import annotations

from typing import Any

from conversations.content import InboundMessage, Kind

from .rendering import decode_postback

MEDIA_TYPES = {"sticker", "image", "video", "audio", "file", "location"}
SIMPLE = {"follow": Kind.FOLLOW, "unfollow": Kind.UNFOLLOW, "join": Kind.JOIN, "leave": Kind.LEAVE}


def source_of(raw: dict[str, Any]) -> tuple[str, str]:
    """(source type, id): ("user", userId), ("group", groupId) or ("room", roomId)."""
    source = raw.get("source") if isinstance(raw.get("source"), dict) else {}
    kind = str(source.get("type", ""))
    if kind == "group":
        return "group", str(source.get("groupId", ""))
    if kind == "room":
        return "room", str(source.get("roomId", ""))
    return "user", str(source.get("userId", ""))


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
    if raw.get("mode") == "standby" and etype in ("message", "postback", "follow"):
        return InboundMessage(Kind.UNKNOWN, user)  # another module holds this chat: stay silent
    if etype in SIMPLE:
        return InboundMessage(SIMPLE[etype], user, reply_token=reply_token)
    if etype == "message":
        message = _dict(raw.get("message"))
        mtype = str(message.get("type", ""))
        message_id = str(message.get("id", ""))
        if mtype == "text":
            return InboundMessage(
                Kind.TEXT, user, text=str(message.get("text", "")), message_id=message_id, reply_token=reply_token
            )
        if mtype in MEDIA_TYPES:
            return InboundMessage(Kind.MEDIA, user, message_id=message_id, media_type=mtype, reply_token=reply_token)
        return InboundMessage(Kind.UNKNOWN, user, message_id=message_id)
    if etype == "postback":
        data = decode_postback(str(_dict(raw.get("postback")).get("data", "")))
        return InboundMessage(Kind.POSTBACK, user, postback=data, reply_token=reply_token)
    if etype == "unsend":
        return InboundMessage(Kind.UNSEND, user, message_id=str(_dict(raw.get("unsend")).get("messageId", "")))
    return InboundMessage(Kind.UNKNOWN, user)
