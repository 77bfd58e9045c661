"""Answer, ask back or hand off: a top-1 threshold plus a top-1/top-2 margin (Rasa-style).

Candidate scores are calibrated confidences (the probability that the candidate answers the
question, see ``faq.search.score``), so the thresholds read as probabilities:

* answer when the best candidate is likely right (``top >= answer``) and clearly ahead of the
  next one (``top - second >= margin``);
* ask back with the first few candidates when the best is at least plausible
  (``top >= ask_back_floor``) but not sure or not ahead;
* hand off otherwise.

A municipality's ``answer_threshold`` / ``answer_margin`` (chosen by ``manage.py calibrate`` for
a target answered precision on its own queries) override the shipped defaults; empty means the
default. The defaults were chosen on a harder stand-in for unseen data (the demo FAQ with its
alternative phrasings removed, queries in five languages): at 0.50 the bot answered 41-55% of
the queries and was right in 77-83% of its answers; at 0.55 it was right a little more often but
answered only 35-37% of the foreign-language queries. The margin changes little above 0.45,
because the confidence already weighs the lead over the second candidate. A city's own
calibration (for a target of 0.8, which held at about 0.75 on queries it was not tuned on) is
better than either.
"""

from __future__ import annotations

from dataclasses import dataclass

from conversations.models import Municipality

DEFAULT_THRESHOLD = 0.50
DEFAULT_MARGIN = 0.1
ASK_BACK_FLOOR = 0.25
ASK_BACK_CHOICES = 3


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
        return cls(answer=answer, margin=margin, ask_back_floor=min(ASK_BACK_FLOOR, answer))

    @classmethod
    def for_municipality(cls, municipality: Municipality) -> Thresholds:
        return cls.for_values(municipality.answer_threshold, municipality.answer_margin)


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
