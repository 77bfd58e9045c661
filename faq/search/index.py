"""The in-memory hybrid index of one municipality: lexical (BM25 over Sudachi terms) + dense (e5).

An entry is an FAQ (its question and alternative phrasings, its answer) or a homepage chunk (its
page title and heading path, its text). For every entry the index computes, per query:

* ``lex_q``: the best normalised BM25 over the entry's phrasings (each phrasing its own unit);
* ``lex_b``: normalised BM25 of the answer / passage text;
* ``dense_q``: the best cosine between the query and any phrasing (max over phrasings);
* ``dense_b``: the cosine to the head of the answer / passage.

``score.fuse`` turns these into one ranking score and ``score.confidence`` into a calibrated
probability. The index is immutable; a change of content builds a new one (see ``service``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from . import embed, runtime, score
from .bm25 import BM25Field, vocabulary
from .score import QueryFeatures
from .text import analyzer, strip_fillers

CHANNELS = ("words", "synonyms", "phonetic")


@dataclass
class Entry:
    kind: str  # "faq" or "chunk"
    id: int
    external_id: str
    title: str
    text: str
    url: str = ""
    department: str = ""
    contact: str = ""
    heading_path: list[str] = field(default_factory=list)
    phrasings: list[str] = field(default_factory=list)  # question and alternatives; a chunk's headings
    learned: int = 0  # how many of the last phrasings are learned from residents (faq.learning)
    body: str = ""  # what the lexical side reads besides the phrasings

    def dense_items(self, params: score.Params) -> tuple[list[tuple[str, str]], tuple[str, str]]:
        """(kind, text) to embed: every phrasing (as a query: FAQ questions are questions), and the body head."""
        phr_kind = "query" if self.kind == "faq" else "passage"
        phrasings = [(phr_kind, p[: params.phrasing_chars]) for p in self.phrasings]
        limit = params.answer_head_chars if self.kind == "faq" else params.chunk_chars
        head = self.body[:limit]
        if self.kind == "chunk":
            head = " > ".join([*(h for h in [self.title, *self.heading_path] if h)]) + "\n" + head
        return phrasings, ("passage", head)


class SearchIndex:
    def __init__(
        self,
        entries: list[Entry],
        phrasing_vectors: np.ndarray,
        body_vectors: np.ndarray,
        params: score.Params | None = None,
        terms_cache: dict[str, tuple[np.ndarray, ...]] | None = None,
    ) -> None:
        runtime.configure()
        self.params = params or score.Params()
        self.entries = entries
        self.n = len(entries)
        self.is_chunk = np.array([e.kind == "chunk" for e in entries], dtype=bool)
        self.terms_cache: dict[str, tuple[np.ndarray, ...]] = {}
        old_terms = terms_cache or {}

        phr_units: list[tuple[np.ndarray, ...]] = []
        body_units: list[tuple[np.ndarray, ...]] = []
        owners: list[int] = []
        learned: list[bool] = []
        for i, entry in enumerate(entries):
            phrasings = entry.phrasings or [entry.title]
            first_learned = len(phrasings) - entry.learned if entry.phrasings else len(phrasings)
            for n, phrasing in enumerate(phrasings):
                phr_units.append(self._terms(phrasing, old_terms))
                owners.append(i)
                learned.append(n >= first_learned)
            body_units.append(self._terms(entry.body, old_terms))
        self.phr_owner = np.asarray(owners, dtype=np.int32)
        self.phr_learned = np.asarray(learned, dtype=bool)
        self.phr_starts: NDArray[np.intp] | list[int] = (
            np.flatnonzero(np.r_[True, self.phr_owner[1:] != self.phr_owner[:-1]]) if owners else []
        )
        body_owner = np.arange(self.n, dtype=np.int32)
        p = self.params
        self.fields: dict[str, tuple[BM25Field, BM25Field]] = {}
        for c, channel in enumerate(CHANNELS):
            self.fields[channel] = (
                BM25Field([t[c] for t in phr_units], self.phr_owner, self.n, k1=p.k1_q, b=p.b_q),
                BM25Field([t[c] for t in body_units], body_owner, self.n, k1=p.k1_b, b=p.b_b),
            )
        assert phrasing_vectors.shape[0] == len(owners), "one vector per phrasing"
        self.phrasing_vectors = np.ascontiguousarray(phrasing_vectors, dtype=np.float32)
        self.body_vectors = np.ascontiguousarray(body_vectors, dtype=np.float32)
        self.vector_hashes: dict[str, np.ndarray] = {}
        self.complete = True  # False: some vectors were deferred (see ``build``)
        self.built_at = time.time()

    def _terms(self, text: str, old: dict[str, tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
        """The text's term ids per channel; cached by text so a rebuild re-analyses only what changed."""
        encoded = self.terms_cache.get(text)
        if encoded is None:
            encoded = old.get(text)
            if encoded is None:
                terms = analyzer.terms(text)
                encoded = tuple(vocabulary.encode(getattr(terms, channel)) for channel in CHANNELS)
            self.terms_cache[text] = encoded
        return encoded

    # --- querying -------------------------------------------------------------------------------

    def features(
        self, query: str, query_vector: np.ndarray | None = None, *, lexical_text: str | None = None
    ) -> QueryFeatures:
        """``lexical_text``: what the lexical side reads instead of the query (Japanese words for a
        question in another language); the dense side always embeds the query as written."""
        p = self.params
        terms = analyzer.terms(query if lexical_text is None else lexical_text)
        weights = {"words": 1.0, "synonyms": p.w_synonyms, "phonetic": p.w_phonetic}
        total = sum(weights.values())
        lex_phr = np.zeros(len(self.phr_owner), dtype=np.float32)
        lex_b = np.zeros(self.n, dtype=np.float32)
        words: list[int] = []
        for channel, (phr_field, body_field) in self.fields.items():
            w = weights[channel] / total
            if w:
                ids = vocabulary.lookup(getattr(terms, channel))
                if channel == "words":
                    words = list(dict.fromkeys(ids))
                lex_phr += w * phr_field.score(ids)
                lex_b += w * body_field.score(ids)
        if query_vector is None:
            query_vector = embed.embed_query(strip_fillers(query) if p.strip_fillers else query)
        if self.n:
            phr_dense = self.phrasing_vectors @ query_vector
            if self.phr_learned.any():
                # A resident's wording counts only when the question is nearly the same wording: a loose
                # likeness to one resident's words is no evidence for the entry (measured: it pulled
                # sibling questions to the learned entry).
                near = phr_dense >= p.learned_dense_floor
                phr_dense = np.where(self.phr_learned & ~near, 0.0, phr_dense).astype(np.float32)
                lex_phr = np.where(self.phr_learned & ~near, 0.0, lex_phr).astype(np.float32)
            lex_q = np.maximum.reduceat(lex_phr, self.phr_starts)
            dense_q = np.maximum.reduceat(phr_dense, self.phr_starts)
            dense_b = self.body_vectors @ query_vector
        else:
            lex_q = dense_q = dense_b = np.zeros(0, dtype=np.float32)
        return QueryFeatures(lex_q, lex_b, dense_q, dense_b, words)

    def search(
        self,
        query: str,
        k: int = 10,
        query_vector: np.ndarray | None = None,
        *,
        foreign: bool = False,
        lexical_text: str | None = None,
    ) -> list[tuple[Entry, float]]:
        """The best k entries with their calibrated confidence, best first.

        ``foreign``: the query is not Japanese; ``lexical_text`` then holds the Japanese words
        found for it (machine translation and/or glossary), and the dense side weighs more.
        """
        top, evidence = self.ranked(query, k, query_vector, foreign=foreign, lexical_text=lexical_text)
        conf = score.confidence(evidence, self.params.confidence)
        return [(self.entries[i], float(c)) for i, c in zip(top, conf, strict=True)]

    def ranked(
        self,
        query: str,
        k: int = 10,
        query_vector: np.ndarray | None = None,
        *,
        foreign: bool = False,
        lexical_text: str | None = None,
    ) -> tuple[np.ndarray, score.Evidence]:
        """The best k entries' indices, best first, and the evidence the confidence is computed from."""
        if not self.n or not query.strip():
            return np.zeros(0, dtype=np.intp), score.Evidence(np.zeros((0, len(score.FEATURES))))
        feats = self.features(query, query_vector, lexical_text=(lexical_text or "") if foreign else None)
        fused = score.fuse(feats, self.is_chunk, self.params, foreign=foreign)
        k = min(k, self.n)
        top = np.argpartition(-fused, k - 1)[:k] if k < self.n else np.arange(self.n)
        top = top[np.argsort(-fused[top], kind="stable")]
        return top, self.evidence(feats, fused, top, foreign=foreign)

    def evidence(self, feats: QueryFeatures, fused: np.ndarray, top: np.ndarray, *, foreign: bool) -> score.Evidence:
        """The confidence model's features of the ranked candidates ``top`` (see ``score``)."""
        p = self.params
        lexical = np.maximum(feats.lex_q, p.w_body_lex * feats.lex_b)
        dense = np.maximum(feats.dense_q, feats.dense_b - p.body_dense_offset)
        return score.Evidence.of(
            fused[top].astype(np.float64),
            lexical_first=(top == int(np.argmax(lexical))).astype(np.float64),
            dense_first=(top == int(np.argmax(dense))).astype(np.float64),
            terms=len(feats.words),
            dense=feats.dense_q[top].astype(np.float64),
            foreign=foreign,
            lead_floor=p.lead_floor,
        )

    @property
    def nbytes(self) -> int:
        lexical = sum(f.nbytes for pair in self.fields.values() for f in pair)
        return int(lexical + self.phrasing_vectors.nbytes + self.body_vectors.nbytes)


def dense_items(entry: Entry, params: score.Params) -> tuple[list[tuple[str, str]], tuple[str, str]]:
    """What the index embeds for an entry (its phrasings, or its title when it has none; its body head)."""
    phrasings, head = entry.dense_items(params)
    if not phrasings:
        phrasings = [("query" if entry.kind == "faq" else "passage", entry.title[: params.phrasing_chars])]
        entry.phrasings = [entry.title]
    return phrasings, head


def build(
    entries: list[Entry],
    params: score.Params | None = None,
    *,
    previous: SearchIndex | None = None,
    progress: bool = False,
    embed_budget: int | None = None,
) -> tuple[SearchIndex, embed.VectorStore]:
    """Build an index, reusing the previous index's vectors and terms and the embedding cache.

    ``embed_budget`` bounds how many texts are embedded now (the request path); entries whose
    vectors are deferred are found by the lexical side only, and ``index.complete`` is False.
    """
    params = params or score.Params()
    phrasing_items: list[tuple[str, str]] = []
    body_items: list[tuple[str, str]] = []
    for entry in entries:
        phrasings, head = dense_items(entry, params)
        phrasing_items.extend(phrasings)
        body_items.append(head)
    store = embed.VectorStore(previous.vector_hashes if previous is not None else None, budget=embed_budget)
    all_vectors = store.vectors(phrasing_items + body_items, progress=progress)
    index = SearchIndex(
        entries,
        all_vectors[: len(phrasing_items)],
        all_vectors[len(phrasing_items) :],
        params,
        terms_cache=previous.terms_cache if previous is not None else None,
    )
    index.vector_hashes = store.found(store.hashes, all_vectors)
    index.complete = store.deferred == 0
    return index, store
