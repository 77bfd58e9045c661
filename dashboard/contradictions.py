"""FAQ answers whose facts differ from the homepage's on the same topic (a content-freshness table).

FAQ and homepage drift apart: the homepage moves the drop-off site to 西町5-20-1 and the FAQ still
says 北町5-2. For every answerable FAQ entry:

* **Topic**: the homepage passages closest to the answer by the search index's own embeddings
  (the answer's head against each passage's): the closest one and any nearly as close
  (``TOPIC_SPREAD``), above ``TOPIC_FLOOR``. Measured on the demo city: an entry's own subject
  scores 0.90-0.96, a sibling topic on the same page 0.86-0.89.
* **Facts**: addresses, phone numbers, times, amounts (fees) and days of the week, read by
  ``chatbot.generation.facts``, the reader that also checks generated answers against their sources.
* **A contradiction**: an answer fact the passage does not hold, paired with a passage fact of the
  same kind that the answer does not hold, where the words around the two are alike (the same
  label before, the same text after: 「みほん市北町[5-2]へ直接持ち込む」 against
  「みほん市西町[5-20-1]へ直接持ち込む」). Each fact is paired once, best first. Days count as
  different only when neither set narrows the other (「第2・第4土曜日」 narrows 「土曜日」).

A passage that only adds facts (another counter's phone number) is not a contradiction: a fact is
compared only with its like-worded counterpart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext_lazy as _

from chatbot.generation import facts
from conversations.models import Municipality
from faq import retrieval
from faq.search.index import Entry

from .tables import Column, Table

FACT_KINDS = {
    "address": _("address"),
    "phone": _("phone number"),
    "time": _("time"),
    "amount": _("fee or amount"),
    "days": _("days"),
}
TOPIC_FLOOR = 0.90
TOPIC_SPREAD = 0.015
CONTEXT_CHARS = 10
ALIKE = 0.7  # the two contexts' likeness (Dice over character pairs, before + after: 0 to 2)
_NOT_WORDS = re.compile(r"[\s\W_]+")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class Placed:
    """A fact with the words before and after it (digits as 0: the label, not the figure, places it)."""

    fact: facts.Found
    before: str
    after: str
    excerpt: str  # the fact as written with the words before it, for people: 「みほん市北町5-2」


@dataclass(frozen=True)
class Conflict:
    kind: str
    faq_says: str
    page_says: str
    alike: float


def placed_facts(text: str) -> list[Placed]:
    normalised, found = facts.locate(text)
    found = [f for f in found if f.kind in FACT_KINDS] + facts.days(text)
    return [
        Placed(
            f,
            _context(normalised[max(0, f.start - CONTEXT_CHARS) : f.start]),
            _context(normalised[f.end : f.end + CONTEXT_CHARS]),
            _excerpt(normalised, f),
        )
        for f in found
    ]


def conflicts(faq_text: str, passage_text: str) -> list[Conflict]:
    """What ``faq_text`` says differently from ``passage_text``, one pair per differing fact."""
    answer, passage = placed_facts(faq_text), placed_facts(passage_text)
    in_passage, in_answer = _held(passage), _held(answer)
    pairs = []
    for i, a in enumerate(answer):
        if a.fact.fact in in_passage:
            continue
        for j, p in enumerate(passage):
            if p.fact.kind != a.fact.kind or p.fact.fact in in_answer:
                continue
            if a.fact.kind == "days" and not _days_differ(a.fact.fact, p.fact.fact):
                continue
            alike = _dice(a.before, p.before) + _dice(a.after, p.after)
            if alike >= ALIKE:
                pairs.append((alike, i, j))
    found: list[Conflict] = []
    used_answer: set[int] = set()
    used_passage: set[int] = set()
    for alike, i, j in sorted(pairs, key=lambda t: (-t[0], t[1], t[2])):
        if i in used_answer or j in used_passage:
            continue
        used_answer.add(i)
        used_passage.add(j)
        found.append(Conflict(answer[i].fact.kind, answer[i].excerpt, passage[j].excerpt, round(alike, 2)))
    return found


def topics(index, faq_rows: list[int], chunk_rows: list[int]) -> dict[int, list[int]]:
    """For each FAQ row of the index, the chunk rows on its topic (closest first)."""
    if not faq_rows or not chunk_rows:
        return {}
    vectors = index.body_vectors
    similarity = vectors[faq_rows] @ vectors[chunk_rows].T
    out: dict[int, list[int]] = {}
    for n, row in enumerate(faq_rows):
        best = float(similarity[n].max())
        floor = max(TOPIC_FLOOR, best - TOPIC_SPREAD)
        close = np.flatnonzero(similarity[n] >= floor)
        out[row] = [chunk_rows[c] for c in close[np.argsort(-similarity[n][close], kind="stable")]]
    return out


def contradicting_facts(municipality: Municipality) -> Table:
    """Published FAQ answers whose addresses, phone numbers, hours or fees differ from the homepage's."""
    index = retrieval.registry.index(municipality)
    entries: list[Entry] = index.entries
    faq_rows = [i for i, e in enumerate(entries) if e.kind == "faq"]
    chunk_rows = [i for i, e in enumerate(entries) if e.kind == "chunk"]
    rows, ids = [], []
    labels = {kind: str(label) for kind, label in FACT_KINDS.items()}
    for faq_row, passages in topics(index, faq_rows, chunk_rows).items():
        entry = entries[faq_row]
        for chunk_row in passages:
            passage = entries[chunk_row]
            for conflict in conflicts(entry.text, passage.text):
                where = " › ".join(dict.fromkeys(h for h in [passage.title, *passage.heading_path] if h))
                rows.append(
                    [
                        entry.external_id,
                        entry.title,
                        labels[conflict.kind],
                        conflict.faq_says,
                        conflict.page_says,
                        where,
                        passage.url,
                    ]
                )
                ids.append(entry.id)
    order = sorted(range(len(rows)), key=lambda n: (rows[n][0], rows[n][5]))
    return Table(
        "contradicting_facts",
        _("FAQ answers that say otherwise than the homepage"),
        [
            Column("external_id", _("ID")),
            Column("question", _("Question")),
            Column("kind", _("Fact")),
            Column("faq_says", _("FAQ answer says")),
            Column("page_says", _("Homepage says")),
            Column("passage", _("Homepage passage")),
            Column("url", _("Page")),
        ],
        [rows[n] for n in order],
        note=_(
            "Addresses, phone numbers, hours, days and fees of a published answer compared with the homepage "
            "passages on the same topic. Check which one is right, then correct the FAQ entry or the homepage."
        ),
        extra={"ids": [ids[n] for n in order]},
    )


def _excerpt(normalised: str, fact: facts.Found) -> str:
    head = re.split(r"[。、,・（）()「」\n]", normalised[max(0, fact.start - CONTEXT_CHARS) : fact.start])[-1]
    return (head + normalised[fact.start : fact.end]).strip().replace("~", "〜")


def _context(text: str) -> str:
    return _DIGITS.sub("0", _NOT_WORDS.sub("", text))


def _held(placed: list[Placed]) -> set[str]:
    return {implied for p in placed for implied in facts.implied(p.fact.fact)}


def _pairs(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _dice(a: str, b: str) -> float:
    pa, pb = _pairs(a), _pairs(b)
    return 2 * len(pa & pb) / (len(pa) + len(pb)) if pa and pb else 0.0


def _days_differ(a: str, b: str) -> bool:
    first, second = set(a.partition(" ")[2].split(",")), set(b.partition(" ")[2].split(","))
    return not (_narrows(first, second) or _narrows(second, first))


def _narrows(days: set[str], other: set[str]) -> bool:
    """Every day of ``days`` is in ``other``, or its weekday is (「第2日曜日」 narrows 「日曜日」)."""
    return all(day in other or day.lstrip("0123456789") in other for day in days)
