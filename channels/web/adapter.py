"""The web chat channel: the widget posts JSON, replies are stored and pushed live over SSE."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from django.utils import timezone

from conversations import live
from conversations.adapters import DeliveryContext, DeliveryResult
from conversations.content import InboundMessage, Kind
from conversations.models import Conversation, InboundEvent, Message


def resident_key(token: str) -> str:
    """The resident id stored for a browser session: a hash, so the token itself is never stored."""
    return hashlib.sha256(token.encode()).hexdigest()[:40]


def live_channel(municipality_id: int, user_key: str) -> str:
    """The Redis channel a browser session listens on: keyed by the hashed token, not a database id,

    so the widget can subscribe before its first message has created the resident row.
    """
    return live.channel_name("web", f"{municipality_id}:{user_key}")


class WebAdapter:
    name = "web"

    def parse(self, event: InboundEvent) -> list[InboundMessage]:
        data = event.payload
        user = data.get("user", "")
        chosen = bool(data.get("language"))
        if data.get("postback"):
            return [
                InboundMessage(
                    Kind.POSTBACK,
                    user,
                    postback=dict(data["postback"]),
                    language_hint=data.get("language", ""),
                    explicit_language=chosen,
                )
            ]
        if data.get("type") == "open":
            return [InboundMessage(Kind.FOLLOW, user, language_hint=data.get("language", ""))]
        return [
            InboundMessage(
                Kind.TEXT,
                user,
                text=str(data.get("text", "")),
                language_hint=data.get("language", ""),
                explicit_language=chosen,
                message_id=event.channel_event_id,
            )
        ]

    def deliver(
        self, conversation: Conversation, messages: list[Message], context: DeliveryContext
    ) -> Iterator[DeliveryResult]:
        """The widget fetches stored messages itself: they count as sent, then the open page is told."""
        ids = [m.pk for m in messages]
        for pk in ids:
            yield DeliveryResult(pk, Message.Delivery.SENT)
        # Runs once the outbox has recorded them, so the page's fetch finds them sent.
        resident = conversation.resident
        live.publish_to(
            live_channel(conversation.municipality_id, resident.channel_user_id),
            {"type": "messages", "ids": ids, "at": timezone.now().isoformat()},
        )
