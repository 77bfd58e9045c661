"""Delivering stored outbound messages through their channel's adapter, and recording what happened.

The adapter sends; this module writes: each ``DeliveryResult`` is recorded as soon as the adapter
reports it, so a message sent before a crash is never sent again by the retry.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

import redis
from django.conf import settings
from django.db.models import F

from .adapters import DeliveryContext, DeliveryResult, adapter_for
from .models import Conversation, Message
from .signals import delivered


def record(result: DeliveryResult) -> None:
    fields: dict = {}
    if result.attempts:
        fields["delivery_attempts"] = F("delivery_attempts") + result.attempts
    if result.status:
        fields["delivery"] = result.status
        fields["delivery_error"] = result.error[:2000]
    if result.channel_message_id or result.status:
        fields["channel_message_id"] = result.channel_message_id[:128]
    if fields:
        Message.objects.filter(pk=result.message_id).update(**fields)


def deliver(conversation: Conversation, messages: list[Message], context: DeliveryContext | None = None) -> None:
    """Send these stored messages of one conversation now, in order, and record each outcome."""
    if not messages:
        return
    adapter = adapter_for(conversation.channel)
    for result in adapter.deliver(conversation, messages, context or DeliveryContext()):
        record(result)


def deliver_pending(message_ids: list[int]) -> int:
    """Deliver those of ``message_ids`` that are still pending, per conversation, in the order written.

    For messages not answering an inbound event (staff replies, notices): no reply token, so LINE
    pushes them. One delivery per conversation at a time, and earlier pending messages of the
    conversation go first, so two quick staff replies (or a retried task) never arrive swapped.
    Sent or dropped messages are skipped, so a retried task sends nothing twice (a LINE push also
    carries the message's retry key). Listeners of ``signals.delivered`` (the console) hear of it.
    """
    latest: dict[int, int] = {}
    for conversation_id, pk in Message.objects.filter(pk__in=message_ids).values_list("conversation_id", "pk"):
        latest[conversation_id] = max(pk, latest.get(conversation_id, 0))
    sent = 0
    for conversation_id, last in latest.items():
        with _delivery_lock(conversation_id):
            rows = list(
                Message.objects.filter(
                    conversation_id=conversation_id,
                    pk__lte=last,
                    event__isnull=True,  # answers to an event are delivered by process_event, reply token first
                    direction=Message.Direction.OUTBOUND,
                    delivery=Message.Delivery.PENDING,
                )
                .select_related("conversation__resident", "conversation__municipality")
                .order_by("pk")
            )
            if not rows:
                continue
            conversation = rows[0].conversation
            deliver(conversation, rows)
            sent += len(rows)
        delivered.send(sender=Conversation, conversation=conversation)
    return sent


def _delivery_lock(conversation_id: int) -> AbstractContextManager:
    """A Redis lock per conversation (released if a worker dies); none without Redis, where tasks run inline."""
    if not settings.REDIS_URL:
        return nullcontext()
    client = redis.Redis.from_url(settings.REDIS_URL)
    return client.lock(f"madoguchi:deliver:{conversation_id}", timeout=300, blocking_timeout=300)
