"""Retention: conversation texts are deleted after the municipality's retention period, and a
resident's data is deleted on request. What stays is anonymous: the rows that make the dashboard's
counts (a message's time, direction, sender, language and kind; an answer log's decision, reason,
scores, answered FAQ and feedback; a ticket's times, reason and rating) with every text blanked and
the resident's channel user id replaced by a random one.

    purge_expired()                        # every municipality; the daily Celery beat task
    purge_municipality(city, dry_run=True) # what would go, counted
    erase_resident(resident, actor=user, reason="request by phone")

What is blanked, for rows older than the cut-off (now - retention_days):
- Message: text, translation, rendered payload, delivery error, channel message id;
- AnswerLog: query (newer queries are kept masked: ``conversations.masking.mask``);
- InboundEvent: the raw payload and last error;
- hand-off Ticket: question (and its Japanese translation) and outcome note; InternalNote: text;
- Resident not seen since the cut-off: channel user id -> "anon-<random>", display name cleared.
A row exactly at the cut-off is kept; the next run takes it.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from conversations import states
from conversations.masking import mask
from conversations.models import AnswerLog, Conversation, InboundEvent, Message, Municipality, Resident
from handoff.models import InternalNote, Ticket
from handoff.services import audit

log = logging.getLogger(__name__)

ANON_PREFIX = "anon-"
MIN_RETENTION_DAYS = 1
TICKET_TEXT_FIELDS = ("question", "question_ja", "outcome_note")
MASK_BATCH = 1000

# Audit actions (hand-off's AuditEvent); the choices there should list them.
ERASE_ACTION = "erase_resident"
PURGE_ACTION = "retention_purge"


@dataclass
class PurgeCounts:
    messages: int = 0
    answer_logs: int = 0
    masked_queries: int = 0
    events: int = 0
    tickets: int = 0
    notes: int = 0
    residents: int = 0

    @property
    def total(self) -> int:
        return sum(asdict(self).values())

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def __add__(self, other: PurgeCounts) -> PurgeCounts:
        return PurgeCounts(**{k: v + getattr(other, k) for k, v in asdict(self).items()})


def retention_days(municipality: Municipality) -> int:
    return max(MIN_RETENTION_DAYS, municipality.retention_days or 0)


def cutoff_for(municipality: Municipality, now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=retention_days(municipality))


# --- what is due ----------------------------------------------------------------------------------------

_MESSAGE_HAS_TEXT = (
    ~Q(text="") | ~Q(translation="") | ~Q(payload={}) | ~Q(delivery_error="") | ~Q(channel_message_id="")
)
_MESSAGE_BLANK = {"text": "", "translation": "", "payload": {}, "delivery_error": "", "channel_message_id": ""}


def _has_text(fields: tuple[str, ...]) -> Q:
    q = Q(pk__in=[])
    for name in fields:
        q |= ~Q(**{name: ""})
    return q


def due(municipality: Municipality, cutoff: datetime) -> dict[str, QuerySet]:
    """The rows of one municipality whose texts are due for deletion, by kind (only rows that still have text)."""
    found: dict[str, QuerySet] = {
        "messages": Message.objects.filter(conversation__municipality=municipality, created_at__lt=cutoff).filter(
            _MESSAGE_HAS_TEXT
        ),
        "answer_logs": AnswerLog.objects.filter(municipality=municipality, created_at__lt=cutoff).exclude(query=""),
        "events": InboundEvent.objects.filter(municipality=municipality, received_at__lt=cutoff).filter(
            ~Q(payload={}) | ~Q(last_error="")
        ),
        "residents": Resident.objects.filter(municipality=municipality, last_seen_at__lt=cutoff).exclude(
            channel_user_id__startswith=ANON_PREFIX
        ),
        "tickets": Ticket.objects.filter(municipality=municipality, created_at__lt=cutoff).filter(
            _has_text(TICKET_TEXT_FIELDS)
        ),
        "notes": InternalNote.objects.filter(ticket__municipality=municipality, created_at__lt=cutoff).exclude(text=""),
    }
    return found


def _blank(kind: str, qs: QuerySet) -> int:
    if kind == "messages":
        return qs.update(**_MESSAGE_BLANK)
    if kind == "answer_logs":
        return qs.update(query="")
    if kind == "events":
        return qs.update(payload={}, last_error="")
    if kind == "tickets":
        return qs.update(**dict.fromkeys(TICKET_TEXT_FIELDS, ""))
    if kind == "notes":
        return qs.update(text="")
    if kind == "residents":
        return anonymise_residents(qs)
    raise KeyError(kind)


def anonymise_residents(qs: QuerySet) -> int:
    n = 0
    for pk in list(qs.values_list("pk", flat=True)):
        n += Resident.objects.filter(pk=pk).update(channel_user_id=anonymous_id(), display_name="")
    return n


def anonymous_id() -> str:
    return f"{ANON_PREFIX}{uuid.uuid4().hex}"


def mask_queries(municipality: Municipality, *, since: datetime | None = None, dry_run: bool = False) -> int:
    """Mask personal data in the answer log queries still kept (the pipeline may store them unmasked)."""
    changed: list[AnswerLog] = []
    n = 0
    rows = AnswerLog.objects.filter(municipality=municipality).exclude(query="")
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    rows = rows.values_list("pk", "query")
    for pk, query in rows.iterator(chunk_size=MASK_BATCH):
        masked = mask(query)
        if masked != query:
            n += 1
            changed.append(AnswerLog(pk=pk, query=masked))
        if len(changed) >= MASK_BATCH and not dry_run:
            AnswerLog.objects.bulk_update(changed, ["query"])
            changed = []
    if changed and not dry_run:
        AnswerLog.objects.bulk_update(changed, ["query"])
    return n


# --- the scheduled purge --------------------------------------------------------------------------------


def purge_municipality(
    municipality: Municipality, *, now: datetime | None = None, dry_run: bool = False
) -> PurgeCounts:
    cutoff = cutoff_for(municipality, now)
    counts = PurgeCounts()
    with transaction.atomic():
        for kind, qs in due(municipality, cutoff).items():
            setattr(counts, kind, qs.count() if dry_run else _blank(kind, qs))
        counts.masked_queries = mask_queries(municipality, since=cutoff, dry_run=dry_run)
        if counts.total and not dry_run:
            record_audit(
                None,
                municipality,
                PURGE_ACTION,
                {"cutoff": cutoff.isoformat(), "retention_days": retention_days(municipality), **counts.as_dict()},
            )
    return counts


def purge_expired(*, now: datetime | None = None, municipalities=None, dry_run: bool = False) -> dict[str, PurgeCounts]:
    """Purge every municipality (or the given ones); returns the counts by municipality slug."""
    now = now or timezone.now()
    cities = municipalities if municipalities is not None else Municipality.objects.order_by("pk")
    result = {}
    for city in cities:
        result[city.slug] = purge_municipality(city, now=now, dry_run=dry_run)
        if result[city.slug].total:
            log.info("retention %s%s: %s", city.slug, " (dry run)" if dry_run else "", result[city.slug].as_dict())
    return result


# --- deletion on request ------------------------------------------------------------------------------------


def resident_rows(resident: Resident) -> dict[str, QuerySet]:
    """Every row holding this resident's texts or identifiers."""
    conversations = Conversation.objects.filter(resident=resident)
    messages = Message.objects.filter(conversation__in=conversations)
    raw = InboundEvent.objects.annotate(raw=Cast("payload", TextField())).filter(
        municipality=resident.municipality, channel=resident.channel, raw__contains=resident.channel_user_id
    )
    events = InboundEvent.objects.filter(
        Q(pk__in=messages.exclude(event__isnull=True).values("event_id")) | Q(pk__in=raw.values("pk"))
    )
    found: dict[str, QuerySet] = {
        "messages": messages,
        "answer_logs": AnswerLog.objects.filter(Q(conversation__in=conversations) | Q(message__in=messages)),
        "events": events,
        "residents": Resident.objects.filter(pk=resident.pk),
        "tickets": Ticket.objects.filter(conversation__in=conversations),
        "notes": InternalNote.objects.filter(ticket__conversation__in=conversations),
    }
    return found


def preview_erasure(resident: Resident) -> dict[str, int]:
    rows = resident_rows(resident)
    return {
        "conversations": Conversation.objects.filter(resident=resident).count(),
        **{kind: qs.count() for kind, qs in rows.items() if kind != "residents"},
    }


def erase_resident(resident: Resident, *, actor=None, reason: str = "", ip: str | None = None) -> PurgeCounts:
    """Delete a resident's personal data at their request: texts blanked, identifiers replaced, audited.

    Open conversations are closed and open tickets resolved, so nobody keeps answering an erased person.
    """

    counts = PurgeCounts()
    municipality = resident.municipality
    with transaction.atomic():
        conversations = list(Conversation.objects.filter(resident=resident).values_list("pk", "state"))
        rows = resident_rows(resident)
        rows["tickets"].filter(status=Ticket.Status.OPEN).update(
            status=Ticket.Status.RESOLVED, resolved_at=timezone.now(), outcome=Ticket.Outcome.OTHER
        )
        for pk, state in conversations:
            if state != states.ConversationState.CLOSED:
                with contextlib.suppress(states.InvalidTransition):  # moved meanwhile: best effort
                    states.apply(pk, states.Transition.CLOSE)
        # Events first: finding them by the raw payload needs the channel user id still in place.
        counts.events = _blank("events", rows.pop("events"))
        for kind, qs in rows.items():
            setattr(counts, kind, _blank(kind, qs))
        record_audit(
            actor,
            municipality,
            ERASE_ACTION,
            {
                "resident": resident.pk,
                "reason": mask(reason)[:500],
                "conversations": len(conversations),
                **counts.as_dict(),
            },
            ip=ip,
        )
    resident.refresh_from_db()
    return counts


# --- audit ----------------------------------------------------------------------------------------------------


def record_audit(actor, municipality: Municipality, action: str, detail: dict, *, ip: str | None = None) -> None:
    """One audit record in hand-off's audit log (``handoff.services.audit``)."""
    log.info("audit %s by %s in %s: %s", action, actor or "system", municipality.slug, detail)
    audit(actor, action, municipality=municipality, detail=detail, ip=ip)
