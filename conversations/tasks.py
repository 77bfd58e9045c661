"""Celery tasks of the conversation layer: delivering stored outbound messages."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from . import delivery

TRANSIENT = (ConnectionError, TimeoutError, OSError)


@shared_task(
    name="conversations.deliver_messages",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=5,
)
def deliver_messages(message_ids: list[int]) -> int:
    """Deliver stored outbound messages that are still pending (staff replies, notices). Safe to repeat."""
    return delivery.deliver_pending(message_ids)


def enqueue_delivery(message_ids: list[int]) -> None:
    """Queue delivery once the messages are committed: a staff reply never waits for the channel."""
    ids = list(message_ids)
    transaction.on_commit(lambda: deliver_messages.delay(ids))
