"""Counting tokens for the turn being answered.

Every call to the model adds its tokens to the active meter (if any), so the pipeline can store
one number per answer on ``AnswerLog.tokens``:

    with usage.metered() as meter:
        decision = engine.answer(request)
    AnswerLog.objects.create(..., tokens=meter.total)

Monthly use per municipality is the sum of ``AnswerLog.tokens`` (see ``budget``).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db.models import F

from conversations.models import AnswerLog


@dataclass
class Meter:
    total: int = 0
    calls: int = 0

    def add(self, tokens: int) -> None:
        self.total += max(0, int(tokens))
        self.calls += 1


_current: contextvars.ContextVar[Meter | None] = contextvars.ContextVar("madoguchi_llm_meter", default=None)


@contextmanager
def metered() -> Iterator[Meter]:
    """Count the tokens of every model call made inside the block (nested blocks count in both)."""
    outer = _current.get()
    meter = Meter()
    token = _current.set(meter)
    try:
        yield meter
    finally:
        _current.reset(token)
        if outer is not None:
            outer.total += meter.total
            outer.calls += meter.calls


def record(tokens: int) -> None:
    meter = _current.get()
    if meter is not None:
        meter.add(tokens)


def pending() -> int:
    """Tokens spent in the current block that are not yet stored on an AnswerLog."""
    meter = _current.get()
    return meter.total if meter is not None else 0


def add_to_log(answer_log_id: int | None, tokens: int) -> None:
    """Add tokens spent after the AnswerLog row was written (e.g. an easy-Japanese rewrite)."""
    if not answer_log_id or tokens <= 0:
        return

    AnswerLog.objects.filter(pk=answer_log_id).update(tokens=F("tokens") + int(tokens))
