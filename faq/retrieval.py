"""Finding the FAQ entries and homepage passages that answer a question.

``search()`` is the one entry point the answer engine uses. This first version scores character
bigrams (enough for the demo); the hybrid Sudachi BM25 + multilingual-e5 index replaces it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from .models import FAQ


@dataclass
class Candidate:
    kind: str  # "faq" or "chunk"
    id: int
    external_id: str
    title: str
    text: str
    url: str
    score: float
    department: str = ""
    contact: str = ""
    heading_path: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        return {
            "kind": self.kind,
            "id": self.id,
            "external_id": self.external_id,
            "title": self.title,
            "score": round(self.score, 4),
        }


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[\s、。！？!?,.「」『』（）()・]+", " ", text).strip()


def grams(text: str) -> Counter:
    text = normalise(text)
    out: Counter = Counter()
    for token in text.split():
        if len(token) == 1:
            out[token] += 1
        for i in range(len(token) - 1):
            out[token[i : i + 2]] += 1
    return out


def cosine(a: Counter, b: Counter) -> float:
    if not a or not b:
        return 0.0
    dot = sum(v * b.get(k, 0) for k, v in a.items())
    return dot / (math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values())))


def search(municipality, text: str, *, language: str | None = None, k: int = 10) -> list[Candidate]:
    query = grams(text)
    scored: list[Candidate] = []
    for faq in FAQ.objects.answerable(municipality).select_related("municipality"):
        best = max(cosine(query, grams(q)) for q in [faq.question, *faq.alt_questions])
        score = 0.8 * best + 0.2 * cosine(query, grams(faq.answer))
        scored.append(
            Candidate(
                "faq",
                faq.pk,
                faq.external_id,
                faq.question,
                faq.answer,
                faq.source_url,
                score,
                faq.department,
                faq.contact,
            )
        )
    scored.sort(key=lambda c: c.score, reverse=True)
    return scored[:k]


def ready() -> bool:
    """Whether the index can answer (the bigram scorer needs only the database)."""
    return True
