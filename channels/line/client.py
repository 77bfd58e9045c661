"""A thin client over line-bot-sdk v3 with what production needs around it.

- every call first takes a slot from the channel's rate limiter (``ratelimit``);
- 429 and 5xx answers and network errors are retried with exponential backoff and full jitter,
  honouring ``Retry-After``; after ``RetryPolicy.attempts`` tries (or a ``Retry-After`` beyond
  ``max_wait``) the call gives up with ``LineError``;
- ``400 Invalid reply token`` (expired or already used) raises ``InvalidReplyToken`` at once, so the
  caller can push instead;
- pushes carry ``X-Line-Retry-Key``; LINE answers a repeated key with 409, which means the first
  request was accepted, so it counts as sent.

SDK clients (and their urllib3 connection pools) are cached per process, per host and token.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import urllib3
from django.conf import settings
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessagingApi,
    PushMessageRequest,
    ReplyMessageRequest,
    ShowLoadingAnimationRequest,
)

from .ratelimit import RateLimiter, limiter

log = logging.getLogger(__name__)

TIMEOUT = (3.05, 10.0)  # connect, read (seconds)
RETRYABLE_STATUS = {429, 500, 502, 503, 504}


class LineError(Exception):
    def __init__(self, message: str, *, status: int = 0, retryable: bool = False, attempts: int = 1):
        super().__init__(message)
        self.status = status
        self.retryable = retryable
        self.attempts = attempts


class InvalidReplyToken(LineError):
    pass


@dataclass
class RetryPolicy:
    attempts: int = 4  # tries in all, the first included
    base: float = 0.5  # seconds; doubled per retry, with full jitter
    cap: float = 8.0
    max_wait: float = 30.0  # a Retry-After longer than this gives up (the message is marked failed)
    rate_limit_wait: float = 10.0  # longest wait for our own rate limiter

    def backoff(self, retry: int) -> float:
        return random.uniform(0, min(self.cap, self.base * (2**retry)))


DEFAULT_POLICY = RetryPolicy()


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


@dataclass
class Sent:
    ids: list[str]  # LINE's ids of the sent messages, in order (may be empty)
    attempts: int


def _retry_after(headers) -> float | None:
    value = (headers or {}).get("Retry-After") if headers is not None else None
    if not value:
        return None
    value = str(value).strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _error_text(exc: ApiException) -> str:
    body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else str(exc.body or "")
    try:
        data = json.loads(body)
        message = str(data.get("message", "")) if isinstance(data, dict) else ""
        details = data.get("details") if isinstance(data, dict) else None
    except ValueError:
        message, details = body[:300], None
    text = f"LINE API {exc.status}: {message or exc.reason or ''}".strip()
    if details:
        text += " " + json.dumps(details, ensure_ascii=False)[:500]
    return text


_clients: OrderedDict[tuple[str, str], MessagingApi] = OrderedDict()
_clients_lock = threading.Lock()
MAX_CACHED_CLIENTS = 64


def messaging_api(access_token: str, host: str | None = None) -> MessagingApi:
    host = (host or settings.LINE_API_BASE_URL).rstrip("/")
    key = (host, access_token)
    with _clients_lock:
        api = _clients.get(key)
        if api is not None:
            _clients.move_to_end(key)
            return api
        config = Configuration(host=host, access_token=access_token)
        # Retry only failed connections here (the request never left); statuses are retried below.
        config.retries = urllib3.Retry(total=2, connect=2, read=0, status=0, other=0, redirect=0)
        api = MessagingApi(ApiClient(config))
        _clients[key] = api
        while len(_clients) > MAX_CACHED_CLIENTS:
            _clients.popitem(last=False)
        return api


class LineClient:
    """One LINE channel (a municipality's Official Account)."""

    def __init__(
        self,
        access_token: str,
        *,
        channel: str,
        host: str | None = None,
        policy: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] | None = None,
    ):
        if not access_token:
            raise LineError("no LINE channel access token is configured for this municipality")
        self.api = messaging_api(access_token, host)
        self.channel = channel
        self.policy = policy or DEFAULT_POLICY
        self.limiter = rate_limiter or limiter()
        self.sleep = sleep or _sleep

    # --- the verbs ---------------------------------------------------------------------------

    def reply(self, reply_token: str, messages: list[dict[str, Any]]) -> Sent:
        request = ReplyMessageRequest.from_dict({"replyToken": reply_token, "messages": messages})
        response, attempts = self._call(
            "reply", lambda: self.api.reply_message_with_http_info(request, _request_timeout=TIMEOUT)
        )
        return Sent(_sent_ids(response), attempts)

    def push(self, to: str, messages: list[dict[str, Any]], *, retry_key: str) -> Sent:
        request = PushMessageRequest.from_dict({"to": to, "messages": messages})
        response, attempts = self._call(
            "push",
            lambda: self.api.push_message_with_http_info(request, x_line_retry_key=retry_key, _request_timeout=TIMEOUT),
            accepted_conflict=True,
        )
        return Sent(_sent_ids(response), attempts)

    def show_loading(self, chat_id: str, seconds: int = 20) -> bool:
        """LINE's loading animation in a one-to-one chat. Best effort: never waits, never raises."""
        seconds = max(5, min(60, int(seconds) // 5 * 5))
        if not self.limiter.try_acquire(self.channel, "loading"):
            return False
        request = ShowLoadingAnimationRequest.from_dict({"chatId": chat_id, "loadingSeconds": seconds})
        try:
            self._call(
                "loading",
                lambda: self.api.show_loading_animation_with_http_info(request, _request_timeout=(1.0, 2.0)),
                attempts=1,
                limited=False,
            )
        except LineError as exc:
            log.info("loading animation not shown: %s", exc)
            return False
        return True

    def profile_language(self, user_id: str) -> str:
        """The ``language`` of a user's LINE profile, or "" (unknown, unfollowed, or an error)."""
        try:
            response, _attempts = self._call(
                "profile", lambda: self.api.get_profile_with_http_info(user_id, _request_timeout=(1.0, 2.0)), attempts=2
            )
        except LineError as exc:
            log.info("LINE profile not read: %s", exc)
            return ""
        return str(getattr(response.data, "language", "") or "")

    def bot_user_id(self) -> str:
        """The channel's bot user ID (what LINE sends as a webhook's ``destination``), or "" on an error."""
        try:
            response, _attempts = self._call(
                "info", lambda: self.api.get_bot_info_with_http_info(_request_timeout=(1.0, 2.0)), attempts=2
            )
        except LineError as exc:
            log.info("LINE bot info not read: %s", exc)
            return ""
        return str(getattr(response.data, "user_id", "") or "")

    def leave(self, source_type: str, source_id: str) -> None:
        if source_type == "group":
            self._call("leave", lambda: self.api.leave_group_with_http_info(source_id, _request_timeout=TIMEOUT))
        elif source_type == "room":
            self._call("leave", lambda: self.api.leave_room_with_http_info(source_id, _request_timeout=TIMEOUT))

    # --- retries -----------------------------------------------------------------------------

    def _call(
        self,
        endpoint: str,
        send: Callable[[], Any],
        *,
        attempts: int | None = None,
        accepted_conflict: bool = False,
        limited: bool = True,
    ) -> tuple[Any, int]:
        attempts = attempts or self.policy.attempts
        last: LineError | None = None
        for attempt in range(1, attempts + 1):
            if limited and not self.limiter.acquire(self.channel, endpoint, timeout=self.policy.rate_limit_wait):
                last = LineError("rate limit budget exhausted; not sent", status=429, retryable=True, attempts=attempt)
                break
            wait: float | None = None
            try:
                return send(), attempt
            except ApiException as exc:
                text = _error_text(exc)
                if accepted_conflict and exc.status == 409:
                    # The retry key was already accepted: the first request went through.
                    return _Conflict(exc), attempt
                if exc.status == 400 and "invalid reply token" in text.lower():
                    raise InvalidReplyToken(text, status=400, attempts=attempt) from exc
                if exc.status not in RETRYABLE_STATUS:
                    raise LineError(text, status=exc.status or 0, attempts=attempt) from exc
                last = LineError(text, status=exc.status, retryable=True, attempts=attempt)
                wait = _retry_after(exc.headers)
            except urllib3.exceptions.HTTPError as exc:
                last = LineError(f"LINE API unreachable: {type(exc).__name__}", retryable=True, attempts=attempt)
            if attempt == attempts:
                break
            delay = self.policy.backoff(attempt - 1) if wait is None else wait
            if delay > self.policy.max_wait:
                last.args = (f"{last} (Retry-After {delay:.0f}s is longer than we wait)",)
                break
            log.info("LINE %s failed (%s); retry %d in %.2fs", endpoint, last, attempt, delay)
            self.sleep(delay)
        assert last is not None
        raise last


class _Conflict:
    """A 409 answer to a repeated retry key, shaped like a response (its body lists the sent messages)."""

    def __init__(self, exc: ApiException):
        body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else str(exc.body or "")
        try:
            self.raw = json.loads(body)
        except ValueError:
            self.raw = {}
        self.data = None


def _sent_ids(response: Any) -> list[str]:
    if isinstance(response, _Conflict):
        items = response.raw.get("sentMessages") if isinstance(response.raw, dict) else None
        return [str(m.get("id", "")) for m in items or [] if isinstance(m, dict)]
    data = getattr(response, "data", None)
    items = getattr(data, "sent_messages", None) or []
    return [str(getattr(m, "id", "") or "") for m in items]
