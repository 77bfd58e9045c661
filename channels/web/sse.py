"""Server-sent events for one browser session: a Redis subscription read out as an event stream.

The stream carries notifications only ("messages N, M were sent"); the widget then fetches them
with the ordinary history call, which checks the token. Each stream lives a bounded time (so a
web worker thread is freed) and sends comment heartbeats so proxies keep it open; the browser's
EventSource reconnects by itself, and the widget catches up on every (re)connect.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Iterator

from django.conf import settings

log = logging.getLogger(__name__)


def lifetime() -> float:
    return float(getattr(settings, "WEB_SSE_LIFETIME_SECONDS", 55))


def heartbeat() -> float:
    return float(getattr(settings, "WEB_SSE_HEARTBEAT_SECONDS", 15))


def _client():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3, socket_timeout=heartbeat() + 10)


def connect():
    """A Redis client for one stream, or None when live events cannot be served (no Redis, or down)."""
    if not settings.REDIS_URL:
        return None
    client = _client()
    try:
        client.ping()
    except Exception as exc:
        log.warning("live events unavailable: Redis does not answer (%s)", exc)
        client.close()
        return None
    return client


def event(name: str, data: dict | str) -> str:
    body = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    lines = "".join(f"data: {line}\n" for line in body.splitlines() or [""])
    return f"event: {name}\n{lines}\n"


def stream(client, channel: str, *, seconds: float | None = None, beat: float | None = None) -> Iterator[str]:
    """Yield SSE frames for messages published on ``channel`` until ``seconds`` have passed.

    Takes over ``client`` (from ``connect()``) and closes it when the stream ends or is closed.
    """
    seconds = lifetime() if seconds is None else seconds
    beat = heartbeat() if beat is None else beat
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    try:
        pubsub.subscribe(channel)
        # retry: how long the browser waits before reconnecting when this stream ends.
        yield "retry: 1500\n" + event("ready", {"lifetime": seconds})
        started = last = time.monotonic()
        while True:
            now = time.monotonic()
            if now - started >= seconds:
                break
            message = pubsub.get_message(timeout=min(1.0, max(0.05, seconds - (now - started))))
            if message and message.get("type") == "message":
                data = message["data"]
                yield event("messages", data.decode() if isinstance(data, bytes) else str(data))
                last = time.monotonic()
            elif time.monotonic() - last >= beat:
                yield ": heartbeat\n\n"
                last = time.monotonic()
        yield event("bye", {})
    except Exception as exc:  # Redis went away: end the stream; the browser reconnects or polls
        log.warning("live event stream on %s ended: %s: %s", channel, type(exc).__name__, exc)
    finally:
        with contextlib.suppress(Exception):
            pubsub.close()
            client.close()


class EventStream:
    """The streaming body of one response: frames from ``stream()``, and the Redis client closed
    on ``close()`` (Django calls it when the response ends, also if streaming never started)."""

    def __init__(self, client, channel: str):
        self._client = client
        self._frames = stream(client, channel)

    def __iter__(self) -> Iterator[str]:
        return self._frames

    def close(self) -> None:
        self._frames.close()
        with contextlib.suppress(Exception):
            self._client.close()
