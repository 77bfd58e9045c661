"""A compact BM25 inverted index over numpy arrays.

Units (one phrasing, one answer, one passage) belong to entries (an FAQ or a chunk). Document
frequency is counted per *entry*, so an FAQ with five phrasings of the same word does not make
that word look common. Scores are divided by the query's self-score (the sum of its terms' idf),
so 1.0 means "every query term matched once in a unit of average length": comparable across
queries, which the confidence needs. Query terms that occur nowhere still count in that sum: a
question about something the city never wrote about scores low.
"""

from __future__ import annotations

from collections import Counter

import numpy as np


class BM25Field:
    def __init__(self, units: list[list[str]], owners: np.ndarray, n_entries: int, *, k1: float, b: float):
        self.n_units = len(units)
        self.n_entries = max(n_entries, 1)
        self.vocab: dict[str, int] = {}
        tids: list[int] = []
        uids: list[int] = []
        tfs: list[int] = []
        lengths = np.zeros(self.n_units, dtype=np.float32)
        vocab = self.vocab
        for uid, terms in enumerate(units):
            lengths[uid] = len(terms)
            for term, tf in Counter(terms).items():
                tid = vocab.get(term)
                if tid is None:
                    tid = vocab[term] = len(vocab)
                tids.append(tid)
                uids.append(uid)
                tfs.append(tf)
        tid_arr = np.asarray(tids, dtype=np.int64)
        uid_arr = np.asarray(uids, dtype=np.int32)
        tf_arr = np.asarray(tfs, dtype=np.float32)
        avgdl = float(lengths.mean()) if self.n_units and lengths.sum() else 1.0
        norm = k1 * (1 - b + b * lengths / avgdl)
        weights = tf_arr * (k1 + 1) / (tf_arr + norm[uid_arr]) if len(uid_arr) else tf_arr
        order = np.argsort(tid_arr, kind="stable")
        self.postings_units = uid_arr[order]
        self.postings_weights = weights[order].astype(np.float32)
        n_terms = len(vocab)
        counts = np.bincount(tid_arr, minlength=n_terms) if n_terms else np.zeros(0, dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        # document frequency over entries
        if len(tid_arr):
            pairs = np.unique(tid_arr * self.n_entries + owners[uid_arr].astype(np.int64))
            df = np.bincount(pairs // self.n_entries, minlength=n_terms).astype(np.float32)
        else:
            df = np.zeros(n_terms, dtype=np.float32)
        n = float(self.n_entries)
        self.idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
        self.unseen_idf = float(np.log1p((n + 0.5) / 0.5))

    def score(self, terms: list[str]) -> np.ndarray:
        """Normalised BM25 of every unit for these query terms (zeros when nothing matched)."""
        scores = np.zeros(self.n_units, dtype=np.float32)
        unique = list(dict.fromkeys(terms))
        if not unique:
            return scores
        total = 0.0
        for term in unique:
            tid = self.vocab.get(term)
            if tid is None:
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
