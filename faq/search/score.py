"""Fusing lexical and dense evidence into one score, and the evidence into a calibrated confidence.

The fused score ranks: a weighted sum of the normalised lexical score and a rescaled cosine
(score fusion measured better than reciprocal-rank fusion: ranks throw away *how much* better the
first candidate is). The phrasing-only lexical score counts a little on its own as well, because
the words of a resident's question that say *what about* a topic they ask (費用, 申し込み, 変更)
are in an entry's question far more often than in the answers of its siblings.

The confidence is the probability that a candidate answers the question. It is a logistic model
of evidence that holds on a city it was not fitted on (docs/adr/0009-answers-residents-can-trust.md):

* the fused score, and the candidate's lead over the best other candidate and over the next one
  after it (a topic with two close siblings is a choice for the resident, not a sure answer);
* whether the lexical and the dense ranking both put it first (agreement);
* how many content words the question has (a two-word question is usually a topic, not a question);
* its best phrasing cosine, and whether the question was in another language.

Measured and left out, because they changed nothing on the test half: how much of the question's
weight (idf of its content words) the candidate's phrasings cover, and its phrasing BM25 alone.

The coefficients are fitted by ``manage.py fit_confidence`` (logistic regression: "is the first
candidate a grade-2 answer?") on the tune halves of the development city and of the demo city
without its alternative phrasings, never on the halves we report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class QueryFeatures:
    """What the index measured of one query against every entry (``SearchIndex.features``)."""

    lex_q: np.ndarray
    lex_b: np.ndarray
    dense_q: np.ndarray
    dense_b: np.ndarray
    words: list[int] = field(default_factory=list)  # the query's content-word ids (-1: never seen)


@dataclass(frozen=True)
class Params:
    # BM25: phrasings are one short sentence, answers a paragraph
    k1_q: float = 1.2
    b_q: float = 0.5
    k1_b: float = 0.8
    b_b: float = 0.75
    # lexical channels (words always 1.0): Sudachi synonym groups, bigrams of the katakana reading
    w_synonyms: float = 0.3
    w_phonetic: float = 2.5
    # answer/passage text relative to the phrasings
    w_body_lex: float = 0.6
    body_dense_offset: float = 0.03
    # cosine below dense_floor counts as no evidence (e5 cosines rarely go below 0.7)
    dense_floor: float = 0.75
    w_dense: float = 0.6
    # questions in other languages: the lexical side only sees the Japanese words found for them
    w_dense_foreign: float = 0.75
    # homepage passages compete with curated FAQ entries at a discount
    chunk_factor: float = 0.9
    # what is embedded
    phrasing_chars: int = 200
    answer_head_chars: int = 64
    chunk_chars: int = 400
    strip_fillers: bool = True
    # the runner-up counts as at least lead_floor: in a city with a handful of entries there is no
    # real competitor, and a lead over nothing is no evidence
    lead_floor: float = 0.3
    # a learned phrasing (a resident's wording) counts only for questions this close to it
    learned_dense_floor: float = 0.92
    # phrasing-only lexical evidence added to the fused score (see the module's note)
    w_phrasing_lex: float = 0.05
    confidence: Coefficients = field(default_factory=lambda: Coefficients())


def fuse(feats: QueryFeatures, is_chunk: np.ndarray, p: Params, *, foreign: bool = False) -> np.ndarray:
    lex = np.maximum(feats.lex_q, p.w_body_lex * feats.lex_b)
    dense_raw = np.maximum(feats.dense_q, feats.dense_b - p.body_dense_offset)
    dense = np.clip((dense_raw - p.dense_floor) / (1.0 - p.dense_floor), 0.0, 1.0)
    w_dense = p.w_dense_foreign if foreign else p.w_dense
    fused = w_dense * dense + (1.0 - w_dense) * np.minimum(lex, 1.5) + p.w_phrasing_lex * np.minimum(feats.lex_q, 1.5)
    if is_chunk.any():
        fused = np.where(is_chunk, fused * p.chunk_factor, fused)
    return fused.astype(np.float32)


def leads(sorted_scores: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """Each candidate's lead over the best *other* candidate (positive only for the first).

    The other candidate never counts as lower than ``floor``: in a city with a handful of
    entries there is no real competitor, and a lead over nothing is no evidence.
    """
    if len(sorted_scores) == 0:
        return sorted_scores
    best_other = np.full_like(sorted_scores, sorted_scores[0])
    best_other[0] = sorted_scores[1] if len(sorted_scores) > 1 else 0.0
    return sorted_scores - np.maximum(best_other, floor)


FEATURES = (
    "fused",
    "lead",
    "lead_next",
    "lexical_first",
    "dense_first",
    "terms",
    "dense",
    "foreign",
)


@dataclass(frozen=True)
class Coefficients:
    """``confidence = sigmoid(bias + sum(coefficient * feature))``; fitted by ``manage.py fit_confidence``."""

    bias: float = -4.88
    fused: float = 0.626
    lead: float = 8.484
    lead_next: float = 8.506
    lexical_first: float = 0.343
    dense_first: float = 0.642
    terms: float = 0.674
    dense: float = 2.921
    foreign: float = 0.3

    def vector(self) -> np.ndarray:
        return np.array([getattr(self, name) for name in FEATURES], dtype=np.float64)


@dataclass
class Evidence:
    """The confidence model's features of the top candidates, one row each (``FEATURES`` order)."""

    rows: np.ndarray

    @classmethod
    def of(
        cls,
        sorted_scores: np.ndarray,
        *,
        lexical_first: np.ndarray,
        dense_first: np.ndarray,
        terms: int,
        dense: np.ndarray,
        foreign: bool,
        lead_floor: float,
    ) -> Evidence:
        n = len(sorted_scores)
        lead = leads(sorted_scores, lead_floor)
        second = np.empty(n, dtype=np.float64)  # each candidate's second-best other candidate
        for i in range(n):
            others = np.delete(sorted_scores, i)
            second[i] = others[1] if len(others) > 1 else 0.0
        rows = np.column_stack(
            [
                sorted_scores,
                lead,
                sorted_scores - second,
                lexical_first,
                dense_first,
                np.full(n, min(terms, 10) / 10.0),
                dense,
                np.full(n, float(foreign)),
            ]
        ).astype(np.float64)
        return cls(rows)


def confidence(evidence: Evidence, coefficients: Coefficients) -> np.ndarray:
    z = evidence.rows @ coefficients.vector() + coefficients.bias
    return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)
