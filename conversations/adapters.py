"""The one thing the conversation layer asks of a channel: read what arrived, deliver what is stored.

Each channel app (``channels.web``, ``channels.line``) registers its adapter when Django starts.
The pipeline and the outbox find it by the channel's name, so nothing below the channels imports
them. An adapter never writes ``Message`` rows: it reports one ``DeliveryResult`` per attempt,
and the outbox records it (``conversations.outbox.record``) before the next is made.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from .content import InboundMessage
from .models import Conversation, InboundEvent, Message


@dataclass
class DeliveryContext:
    reply_token: str = ""
    slow: bool = False
    received_at: datetime | None = None  # when the event (and its reply token) arrived


@dataclass
class DeliveryResult:
    """What became of one stored outbound message. ``status`` empty: still pending, attempts counted."""

    message_id: int
    status: str = ""  # Message.Delivery: sent, failed, dropped; "" while it stays pending
    error: str = ""
    # The channel's id of the sent message; while still pending, the adapter's own note of where it got
    # to (recorded before a call whose outcome a crash could hide, e.g. LINE's "reply-attempted").
    channel_message_id: str = ""
    attempts: int = 0


class ChannelAdapter(Protocol):
    name: str

    def parse(self, event: InboundEvent) -> list[InboundMessage]: ...

    def deliver(
        self, conversation: Conversation, messages: list[Message], context: DeliveryContext
    ) -> Iterator[DeliveryResult]:
        """Send the given pending messages in order, reporting each as it is sent or given up on."""
        ...


_ADAPTERS: dict[str, ChannelAdapter] = {}


def register(adapter: ChannelAdapter) -> None:
    _ADAPTERS[adapter.name] = adapter


def adapter_for(channel: str) -> ChannelAdapter:
    try:
        return _ADAPTERS[channel]
    except KeyError:
        raise LookupError(f"no adapter registered for channel {channel!r}") from None


def busy(adapter: ChannelAdapter, event: InboundEvent, item: InboundMessage) -> AbstractContextManager:
    """The channel's sign that an answer is coming (LINE's loading animation), if it has one."""
    show = getattr(adapter, "busy", None)
    return show(event, item) if show is not None else nullcontext()
