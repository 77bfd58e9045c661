"""Celery tasks of operations: the nightly retention purge (``celery -A chatbot beat`` schedules it)."""

from __future__ import annotations

from celery import shared_task

from . import retention


@shared_task(name="dashboard.purge_expired", acks_late=True)
def purge_expired() -> dict:
    """Delete conversation texts past each municipality's retention period (daily, by Celery beat)."""
    return {slug: counts.as_dict() for slug, counts in retention.purge_expired().items()}
