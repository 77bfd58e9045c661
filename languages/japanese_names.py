"""A city's Japanese names for readers of other languages, offline: contact lines, the gist of a text.

Where an editor wrote the line in the resident's language (a curated translation's contact), that
is used instead (``translation.localise_contact``). Otherwise the Japanese line is kept with what
can be localised without a translator localised:

* names the glossary knows (offices, sections, counters, buildings) become "Name (日本語)": the
  Japanese stays in brackets so residents can show it at the counter;
* the city's own Japanese name becomes its name for foreigners (みほん市 -> Sample City);
* the labels and time words around them (電話, 平日, 土曜, 3階, 〜) become gettext strings.

    contact_line("市民課 電話 042-000-1101(平日8:30〜17:15) 市役所本庁舎1階", "en")
    -> "Citizens Division (市民課) Tel 042-000-1101 (weekdays 8:30–17:15) City Hall Main Building (市役所本庁舎) 1F"

Japanese readers (Japanese, easy Japanese) get the line as written.

``gist`` / ``labelled`` name the glossary terms an untranslated Japanese question is about, so a
choice a resident cannot read still says its topic: "Bulky waste (粗大ごみの出し方は？)".
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from . import glossary
from .registry import normalise_code, reads_japanese

JAPANESE_LETTER = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff々〆ヵヶ]")
# What may follow a name without making it part of a longer word: 総合体育館内 is "in the gymnasium".
INSIDE = "内"
DAYS = "月火水木金土日"
DAY = f"([{DAYS}])曜日?"  # 土曜, 土曜日 (a bare 月 is as often a month)
DAY_IN_RANGE = f"([{DAYS}])(?:曜日?)?"  # 火〜金


def day_name(kanji: str) -> str:
    return [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")][
        DAYS.index(kanji)
    ]


def ordinal(n: str) -> str:
    """第2 -> "2nd" (the n-th weekday of a month: 1 to 5)."""
    return {"1": _("1st"), "2": _("2nd"), "3": _("3rd"), "4": _("4th"), "5": _("5th")}.get(n, n)


def _weeks(m: re.Match) -> str:
    """第2・第4火曜: the 2nd and 4th Tuesday of each month."""
    return _("the %(first)s and %(second)s %(day)s of the month") % {
        "day": day_name(m.group(3)),
        "first": ordinal(m.group(1)),
        "second": ordinal(m.group(2)),
    }


# Longest and most specific first; each is tried at every position of the text that is not a name.
LABELS: list[tuple[re.Pattern, Callable[[re.Match], str]]] = [
    (re.compile(rf"第(\d)・第(\d){DAY_IN_RANGE}休館"), lambda m: _("closed on %(day)s") % {"day": _weeks(m)}),
    (re.compile(rf"第(\d)・第(\d){DAY_IN_RANGE}"), _weeks),
    (re.compile(rf"{DAY}休館"), lambda m: _("closed on %(day)s") % {"day": day_name(m.group(1))}),
    (re.compile("土日祝日?"), lambda m: _("Saturdays, Sundays and holidays")),
    (re.compile(rf"{DAY_IN_RANGE}[〜～]{DAY_IN_RANGE}"), lambda m: f"{day_name(m.group(1))}–{day_name(m.group(2))}"),
    (re.compile(r"祝日|祝"), lambda m: _("holidays")),
    (re.compile("平日"), lambda m: _("weekdays")),
    (re.compile(DAY), lambda m: day_name(m.group(1))),
    (re.compile("休館日?|休み"), lambda m: pgettext("opening hours", "closed")),
    (re.compile("電話|TEL|Tel", re.IGNORECASE), lambda m: _("Tel")),
    (re.compile("ファクス|ファックス|FAX", re.IGNORECASE), lambda m: _("Fax")),
    (re.compile(r"(\d+)階"), lambda m: pgettext("floor of a building", "%(number)sF") % {"number": m.group(1)}),
]
PUNCTUATION = [
    (re.compile("[〜～]"), "–"),
    (re.compile("[、，]"), ", "),
    (re.compile("[（(]"), " ("),
    (re.compile("[）)]"), ") "),
    (re.compile("　"), " "),
]
TIDY = [
    (re.compile(r"[ \t]+"), " "),
    (re.compile(r"\( "), "("),
    (re.compile(r" ([),;])"), r"\1"),
]


def _bounded(text: str, start: int, end: int, after_name: bool) -> bool:
    """A name found at text[start:end] is a whole word, not part of a longer Japanese one.

    Right after another name counts as a boundary (みほん市保健センター: the city, then the centre).
    """
    if start > 0 and not after_name and JAPANESE_LETTER.match(text[start - 1]):
        return False
    return end >= len(text) or text[end] == INSIDE or not JAPANESE_LETTER.match(text[end])


def _names(language: str, municipality) -> dict[str, str]:
    names = dict(glossary.names_in(language, municipality=municipality))
    if municipality is not None and municipality.name_ja and municipality.name_en:
        names[municipality.name_ja] = municipality.name_en
    return names


def with_japanese(name: str, japanese: str) -> str:
    """A localised name with the Japanese original in brackets (in the active language's style)."""
    if not name or name == japanese:
        return japanese
    return _("%(name)s (%(japanese)s)") % {"name": name[:1].upper() + name[1:], "japanese": japanese}


def _spans(text: str, names: dict[str, str], accept) -> list[tuple[int, int, str]]:
    """(start, end, Japanese term) of the names in ``text``, the longest accepted one taken first at each place.

    ``accept(term, start, end, after_name)`` says whether a term found there counts.
    """
    by_first: dict[str, list[str]] = {}
    for japanese in sorted(names, key=len, reverse=True):
        by_first.setdefault(japanese[0], []).append(japanese)
    spans: list[tuple[int, int, str]] = []
    i = 0
    while i < len(text):
        after_name = bool(spans) and spans[-1][1] == i
        found = next(
            (j for j in by_first.get(text[i], ()) if text.startswith(j, i) and accept(j, i, i + len(j), after_name)),
            None,
        )
        if found is None:
            i += 1
            continue
        spans.append((i, i + len(found), found))
        i += len(found)
    return spans


def _pieces(text: str, names: dict[str, str], city: str) -> list[tuple[str, bool]]:
    """The text cut into (piece, is_a_localised_name): whole names only (and the city's name before an address)."""

    def whole(term: str, start: int, end: int, after_name: bool) -> bool:
        return term == city or _bounded(text, start, end, after_name)

    pieces: list[tuple[str, bool]] = []
    done = 0
    for start, end, japanese in _spans(text, names, whole):
        if done < start:
            pieces.append((text[done:start], False))
        pieces.append((names[japanese] if japanese == city else with_japanese(names[japanese], japanese), True))
        done = end + 1 if text[end : end + 1] == INSIDE else end
    if done < len(text):
        pieces.append((text[done:], False))
    return pieces


def gist(text: str, language: str, *, municipality=None, most: int = 3) -> list[str]:
    """The names in ``language`` of the glossary terms a Japanese text is about, e.g. 粗大ごみの出し方 -> ["bulky
    waste"]: what a reader of another language can make of an untranslated question. Empty for Japanese readers."""
    lang = normalise_code(language)
    if reads_japanese(lang) or not text:
        return []
    names = glossary.names_in(lang, municipality=municipality)
    found = [names[japanese] for _start, _end, japanese in _spans(text, names, lambda *_: True)]
    return list(dict.fromkeys(found))[:most]


def labelled(text: str, language: str, *, municipality=None) -> str:
    """An untranslated Japanese question labelled with its gist: "Bulky waste (粗大ごみの出し方は？)"."""
    words = gist(text, language, municipality=municipality)
    if not words:
        return text
    with translation.override(normalise_code(language)):
        return with_japanese(", ".join(words), text)


def _labels(text: str) -> str:
    """Labels and time words as gettext strings, only as whole words (いのちの電話 is a hotline's name)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        for pattern, render in LABELS:
            m = pattern.match(text, i)
            if m and _bounded(text, i, m.end(), after_name=False):
                out.append(f" {render(m)} ")
                i = m.end()
                break
        else:
            out.append(text[i])
            i += 1
    joined = "".join(out)
    for pattern, replacement in PUNCTUATION:
        joined = pattern.sub(replacement, joined)
    return joined


def contact_line(text: str, language: str, *, municipality=None) -> str:
    """A Japanese contact line, or a department's name (市民課 戸籍係), for a reader of ``language``.

    Unknown names stay as written; see the module for what is localised.
    """
    lang = normalise_code(language)
    if not text.strip() or reads_japanese(lang):
        return text
    city = getattr(municipality, "name_ja", "") if getattr(municipality, "name_en", "") else ""
    with translation.override(lang):
        pieces = _pieces(text, _names(lang, municipality), city)
        out = "".join(f" {piece} " if is_name else _labels(piece) for piece, is_name in pieces)
    lines = []
    for line in out.splitlines():
        for pattern, replacement in TIDY:
            line = pattern.sub(replacement, line)
        lines.append(line.strip())
    return "\n".join(lines)
