"""Server-sent events for one browser session: a Redis subscription read out as an event stream.

The stream carries notifications only ("messages N, M were sent"); the widget then fetches them
with the ordinary history call, which checks the token. The stream itself is opened with a
short-lived signed ticket (see ``views.stream_ticket``), never the token. Each stream lives a
bounded time (so a web worker thread is freed) and sends comment heartbeats so proxies keep it
open; when it ends ("bye") or breaks, the widget reopens it with a new ticket (an EventSource's own
reconnect would present the old, possibly expired one) and catches up on every (re)connect.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator

from django.conf import settings

from conversations import live

log = logging.getLogger(__name__)


def lifetime() -> float:
    return float(settings.WEB_SSE_LIFETIME_SECONDS)


def heartbeat() -> float:
    return float(settings.WEB_SSE_HEARTBEAT_SECONDS)


def event(name: str, data: dict | str) -> str:
    body = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    lines = "".join(f"data: {line}\n" for line in body.splitlines() or [""])
    return f"event: {name}\n{lines}\n"


def stream(channel: str, *, seconds: float | None = None, beat: float | None = None) -> Iterator[str]:
    """Yield SSE frames for events published on ``channel`` until ``seconds`` have passed.

    The Redis subscription (``handoff.live.listen``) is confirmed before "ready" is sent, so the
    widget's catch-up fetch after "ready" cannot miss a message published in between.
    """
    seconds = lifetime() if seconds is None else seconds
    beat = heartbeat() if beat is None else beat
    subscription = None
    try:
        subscription = live.listen([channel], heartbeat=beat, max_seconds=seconds)
        # retry: how long the browser waits before reconnecting when this stream ends.
        yield "retry: 1500\n" + event("ready", {"lifetime": seconds})
        for item in subscription:
            yield ": heartbeat\n\n" if item is None else event("messages", item)
        yield event("bye", {})
    except Exception as exc:  # Redis went away: end the stream; the browser reconnects or polls
        log.warning("live event stream on %s ended: %s: %s", channel, type(exc).__name__, exc)
    finally:
        if subscription is not None:
            with contextlib.suppress(Exception):
                subscription.close()
