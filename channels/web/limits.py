"""Rate limits of the web chat API: per session token and per client IP, counted in Django's cache.

django-ratelimit does the counting (fixed windows in the ``default`` cache: Redis when REDIS_URL
is set, so all web processes share the counts; process-local memory otherwise). The rates are
settings, read at request time so tests and operators can change them:

- ``WEB_RATE_SESSION_MESSAGES`` messages one browser session may post (default ``20/m``);
- ``WEB_RATE_IP_MESSAGES`` messages one IP address may post, all sessions together (``60/m``);
- ``WEB_RATE_IP_SESSIONS`` new sessions one IP address may open (``20/m``);
- ``WEB_RATE_IP_READS`` reads (history, config, live stream) one IP address may make (``600/m``).

Behind a reverse proxy set ``CLIENT_IP_HEADER`` (it sets django-ratelimit's ``RATELIMIT_IP_META_KEY``) so the
client's address, not the proxy's, is counted. A value of ``""`` switches one limit off.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

log = logging.getLogger(__name__)


@dataclass
class Limited:
    """A limit that was hit, with the seconds until its window ends."""

    name: str
    retry_after: int


def rate(name: str) -> str:
    return getattr(settings, name)  # one of the WEB_RATE_* settings


def check(request: HttpRequest, name: str, *, value: str | None = None) -> Limited | None:
    """Count one request against limit ``name``; return a ``Limited`` if it is over the rate.

    ``value`` is what to count by (a session key); without it the client IP is used. When the
    cache cannot be reached the request is let through: the chat must not fail closed.
    """
    limit = rate(name)
    if not limit:
        return None
    key = (lambda _group, _request: value) if value is not None else "ip"
    try:
        usage = get_usage(request, group=f"web:{name}", key=key, rate=limit, increment=True)
    except Exception:
        log.warning("rate limit %s could not be counted; letting the request through", name, exc_info=True)
        return None
    if usage is None or not usage["should_limit"]:
        return None
    if usage["limit"] == 0 and usage["time_left"] < 0:  # the cache failed to count: fail open
        log.warning("rate limit %s could not be counted; letting the request through", name)
        return None
    return Limited(name, max(1, int(usage["time_left"])))
