"""A compact BM25 inverted index over numpy arrays.

Terms are interned once per process in a ``Vocabulary`` (string -> int id), so a text's terms
are stored as small int arrays and every index is assembled with numpy sorts instead of Python
dictionaries: a 10,000-entry index builds in seconds and takes tens of megabytes.

Units (one phrasing, one answer, one passage) belong to entries (an FAQ or a chunk). Document
frequency is counted per *entry*, so an FAQ with five phrasings of the same word does not make
that word look common. Scores are divided by the query's self-score (the sum of its terms' idf),
so 1.0 means "every query term matched once in a unit of average length": comparable across
queries, which the confidence needs. Query terms that occur nowhere still count in that sum: a
question about something the city never wrote about scores low.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np


class Vocabulary:
    """Append-only term -> id map shared by every index of the process."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._ids)

    def encode(self, terms: Sequence[str]) -> np.ndarray:
        ids = self._ids
        missing = [t for t in terms if t not in ids]
        if missing:
            with self._lock:
                for term in missing:
                    if term not in ids:
                        ids[term] = len(ids)
        return np.fromiter((ids[t] for t in terms), dtype=np.int32, count=len(terms))

    def lookup(self, terms: Sequence[str]) -> list[int]:
        """Ids of known terms; -1 for terms no index has ever seen (never grows the vocabulary)."""
        return [self._ids.get(t, -1) for t in terms]


vocabulary = Vocabulary()


class BM25Field:
    def __init__(self, units: Sequence[np.ndarray], owners: np.ndarray, n_entries: int, *, k1: float, b: float):
        self.n_units = len(units)
        self.n_entries = max(n_entries, 1)
        lengths = np.fromiter((len(u) for u in units), dtype=np.int64, count=self.n_units)
        terms = np.concatenate(units).astype(np.int64) if self.n_units and lengths.sum() else np.zeros(0, np.int64)
        unit_of = np.repeat(np.arange(self.n_units, dtype=np.int64), lengths)
        # (term, unit) pairs with their term frequency, sorted by term then unit
        pair_keys, tf = np.unique(terms * max(self.n_units, 1) + unit_of, return_counts=True)
        pair_terms = pair_keys // max(self.n_units, 1)
        pair_units = (pair_keys % max(self.n_units, 1)).astype(np.int32)
        avgdl = float(lengths.mean()) if self.n_units and lengths.sum() else 1.0
        norm = k1 * (1 - b + b * lengths.astype(np.float32) / avgdl)
        tf = tf.astype(np.float32)
        self.postings_units = pair_units
        self.postings_weights = (tf * (k1 + 1) / (tf + norm[pair_units])).astype(np.float32)
        # posting ranges indexed by the global term id; terms this field never saw get an empty range
        size = int(pair_terms.max()) + 1 if len(pair_terms) else 0
        counts = np.bincount(pair_terms, minlength=size)
        self.offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        # document frequency over entries, not units
        entry_keys = np.unique(pair_terms * self.n_entries + owners[pair_units].astype(np.int64))
        df = np.bincount(entry_keys // self.n_entries, minlength=size).astype(np.float32)
        n = float(self.n_entries)
        self.idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
        self.unseen_idf = float(np.log1p((n + 0.5) / 0.5))

    def score(self, term_ids: Sequence[int]) -> np.ndarray:
        """Normalised BM25 of every unit for these query term ids (-1: unknown term)."""
        scores = np.zeros(self.n_units, dtype=np.float32)
        total = 0.0
        size = len(self.idf)
        for tid in dict.fromkeys(term_ids):
            if tid < 0 or tid >= size or self.offsets[tid] == self.offsets[tid + 1]:
                total += self.unseen_idf
                continue
            idf = float(self.idf[tid])
            total += idf
            lo, hi = self.offsets[tid], self.offsets[tid + 1]
            scores[self.postings_units[lo:hi]] += idf * self.postings_weights[lo:hi]
        if total > 0:
            scores /= total
        return scores

    @property
    def nbytes(self) -> int:
        return int(self.postings_units.nbytes + self.postings_weights.nbytes + self.offsets.nbytes + self.idf.nbytes)
