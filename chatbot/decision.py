"""Answer, ask back or hand off: a top-1 threshold plus a top-1/top-2 margin (Rasa-style)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_THRESHOLD = 0.45
DEFAULT_MARGIN = 0.05
ASK_BACK_FLOOR = 0.30
ASK_BACK_CHOICES = 3


@dataclass(frozen=True)
class Thresholds:
    answer: float = DEFAULT_THRESHOLD
    margin: float = DEFAULT_MARGIN
    ask_back_floor: float = ASK_BACK_FLOOR

    @classmethod
    def for_municipality(cls, municipality) -> Thresholds:
        return cls(
            answer=municipality.answer_threshold if municipality.answer_threshold is not None else DEFAULT_THRESHOLD,
            margin=municipality.answer_margin if municipality.answer_margin is not None else DEFAULT_MARGIN,
        )


def decide(scores: list[float], thresholds: Thresholds) -> str:
    """Return "answer", "ask_back" or "handoff" for candidate scores sorted best first."""
    if not scores or scores[0] < thresholds.ask_back_floor:
        return "handoff"
    top, second = scores[0], (scores[1] if len(scores) > 1 else 0.0)
    if top >= thresholds.answer and top - second >= thresholds.margin:
        return "answer"
    return "ask_back"
