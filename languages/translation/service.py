"""Translation as the engine and the staff console use it: cached, protected, never raising.

Order of preference for any text:
    1. an editor's (curated) translation in the cache,
    2. a machine translation already in the cache,
    3. the configured backend (its answer is cached),
    4. nothing (``None``): the caller shows the Japanese with a notice.

City content (FAQ answers, passages) is cached in the database per municipality, where editors
can correct it. What residents and staff write is personal: its translations are kept only in
the short-lived Django cache (long enough for a staff preview and the send that follows).
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from languages.models import CachedTranslation, translation_source_hash
from llm import problems

from . import checks, placeholders
from .backends import Backend, Refused, get_backend
from .codes import our_code

log = logging.getLogger(__name__)

EPHEMERAL_TTL = 24 * 3600  # seconds a resident's or staff member's text stays in the Django cache
FAILURE_PAUSE = 30.0  # seconds a failing backend is left alone before it is tried again
MAX_CHARS = 5000  # what the web translators accept in one request


@dataclass(frozen=True)
class Translated:
    text: str
    machine: bool = True
    cached: bool = False
    backend: str = ""
    source: str = ""
    target: str = ""

    @property
    def curated(self) -> bool:
        return not self.machine and self.cached


def timeout_seconds() -> float:
    return float(settings.TRANSLATOR_TIMEOUT)


# --- the one entry point ---------------------------------------------------------------------------


def translate(
    text: str,
    source: str,
    target: str,
    *,
    municipality=None,
    persist: bool = True,
    protect: Iterable[str] = (),
) -> Translated | None:
    """``text`` in ``target``, or None when no translation can be had. Never raises.

    ``persist``: cache in the database (city content, editable) rather than the Django cache
    (personal text). ``protect``: extra strings to keep verbatim (e.g. the FAQ's department).
    """
    try:
        return _translate(text, source, target, municipality, persist, tuple(protect))
    except Exception:  # a translation must never stop an answer
        log.exception("translation %s->%s failed", source, target)
        return None


def _translate(text, source, target, municipality, persist, protect) -> Translated | None:
    src = our_code(source) or "ja"
    tgt = our_code(target)
    if not tgt:
        return None
    if src == "ja-easy":
        src = "ja"
    if src == tgt or not text.strip():
        return Translated(text, machine=False, cached=False, source=src, target=tgt)

    backend = get_backend()
    rows = _cached_rows(text, src, tgt, municipality)
    curated = next((r for r in rows if r.is_curated), None)
    if curated is not None:
        return Translated(curated.text, machine=False, cached=True, backend=curated.backend, source=src, target=tgt)
    if tgt == "ja-easy" or not backend.enabled:
        # Easy Japanese is a rewrite (curated or generated elsewhere), not a translation.
        return None
    row = next((r for r in rows if usable(r)), None)
    if row is not None:
        return Translated(row.text, machine=True, cached=True, backend=row.backend, source=src, target=tgt)
    # A cached row that failed the check is never served: translate afresh (the new one replaces it).
    key = _ephemeral_key(backend, text, src, tgt)
    if not persist:
        hit = _cache_get(key)
        if hit:
            return Translated(hit, machine=True, cached=True, backend=backend.name, source=src, target=tgt)

    if municipality is not None and getattr(backend, "budget_spent", None) and backend.budget_spent(municipality):
        return None  # this month's language-model budget is spent
    out = _machine(backend, text, src, tgt, protect)
    if out is None:
        return None
    if persist:
        _store(text, out, src, tgt, backend.name, municipality)
    else:
        _cache_set(key, out)
    return Translated(out, machine=True, cached=False, backend=backend.name, source=src, target=tgt)


# --- the backend call: codes, placeholders, timeout, circuit breaker --------------------------------

_paused_until: dict[str, float] = {}


def _machine(backend: Backend, text: str, src: str, tgt: str, protect: tuple[str, ...]) -> str | None:
    if time.monotonic() < _paused_until.get(backend.name, 0.0):
        return None
    source_code = backend.code(src, target=False)
    target_code = backend.code(tgt, target=True)
    if not source_code or not target_code:
        log.info("translator %s cannot do %s->%s", backend.name, src, tgt)
        return None
    parts = _split(text, MAX_CHARS) if len(text) > MAX_CHARS else [text]
    results = []
    for part in parts:
        protected = placeholders.protect(part, src, protect)
        try:
            raw = _with_timeout(lambda p=protected: backend.translate(p.text, source_code, target_code))
        except Refused as exc:
            log.warning("translation %s %s->%s refused: %s", backend.name, src, tgt, exc)
            return None
        except Exception as exc:
            _paused_until[backend.name] = time.monotonic() + FAILURE_PAUSE
            log.warning("translator %s failed (%s->%s): %s: %s", backend.name, src, tgt, type(exc).__name__, exc)
            return None
        if not isinstance(raw, str) or not raw.strip():
            log.warning("translator %s returned nothing (%s->%s)", backend.name, src, tgt)
            return None
        restored = placeholders.restore(raw.strip(), protected, append_missing=False)
        verdict = checks.check(part, restored, src, tgt, protect=protect, instructions=backend.instructions)
        if not verdict:
            # Shown to nobody and cached nowhere: the caller falls back to the original with the notice.
            log.warning(
                "translation %s %s->%s refused: %s (%d characters in, %d out)",
                backend.name,
                src,
                tgt,
                verdict.reason,
                len(part),
                len(restored),
            )
            _paused_until.pop(backend.name, None)  # it answered: not a failing backend
            return None
        results.append(restored)
    _paused_until.pop(backend.name, None)
    return "\n".join(results)


def _with_timeout(call):
    """Run ``call`` in a daemon thread; give up after TRANSLATOR_TIMEOUT (the client may have none)."""
    box: dict = {}

    def run():
        try:
            # This thread opens no database connection of its own: a failed llm call is logged, not stored.
            with problems.not_recorded():
                box["value"] = call()
        except BaseException as exc:
            box["error"] = exc

    context = contextvars.copy_context()  # the turn's token meter counts calls made in the thread
    worker = threading.Thread(target=context.run, args=(run,), name="translator-call", daemon=True)
    worker.start()
    worker.join(timeout_seconds())
    if worker.is_alive():
        raise TimeoutError(f"no answer within {timeout_seconds():g}s")
    if "error" in box:
        raise box["error"]
    return box.get("value")


def _split(text: str, limit: int) -> list[str]:
    parts, current = [], ""
    for line in text.split("\n"):
        while len(line) > limit:
            parts.append(line[:limit])
            line = line[limit:]
        if current and len(current) + len(line) + 1 > limit:
            parts.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        parts.append(current)
    return parts


def reset_failures() -> None:
    """Forget backend failures (tests, or after fixing the configuration)."""
    _paused_until.clear()


# --- the cache ------------------------------------------------------------------------------------


def _cached_rows(text: str, src: str, tgt: str, municipality) -> list:
    """Cached translations of this text, best first: curated, the city's own, newest."""

    scope = Q(municipality__isnull=True)
    if municipality is not None:
        scope |= Q(municipality=municipality)
    rows = list(
        CachedTranslation.objects.filter(
            scope, source_hash=translation_source_hash(text), source_language=src, target_language=tgt
        )
    )
    rows.sort(key=lambda r: (r.is_curated, r.municipality_id is not None, r.updated_at), reverse=True)
    return rows


def _store(text: str, out: str, src: str, tgt: str, backend: str, municipality) -> None:
    try:
        with transaction.atomic():
            CachedTranslation.objects.create(
                municipality=municipality,
                source_language=src,
                target_language=tgt,
                source_text=text,
                text=out,
                backend=backend,
                checked_at=timezone.now(),
            )
    except IntegrityError:  # another worker cached it first, or a row that failed the check is in the way
        CachedTranslation.objects.filter(
            municipality=municipality,
            source_hash=translation_source_hash(text),
            source_language=src,
            target_language=tgt,
            is_curated=False,
        ).exclude(check_failed="").update(text=out, backend=backend, check_failed="", checked_at=timezone.now())


# --- checking what is cached -------------------------------------------------------------------------


def recheck(row) -> checks.Verdict:
    """Check a cached machine translation again and flag it (or clear its flag); curated rows pass."""
    if row.is_curated:
        verdict = checks.PASS
    else:
        verdict = checks.check(row.source_text, row.text, row.source_language, row.target_language)
    failed = "" if verdict else verdict.reason[:200]
    now = timezone.now()
    CachedTranslation.objects.filter(pk=row.pk).update(check_failed=failed, checked_at=now)
    if failed and not row.check_failed:
        log.warning(
            "cached translation %s (%s->%s, %s) failed the check: %s; flagged for editors",
            row.pk,
            row.source_language,
            row.target_language,
            row.backend,
            failed,
        )
    row.check_failed, row.checked_at = failed, now
    return verdict


def usable(row) -> bool:
    """Whether a cached machine translation may be served: checked once (on first use), and passed."""
    if row.check_failed:
        return False
    if row.checked_at is None:
        return bool(recheck(row))
    return True


def _ephemeral_key(backend: Backend, text: str, src: str, tgt: str) -> str:
    return f"madoguchi:mt:{backend.name}:{src}:{tgt}:{translation_source_hash(text)}"


def _cache_get(key: str) -> str | None:
    try:
        return cache.get(key)
    except Exception:  # the cache (Redis) being down costs a translation, nothing more
        log.warning("translation cache unavailable", exc_info=True)
        return None


def _cache_set(key: str, value: str) -> None:
    try:
        cache.set(key, value, EPHEMERAL_TTL)
    except Exception:
        log.warning("translation cache unavailable", exc_info=True)


def correct(cached, text: str, user=None):
    """An editor's correction: the cached translation becomes curated and wins from now on."""
    cached.text = text
    cached.is_curated = True
    cached.corrected_by = user
    cached.save()
    return cached
