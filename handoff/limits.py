"""How many tickets one web chat may open: nobody floods the staff queue from outside.

A web session costs nothing to make, so the tickets opened from the web chat are limited per hour:

- per session (``WEB_TICKETS_PER_SESSION_HOUR``, default 3), counted in the database;
- per client address (``WEB_TICKETS_PER_ADDRESS_HOUR``, default 10), counted in the cache (Redis when
  ``REDIS_URL`` is set). The web view stores a keyed hash of the address with each event
  (``payload["client"]``), never the address itself.

0 switches a limit off. LINE users are accounts LINE verifies: their tickets are not limited. When
the cache cannot be reached the ticket is allowed (a resident in need must not be refused because
a counter is down). Tickets the system opens (a message that could not be processed) are not limited.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from conversations.models import Channel, Conversation, Message

from .models import Ticket

log = logging.getLogger(__name__)

WINDOW = 3600


def client_of(conversation: Conversation) -> str:
    """The client key stored with the resident's latest message in this conversation, or ""."""
    payload = (
        Message.objects.filter(conversation=conversation, direction=Message.Direction.INBOUND, event__isnull=False)
        .order_by("-pk")
        .values_list("event__payload", flat=True)
        .first()
    )
    client = payload.get("client") if isinstance(payload, dict) else None
    return client if isinstance(client, str) else ""


def may_open(conversation: Conversation) -> bool:
    """Whether this conversation may open a ticket now (and, if so, count it against its address)."""
    if conversation.resident.channel != Channel.WEB:
        return True
    per_session = settings.WEB_TICKETS_PER_SESSION_HOUR
    if per_session:
        since = timezone.now() - timedelta(seconds=WINDOW)
        opened = Ticket.objects.filter(conversation__resident_id=conversation.resident_id, created_at__gte=since)
        if opened.count() >= per_session:
            log.warning(
                "web session of resident %s: ticket limit of %d per hour reached", conversation.resident_id, per_session
            )
            return False
    per_address = settings.WEB_TICKETS_PER_ADDRESS_HOUR
    client = client_of(conversation) if per_address else ""
    if client:
        key = f"madoguchi:tickets:address:{client}:{int(time.time()) // WINDOW}"
        try:
            cache.add(key, 0, WINDOW + 60)
            count = cache.incr(key)
        except Exception:
            log.warning("ticket limit per address could not be counted; allowing the ticket", exc_info=True)
            return True
        if count > per_address:
            log.warning("web client %s: ticket limit of %d per hour reached", client[:8], per_address)
            return False
    return True
