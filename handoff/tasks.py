"""Celery tasks of the hand-off: delivering what staff (or the system, for a ticket) send to a resident.

A staff reply is stored first and delivered here, outside the console request: a LINE push that
meets a 429 with Retry-After may wait seconds, which a person clicking "send" should not.
"""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

TRANSIENT = (ConnectionError, TimeoutError, OSError)


@shared_task(
    name="handoff.deliver_to_resident",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=5,
)
def deliver_to_resident(message_ids: list[int]) -> int:
    """Deliver stored outbound messages that are still pending. Safe to run again for the same ids."""
    from . import services

    return services.deliver_pending(message_ids)


def enqueue_delivery(message_ids: list[int]) -> None:
    """Queue delivery once the messages are committed (a worker must be able to read them)."""
    ids = list(message_ids)
    transaction.on_commit(lambda: deliver_to_resident.delay(ids))
