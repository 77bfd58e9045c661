"""External ids for new FAQ entries, in the city's own pattern: the next free ``gomi-021`` after ``gomi-020``.

The pattern is read from the city's entries (a prefix, then a zero-padded number): the commonest
prefix among the entries of the category, else of the whole city. A city without numbered ids
gets ``faq-001``.
"""

from __future__ import annotations

import re
from collections import Counter

from conversations.models import Municipality

from .models import FAQ

_NUMBERED = re.compile(r"^(.*?)(\d+)$")
FALLBACK_PREFIX, FALLBACK_WIDTH = "faq-", 3


def suggest_external_id(municipality: Municipality, category: str = "") -> str:
    """The next free id in the pattern of ``category``'s entries (or the city's), e.g. ``gomi-021``."""
    taken = set(FAQ.objects.filter(municipality=municipality).values_list("external_id", flat=True))
    in_category = (
        set(FAQ.objects.filter(municipality=municipality, category=category).values_list("external_id", flat=True))
        if category
        else set()
    )
    prefix, width, last = _pattern(in_category) or _pattern(taken) or (FALLBACK_PREFIX, FALLBACK_WIDTH, 0)
    number = last + 1
    while f"{prefix}{number:0{width}d}" in taken:
        number += 1
    return f"{prefix}{number:0{width}d}"


def _pattern(ids: set[str]) -> tuple[str, int, int] | None:
    """(commonest prefix, its number width, its highest number) among ``ids``; None when none is numbered."""
    numbered = [(m.group(1), m.group(2)) for m in map(_NUMBERED.match, sorted(ids)) if m and m.group(1)]
    if not numbered:
        return None
    prefix = Counter(p for p, _n in numbered).most_common(1)[0][0]
    numbers = [n for p, n in numbered if p == prefix]
    return prefix, max(len(n) for n in numbers), max(int(n) for n in numbers)
