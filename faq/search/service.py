"""One in-memory index per municipality per process, kept fresh without restarts.

Before a search the process compares the municipality's version stamp (one aggregate query,
at most once every ``FAQ_INDEX_CHECK_SECONDS``, default 2 s) with the stamp its index was built
from; when it changed, the index is rebuilt from the database. Vectors come from this process's
previous index or the ``EmbeddingCache`` table, so a rebuild embeds only texts no process has
seen yet (an admin edit: a few short texts; at most ``FAQ_INDEX_EMBED_BUDGET`` per rebuild, so
a bulk import nobody indexed cannot stall a request: the rest is found by words until
``build_index`` runs or later rebuilds catch up). While one thread rebuilds, other threads keep
answering from the previous index.

A question in another language (no kana; the resident's language is not Japanese) is embedded as
written, and its lexical side reads the Japanese words ``languages.translation`` finds for it.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass

from django.conf import settings

from conversations.models import Municipality
from faq.models import FAQ, Chunk
from languages.registry import reads_japanese
from languages.translation import japanese_for_search, to_japanese

from . import embed, runtime, sensitive
from .index import Entry, SearchIndex, build
from .loader import chunk_entry, faq_entry, load_entries, version_stamp
from .score import Evidence
from .text import analyzer
from .types import Candidate

log = logging.getLogger(__name__)
KANA = re.compile(r"[\u3040-\u30ff]")
HAN = re.compile(r"[\u4e00-\u9fff]")


def check_seconds() -> float:
    return float(settings.FAQ_INDEX_CHECK_SECONDS)


def embed_budget() -> int:
    """Texts a search may embed while rebuilding (an admin edit: a few); the rest waits for build_index."""
    return int(settings.FAQ_INDEX_EMBED_BUDGET)


@dataclass
class _State:
    stamp: tuple
    checked_at: float
    index: SearchIndex


class Registry:
    def __init__(self) -> None:
        self._states: dict[int, _State] = {}
        self._locks: dict[int, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, key: int) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def index(self, municipality: Municipality) -> SearchIndex:
        key = municipality.pk
        state = self._states.get(key)
        now = time.monotonic()
        if state is not None and now - state.checked_at < check_seconds():
            return state.index
        stamp = version_stamp(municipality)
        if state is not None and stamp == state.stamp and state.index.complete:
            state.checked_at = now
            return state.index
        lock = self._lock(key)
        if state is None:
            lock.acquire()  # no index to answer from yet: wait for whoever is building it
        elif not lock.acquire(blocking=False):
            # someone else is rebuilding: answer from the previous index meanwhile
            return state.index
        try:
            current = self._states.get(key)
            if current is not None and current is not state and current.stamp == stamp and current.index.complete:
                return current.index
            started = time.perf_counter()
            index, store = build(
                load_entries(municipality),
                previous=state.index if state else None,
                embed_budget=embed_budget(),
            )
            self._states[key] = _State(stamp, time.monotonic(), index)
            runtime.trim_memory()
            log.info(
                "index %s rebuilt: %d entries in %.0f ms (%d embedded, %d from cache, %d deferred)",
                municipality.pk,
                index.n,
                (time.perf_counter() - started) * 1000,
                store.embedded,
                store.from_db + store.reused,
                store.deferred,
            )
            if store.deferred:
                log.warning(
                    "index %s: %d texts not embedded yet (run `manage.py build_index --municipality %s`); "
                    "they are found by words only until then",
                    municipality.pk,
                    store.deferred,
                    municipality.slug,
                )
            return index
        finally:
            lock.release()

    def forget(self, municipality: Municipality | None = None) -> None:
        if municipality is None:
            self._states.clear()
        else:
            self._states.pop(municipality.pk, None)


registry = Registry()


def search(municipality: Municipality, text: str, *, language: str | None = None, k: int = 10) -> list[Candidate]:
    if not text or not text.strip():
        return []
    index = registry.index(municipality)
    foreign = is_foreign(text, language)
    lexical = japanese_words(text, language or "", municipality) if foreign else None
    results = index.search(text, k=k, foreign=foreign, lexical_text=lexical)
    machine = machine_japanese(text, language or "", municipality) if foreign else ""
    if machine:
        # A machine translation is a Japanese question in its own right: search it as one (both sides)
        # and keep, per entry, the better of the two confidences.
        results = merge_best(results, index.search(machine, k=k), k)
    asked = sensitive.topics(" ".join([text, lexical or "", machine]))
    return [_candidate(entry, conf) for entry, conf in results if sensitive.allowed(entry.title, asked)]


def evidence(
    municipality: Municipality, text: str, *, language: str | None = None, k: int = 10
) -> tuple[list[Entry], Evidence]:
    """The ranked entries and the confidence model's evidence for them (for fitting its coefficients)."""
    index = registry.index(municipality)
    foreign = is_foreign(text, language)
    lexical = japanese_words(text, language or "", municipality) if foreign else None
    top, found = index.ranked(text, k, foreign=foreign, lexical_text=lexical)
    return [index.entries[int(i)] for i in top], found


def merge_best(
    first: list[tuple[Entry, float]], second: list[tuple[Entry, float]], k: int
) -> list[tuple[Entry, float]]:
    best: dict[tuple[str, int], tuple[Entry, float]] = {}
    for entry, conf in [*first, *second]:
        key = (entry.kind, entry.id)
        if key not in best or conf > best[key][1]:
            best[key] = (entry, conf)
    return sorted(best.values(), key=lambda pair: pair[1], reverse=True)[:k]


def machine_japanese(text: str, language: str, municipality: Municipality) -> str:
    """The machine translation of a foreign question into Japanese, when a translator is configured."""
    try:
        translated = to_japanese(text, language or "en", municipality=municipality)
    except Exception:  # translation is a help, never a reason to fail a search
        log.exception("no machine translation for a %s question", language)
        return ""
    if translated is None or not translated.text.strip() or translated.text.strip() == text.strip():
        return ""
    return translated.text.strip()


def is_foreign(text: str, language: str | None) -> bool:
    """Whether to search as a question in another language: never when it contains kana."""
    if KANA.search(text):
        return False
    if language:
        return not reads_japanese(language)
    return not HAN.search(text)


def japanese_words(text: str, language: str, municipality: Municipality) -> str:
    """Japanese words for the lexical side: machine translation if configured, and the glossary."""
    try:
        return japanese_for_search(text, language, municipality=municipality) or ""
    except Exception:  # translation is a help, never a reason to fail a search
        log.exception("no Japanese words for a %s question", language)
        return ""


def candidate(municipality: Municipality, kind: str, pk: int | str | None) -> Candidate | None:
    """One answerable FAQ entry or live homepage passage as a sure candidate (one a resident picked)."""

    if pk is None:  # a postback without an id (``pk=None`` would match no row either)
        return None
    if kind == "chunk":
        chunk = (
            Chunk.objects.filter(municipality=municipality, pk=pk, page__gone_at__isnull=True)
            .select_related("page", "municipality")
            .first()
        )
        return _candidate(chunk_entry(chunk), 1.0) if chunk else None
    faq = FAQ.objects.answerable(municipality).filter(pk=pk).select_related("municipality").first()
    return _candidate(faq_entry(faq), 1.0) if faq else None


def _candidate(entry: Entry, confidence: float) -> Candidate:
    return Candidate(
        kind=entry.kind,
        id=entry.id,
        external_id=entry.external_id,
        title=entry.title,
        text=entry.text,
        url=entry.url,
        score=confidence,
        department=entry.department,
        contact=entry.contact,
        heading_path=list(entry.heading_path),
    )


def ready() -> bool:
    """Whether this process can search: Sudachi's dictionary and the embedding model load."""
    try:
        analyzer.terms("確認")
        embed.model()
    except Exception:  # a health check reports, it does not raise
        log.exception("search is not ready")
        return False
    return True
