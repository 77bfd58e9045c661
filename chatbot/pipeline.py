"""Processing one stored inbound event: channel in -> engine -> channel out.

Stored means answered (docs/adr/0004-idempotent-pipeline.md, docs/adr/0008-stored-means-answered.md):

- an event is claimed with a lease (a compare-and-set UPDATE), so two workers never process it
  at once, and a processed or given-up event is skipped;
- replies are stored as pending outbound messages keyed by (event, sequence) before anything is
  sent, so a retry re-sends only what was not yet sent and never composes a second answer;
- a failed attempt sets the lease to the time of the next attempt (exponential backoff), and after
  ``EVENT_MAX_ATTEMPTS`` the event is given up: the resident is told politely, in their language,
  and a ticket shows staff the reason;
- the database row is the truth: ``requeue`` (run by Celery beat) queues again every event that is
  stored, not processed, not leased and not given up, so an event whose task was lost with the
  broker (Redis restarted empty) or with a worker killed mid-task is still answered.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from conversations import adapters, delivery, inbox, outbox, states
from conversations.adapters import DeliveryContext
from conversations.content import InboundMessage, Kind, Reply
from conversations.masking import mask
from conversations.models import Conversation, InboundEvent, Message, Reason
from handoff import services as handoff

from . import handlers

log = logging.getLogger(__name__)

# Kinds of message a resident expects an answer to: a failure to process one of them is told to them.
ANSWERED_KINDS = (Kind.TEXT, Kind.POSTBACK, Kind.MEDIA, Kind.FOLLOW)


class RetryLater(Exception):  # noqa: N818 (a signal to the task, not an error)
    """This attempt failed; the task should run again after ``delay`` seconds."""

    def __init__(self, delay: float, cause: BaseException) -> None:
        super().__init__(f"retry in {delay:.1f}s: {cause}")
        self.delay = delay
        self.cause = cause


def lease() -> timedelta:
    return timedelta(seconds=settings.EVENT_LEASE_SECONDS)


def backoff(attempts: int) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones: doubling, capped, jittered."""
    ceiling = min(settings.EVENT_RETRY_MAX_SECONDS, settings.EVENT_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return ceiling * random.uniform(0.5, 1.0)


def claimable(now: datetime) -> Q:
    return Q(processed_at__isnull=True, given_up_at__isnull=True) & (
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )


def claim(event_id: int) -> InboundEvent | None:
    now = timezone.now()
    claimed = InboundEvent.objects.filter(claimable(now), pk=event_id).update(
        lease_until=now + lease(), attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    return InboundEvent.objects.select_related("municipality").get(pk=event_id)


def error_text(exc: BaseException) -> str:
    """What is kept of a failure for staff and admins: its kind and message, personal data masked."""
    return mask(f"{type(exc).__name__}: {exc}")[:2000]


def process_event(event_id: int, *, retry_delay: float | None = None) -> str:
    """Process one event. On failure: ``RetryLater`` until the last attempt, then the event is given up.

    ``retry_delay`` overrides the backoff (tasks run in-process retry at once).
    """
    event = claim(event_id)
    if event is None:
        return "skipped"
    adapter = adapters.adapter_for(event.channel)
    try:
        inbound = adapter.parse(event)
        conversation = None
        context = DeliveryContext(received_at=event.received_at)
        for item in inbound:
            context.reply_token = context.reply_token or item.reply_token
            with adapters.busy(adapter, event, item):
                conversation = handle(event, item) or conversation
        if conversation is not None:
            pending = list(
                Message.objects.filter(
                    event=event, direction=Message.Direction.OUTBOUND, delivery=Message.Delivery.PENDING
                ).order_by("sequence")
            )
            delivery.deliver(conversation, pending, context)
    except Exception as exc:
        error = error_text(exc)
        if event.attempts >= settings.EVENT_MAX_ATTEMPTS:
            log.error("event %s failed %d times, given up: %s", event.pk, event.attempts, error)
            give_up(event, error)
            return "given up"
        delay = backoff(event.attempts) if retry_delay is None else retry_delay
        log.warning("event %s attempt %d failed (next in %.1fs): %s", event.pk, event.attempts, delay, error)
        # Not claimable before the next attempt is due: neither beat nor a duplicate task runs it early.
        InboundEvent.objects.filter(pk=event.pk).update(
            last_error=error, lease_until=timezone.now() + timedelta(seconds=delay * 0.9) if delay else None
        )
        raise RetryLater(delay, exc) from exc
    InboundEvent.objects.filter(pk=event.pk).update(processed_at=timezone.now(), lease_until=None, last_error="")
    return "processed"


def handle(event: InboundEvent, item: InboundMessage) -> Conversation | None:
    """Store what the resident sent and, when the bot may speak, the pending replies."""
    if item.kind in (Kind.UNKNOWN, Kind.JOIN, Kind.LEAVE, Kind.UNFOLLOW, Kind.UNSEND, Kind.FOLLOW) and not item.user_id:
        return None
    return handlers.dispatch(event, item)


# --- poison events --------------------------------------------------------------------------------------


def give_up(event: InboundEvent, error: str) -> bool:
    """Stop trying: tell the resident (in their language) and open a ticket showing staff the reason.

    Runs once per event (a compare-and-set on ``given_up_at``). Failing to tell anyone is logged;
    the event stays visible to admins as given up, with its error, and can be retried from there.
    """
    now = timezone.now()
    marked = InboundEvent.objects.filter(pk=event.pk, processed_at__isnull=True, given_up_at__isnull=True).update(
        given_up_at=now, lease_until=None, last_error=error
    )
    if not marked:
        return False
    try:
        _tell_resident_and_staff(event, error)
    except Exception as exc:
        log.error("event %s given up; neither the resident nor staff could be told: %s", event.pk, error_text(exc))
    return True


def _tell_resident_and_staff(event: InboundEvent, error: str) -> None:
    items = [i for i in adapters.adapter_for(event.channel).parse(event) if i.user_id and i.kind in ANSWERED_KINDS]
    if not items:
        log.info("event %s given up: nobody to tell", event.pk)
        return
    item = items[0]
    resident, conversation = inbox.resident_for(event, item)
    lang = resident.language or "ja"
    text = item.text if item.kind == Kind.TEXT else str((item.postback or {}).get("label", ""))[:200]
    inbound = inbox.store_inbound(event, conversation, item, text, lang)
    # Replies composed by an earlier attempt but never sent will not be: say so in the thread.
    Message.objects.filter(event=event, direction=Message.Direction.OUTBOUND, delivery=Message.Delivery.PENDING).update(
        delivery=Message.Delivery.FAILED, delivery_error="not sent: processing the message failed"
    )
    attempts = InboundEvent.objects.filter(pk=event.pk).values_list("attempts", flat=True).first() or 0
    with translation.override("ja"):
        note = _("The bot could not process this message (%(attempts)d attempts). Internal reason: %(error)s") % {
            "attempts": attempts,
            "error": error,
        }
    if states.bot_may_answer(conversation.state):
        ticket = handoff.open_ticket(conversation, Reason.FAILED, question=text)
    else:
        ticket = handoff.open_ticket_of(conversation)
    if ticket is not None:
        handoff.system_note(ticket, note)
    with translation.override(lang):
        apology = _("Sorry, we could not process your message. A staff member has been told and will follow up here.")
    outbox.send(conversation, [Reply(kind="notice", text=apology)], reply_to=inbound, language=lang)


# --- stored means answered: queue again what the broker lost ---------------------------------------------


@dataclass
class Backlog:
    """Events not yet answered: ``stuck`` (stored more than EVENT_REQUEUE_AFTER_SECONDS ago), ``given_up``."""

    stuck: int
    given_up: int

    def as_dict(self) -> dict[str, int]:
        return {"stuck": self.stuck, "given_up": self.given_up}


def backlog(municipality_id: int | None = None) -> Backlog:
    cutoff = timezone.now() - timedelta(seconds=settings.EVENT_REQUEUE_AFTER_SECONDS)
    events = InboundEvent.objects.filter(processed_at__isnull=True)
    if municipality_id is not None:
        events = events.filter(municipality_id=municipality_id)
    return Backlog(
        stuck=events.filter(given_up_at__isnull=True, received_at__lt=cutoff).count(),
        given_up=events.filter(given_up_at__isnull=False).count(),
    )


def due_for_requeue(now: datetime, after: float | None = None) -> QuerySet[InboundEvent]:
    """Events stored, not processed, not leased, not given up, and not queued within ``after`` seconds.

    ``chatbot.tasks.requeue_events`` (Celery beat, every EVENT_REQUEUE_SECONDS) queues them again.
    """
    cutoff = now - timedelta(seconds=settings.EVENT_REQUEUE_AFTER_SECONDS if after is None else after)
    return InboundEvent.objects.filter(claimable(now)).filter(
        Q(requeued_at__isnull=True, received_at__lt=cutoff) | Q(requeued_at__lt=cutoff)
    )
