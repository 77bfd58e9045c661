"""Stay under LINE's per-channel rate limits when many pushes or a burst of replies go out at once.

LINE allows 2,000 requests per second per channel for each endpoint (reply and push included).
We keep a margin (``RATES``) and count with the ``limits`` library's moving window, which is exact:
in Redis (``REDIS_URL``) so every web and worker process of a channel shares one budget, or in
process memory when there is no Redis (the quick start, one process).

A caller that finds the window full waits for the oldest request to age out, up to a bound. If the
counter itself fails (Redis down), requests go ahead: LINE's own 429 answer, which the client
retries, is the backstop.
"""

from __future__ import annotations

import logging
import threading
import time
from functools import lru_cache

from django.conf import settings
from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)

LINE_LIMIT_PER_SECOND = 2000
RATES = {"default": 1800}  # requests per second per channel and endpoint: 10% below LINE's limit
MAX_SLEEP = 0.05


class RateLimiter:
    def __init__(self, url: str = "", rates: dict[str, int] | None = None):
        self.url = url or "memory://"
        self._storage = storage_from_string(self.url, key_prefix="madoguchi-line")
        self._strategy = MovingWindowRateLimiter(self._storage)
        rates = {**RATES, **(rates or {})}
        self._items = {name: RateLimitItemPerSecond(amount) for name, amount in rates.items()}
        self._warned = threading.Event()

    def _item(self, endpoint: str):
        return self._items.get(endpoint) or self._items["default"]

    def try_acquire(self, channel: str, endpoint: str = "default") -> bool:
        """Take one request from the channel's budget now, or say it is spent."""
        try:
            return self._strategy.hit(self._item(endpoint), "line", channel, endpoint)
        except Exception:  # the counter must never stop a message
            if not self._warned.is_set():
                self._warned.set()
                log.warning("LINE rate limiter storage %s failed; sending without it", self.url, exc_info=True)
            return True

    def acquire(self, channel: str, endpoint: str = "default", *, timeout: float = 10.0) -> bool:
        """Wait (at most ``timeout`` seconds) for room in the window; True once a request may go."""
        deadline = time.monotonic() + timeout
        while True:
            if self.try_acquire(channel, endpoint):
                return True
            now = time.monotonic()
            if now >= deadline:
                return False
            try:
                stats = self._strategy.get_window_stats(self._item(endpoint), "line", channel, endpoint)
                wait = max(0.001, stats.reset_time - time.time())
            except Exception:
                wait = MAX_SLEEP
            time.sleep(min(wait, MAX_SLEEP, deadline - now))


@lru_cache(maxsize=8)
def _limiter_for(url: str) -> RateLimiter:
    return RateLimiter(url)


def limiter() -> RateLimiter:
    """The process's limiter: shared through Redis when ``REDIS_URL`` is set."""
    return _limiter_for(settings.REDIS_URL or "")
