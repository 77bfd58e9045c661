"""Live updates for the console and the web widget: Redis pub/sub, read as server-sent events.

Without Redis (the quick start), publishing is a no-op and pages fall back to polling.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache

from django.conf import settings

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _client():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL)


def channel_name(kind: str, key) -> str:
    return f"madoguchi:{kind}:{key}"


def publish_to(channel: str, event: dict) -> None:
    if not settings.REDIS_URL:
        return
    try:
        _client().publish(channel, json.dumps(event, ensure_ascii=False))
    except Exception:  # live updates are best effort; the data is already stored
        log.warning("live update to %s failed", channel, exc_info=True)


def publish(municipality_id: int, event: dict) -> None:
    publish_to(channel_name("console", municipality_id), event)
