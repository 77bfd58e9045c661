"""Statements in an FAQ answer whose date has passed (a content-freshness table).

City FAQs go stale in a particular way: the answer states a deadline, a period or a plan whose date
is over (「令和7年2月17日（月曜日）から3月17日（月曜日）まで」, 「令和7年3月31日で終了します」,
「令和8年10月から始める予定です」), or gives the figures of a fiscal year that has ended
(「令和7年度の医療分は…42,000円です」). The dates are read by ``chatbot.generation.facts.dates``;
what the words right after a date say makes it one of

* **the end of a period**: the end of a range (「2月17日から[3月17日]」);
* **a deadline**: 「まで」「締切」「期限」「必着」 right after it;
* **an announced end**: 「で終了します」「をもって受付を終了」 right after it;
* **a plan**: 「予定」「始めます」「開始します」「実施します」 later in the statement;
* **a fiscal year**: 「令和7年度」 that is not the start of something (「令和5年度から」).

History and starts that still hold are not flagged: a start (「令和6年3月から…できます」), an event
told in the past tense (「令和2年5月25日に廃止され…」 has no end word; 「…参加しました」), and dates
without a year (「3月31日までに」 recurs every year). A statement is the sentence or the bracketed
part holding the date; one row per statement, the most telling date first (end of a period, deadline,
announced end, plan, fiscal year).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext_lazy as _

from chatbot.generation import facts

KINDS = {
    "period_end": _("end of a period"),
    "deadline": _("deadline"),
    "end": _("announced end"),
    "plan": _("plan"),
    "fiscal_year": _("fiscal year"),
}
PHRASE_CHARS = 70
_OPEN, _CLOSE, _STOPS = "(「【『[", ")」】』]", "。!?\n"
_DEADLINE = re.compile(r"\s*(?:まで|迄|締め?切|期限|必着|消印有効)")
_END = re.compile(r"[^、。]{0,10}?(?:終了|締め?切|打ち?切|休止|廃止(?:します|されます|する|予定))")
_PLAN = re.compile(
    r"予定(?![日地者])|始め(?:る|ます)|始まります|開始(?:する|します|いたします|予定)|実施(?:する|します|いたします|予定)"
    r"|導入(?:する|します)|変わります|変更(?:する|します|になります)"
)
_START = re.compile(r"\s*(?:から|より|以降|以後)")
_PAST = re.compile(r"(?:ました|でした|た)\s*$")


@dataclass(frozen=True)
class Passed:
    kind: str  # a key of KINDS
    phrase: str  # the statement holding the date, trimmed
    date: facts.Dated


def passed(text: str, today: date) -> list[Passed]:
    """The statements of ``text`` whose deadline, end, plan or fiscal year is before ``today``."""
    normalised, dated = facts.dates(text)
    best: dict[tuple[int, int], tuple[int, facts.Dated]] = {}
    for n, d in enumerate(dated):
        if d.last_day >= today:
            continue
        start, end = _statement(normalised, d.start, d.end)
        words = _words(normalised, d.end, end)
        if _PAST.search(words):
            continue  # told as history
        upto_next = dated[n + 1].start if n + 1 < len(dated) and dated[n + 1].start < end else end
        kind = _kind(d, _words(normalised, d.end, upto_next))
        if kind is None:
            continue
        rank = list(KINDS).index(kind)
        if (start, end) not in best or rank < best[(start, end)][0]:
            best[(start, end)] = (rank, d)
    return [
        Passed(list(KINDS)[rank], _as_written(text, _phrase(normalised, start, end, d)), d)
        for (start, end), (rank, d) in sorted(best.items())
    ]


def _kind(d: facts.Dated, after: str) -> str | None:
    if d.range_start:
        return None  # the range's end says whether the period is over
    if d.range_end:
        return "period_end"
    if _DEADLINE.match(after):
        return "deadline"
    if _END.match(after):
        return "end"
    if _PLAN.search(after):
        return "plan"
    if d.fiscal and not _START.match(after):
        return "fiscal_year"
    return None


def _statement(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence, or the bracketed part, that holds ``text[start:end]``."""
    depth, first = 0, 0
    for i in range(start - 1, -1, -1):
        if text[i] in _CLOSE:
            depth += 1
        elif text[i] in _OPEN:
            if depth == 0:
                first = i + 1
                break
            depth -= 1
        elif depth == 0 and text[i] in _STOPS:
            first = i + 1
            break
    depth, last = 0, len(text)
    for i in range(end, len(text)):
        if text[i] in _OPEN:
            depth += 1
        elif text[i] in _CLOSE:
            if depth == 0:
                last = i
                break
            depth -= 1
        elif depth == 0 and text[i] in _STOPS:
            last = i
            break
    return first, last


def _words(text: str, start: int, end: int) -> str:
    """``text[start:end]`` without the bracketed parts (「3月17日（月曜日）まで」 reads 「まで」)."""
    depth, kept = 0, []
    for ch in text[start:end]:
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0:
            kept.append(ch)
    return "".join(kept)


def _phrase(text: str, start: int, end: int, d: facts.Dated) -> str:
    """The statement; when long, from the clause holding the date on, cut at ``PHRASE_CHARS``."""
    lead = ""
    if end - start > PHRASE_CHARS:
        clause = text.rfind("、", start, d.start)
        if clause >= 0:
            start, lead = clause + 1, "…"
    phrase = text[start:end].strip()
    if len(phrase) > PHRASE_CHARS:
        phrase = phrase[: PHRASE_CHARS - 1] + "…"
    return lead + phrase


def _as_written(text: str, phrase: str) -> str:
    """``phrase`` (normalised) as ``text`` writes it, with its thousands separators (「42,000円」);
    the normalised phrase when the text writes it otherwise (kanji numerals)."""
    pattern = "".join(
        ",?".join(part) if part.isdigit() else "[~〜]" if part == "~" else re.escape(part)
        for part in re.split(r"(\d+|~)", phrase.strip("…"))
        if part
    )
    written = re.search(pattern, unicodedata.normalize("NFKC", text))
    shown = written.group(0) if written else phrase.strip("…")
    return (phrase[:1] if phrase.startswith("…") else "") + shown + ("…" if phrase.endswith("…") else "")
