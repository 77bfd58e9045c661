"""Live updates for the console and the web widget: Redis pub/sub, read as server-sent events.

Without Redis (the quick start), publishing is a no-op and pages fall back to polling.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from functools import lru_cache

import redis
from django.conf import settings
from redis.client import PubSub

log = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _client_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def _client() -> redis.Redis:
    return _client_for(settings.REDIS_URL)


def enabled() -> bool:
    return bool(settings.REDIS_URL)


def reachable() -> bool:
    """Whether live events can be served now: Redis is configured and answers."""
    if not settings.REDIS_URL:
        return False
    try:
        return bool(_client().ping())
    except Exception as exc:
        log.warning("live events unavailable: Redis does not answer (%s)", exc)
        return False


def channel_name(kind: str, key: int | str) -> str:
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


class Subscription:
    """Events published on some channels, read in order. Iterate it; close it when done."""

    def __init__(self, pubsub: PubSub, heartbeat: float, max_seconds: float) -> None:
        self.pubsub = pubsub
        self.heartbeat = heartbeat
        self.max_seconds = max_seconds

    def __iter__(self) -> Iterator[dict | None]:
        deadline = time.monotonic() + self.max_seconds
        last = time.monotonic()
        try:
            while time.monotonic() < deadline:
                message = self.pubsub.get_message(timeout=min(1.0, max(0.01, deadline - time.monotonic())))
                if message is not None and message["type"] == "message":
                    last = time.monotonic()
                    try:
                        yield json.loads(message["data"])
                    except (TypeError, ValueError):
                        continue
                elif time.monotonic() - last >= self.heartbeat:
                    last = time.monotonic()
                    yield None
        finally:
            self.close()

    def close(self) -> None:
        self.pubsub.close()


def listen(channels: list[str], *, heartbeat: float = 15.0, max_seconds: float = 300.0) -> Subscription:
    """Subscribe to ``channels`` now (confirmed by Redis before this returns).

    Iterating the subscription yields published events (dicts), and None as a heartbeat when
    nothing came for ``heartbeat`` seconds. It ends after ``max_seconds`` so that a stream never
    holds a server thread for ever; the browser's EventSource reconnects by itself.
    """
    pubsub = _client().pubsub()
    pubsub.subscribe(*channels)
    confirmed, deadline = 0, time.monotonic() + 5
    while confirmed < len(set(channels)) and time.monotonic() < deadline:
        message = pubsub.get_message(timeout=1.0)
        if message and message["type"] == "subscribe":
            confirmed += 1
    return Subscription(pubsub, heartbeat, max_seconds)
