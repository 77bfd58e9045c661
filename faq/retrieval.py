"""Finding the FAQ entries and homepage passages that answer a question.

``search()`` is the one entry point the answer engine uses; ``ready()`` is for the health check.
The implementation (hybrid Sudachi BM25 + multilingual-e5, calibrated confidence, per-process
index kept fresh by a version stamp) lives in ``faq.search``; see docs/adr/0001-hybrid-retrieval.md.
"""

from __future__ import annotations

from .search.service import candidate, ready, registry
from .search.service import search as _search
from .search.types import Candidate

__all__ = ["PLAUSIBLE", "Candidate", "candidate", "plausible_floor", "search", "ready", "registry"]

# A candidate at least this likely to answer (its calibrated confidence) is worth putting before a
# person: the bot offers it as an ask-back choice, staff see it among the bot's guesses, and a
# hand-off goes to its department. Unrelated entries score below it (docs/adr/0001-hybrid-retrieval.md,
# "Decision"; chatbot/decision.py).
PLAUSIBLE = 0.25


def search(municipality, text: str, *, language: str | None = None, k: int = 10) -> list[Candidate]:
    """The best k candidates, best first; ``Candidate.score`` is a calibrated confidence in [0, 1]."""
    return _search(municipality, text, language=language, k=k)


def plausible_floor(answer_threshold: float | None = None) -> float:
    """``PLAUSIBLE`` for a city, lowered to its calibrated answer threshold when that is lower
    (``manage.py calibrate``): a candidate good enough to answer with is always plausible."""
    return PLAUSIBLE if answer_threshold is None else min(PLAUSIBLE, float(answer_threshold))
