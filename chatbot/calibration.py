"""A city's own labels, read from its logs, to choose its answer threshold and margin.

Every day residents and staff say which entry was right, and each of those moments kept the
candidates and their confidences the bot saw at the time:

* an ask-back followed by a pick: the picked entry was right for that question (and a thumbs-down
  on the picked answer takes it back);
* an answer marked helpful or not helpful: the first candidate was right, or it was not;
* a hand-off that staff resolved with an FAQ entry: that entry was right.

Each becomes an ``evaluation.Outcome`` with the candidates as they were, so ``choose_thresholds``
picks the pair that answers the most while the answered precision stays at the target, exactly as
on a graded query file. Learned phrasings are left out: they are in the index now, so searching
them again would grade the bot on its own homework.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from conversations.models import AnswerLog, AnswerStatus, Municipality, Reason
from handoff.models import AuditEvent, Ticket

from . import decision, evaluation


@dataclass
class Labels:
    outcomes: list[evaluation.Outcome]
    picks: int = 0
    ratings: int = 0
    staff: int = 0

    def as_dict(self) -> dict:
        return {"labelled": len(self.outcomes), "picks": self.picks, "ratings": self.ratings, "staff_links": self.staff}


def labels_from_logs(municipality: Municipality, *, days: int = 180) -> Labels:
    since = timezone.now() - timedelta(days=days)
    logs = AnswerLog.objects.filter(municipality=municipality, created_at__gte=since)
    found = Labels([])
    # An ask-back, then a pick in the same conversation (not taken back by a thumbs-down).
    picks = logs.filter(reason=Reason.PICKED, answered_faq__isnull=False).exclude(feedback=AnswerLog.Feedback.UNHELPFUL)
    for pick in picks.order_by("pk"):
        asked = (
            logs.filter(conversation_id=pick.conversation_id, decision=AnswerStatus.ASK_BACK, pk__lt=pick.pk)
            .order_by("-pk")
            .first()
        )
        if asked is not None and pick.conversation_id is not None:
            found.outcomes.append(_outcome(f"pick-{pick.pk}", asked.candidates, {pick.answered_faq_id}, asked))
            found.picks += 1
    # Answers the resident rated.
    rated = logs.filter(decision=AnswerStatus.ANSWERED, reason=Reason.CONFIDENT, answered_faq__isnull=False)
    for log in rated.exclude(feedback=AnswerLog.Feedback.NONE).order_by("pk"):
        right = {log.answered_faq_id} if log.feedback == AnswerLog.Feedback.HELPFUL else set()
        found.outcomes.append(_outcome(f"rated-{log.pk}", log.candidates, right, log, known_wrong=not right))
        found.ratings += 1
    # Hand-offs staff resolved with an entry: the ticket kept the bot's candidates.
    resolved = AuditEvent.objects.filter(
        municipality=municipality, action=AuditEvent.Action.RESOLVE, created_at__gte=since, ticket__isnull=False
    ).select_related("ticket")
    for event in resolved:
        faq_id = (event.detail or {}).get("faq")
        ticket: Ticket | None = event.ticket
        if isinstance(faq_id, int) and ticket is not None and ticket.candidates:
            found.outcomes.append(_outcome(f"ticket-{ticket.pk}", ticket.candidates, {faq_id}, None))
            found.staff += 1
    return found


def _outcome(
    qid: str, candidates: Iterable, right: set[int], log: AnswerLog | None, *, known_wrong: bool = False
) -> evaluation.Outcome:
    rows = [c for c in candidates or [] if isinstance(c, dict)]
    top = [f"{c.get('kind', 'faq')}:{c.get('id')}" for c in rows]
    best = {f"faq:{pk}" for pk in right}
    # A thumbs-down says the first candidate was wrong, not which one was right.
    relevant = {key: 2 for key in best} or ({"unknown": 2} if known_wrong else {})
    query = evaluation.Query(qid, "", relevant)
    return evaluation.Outcome(
        query=query,
        language=(log.language if log else "") or "ja",
        top=top,
        scores=[float(c.get("score", 0.0)) for c in rows],
        decision=log.decision if log else AnswerStatus.HANDOFF,
        reason=Reason.CONFIDENT,  # decided by the scores, so the thresholds may change it
        answered=None,
    )


@dataclass
class Proposal:
    labels: Labels
    choice: evaluation.Choice
    current: decision.Thresholds
    figures: dict

    def as_dict(self) -> dict:
        return {
            **self.labels.as_dict(),
            "met": self.choice.met,
            "answer_threshold": self.choice.threshold,
            "answer_margin": self.choice.margin,
            "answered_share": self.figures["answered_share"],
            "answered_precision": self.figures["answered_precision"],
            "previous": {"answer_threshold": self.current.answer, "answer_margin": self.current.margin},
        }


MIN_LABELS = 30


def propose(municipality: Municipality, *, target: float = 0.8, days: int = 180) -> Proposal | None:
    """The thresholds the city's own labels support; None with fewer than ``MIN_LABELS`` labels."""
    labels = labels_from_logs(municipality, days=days)
    if len(labels.outcomes) < MIN_LABELS:
        return None
    choice = evaluation.choose_thresholds(labels.outcomes, target)
    chosen = decision.Thresholds.for_values(choice.threshold, choice.margin)
    figures = evaluation.summarise(labels.outcomes, evaluation.redecide(labels.outcomes, chosen))
    return Proposal(labels, choice, decision.Thresholds.for_municipality(municipality), figures)
