"""Translation for the console: staff read residents in Japanese and write to them in Japanese.

A small, swappable interface:

    translate(text, source="ja", target="vi", municipality=city) -> Translation

The backend is, in order: one installed with ``use_backend()`` (tests, start-up wiring); the
dotted path in the setting ``HANDOFF_TRANSLATOR``; ``chatbot.translation.translate`` when
``settings.TRANSLATOR`` names a translator; otherwise none. Without a backend
(or when it fails) the text comes back unchanged with ``machine_translated=False``, and the
console says so before anything is sent. A backend is a callable
``(text, source, target, **context) -> str | Translation | None`` (context: ``municipality``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Translation:
    text: str
    language: str
    machine_translated: bool = False
    curated: bool = False

    @property
    def translated(self) -> bool:
        return self.machine_translated or self.curated


Backend = Callable[..., "str | Translation | None"]
_override: Backend | None = None


def use_backend(backend: Backend | None) -> None:
    """Install a backend (None: back to the settings). For tests and for wiring at start-up."""
    global _override
    _override = backend


def _chatbot_backend(text: str, source: str, target: str, municipality=None, **_context) -> Translation | None:
    """The project's translation service (issue 6): cached, curated first, never raises."""
    from chatbot import translation as service

    result = service.translate(text, source, target, municipality=municipality, persist=False)
    if result is None:
        return None
    return Translation(result.text, target, machine_translated=result.machine, curated=result.curated)


def _backend() -> Backend | None:
    if _override is not None:
        return _override
    path = getattr(settings, "HANDOFF_TRANSLATOR", "")
    if path:
        try:
            return import_string(path)
        except ImportError:
            log.warning("HANDOFF_TRANSLATOR %r cannot be imported; translating nothing", path)
            return None
    if getattr(settings, "TRANSLATOR", "none") in ("", "none"):
        return None
    return _chatbot_backend


def is_configured() -> bool:
    return _backend() is not None


def same_language(source: str, target: str) -> bool:
    norm = {"": "ja", "ja-easy": "ja"}
    return norm.get(source, source) == norm.get(target, target)


def translate(text: str, *, source: str, target: str, municipality=None) -> Translation:
    """``text`` in ``target``; unchanged (machine_translated=False) when no backend is set or it fails."""
    source, target = source or "ja", target or "ja"
    if not text.strip() or same_language(source, target):
        return Translation(text, target)
    backend = _backend()
    if backend is None:
        return Translation(text, source)
    try:
        result = backend(text, source, target, municipality=municipality)
    except Exception:  # a translator outage must never stop staff from replying
        log.warning("translation %s->%s failed", source, target, exc_info=True)
        return Translation(text, source)
    if isinstance(result, Translation):
        return result if result.text.strip() else Translation(text, source)
    if not result or result == text:
        return Translation(text, source)
    return Translation(str(result), target, machine_translated=True)


def to_japanese(text: str, source: str, *, municipality=None) -> Translation:
    return translate(text, source=source, target="ja", municipality=municipality)
