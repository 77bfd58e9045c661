"""Processing one stored inbound event: channel in -> engine -> channel out.

Idempotent by construction:
- an event is claimed with a lease (a compare-and-set UPDATE), so two workers never process it
  at once, and a processed event is skipped;
- replies are stored as pending outbound messages keyed by (event, sequence) before anything is
  sent, so a retry re-sends only what was not yet sent and never composes a second answer.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import F, Q
from django.utils import timezone

from conversations import adapters, delivery
from conversations.adapters import DeliveryContext
from conversations.content import InboundMessage, Kind
from conversations.models import Conversation, InboundEvent, Message

from . import handlers

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=120)


def claim(event_id: int) -> InboundEvent | None:
    now = timezone.now()
    claimed = (
        InboundEvent.objects.filter(pk=event_id, processed_at__isnull=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + LEASE, attempts=F("attempts") + 1)
    )
    if not claimed:
        return None
    return InboundEvent.objects.select_related("municipality").get(pk=event_id)


def process_event(event_id: int) -> str:
    event = claim(event_id)
    if event is None:
        return "skipped"
    adapter = adapters.adapter_for(event.channel)
    try:
        inbound = adapter.parse(event)
        conversation = None
        context = DeliveryContext()
        for item in inbound:
            context.reply_token = context.reply_token or item.reply_token
            with adapters.busy(adapter, event, item):
                conversation = handle(event, item) or conversation
        if conversation is not None:
            pending = list(
                Message.objects.filter(
                    event=event, direction=Message.Direction.OUTBOUND, delivery=Message.Delivery.PENDING
                ).order_by("sequence")
            )
            delivery.deliver(conversation, pending, context)
    except Exception as exc:
        InboundEvent.objects.filter(pk=event.pk).update(
            last_error=f"{type(exc).__name__}: {exc}"[:2000], lease_until=None
        )
        raise
    InboundEvent.objects.filter(pk=event.pk).update(processed_at=timezone.now(), lease_until=None, last_error="")
    return "processed"


def handle(event: InboundEvent, item: InboundMessage) -> Conversation | None:
    """Store what the resident sent and, when the bot may speak, the pending replies."""
    if item.kind in (Kind.UNKNOWN, Kind.JOIN, Kind.LEAVE, Kind.UNFOLLOW, Kind.UNSEND, Kind.FOLLOW) and not item.user_id:
        return None
    return handlers.dispatch(event, item)
