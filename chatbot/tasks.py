"""Celery tasks of the conversation pipeline: processing one event, and queueing again what was lost.

Queueing never fails a request: an event is stored first, and if the broker cannot take its task
(Redis down, or restarted empty) the beat task ``chatbot.requeue_events`` finds the stored event
and queues it again. ``celery -A chatbot beat`` must therefore run (docs/adr/0008-stored-means-answered.md).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from conversations.models import InboundEvent, Message
from conversations.tasks import enqueue_delivery

from . import pipeline

log = logging.getLogger(__name__)

REQUEUE_BATCH = 500  # events queued again per run of the beat task (the rest on the next run)
# One quick retry when publishing (it reconnects after the broker restarted), then give the job to beat.
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


@shared_task(bind=True, name="chatbot.process_event", acks_late=True, max_retries=None)
def process_event(self, event_id: int) -> str:
    """Process one stored inbound event. Safe to run any number of times for the same id.

    Attempts are counted on the event, not by Celery: after ``EVENT_MAX_ATTEMPTS`` the pipeline gives
    the event up (the resident is told, staff get a ticket) instead of raising again.
    """
    eager = bool(self.request.is_eager)
    try:
        return pipeline.process_event(event_id, retry_delay=0 if eager else None)
    except pipeline.RetryLater as later:
        raise self.retry(exc=later.cause, countdown=later.delay) from None


def send(event_id: int) -> bool:
    """Queue processing of a stored event now; False (logged) when the broker cannot take it."""
    try:
        process_event.apply_async((event_id,), retry=True, retry_policy=PUBLISH_RETRY)
    except Exception as exc:  # the event is stored: the beat task queues it once the broker is back
        log.warning(
            "event %s stored but not queued (%s: %s); it will be queued again", event_id, type(exc).__name__, exc
        )
        return False
    return True


def enqueue(event_id: int) -> None:
    """Queue processing once the event row is committed (workers must be able to read it)."""
    transaction.on_commit(lambda: send(event_id))


def requeue(events: QuerySet[InboundEvent] | None = None, *, limit: int = REQUEUE_BATCH) -> int:
    """Queue again ``events`` (default: every event due, ``pipeline.due_for_requeue``); return how many.

    A broker that cannot be reached ends the run: the events stay due and the next run tries again.
    """
    now = timezone.now()
    chosen = events if events is not None else pipeline.due_for_requeue(now)
    ids = list(chosen.order_by("received_at", "pk").values_list("pk", flat=True)[:limit])
    queued = []
    for pk in ids:
        if not send(pk):
            break
        queued.append(pk)
    if queued:
        InboundEvent.objects.filter(pk__in=queued).update(requeued_at=now)
        log.warning("queued %d stored event(s) again that had not been answered", len(queued))
    return len(queued)


def requeue_deliveries() -> int:
    """Queue again the delivery of staff replies and notices whose task was lost (pending, answering no event)."""
    now = timezone.now()
    after = timedelta(seconds=settings.EVENT_REQUEUE_AFTER_SECONDS)
    ids = list(
        Message.objects.filter(
            direction=Message.Direction.OUTBOUND,
            delivery=Message.Delivery.PENDING,
            event__isnull=True,
            created_at__lt=now - after,
            created_at__gt=now - after - timedelta(hours=1),  # older ones have had their chances
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:REQUEUE_BATCH]
    )
    if ids:
        enqueue_delivery(ids)
    return len(ids)


@shared_task(name="chatbot.requeue_events", ignore_result=True)
def requeue_events() -> dict[str, int]:
    """Celery beat, every EVENT_REQUEUE_SECONDS: queue what is stored but was never answered."""
    return {"events": requeue(), "deliveries": requeue_deliveries()}


def on_retry_requested(sender=None, *, event_ids: list[int], **_kwargs) -> None:
    """An admin asked to process events again (``conversations.signals.retry_requested``): queue them now."""
    requeue(InboundEvent.objects.filter(pk__in=event_ids), limit=len(event_ids))
