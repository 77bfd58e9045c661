"""Citations: the model cites passages as [n]; the server checks them and maps them to sources.

The model never sees a URL. It writes ``[2]`` (or ``［2］``, ``【2】``, ``[1, 3]``); ``check`` finds
every cited number, refuses an answer with none or with a number that was never given, and
renumbers the cited passages 1..k in order of first mention so that the ``[k]`` in the text
matches the k-th source link shown under the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CITATION = re.compile(r"[\[［【]\s*(\d{1,2}(?:\s*[,，、・]\s*\d{1,2})*)\s*[\]］】]")
_SPLIT = re.compile(r"\s*[,，、・]\s*")


@dataclass
class CitationCheck:
    ok: bool
    text: str = ""  # the answer with citations renumbered as [1]..[k]
    order: list[int] = field(default_factory=list)  # original passage numbers (1-based), in the new order
    reason: str = ""


def numbers_in(text: str) -> list[int]:
    found: list[int] = []
    for match in CITATION.finditer(text or ""):
        found.extend(int(n) for n in _SPLIT.split(match.group(1)) if n)
    return found


def check(text: str, passage_count: int) -> CitationCheck:
    cited = numbers_in(text)
    if not cited:
        return CitationCheck(False, reason="no citation")
    missing = sorted({n for n in cited if not 1 <= n <= passage_count})
    if missing:
        return CitationCheck(False, reason=f"cites passages that do not exist: {missing}")
    order: list[int] = []
    for n in cited:
        if n not in order:
            order.append(n)
    new_number = {old: new for new, old in enumerate(order, start=1)}

    def renumber(match: re.Match) -> str:
        numbers = []
        for n in _SPLIT.split(match.group(1)):
            if n and new_number[int(n)] not in numbers:
                numbers.append(new_number[int(n)])
        return "".join(f"[{n}]" for n in numbers)

    return CitationCheck(True, CITATION.sub(renumber, text).strip(), order)
