"""Keep what must not change through translation: phone numbers, URLs, amounts, dates, departments.

The same tokens keep personal numbers (phone numbers, e-mail addresses, My Number-like 12-digit
numbers, postal codes) on our side: an external translator never sees them.

``protect()`` swaps each such span for a numbered token (``⟦1⟧``) and ``restore()`` puts the
originals back, tolerating what translators do to tokens (spaces inside, full-width or doubled
brackets, moving them around). A translation that lost a token is refused by the translation
check (``checks``), so a phone number or a deadline never silently disappears.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from languages import registry

D = "[0-9０-９]"
DASH = "[-‐‑–—－ー−]"
TILDE = "[〜～~\\-－–]"

URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'「」『』（）()、。，,！!？?]+", re.IGNORECASE)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(
    rf"(?<![0-9０-９])(?:\+81{DASH}?\s?{D}{{1,4}}|[(（][0０]{D}{{1,4}}[)）]|[0０]{D}{{1,4}})"
    rf"\s?{DASH}?\s?{D}{{1,4}}\s?{DASH}\s?{D}{{3,4}}(?![0-9０-９])"
    rf"|#{D}{{4}}(?![0-9０-９])"
)
# Never sent to a translator either: My Number-like 12-digit numbers and postal codes.
LONG_NUMBER = re.compile(rf"(?<![0-9０-９]){D}{{4}}[\s-]?{D}{{4}}[\s-]?{D}{{4}}(?![0-9０-９])")
POSTAL = re.compile(rf"〒\s?{D}{{3}}{DASH}?{D}{{4}}|(?<![0-9０-９-]){D}{{3}}-{D}{{4}}(?![0-9０-９-])")
ERA_YEAR = rf"(?:(?:令和|平成|昭和)(?:元|{D}{{1,2}})|{D}{{4}})年度?"
WEEKDAY = r"(?:\s?[（(][月火水木金土日祝・休]+[)）])?"
DATE = re.compile(
    rf"{ERA_YEAR}(?:{D}{{1,2}}月(?:{D}{{1,2}}日)?)?{WEEKDAY}"
    rf"|{D}{{1,2}}月{D}{{1,2}}日{WEEKDAY}"
    rf"|{D}{{4}}[/.]{D}{{1,2}}[/.]{D}{{1,2}}"
)
TIME = re.compile(rf"{D}{{1,2}}[:：]{D}{{2}}(?:\s?{TILDE}\s?{D}{{1,2}}[:：]{D}{{2}})?")
AMOUNT = re.compile(
    rf"(?:[¥￥]\s?{D}[0-9０-９,，]*(?:\.{D}+)?)"
    rf"|(?:{D}[0-9０-９,，]*(?:\.{D}+)?\s?(?:万|千)?円(?:\s?{TILDE}\s?{D}[0-9０-９,，]*(?:万|千)?円)?)"
)
# A run of kanji/katakana (and the few kana words that occur in department names) ending in a
# department suffix, not followed by more kanji: 市民課, 保険年金課年金係, 粗大ごみ受付センター.
_RUN = r"(?:[\u4e00-\u9fff々〆ヶァ-ヴー・]|ごみ|こども|子ども|くらし|すまい)"
DEPARTMENT = re.compile(
    rf"{_RUN}{{1,20}}?(?:課|係|室|センター|委員会|支所|出張所|事務所|保健所|相談所)(?![\u4e00-\u9fff])"
)
NOT_DEPARTMENTS = ("関係", "教室", "会議室", "和室", "洋室", "浴室", "待合室", "授乳室", "研修室", "調理室", "集会室")

TOKEN = "⟦{}⟧"
TOKEN_BACK = re.compile(r"[⟦\[［【〚]{1,2}\s*(\d{1,3})\s*[⟧\]］】〛]{1,2}")


@dataclass
class Protected:
    text: str
    values: dict[int, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.text)


def _spans(text: str, patterns: Iterable[re.Pattern], terms: Iterable[str]) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    for term in sorted({t for t in terms if t and len(t) >= 2}, key=len, reverse=True):
        for m in re.finditer(re.escape(term), text):
            found.append((m.start(), m.end()))
    for pattern in patterns:
        for m in pattern.finditer(text):
            value = m.group(0)
            if pattern is DEPARTMENT and value.endswith(NOT_DEPARTMENTS):
                continue
            found.append((m.start(), m.end()))
    # Longest first, then earliest; no overlaps.
    found.sort(key=lambda s: (-(s[1] - s[0]), s[0]))
    taken: list[tuple[int, int]] = []
    for start, end in found:
        if all(end <= a or start >= b for a, b in taken):
            taken.append((start, end))
    return sorted(taken)


JAPANESE_PATTERNS = (URL, EMAIL, PHONE, LONG_NUMBER, POSTAL, AMOUNT, DATE, TIME, DEPARTMENT)
FOREIGN_PATTERNS = (URL, EMAIL, PHONE, LONG_NUMBER, POSTAL)


def protect(text: str, source: str = "ja", terms: Iterable[str] = ()) -> Protected:
    """Replace the spans that must survive with numbered tokens."""
    if TOKEN_BACK.search(text):  # the text already looks like it has tokens: leave it alone
        return Protected(text, {})
    patterns = JAPANESE_PATTERNS if registry.reads_japanese(source) else FOREIGN_PATTERNS
    values: dict[int, str] = {}
    out, last = [], 0
    for n, (start, end) in enumerate(_spans(text, patterns, terms), start=1):
        out.append(text[last:start])
        out.append(TOKEN.format(n))
        values[n] = text[start:end]
        last = end
    out.append(text[last:])
    return Protected("".join(out), values)


def restore(translated: str, protected: Protected, *, append_missing: bool = True) -> str:
    """Put the originals back; append any the translator lost (unless ``append_missing`` is false:
    the translation check then finds them missing and the translation is refused)."""
    if not protected.values:
        return translated
    seen: set[int] = set()

    def put_back(m: re.Match) -> str:
        n = int(m.group(1))
        if n in protected.values:
            seen.add(n)
            return protected.values[n]
        return m.group(0)

    text = TOKEN_BACK.sub(put_back, translated)
    missing = [protected.values[n] for n in sorted(protected.values) if n not in seen]
    if missing and append_missing:
        text = text.rstrip() + "\n(" + " / ".join(missing) + ")"
    return text
