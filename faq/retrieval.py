"""Finding the FAQ entries and homepage passages that answer a question.

``search()`` is the one entry point the answer engine uses; ``ready()`` is for the health check.
The implementation (hybrid Sudachi BM25 + multilingual-e5, calibrated confidence, per-process
index kept fresh by a version stamp) lives in ``faq.search``; see docs/adr/0001-hybrid-retrieval.md.
"""

from __future__ import annotations

from .search.service import candidate, ready, registry
from .search.service import search as _search
from .search.types import Candidate

__all__ = ["Candidate", "candidate", "search", "ready", "registry"]


def search(municipality, text: str, *, language: str | None = None, k: int = 10) -> list[Candidate]:
    """The best k candidates, best first; ``Candidate.score`` is a calibrated confidence in [0, 1]."""
    return _search(municipality, text, language=language, k=k)
