"""The questions the bot could not answer: one definition for the dashboard and the editors' admin page.

A logged question is *unanswered* when

* the bot handed it to staff because of the content (not because the resident asked for a person,
  the topic was sensitive, or the message was empty),
* the bot asked back and the resident did not pick one of the choices afterwards, or
* the bot answered and the resident marked the answer not helpful,

and no editor has dealt with it yet (linked it to an entry, or made an entry from it).

The question is what the resident typed: a log made by a button ("none of these") stands for the
last question typed before it, and the same typed question counts once per conversation. Texts
are masked; empty ones are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, QuerySet

from conversations.masking import mask
from conversations.models import AnswerLog, AnswerStatus, Reason

NOT_CONTENT_GAPS = (Reason.ASKED_FOR_PERSON, Reason.SENSITIVE, Reason.EMPTY)
HANDED_OFF, ASKED_BACK, UNHELPFUL = "handoff", "ask_back", "unhelpful"
KINDS = (HANDED_OFF, ASKED_BACK, UNHELPFUL)


@dataclass
class Question:
    """One unanswered question, as the resident typed it (masked)."""

    text: str
    language: str
    kind: str  # handoff | ask_back | unhelpful
    log_id: int
    municipality_id: int
    conversation_id: int | None
    created_at: datetime
    answered_faq_id: int | None = None
    candidates: list[dict] = field(default_factory=list)

    @property
    def top(self) -> dict | None:
        return self.candidates[0] if self.candidates else None


def gap_filter(kind: str = "") -> Q:
    """Answer logs that may stand for an unanswered question (``kind``: only that kind)."""
    gaps = {
        HANDED_OFF: Q(decision=AnswerStatus.HANDOFF) & ~Q(reason__in=NOT_CONTENT_GAPS),
        ASKED_BACK: Q(decision=AnswerStatus.ASK_BACK) & ~Q(reason__in=NOT_CONTENT_GAPS),
        UNHELPFUL: Q(feedback=AnswerLog.Feedback.UNHELPFUL),
    }
    open_ = Q(handled_at__isnull=True)
    if kind:
        return gaps[kind] & open_
    return (gaps[HANDED_OFF] | gaps[ASKED_BACK] | gaps[UNHELPFUL]) & open_


def kind_of(log: AnswerLog) -> str:
    if log.feedback == AnswerLog.Feedback.UNHELPFUL:
        return UNHELPFUL
    return HANDED_OFF if log.decision == AnswerStatus.HANDOFF else ASKED_BACK


def questions(logs: QuerySet[AnswerLog], *, kind: str = "") -> list[Question]:
    """The unanswered questions among ``logs`` (already limited to a municipality and period), oldest first."""
    rows = list(
        logs.filter(gap_filter(kind))
        .select_related("message")
        .order_by("created_at", "pk")
        .only(
            "pk",
            "municipality_id",
            "conversation_id",
            "query",
            "language",
            "decision",
            "reason",
            "feedback",
            "answered_faq_id",
            "candidates",
            "created_at",
            "message__kind",
        )
    )
    picked_after = _picks_after_ask_backs(rows)
    found: list[Question] = []
    seen: set[tuple[int | None, str]] = set()
    for log in rows:
        if log.pk in picked_after:
            continue  # asked back, and the resident picked a choice: answered after all
        from_button = log.message is not None and log.message.kind == "postback"
        text = _typed_before(log) if from_button and log.conversation_id else log.query
        text = mask(" ".join((text or "").split()))
        if not text:
            continue
        key = (log.conversation_id, text)
        if log.conversation_id is not None and key in seen:
            continue  # the same typed question already counted (asked back, then "none of these")
        seen.add(key)
        candidates = [c for c in (log.candidates or []) if isinstance(c, dict)]
        found.append(
            Question(
                log_id=log.pk,
                text=text,
                language=log.language or "",
                kind=kind_of(log),
                municipality_id=log.municipality_id,
                conversation_id=log.conversation_id,
                created_at=log.created_at,
                answered_faq_id=log.answered_faq_id,
                candidates=candidates,
            )
        )
    return found


def _typed_before(log: AnswerLog) -> str:
    """The last question the resident typed in the conversation before a button's log."""
    earlier = (
        AnswerLog.objects.filter(conversation_id=log.conversation_id, created_at__lte=log.created_at, pk__lt=log.pk)
        .exclude(message__kind="postback")
        .exclude(query="")
        .order_by("-created_at", "-pk")
        .values_list("query", flat=True)
        .first()
    )
    return earlier or ""


def _picks_after_ask_backs(rows: list[AnswerLog]) -> set[int]:
    """Ask-back logs whose conversation has a later pick (the resident chose an answer)."""
    asked = [log for log in rows if log.decision == AnswerStatus.ASK_BACK and log.conversation_id]
    if not asked:
        return set()
    picks: dict[int, list[int]] = {}
    for conversation_id, pk in AnswerLog.objects.filter(
        conversation_id__in={log.conversation_id for log in asked}, reason=Reason.PICKED
    ).values_list("conversation_id", "pk"):
        picks.setdefault(conversation_id, []).append(pk)
    return {log.pk for log in asked if any(pk > log.pk for pk in picks.get(log.conversation_id, []))}
