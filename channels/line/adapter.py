"""The LINE channel adapter: stored webhook events in, stored outbound messages out.

- ``parse`` turns one stored event into neutral ``InboundMessage`` objects. Two platform chores are
  done here, because the engine must not know about them: the resident's language is read from the
  LINE profile on follow and first contact, and in a group or room the bot explains that it serves
  one-to-one chats and leaves.
- ``deliver`` sends pending messages: the reply token first (free, but valid once and briefly), then
  push with ``X-Line-Retry-Key`` (the message's uid) when the token is expired or used, or when
  there is none (staff replies, hand-off notices). Each message ends ``sent`` or ``failed`` with the
  reason; a resident who unfollowed gets nothing.
- the channel's bot user ID is read from LINE once (with the access token) and kept on the
  municipality: from then on the webhook refuses bodies addressed to another bot (``destination``).
- ``busy`` shows LINE's loading animation when handling an event takes longer than about a second.

The engine never imports the SDK; everything LINE-specific stays in this package.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from conversations.adapters import DeliveryContext, DeliveryResult
from conversations.content import InboundMessage, Kind, Reply
from conversations.models import Conversation, InboundEvent, Message, Municipality, Resident
from languages.registry import normalise_code

from . import rendering
from .client import InvalidReplyToken, LineClient, LineError
from .parsing import parse_event, source_of

log = logging.getLogger(__name__)

LOADING_AFTER = 1.0  # seconds of handling after which the loading animation is shown
LOADING_SECONDS = 20
PROFILE_KINDS = (Kind.FOLLOW, Kind.TEXT, Kind.POSTBACK, Kind.MEDIA)
UNFOLLOWED = "not sent: the resident has blocked (unfollowed) the LINE account"
REPLY_ATTEMPTED = "reply-attempted"  # noted on a pending message before its reply call (see deliver)
REPLY_REFUSED = "reply-refused"  # ... and once LINE refused the token: it goes by push
# A reply token refused this soon after its event arrived was used, not expired (LINE keeps them longer).
REPLY_TOKEN_SURELY_VALID = 25.0
BOT_INFO_RETRY = 600.0  # seconds before a failed read of the bot user ID is tried again (per process)
_bot_info_tried: dict[int, float] = {}


def client_for(municipality: Municipality) -> LineClient:
    return LineClient(municipality.line_access_token, channel=str(municipality.pk))


def group_notice() -> str:
    """Why the bot leaves a group, in Japanese and English (one of them if they read the same)."""
    texts = []
    for code in ("ja", "en"):
        with translation.override(code):
            text = _(
                "Thank you for inviting me. I answer questions about the city one-to-one only, so I will leave "
                "this group now. Please add me as a friend and send me your question directly."
            )
        if text not in texts:
            texts.append(text)
    return "\n\n".join(texts)


def learn_bot_user_id(municipality: Municipality) -> str:
    """Read the channel's bot user ID from LINE and keep it (the webhook checks ``destination`` against it)."""
    now = time.monotonic()
    if now - _bot_info_tried.get(municipality.pk, -BOT_INFO_RETRY) < BOT_INFO_RETRY:
        return ""
    _bot_info_tried[municipality.pk] = now
    try:
        user_id = client_for(municipality).bot_user_id()
    except LineError as exc:
        log.info("LINE bot user ID not read: %s", exc)
        return ""
    if user_id:
        Municipality.objects.filter(pk=municipality.pk, line_bot_user_id="").update(line_bot_user_id=user_id[:64])
        municipality.line_bot_user_id = user_id[:64]
        log.info("LINE bot user ID of %s learned: webhook destinations are checked from now on", municipality.slug)
    return user_id


class LineAdapter:
    name = "line"

    # --- in ------------------------------------------------------------------------------------

    def parse(self, event: InboundEvent) -> list[InboundMessage]:
        raw = event.payload if isinstance(event.payload, dict) else {}
        if not event.municipality.line_bot_user_id:
            learn_bot_user_id(event.municipality)
        item = parse_event(raw)
        if item.group_id:
            if item.kind == Kind.JOIN:
                self._explain_and_leave(event.municipality, raw, item)
            return [item]
        if item.kind == Kind.UNKNOWN:
            log.info("LINE event %s of type %r ignored", event.channel_event_id, raw.get("type"))
        elif item.kind in PROFILE_KINDS and item.user_id and self._wants_profile(event.municipality, item):
            item.language_hint = normalise_code(self._profile_language(event.municipality, item.user_id))
        return [item]

    def _wants_profile(self, municipality: Municipality, item: InboundMessage) -> bool:
        known = (
            Resident.objects.filter(municipality=municipality, channel="line", channel_user_id=item.user_id)
            .values_list("language", "language_source")
            .first()
        )
        if known is None or not known[0]:
            return True  # first contact, or nothing known yet
        return item.kind == Kind.FOLLOW and known[1] in ("", "default")

    def _profile_language(self, municipality: Municipality, user_id: str) -> str:
        try:
            return client_for(municipality).profile_language(user_id)
        except LineError as exc:
            log.info("LINE profile of a resident not read: %s", exc)
            return ""

    def _explain_and_leave(self, municipality: Municipality, raw: dict, item: InboundMessage) -> None:
        """A group or room: say (by reply token only, so never twice) that we serve one-to-one, and leave."""
        source_type, source_id = source_of(raw)
        try:
            client = client_for(municipality)
        except LineError as exc:
            log.warning("cannot leave LINE %s: %s", source_type, exc)
            return
        if item.reply_token:
            try:
                client.reply(item.reply_token, [rendering.text_message(group_notice())])
            except LineError as exc:  # an expired token on a retry: leaving matters more
                log.info("LINE %s notice not sent: %s", source_type, exc)
        try:
            client.leave(source_type, source_id)
        except LineError as exc:
            if exc.retryable:
                raise  # the task retries; the notice is not sent twice (its token is spent)
            log.info("LINE %s not left: %s", source_type, exc)

    # --- out -----------------------------------------------------------------------------------

    def deliver(
        self, conversation: Conversation, messages: list[Message], context: DeliveryContext
    ) -> Iterator[DeliveryResult]:
        order = {m.pk: i for i, m in enumerate(messages)}
        rows = sorted(
            Message.objects.filter(pk__in=order, delivery=Message.Delivery.PENDING),  # unsent meanwhile: dropped
            key=lambda m: order[m.pk],
        )
        if not rows:
            return
        resident = conversation.resident
        if resident.unfollowed_at or resident.is_blocked:
            yield from _finish(rows, Message.Delivery.FAILED, UNFOLLOWED)
            return
        try:
            client = client_for(conversation.municipality)
        except LineError as exc:
            yield from _finish(rows, Message.Delivery.FAILED, str(exc))
            return
        units = []
        for row in rows:
            try:
                objects = rendering.render(_reply_of(row), row.language or resident.language)
            except ValueError as exc:  # cannot be put into LINE's shape: retrying would not help
                yield from _finish([row], Message.Delivery.FAILED, f"not sendable on LINE: {exc}")
                continue
            if objects:
                units.append((row, objects))
            else:
                yield from _finish([row], Message.Delivery.DROPPED, "nothing to send")
        reply_token = context.reply_token
        token_age = (timezone.now() - context.received_at).total_seconds() if context.received_at else None
        batches = rendering.pack(units)
        for n, batch in enumerate(batches):
            try:
                sent = None
                if reply_token:
                    # A crash (a worker killed) between LINE's answer and its record would hide whether the
                    # reply went out: the attempt is recorded first, so a retry knows it was made.
                    tried_before = any(row.channel_message_id == REPLY_ATTEMPTED for row in batch.keys)
                    yield from _note(batch.keys, REPLY_ATTEMPTED)
                    try:
                        sent = client.reply(reply_token, batch.messages)
                    except InvalidReplyToken as exc:
                        yield from _attempts(batch.keys, exc.attempts)
                        if tried_before and token_age is not None and token_age < REPLY_TOKEN_SURELY_VALID:
                            # Too young to have expired, and only we hold it: our earlier reply used it.
                            log.info("LINE reply token used by an earlier attempt that a crash hid: sent")
                            yield from _finish(batch.keys, Message.Delivery.SENT, "")
                            reply_token = ""
                            continue
                        yield from _note(batch.keys, REPLY_REFUSED)  # a retry pushes (with the same retry key)
                        log.info("LINE reply token expired or used; pushing instead")
                    reply_token = ""  # valid once either way
                if sent is None:
                    sent = client.push(resident.channel_user_id, batch.messages, retry_key=str(batch.keys[0].uid))
            except LineError as exc:
                yield from _attempts(batch.keys, exc.attempts)
                failed = [row for later in batches[n:] for row in later.keys]
                yield from _finish(failed, Message.Delivery.FAILED, str(exc)[:2000])
                log.warning("LINE delivery of %d message(s) failed: %s", len(failed), exc)
                return
            yield from _attempts(batch.keys, sent.attempts)
            for row, first in zip(batch.keys, batch.firsts, strict=True):
                line_id = sent.ids[first] if first < len(sent.ids) else ""
                yield DeliveryResult(row.pk, Message.Delivery.SENT, channel_message_id=line_id)

    # --- the loading animation -----------------------------------------------------------------

    def show_loading(self, municipality: Municipality, user_id: str, seconds: int = LOADING_SECONDS) -> bool:
        try:
            return client_for(municipality).show_loading(user_id, seconds)
        except LineError:
            return False

    @contextmanager
    def busy(self, event: InboundEvent, item: InboundMessage, after: float | None = None) -> Iterator[None]:
        """Show the loading animation if the block (handling one message) runs longer than ``after`` s.

        The pipeline wraps its handling of each message in this. Only one-to-one text and postback
        messages qualify: the animation cannot be shown in groups, and other events answer at once.
        """
        if item.kind not in (Kind.TEXT, Kind.POSTBACK) or not item.user_id or item.group_id:
            yield
            return
        delay = LOADING_AFTER if after is None else after
        job = _later.call_later(delay, self.show_loading, event.municipality, item.user_id)
        try:
            yield
        finally:
            job.cancel()


class _Job:
    __slots__ = ("cancelled",)

    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class _Later:
    """Run callbacks after a delay on one shared daemon thread (a ``Timer`` per message costs a thread)."""

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._heap: list = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def call_later(self, delay: float, fn, *args) -> _Job:
        job = _Job()
        with self._cv:
            heapq.heappush(self._heap, (time.monotonic() + delay, next(self._seq), job, fn, args))
            if self._thread is None or not self._thread.is_alive():  # first use, or after a fork
                self._thread = threading.Thread(target=self._run, name="line-later", daemon=True)
                self._thread.start()
            self._cv.notify()
        return job

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    self._cv.wait(self._heap[0][0] - time.monotonic() if self._heap else None)
                _due, _seq, job, fn, args = heapq.heappop(self._heap)
            if not job.cancelled:
                try:
                    fn(*args)
                except Exception:  # best effort: never kill the thread
                    log.warning("deferred LINE call failed", exc_info=True)


_later = _Later()


def _reply_of(message: Message) -> Reply:
    if message.payload:
        try:
            return Reply.from_payload(message.payload)
        except TypeError:
            log.warning("message %s has an unreadable payload; sending its text", message.pk)
    return Reply(text=message.text, kind=message.kind or "text")


def _attempts(rows: list[Message], attempts: int) -> Iterator[DeliveryResult]:
    for row in rows:
        yield DeliveryResult(row.pk, attempts=attempts)


def _note(rows: list[Message], note: str) -> Iterator[DeliveryResult]:
    for row in rows:
        yield DeliveryResult(row.pk, channel_message_id=note)
        row.channel_message_id = note


def _finish(rows: list[Message], status: str, error: str) -> Iterator[DeliveryResult]:
    for row in rows:
        yield DeliveryResult(row.pk, status, error=error)
