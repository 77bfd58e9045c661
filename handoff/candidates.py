"""The bot's candidates as staff see them, and the department a hand-off is routed to.

A candidate's score is a calibrated confidence (``faq.retrieval``). Below the city's plausible floor
(``faq.retrieval.plausible_floor``, the same floor under which the bot would not even offer it to
the resident as a choice) it is what an unrelated entry scores: shown to staff it only misleads, and
routing a ticket on it sends a fishing question to 市民課. The stored list keeps every candidate
(calibration learns from it); these functions decide what is shown and where a ticket goes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from faq.retrieval import plausible_floor

SHOWN_IN_QUEUE = 3
SHOWN_ON_TICKET = 5


def floor_for(municipality) -> float:
    return plausible_floor(getattr(municipality, "answer_threshold", None))


def _score(candidate: dict) -> float:
    try:
        return float(candidate.get("score") or 0.0)
    except (TypeError, ValueError):
        return 0.0


def _same_question(title: str) -> str:
    """Titles that differ only in spacing, punctuation or width name the same question."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", title or "").lower())


def plausible(candidates: Iterable, municipality, limit: int = SHOWN_ON_TICKET) -> list[dict]:
    """The first ``limit`` candidates at or above the city's plausible floor, each question once."""
    floor = floor_for(municipality)
    shown: list[dict] = []
    seen: set = set()
    for candidate in candidates or []:
        if not isinstance(candidate, dict) or _score(candidate) < floor:
            continue
        keys = {(candidate.get("kind"), candidate.get("id")), _same_question(str(candidate.get("title", "")))}
        if keys & seen:
            continue
        seen |= keys
        shown.append(candidate)
        if len(shown) >= limit:
            break
    return shown


def routed_department(department: str, candidates: list, municipality) -> str:
    """The department proposed with the best candidate, kept only when that candidate is plausible.

    Without candidates the department was chosen by other means (a caller's explicit routing) and is kept.
    """
    if not department or not candidates:
        return department
    best = candidates[0]
    if isinstance(best, dict) and _score(best) >= floor_for(municipality):
        return department
    return ""
