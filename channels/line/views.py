"""The LINE webhook: verify, store, acknowledge. Processing happens in the Celery task.

``POST /line/<municipality-slug>/webhook``

1. The body is bounded (``MAX_BODY``) and the ``X-Line-Signature`` header is checked with the SDK's
   ``SignatureValidator`` and that municipality's channel secret. A missing or wrong signature gets
   400 and is logged without the body; nothing is stored.
   Once the channel's bot user ID is known (the worker reads it from LINE), a body whose
   ``destination`` is another bot is refused with 400.
2. LINE's verification request (no events) gets 200.
3. Each event is checked and its text cleaned (``conversations.text.clean``): a text message whose
   text is missing, not a string or empty, and a one-to-one event without a userId are logged and
   ignored. The rest is stored as an ``InboundEvent`` keyed by its ``webhookEventId``. An event we
   already have (LINE redelivers after a timeout or an error) is recognised and not queued again,
   unless it is still unprocessed, unleased and was last queued a while ago (then its queueing was
   probably lost).
4. Processing is queued when the event's transaction commits, and the answer is 200 once the rows
   are stored, whatever the broker's state: an event whose task could not be queued is queued
   again by the beat task ``chatbot.requeue_events`` (stored means answered).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time

from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from linebot.v3.webhook import SignatureValidator

from chatbot import pipeline
from chatbot.tasks import enqueue, requeue
from conversations.models import Channel, InboundEvent, Municipality
from conversations.text import clean

from .parsing import source_of

log = logging.getLogger(__name__)

MAX_BODY = 1_048_576  # LINE sends at most a few dozen events per request; 1 MiB is generous
REDELIVERY_REQUEUE_AFTER = 10.0  # seconds: a redelivered event not queued for this long is queued again


_channels: dict[str, tuple[float, tuple[int, str, str] | None]] = {}
CHANNEL_TTL = 30.0  # seconds a municipality's channel secret is remembered by a web process


def channel_of(slug: str) -> tuple[int, str, str] | None:
    """(municipality id, channel secret, bot user id or "") of an active city with LINE set up; kept briefly.

    Saves a query on every webhook. A change in the admin takes effect at once in the process that
    saved it (``forget_channels`` runs on save) and within ``CHANNEL_TTL`` seconds in the others.
    """
    now = time.monotonic()
    cached = _channels.get(slug)
    if cached is not None and cached[0] > now:
        return cached[1]
    found = (
        Municipality.objects.filter(slug=slug, is_active=True)
        .exclude(line_channel_secret="")
        .values_list("pk", "line_channel_secret", "line_bot_user_id")
        .first()
    )
    _channels[slug] = (now + CHANNEL_TTL, found)
    return found


def forget_channels(**_kwargs) -> None:
    _channels.clear()


def _status(code: int, message: str) -> JsonResponse:
    return JsonResponse({"message": message}, status=code)


def _event_id(raw: dict) -> str:
    event_id = raw.get("webhookEventId")
    if isinstance(event_id, str) and event_id:
        return event_id[:128]
    # Older or hand-made events: a stable id from the content, so a redelivery is still recognised.
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return f"sha256:{digest[:64]}"


def _minimised(raw: dict) -> dict:
    """What we keep of an event. Text written in a group or room is not ours to keep: it is dropped."""
    if source_of(raw)[0] != "user" and isinstance(raw.get("message"), dict):
        raw = {**raw, "message": {k: v for k, v in raw["message"].items() if k in ("id", "type")}}
    return raw


def _usable(raw: dict) -> tuple[dict | None, str]:
    """(the event as stored, "") or (None, why it is ignored). Text is cleaned before it is stored."""
    source_type, source_id = source_of(raw)
    if source_type == "user" and not (isinstance(raw.get("source"), dict) and source_id):
        return None, "no userId in its source"
    message = raw.get("message")
    if raw.get("type") == "message" and isinstance(message, dict) and message.get("type") == "text":
        if source_type != "user":
            return raw, ""  # group text was dropped by _minimised; the adapter explains and leaves
        text = message.get("text")
        if not isinstance(text, str) or not clean(text).strip():
            return None, "a text message without text"
        if clean(text) != text:
            raw = {**raw, "message": {**message, "text": clean(text)}}
    return raw, ""


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, slug: str) -> HttpResponse:
    channel = channel_of(slug)
    if channel is None:
        return _status(404, "unknown LINE channel")
    municipality_id, channel_secret, bot_user_id = channel
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY:
        log.warning("LINE webhook %s: body of %d bytes refused", slug, declared)
        return _status(413, "request body too large")
    body = request.body
    if len(body) > MAX_BODY:
        return _status(413, "request body too large")
    signature = request.headers.get("X-Line-Signature", "")
    try:
        text = body.decode("utf-8")
        valid = bool(signature) and SignatureValidator(channel_secret).validate(text, signature)
    except UnicodeDecodeError:
        valid = False
    if not valid:
        log.warning(
            "LINE webhook %s: %s signature, %d-byte body refused",
            slug,
            "missing" if not signature else "invalid",
            len(body),
        )
        return _status(400, "invalid signature")
    try:
        data = json.loads(text)
        events = data["events"]
        if not isinstance(events, list):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        log.warning("LINE webhook %s: signed body is not a webhook payload", slug)
        return _status(400, "invalid payload")
    destination = data.get("destination") if isinstance(data, dict) else None
    if bot_user_id and destination != bot_user_id:
        log.warning("LINE webhook %s: destination %r is not this channel's bot; refused", slug, str(destination)[:40])
        return _status(400, "unknown destination")
    if not events:
        return HttpResponse(status=200)  # LINE's verification request
    stored = duplicates = 0
    for raw in events:
        if not isinstance(raw, dict):
            log.warning("LINE webhook %s: an event that is not an object ignored", slug)
            continue
        event_id = _event_id(raw)
        raw, why_not = _usable(_minimised(raw))
        if raw is None:
            log.warning("LINE webhook %s: event %s ignored: %s", slug, event_id, why_not)
            continue
        delivery = raw.get("deliveryContext") if isinstance(raw.get("deliveryContext"), dict) else {}
        fields = {
            "municipality_id": municipality_id,
            "channel": Channel.LINE,
            "channel_event_id": event_id,
            "event_type": str(raw.get("type", ""))[:40],
            "payload": raw,
            "is_redelivery": bool(delivery.get("isRedelivery", False)),
        }
        try:
            if connection.in_atomic_block:  # ATOMIC_REQUESTS, tests: a savepoint keeps the outer block usable
                with transaction.atomic():
                    event = InboundEvent.objects.create(**fields)
            else:  # the usual case: one INSERT, committed on its own (one round trip, no BEGIN / COMMIT)
                event = InboundEvent.objects.create(**fields)
        except IntegrityError:
            duplicates += 1
            _requeue_if_lost(event_id)
            continue
        enqueue(event.pk)  # queued once the row is committed: at once in autocommit
        stored += 1
    if duplicates:
        log.info("LINE webhook %s: %d new, %d already received", slug, stored, duplicates)
    return HttpResponse(status=200)


def _requeue_if_lost(event_id: str) -> None:
    """A redelivery of an event still unanswered, not leased and not queued lately: its queueing may be lost.

    The beat task would queue it too; a redelivery is a hint to do it now. The lease makes a second
    queueing harmless.
    """
    due = pipeline.due_for_requeue(timezone.now(), after=REDELIVERY_REQUEUE_AFTER).filter(
        channel=Channel.LINE, channel_event_id=event_id
    )
    if requeue(due, limit=1):
        log.info("LINE event %s redelivered and not yet answered: queued again", event_id)
