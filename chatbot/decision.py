"""Answer, ask back or hand off: a top-1 threshold plus a top-1/top-2 margin (Rasa-style).

Candidate scores are calibrated confidences (the probability that the candidate answers the
question, see ``faq.search.score``), so the thresholds read as probabilities:

* answer when the best candidate is likely right (``top >= answer``) and clearly ahead of the
  next one (``top - second >= margin``);
* ask back with the first few candidates when the best is at least plausible
  (``top >= ask_back_floor``) but not sure or not ahead;
* hand off otherwise.

A municipality's ``answer_threshold`` / ``answer_margin`` (chosen by ``manage.py calibrate`` for
a target answered precision, from its own graded queries or from its residents' and staff's
labels with ``--from-logs``) override the shipped defaults; empty means the default. The defaults
(0.60 / 0.1) were chosen on the tune half of the development city (1,091 entries, questions
written blind) and held on its other half: 45% answered, 80% of the answers right
(docs/adr/0009-answers-residents-can-trust.md). The margin changes little, because the
confidence already weighs the lead over the next two candidates.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from conversations.models import Municipality
from faq.retrieval import PLAUSIBLE, Candidate, plausible_floor

DEFAULT_THRESHOLD = 0.60
DEFAULT_MARGIN = 0.1
ASK_BACK_FLOOR = PLAUSIBLE  # the least confidence worth offering a resident (faq.retrieval)
ASK_BACK_CHOICES = 3
MIN_PASSAGE_CHARS = 40  # a homepage passage shorter than this is a heading, not an answer


@dataclass(frozen=True)
class Thresholds:
    answer: float = DEFAULT_THRESHOLD
    margin: float = DEFAULT_MARGIN
    ask_back_floor: float = ASK_BACK_FLOOR

    @classmethod
    def for_values(cls, answer: float | None = None, margin: float | None = None) -> Thresholds:
        answer = DEFAULT_THRESHOLD if answer is None else float(answer)
        margin = DEFAULT_MARGIN if margin is None else float(margin)
        # a calibrated threshold below the floor would make "answer" unreachable between them
        return cls(answer=answer, margin=margin, ask_back_floor=plausible_floor(answer))

    @classmethod
    def for_municipality(cls, municipality: Municipality) -> Thresholds:
        return cls.for_values(municipality.answer_threshold, municipality.answer_margin)


def distinct_choices(candidates: Sequence[Candidate], limit: int = ASK_BACK_CHOICES) -> list[Candidate]:
    """The first ``limit`` candidates worth offering: each question once (near-duplicate entries of
    other departments repeat it), and no homepage passage that is only a heading."""
    chosen: list[Candidate] = []
    seen: set[str] = set()
    for candidate in candidates:
        key = _question_key(candidate.title)
        if key in seen or (candidate.kind == "chunk" and len(candidate.text.strip()) < MIN_PASSAGE_CHARS):
            continue
        seen.add(key)
        chosen.append(candidate)
        if len(chosen) >= limit:
            break
    return chosen


def _question_key(title: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", title).lower())


def decide(scores: list[float], thresholds: Thresholds) -> str:
    """Return "answer", "ask_back" or "handoff" for candidate scores sorted best first."""
    if not scores:
        return "handoff"
    top, second = scores[0], (scores[1] if len(scores) > 1 else 0.0)
    if top >= thresholds.answer and top - second >= thresholds.margin:
        return "answer"
    if top >= thresholds.ask_back_floor:
        return "ask_back"
    return "handoff"
