"""Celery tasks of the conversation pipeline."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction

from . import pipeline

log = logging.getLogger(__name__)


@shared_task(
    bind=True,
    name="chatbot.process_event",
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=2,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=6,
)
def process_event(self, event_id: int) -> str:
    """Process one stored inbound event. Safe to run any number of times for the same id."""
    return pipeline.process_event(event_id)


def enqueue(event_id: int) -> None:
    """Queue processing once the event row is committed (workers must be able to read it)."""
    transaction.on_commit(lambda: process_event.delay(event_id))
