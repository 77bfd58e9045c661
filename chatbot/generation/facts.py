"""Facts in a generated answer must be facts of the passages it cites.

Times, dates, years, amounts, percentages, addresses, phone numbers and counts are read from
the answer and from the sources into one canonical form each, whatever their digit count or
spelling: 「9時」, 「9:00」 and 「午前9時」 are all ``time 09:00``; 「令和8年」 and 「2026年」 are
``year 2026``; 「1万5千円」 and 「15,000円」 are ``amount 15000``; 「1丁目2番3号」 and 「1-2-3」 are
``address 1-2-3``; 「三日以内」 and 「3日」 are ``count 3 日``. An answer fact that the sources do
not hold (「9:00〜15:00」 against passages saying 8:30〜17:15) makes ``unsourced`` name it, and the
answer is refused. A number left over once every known kind of fact is read (「番号は7です」) must
appear in the sources as a number.

Numbers the model adds as layout are not facts: citations ``[1]``, masked personal data
``[PHONE_1]`` and list numbers at the start of a line.

``locate`` gives the same facts with where each stands in the normalised text, and ``days`` reads
days of the week (「月曜日〜金曜日と第2日曜日」 is ``days mon,tue,wed,thu,fri,2sun``): content
freshness (``dashboard.contradictions``) compares an FAQ answer's facts with the homepage's.
``dates`` puts the year, month and day facts together into calendar dates, months, years and fiscal
years (「令和7年度」, April 2025 to March 2026); a range's end takes the year of its start
(「令和7年2月17日（月曜日）から3月17日」 ends on 2025-3-17): content freshness
(``dashboard.dated_statements``) finds deadlines and plans whose date has passed.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from conversations import masking

_CITATION = re.compile(r"[\[［【]\s*\d{1,2}(?:\s*[,，、・]\s*\d{1,2})*\s*[\]］】]")
_BULLET = re.compile(r"^\s*(?:[①-⑳]|\(?\d{1,2}[.)．）](?!\d))", re.M)
_KANJI_DIGITS = {"〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
_COUNTERS = (
    r"回|通|人|名|枚|個|件|袋|点|本|冊|部|台|歳|才|週間|週|か月|ヶ月|ケ月|カ月|ヵ月|箇月|年間|日間|日|時間|分間|分|秒|"
    r"キロ|km|kg|cm|mm|メートル|グラム|リットル|番目|階|つ|軒|世帯|倍|円|年|月|時"
)
# A kanji numeral before a counter (三日, 二十歳); a lone 一 is left alone (一時預かり, 一般, 一部).
_KANJI_NUMBER = re.compile(rf"([〇一二三四五六七八九十百千]{{2,}}|[〇二三四五六七八九十百千])(?=(?:{_COUNTERS}))")

_ERAS = {"令和": 2018, "平成": 1988, "昭和": 1925}
_YEAR = r"(?:(\d{4})\s*年|(令和|平成|昭和)\s*(\d{1,2}|元)\s*年)"
_DATE_YMD = re.compile(r"(?<!\d)(\d{4})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?!\d)")
_DATE_JA = re.compile(rf"(?:{_YEAR}\s*(?:度\s*)?)?(\d{{1,2}})\s*月\s*(\d{{1,2}})\s*日")
_DATE_MD = re.compile(r"(?<![\d/.\-:])(\d{1,2})\s*/\s*(\d{1,2})(?![\d/])")
_YEAR_ONLY = re.compile(_YEAR)
_MONTH = re.compile(r"(\d{1,2})\s*月(?!\s*\d)")
_TIME_COLON = re.compile(r"(午前|午後)?\s*(\d{1,2})\s*[:：]\s*(\d{2})(?!\d)")
_TIME_JA = re.compile(r"(午前|午後)?\s*(\d{1,2})\s*時(?!間)\s*(?:(\d{1,2})\s*分|(半))?")
_AMOUNT = re.compile(
    r"[¥￥]\s*(\d[\d,]*)|((?:\d[\d,]*(?:\.\d+)?\s*億\s*)?(?:\d[\d,]*(?:\.\d+)?\s*万\s*)?(?:\d[\d,]*\s*千\s*)?\d[\d,]*"
    r"(?:\.\d+)?|\d[\d,]*(?:\.\d+)?\s*[万千億])\s*円"
)
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|パーセント)")
_ADDRESS_JA = re.compile(
    r"(\d{1,4})\s*丁目(?:\s*(\d{1,5})\s*番地?)?(?:\s*の?\s*(\d{1,5})\s*号?)?|(\d{1,5})\s*番地(?:\s*の?\s*(\d{1,5}))?"
)
_ADDRESS_DASH = re.compile(r"(?<![\d\-])(\d{1,4})\s*[-−‐ー]\s*(\d{1,4})(?:\s*[-−‐ー]\s*(\d{1,4}))?(?![\d\-])")
_ORDINAL = re.compile(r"第\s*(\d+)")
_COUNT = re.compile(rf"(\d+(?:\.\d+)?)\s*({_COUNTERS})")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")

_UNIT_SAME = {
    "日間": "日",
    "分間": "分",
    "週間": "週",
    "ヶ月": "か月",
    "ケ月": "か月",
    "カ月": "か月",
    "ヵ月": "か月",
    "箇月": "か月",
    "年間": "年",
    "才": "歳",
    "名": "人",
    "キロ": "km",
}


def _kanji_value(text: str) -> int:
    total, current = 0, 0
    for ch in text:
        if ch in _KANJI_DIGITS:
            current = current * 10 + _KANJI_DIGITS[ch] if current else _KANJI_DIGITS[ch]
        else:
            total += (current or 1) * _KANJI_UNITS[ch]
            current = 0
    return total + current


def normalise(text: str) -> str:
    """NFKC without citations, masked data, list numbers or thousands separators; kanji numerals as digits."""
    text = _BULLET.sub(" ", text or "")
    text = unicodedata.normalize("NFKC", text)
    text = masking.PLACEHOLDER.sub(" ", _CITATION.sub(" ", text))
    text = _KANJI_NUMBER.sub(lambda m: str(_kanji_value(m.group(1))), text)
    text = text.replace("〜", "~").replace("～", "~")
    return re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)


def _number(value: str) -> str:
    """'1,000' -> '1000', '08' -> '8', '2.50' -> '2.5'."""
    value = value.replace(",", "")
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    return value.lstrip("0") or "0"


def _amount(text: str) -> str:
    text = text.replace(",", "").replace(" ", "")
    total = 0.0
    for unit, factor in (("億", 100_000_000), ("万", 10_000), ("千", 1000)):
        if unit in text:
            head, text = text.split(unit, 1)
            total += float(head or 1) * factor
    if text:
        total += float(text)
    return _number(f"{total:.2f}")


def _year(western: str | None, era: str | None, era_year: str | None) -> str | None:
    if western:
        return western
    if era:
        return str(_ERAS[era] + (1 if era_year == "元" else int(era_year or 0)))
    return None


def _time(half: str | None, hour: str, minute: str | None) -> str | None:
    h, m = int(hour), int(minute or 0)
    if half == "午後" and h < 12:
        h += 12
    if h > 24 or m > 59:
        return None
    return f"time {h:02d}:{m:02d}"


@dataclass(frozen=True)
class Found:
    """One fact: canonical (``address 5-20-1``), as written, and where it stands in the normalised text."""

    fact: str
    written: str
    start: int
    end: int

    @property
    def kind(self) -> str:
        return self.fact.partition(" ")[0]


def read(text: str) -> tuple[list[tuple[str, str]], set[str]]:
    """The facts of ``text`` as (canonical, as written), and every number in it (for the leftovers)."""
    normalised, found = locate(text)
    return [(f.fact, f.written) for f in found], {_number(n) for n in _NUMBER.findall(normalised)}


def locate(text: str) -> tuple[str, list[Found]]:
    """``text`` normalised, and its facts with their places in it (in the order they are read)."""
    text = normalise(text)
    found: list[Found] = []
    taken = list(text)

    def claim(match: re.Match, *facts: str | None) -> None:
        facts_kept = [f for f in facts if f]
        if not facts_kept:
            return
        for fact in facts_kept:
            found.append(Found(fact, match.group(0).strip(), match.start(), match.end()))
        for i in range(match.start(), match.end()):
            taken[i] = " "

    def scan(pattern: re.Pattern, handle) -> None:
        for match in pattern.finditer("".join(taken)):
            handle(match)

    # Phone numbers, postal codes and other personal-data shapes first (conversations.masking's patterns).
    for item in masking.find(text):
        if item.kind in ("PHONE", "POSTCODE", "MY_NUMBER", "NUMBER", "CARD"):
            digits = re.sub(r"[^0-9]", "", item.value)
            found.append(Found(f"{item.kind.lower()} {digits}", item.value, item.start, item.end))
            taken[item.start : item.end] = " " * (item.end - item.start)

    scan(_DATE_YMD, lambda m: claim(m, f"year {m.group(1)}", f"date {int(m.group(2))}-{int(m.group(3))}"))

    def date_ja(m: re.Match) -> None:
        year = _year(m.group(1), m.group(2), m.group(3))
        claim(m, year and f"year {year}", f"date {int(m.group(4))}-{int(m.group(5))}")

    scan(_DATE_JA, date_ja)
    scan(_YEAR_ONLY, lambda m: claim(m, f"year {_year(m.group(1), m.group(2), m.group(3))}"))
    scan(_TIME_COLON, lambda m: claim(m, _time(m.group(1), m.group(2), m.group(3))))
    scan(_TIME_JA, lambda m: claim(m, _time(m.group(1), m.group(2), "30" if m.group(4) else m.group(3))))
    scan(
        _DATE_MD,
        lambda m: (
            claim(m, f"date {int(m.group(1))}-{int(m.group(2))}")
            if 1 <= int(m.group(1)) <= 12 and 1 <= int(m.group(2)) <= 31
            else None
        ),
    )
    scan(_MONTH, lambda m: claim(m, f"month {int(m.group(1))}") if 1 <= int(m.group(1)) <= 12 else None)
    scan(_AMOUNT, lambda m: claim(m, f"amount {_amount(m.group(1) or m.group(2))}"))
    scan(_PERCENT, lambda m: claim(m, f"percent {_number(m.group(1))}"))
    scan(
        _ADDRESS_JA,
        lambda m: claim(
            m,
            "address "
            + "-".join(str(int(g)) for g in (m.group(1) or m.group(4), m.group(2) or m.group(5), m.group(3)) if g),
        ),
    )
    scan(_ADDRESS_DASH, lambda m: claim(m, "address " + "-".join(str(int(g)) for g in m.groups() if g)))
    scan(_ORDINAL, lambda m: claim(m, f"ordinal {_number(m.group(1))}"))
    scan(_COUNT, lambda m: claim(m, f"count {_number(m.group(1))} {_UNIT_SAME.get(m.group(2), m.group(2))}"))
    scan(_NUMBER, lambda m: claim(m, f"number {_number(m.group(0))}"))
    return text, found


_WEEK = "月火水木金土日"
_DAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_WORD = r"(?:[月火水木金土日]曜日?|平日|土日|毎日)"
_NTH = r"(?:第\s*\d(?:\s*[・、,]\s*第?\s*\d)*\s*)"
_DAY_SEP = r"\s*(?:〜|~|から|・|、|,|と|及び|および)\s*(?:毎月\s*)?"
_DAYS = re.compile(
    rf"(?:毎月\s*)?{_NTH}?{_DAY_WORD}(?:{_DAY_SEP}{_NTH}?{_DAY_WORD})*"
    # 「月〜金」「土・日」: single-letter days, only two or more together
    rf"|(?<![\d年月])[月火水木金土日]\s*(?:〜|~|・)\s*[月火水木金土日](?:曜日?)?(?![\d])"
)
_DAY_PART = re.compile(rf"(〜|~|から)?\s*(?:毎月\s*)?({_NTH})?([月火水木金土日])(?:曜日?)?|(平日)|(土日)|(毎日)")


def days(text: str) -> list[Found]:
    """Days of the week in ``text`` (normalised): each run of days one fact, e.g. 「月曜日〜土曜日」 is
    ``days mon,tue,wed,thu,fri,sat``, 「平日と第2日曜日」 ``days mon,tue,wed,thu,fri,2sun``."""
    text = normalise(text)
    found = []
    for match in _DAYS.finditer(text):
        picked: list[str] = []
        previous: int | None = None
        for part in _DAY_PART.finditer(match.group(0)):
            ranged, nth, day, weekdays, weekend, every = part.groups()
            if weekdays or weekend or every:
                span = range(0, 5) if weekdays else range(5, 7) if weekend else range(0, 7)
                picked += [_DAY_CODES[i] for i in span]
                previous = None
                continue
            index = _WEEK.index(day)
            if nth:
                picked += [f"{n}{_DAY_CODES[index]}" for n in re.findall(r"\d", nth)]
            elif ranged and previous is not None:
                picked += [_DAY_CODES[i % 7] for i in range(previous + 1, previous + 1 + (index - previous) % 7)]
            else:
                picked.append(_DAY_CODES[index])
            previous = None if nth else index
        codes = sorted(set(picked), key=lambda c: (c[0].isdigit(), _DAY_CODES.index(c.lstrip("0123456789")), c))
        if codes:
            found.append(Found("days " + ",".join(codes), match.group(0).strip(), match.start(), match.end()))
    return found


def implied(fact: str) -> Iterable[str]:
    """What a source fact also says: 4月1日 says 4月 and 1日; 1丁目2番3号 says 1丁目 and 1丁目2番."""
    kind, _, value = fact.partition(" ")
    yield fact
    if kind == "date":
        month, day = value.split("-")
        yield f"month {month}"
        yield f"count {day} 日"
    elif kind == "address":
        parts = value.split("-")
        for n in range(1, len(parts)):
            yield "address " + "-".join(parts[:n])
    elif kind == "time" and value.endswith(":00"):
        yield f"count {int(value[:2])} 時"
    elif kind == "count" and value.endswith(" 時"):
        yield f"time {int(value.split()[0]):02d}:00"


def unsourced(answer: str, sources: str) -> list[str]:
    """The facts of ``answer`` (as written) that ``sources`` do not hold; empty when every one is sourced."""
    answer_facts, _ = read(answer)
    source_facts, source_numbers = read(sources)
    held = {also for fact, _written in source_facts for also in implied(fact)}
    missing: list[str] = []
    for fact, written in answer_facts:
        kind, _, value = fact.partition(" ")
        if fact in held:
            continue
        if kind == "number" and value in source_numbers:
            continue  # a bare number the sources also use as a number
        if kind in ("phone", "postcode", "my_number", "card") and any(
            f.startswith(kind) and f.endswith(value) for f in held
        ):
            continue
        missing.append(written)
    return missing


# 「令和6〜8年度」: a range of years under one era name (the end is 令和8年度).
_ERA_RANGE = re.compile(r"(令和|平成|昭和)\s*(\d{1,2}|元)\s*[~・、]\s*(\d{1,2})\s*年(\s*度)?")
# What joins a range's start to its end: 「2月17日（月曜日）から3月17日」「11月4日〜12月4日」.
_RANGE_GAP = re.compile(r"\s*(?:\([^()]{0,12}\)\s*)?(?:~|から|より)\s*")


@dataclass(frozen=True)
class Dated:
    """A date with a known year, as precise as written: a day, a month, a year or a fiscal year (April
    to March). ``start``/``end`` are its place in the normalised text; ``range_start`` marks the start of
    a range whose end follows (「2月17日から[3月17日]」)."""

    written: str
    start: int
    end: int
    year: int
    month: int | None = None
    day: int | None = None
    fiscal: bool = False
    range_start: bool = False
    range_end: bool = False

    @property
    def last_day(self) -> date:
        """The last day the date covers: the day itself, the month's or year's last, or 31 March after a
        fiscal year."""
        if self.fiscal:
            return date(self.year + 1, 3, 31)
        if self.month is None:
            return date(self.year, 12, 31)
        if self.day is None:
            return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])
        return date(self.year, self.month, self.day)

    @property
    def label(self) -> str:
        """「2025-03-17」, 「2026-10」, 「2026」, or 「2025-04〜2026-03」 for a fiscal year."""
        if self.fiscal:
            return f"{self.year}-04〜{self.year + 1}-03"
        if self.month is None:
            return str(self.year)
        if self.day is None:
            return f"{self.year}-{self.month:02d}"
        return f"{self.year}-{self.month:02d}-{self.day:02d}"


@dataclass
class _Part:
    start: int
    end: int
    year: int | None = None
    month: int | None = None
    day: int | None = None
    fiscal: bool = False


def dates(text: str) -> tuple[str, list[Dated]]:
    """``text`` normalised, and its dates whose year is known (written, or the year of the range they end).

    A date without a year that ends no range (「3月31日までに」, every year) is left out, as are
    impossible dates (「2月30日」).
    """
    normalised, found = locate(text)
    parts: dict[tuple[int, int], _Part] = {}
    for f in found:
        if f.kind in ("year", "date", "month"):
            part = parts.setdefault((f.start, f.end), _Part(f.start, f.end))
            value = f.fact.partition(" ")[2]
            if f.kind == "year":
                part.year = int(value)
            elif f.kind == "month":
                part.month = int(value)
            else:
                part.month, part.day = (int(v) for v in value.split("-"))
    for m in _ERA_RANGE.finditer(normalised):
        head = _year(None, m.group(1), m.group(2))
        assert head is not None
        base = int(head) - (1 if m.group(2) == "元" else int(m.group(2)))
        fiscal = bool(m.group(4))
        parts[(m.start(), m.end(2))] = _Part(m.start(), m.end(2), int(head), fiscal=fiscal)
        parts[(m.start(3), m.end())] = _Part(m.start(3), m.end(), base + int(m.group(3)), fiscal=fiscal)
    merged: list[_Part] = []
    for part in sorted(parts.values(), key=lambda p: p.start):
        last = merged[-1] if merged else None
        # 「令和8年」 and 「10月」 read apart are one month: 「令和8年10月」.
        if (
            last
            and last.year is not None
            and last.month is None
            and not last.fiscal
            and part.year is None
            and part.day is None
            and not normalised[last.end : part.start].strip()
        ):
            last.month, last.end = part.month, part.end
            continue
        if part.year is not None and part.month is None and normalised[part.end : part.end + 1] == "度":
            part.fiscal, part.end = True, part.end + 1
        merged.append(part)
    out: list[Dated] = []
    for n, part in enumerate(merged):
        previous = out[-1] if out else None
        joined = (
            previous is not None
            and n > 0
            and merged[n - 1].end == previous.end
            and _RANGE_GAP.fullmatch(normalised, previous.end, part.start) is not None
        )
        year = part.year
        if year is None and joined and previous is not None and part.month is not None:
            # A range's end takes the year of its start, the next one if it runs over New Year.
            year = previous.year + (1 if previous.month and part.month < previous.month else 0)
        if year is None or (part.month is not None and not 1 <= part.month <= 12):
            continue
        if part.day is not None and part.month is not None:
            try:
                date(year, part.month, part.day)
            except ValueError:
                continue
        if joined and previous is not None:
            out[-1] = replace(previous, range_start=True)
        written = normalised[part.start : part.end].strip()
        out.append(Dated(written, part.start, part.end, year, part.month, part.day, part.fiscal, range_end=joined))
    return normalised, out
