"""Mask personal data in free text: e-mail, card and My Number, phone numbers, postal codes, addresses, names.

    mask("電話は090-1234-5678です")  ->  "電話は[PHONE]です"

Two ways to use it:

- ``mask(text)`` for what staff see in lists (the console queue, admin lists, audit details): each
  piece of personal data becomes a bare token such as ``[PHONE]``; nothing can be restored.
- ``Masker`` before text leaves for an external service (a language model, a translator): each
  piece becomes a numbered placeholder (``[PHONE_1]``, ``[NAME_1]``) and the masker keeps the
  table, so the same value gets the same placeholder across the question and earlier turns, and
  ``restore()`` puts the originals back into the reply, only where the reply uses them and only
  for kinds a reply may repeat (a My Number or a card number is never echoed back).

The placeholders are plain ASCII tokens so that a language model or a translator passes them
through unchanged. Masking is deliberately greedy: a masked date costs little, a leaked phone
number costs a lot. A 12-digit number is labelled ``MY_NUMBER`` only when its check digit is valid
(総務省令第85号 第5条); other 12-digit numbers are still masked, as ``NUMBER``.

Full-width digits and the many dash characters Japanese input methods produce are handled without
normalising the text first, so everything outside a match stays exactly as the resident wrote it.
Names are found only where Japanese (or English) marks them: after 私は / 名前は / 氏名：, before
と申します, or before 様 / さん / くん / ちゃん / 殿, with a stop list of common nouns (お客様, 担当者様).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

D = "[0-9０-９]"  # a half- or full-width digit
SEP = "[-‐‑‒–—―−ー－ 　]"  # hyphens, long vowel mark (a common typo for a hyphen), spaces
LEFT = r"(?<![0-9０-９])"
RIGHT = r"(?![0-9０-９])"

EMAIL = "[EMAIL]"
CARD = "[CARD]"
MY_NUMBER = "[MY_NUMBER]"
NUMBER = "[NUMBER]"
PHONE = "[PHONE]"
POSTCODE = "[POSTCODE]"
ADDRESS = "[ADDRESS]"
NAME = "[NAME]"

# Kinds a reply to the resident may repeat; the others are replaced by a neutral mark.
RESTORABLE = frozenset({"EMAIL", "PHONE", "POSTCODE", "ADDRESS", "NAME"})
WITHHELD = "＊＊＊"

_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def digits_of(text: str) -> str:
    return "".join(ch for ch in text.translate(_FULLWIDTH_DIGITS) if ch.isascii() and ch.isdigit())


def is_valid_my_number(text: str) -> bool:
    """True for a 12-digit individual number whose last digit is the check digit.

    Check digit = 11 - (sum(Pn * Qn) mod 11), or 0 when the remainder is 0 or 1, where Pn is the
    n-th of the first 11 digits counted from the right and Qn = n + 1 (n <= 6) or n - 5 (n >= 7).
    """
    digits = digits_of(text)
    if len(digits) != 12:
        return False
    body, check = digits[:11], int(digits[11])
    total = 0
    for n, ch in enumerate(reversed(body), start=1):
        total += int(ch) * (n + 1 if n <= 6 else n - 5)
    remainder = total % 11
    expected = 0 if remainder <= 1 else 11 - remainder
    return check == expected


@dataclass(frozen=True)
class Rule:
    token: str
    pattern: re.Pattern
    # Optional: decide the token from the matched text (None: not personal data after all).
    classify: Callable[[str], str | None] | None = None

    def kind_of(self, value: str) -> str | None:
        return self.classify(value) if self.classify else self.token


PLACE = r"[\u30a0-\u30ff\u4e00-\u9fff々ヶ]"  # kanji and katakana: the town name before a block number
_NUM = f"{D}{{1,4}}"
_BLOCK = f"(?:{_NUM}|[一二三四五六七八九十]{{1,3}})"
_DATE = f"(?:19|20|１９|２０){D}{{2}}{SEP}{D}{{1,2}}{SEP}{D}{{1,2}}{RIGHT}"
_PREFECTURE = (
    "(?:北海道|東京都|(?:京都|大阪)府|(?:青森|岩手|宮城|秋田|山形|福島|茨城|栃木|群馬|埼玉|千葉|神奈川|新潟|富山|石川|福井"
    "|山梨|長野|岐阜|静岡|愛知|三重|滋賀|兵庫|奈良|和歌山|鳥取|島根|岡山|広島|山口|徳島|香川|愛媛|高知|福岡|佐賀|長崎|熊本"
    "|大分|宮崎|鹿児島|沖縄)県)"
)
# A city, ward, town or village name before the town: kanji, katakana and hiragana but not the
# particles that would let the match run back into the sentence (住所は…, 私の…).
_CITY = "(?:(?:[\u3041-\u3093\u30a0-\u30ff\u4e00-\u9fff々ヶ](?<![はをがにでともへのや])){1,6}?[市区町村郡])"
_ADDRESS_HEAD = f"(?:{_PREFECTURE}{_CITY}{{0,2}}|{_CITY}{{1,2}})?"


def _my_number_or_number(value: str) -> str:
    return MY_NUMBER if is_valid_my_number(value) else NUMBER


# --- names -----------------------------------------------------------------------------------
KANJI = "[\u4e00-\u9fff々〆ヶ]"
KATAKANA = "[\u30a1-\u30fa\u30fc]"
_NAME_JA = f"(?:{KANJI}{{1,4}}(?:[ 　]?{KANJI}{{1,4}})?|{KATAKANA}{{2,10}}(?:[ 　・=＝]?{KATAKANA}{{1,10}}){{0,3}})"
_NAME_EN = "(?:[A-Z][a-z]+(?: [A-Z][a-z]+){0,2})"
_NAME_END = "(?=です|でございます|と申します|といいます|と言います|だ|。|、|,|\\s|$)"
_HONORIFIC = "(?=様|さま|さん|くん|君|ちゃん|殿|氏)"

# Words that sit where a name would but are not one: roles, relatives, institutions.
_NOT_NAMES_TEXT = (
    "先生 医者 両親 家族 子供 子ども 友達 友人 業者 大家 主人 旦那 奥 息子 娘 兄 姉 弟 妹 父 母 祖父 祖母 孫 "
    "上司 部下 近所 隣 担当 窓口 警察 運転手 配達 学生 生徒 住民 市民 区民 町民 村民 外国人 日本人 留学生 "
    "主婦 主夫 無職 会社員 公務員 妊婦 妊娠中 高齢者 障害者 初心者 独身 年金生活者 利用者 申請者 保護者 相談者 "
    "皆 皆様 客 お客 神 王 様 市長 区長 町長 村長 知事 議員 社長 店長 部長 課長 係長 看護師 保育士 介護士 "
    "ヘルパー ケアマネ ケアマネージャー ドライバー スタッフ オペレーター ママ パパ サンタ マスター "
    "アナタ ワタシ ボク"
)
NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())
_NOT_NAME_ENDINGS = tuple("者員師士所課局署庁館院校園店社会部室係")


def _name(value: str) -> str | None:
    name = value.strip().replace("　", " ")
    if len(name.replace(" ", "")) < 2 or name in NOT_NAMES or name.endswith(_NOT_NAME_ENDINGS):
        return None
    if any(name.endswith(word) and len(word) >= 2 for word in NOT_NAMES):
        return None
    return NAME


RULES: list[Rule] = [
    Rule(EMAIL, re.compile(r"[A-Za-z0-9._%+\-]+\s?[@＠]\s?[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")),
    # Payment cards: 16 digits, in fours or not.
    Rule(CARD, re.compile(f"{LEFT}{D}{{4}}{SEP}?{D}{{4}}{SEP}?{D}{{4}}{SEP}?{D}{{4}}{RIGHT}")),
    # My Number (individual number): 12 digits, often written 4-4-4; labelled by its check digit.
    Rule(
        MY_NUMBER,
        re.compile(f"{LEFT}{D}{{4}}{SEP}?{D}{{4}}{SEP}?{D}{{4}}{RIGHT}"),
        classify=_my_number_or_number,
    ),
    # Japanese phone numbers: 0 or +81, 10-11 digits in all, with or without separators/brackets.
    Rule(
        PHONE,
        re.compile(
            f"{LEFT}(?:(?:\\+|＋)(?:81|８１){SEP}?\\(?(?:0|０)?\\)?|\\(?(?:0|０))"
            f"{D}{{1,4}}\\)?{SEP}?\\(?{D}{{1,4}}\\)?{SEP}?{D}{{3,4}}{RIGHT}"
        ),
    ),
    # Plain runs of 10-11 digits starting with 0 (phone numbers typed without separators).
    Rule(PHONE, re.compile(f"{LEFT}(?:0|０){D}{{9,10}}{RIGHT}")),
    Rule(POSTCODE, re.compile(f"(?:〒\\s?)?{LEFT}{D}{{3}}{SEP}{D}{{4}}{RIGHT}|〒\\s?{D}{{7}}{RIGHT}")),
    # 東京都みほん市本町1丁目2番3号 / 本町一丁目2番地 / 2丁目5-10 (with the place name before it).
    Rule(
        ADDRESS,
        re.compile(
            f"{_ADDRESS_HEAD}{PLACE}{{0,10}}{_BLOCK}丁目(?:{SEP}?{_NUM}(?:番地?|{SEP})?(?:{SEP}?{_NUM}号?)?)?"
            f"|{_ADDRESS_HEAD}{PLACE}{{0,10}}{_NUM}番地(?:{SEP}?{_NUM}号?)?"
            f"|{_ADDRESS_HEAD}{PLACE}{{0,10}}{_NUM}番{SEP}?{_NUM}号"
        ),
    ),
    # 東京都みほん市中央1-2-3 / 1-2-3 Honcho: three number blocks joined by hyphens (not a date).
    Rule(
        ADDRESS,
        re.compile(
            f"{_ADDRESS_HEAD}{PLACE}{{0,10}}{LEFT}(?!{_DATE}){_NUM}{SEP}{_NUM}{SEP}{_NUM}{RIGHT}"
            "(?:\\s?[A-Z][a-z]+(?:-?cho|-?machi)?)?"
        ),
    ),
    # Names: only the group ``v`` is masked.
    Rule(
        NAME,
        re.compile(
            f"(?:私|わたし|わたくし|僕|ぼく|俺)(?:の名前)?は[ 　]?(?P<v>{_NAME_JA}){_NAME_END}"
            f"|(?:名前|氏名|お名前|なまえ)(?:は|[:：]|[ 　])[ 　]?(?P<v2>{_NAME_JA}){_NAME_END}"
        ),
        classify=_name,
    ),
    Rule(NAME, re.compile(f"(?P<v>{_NAME_JA})(?=と申します|といいます|と言います|と申す)"), classify=_name),
    Rule(NAME, re.compile(f"(?P<v>{_NAME_JA}){_HONORIFIC}"), classify=_name),
    Rule(
        NAME,
        re.compile(
            f"(?i:my name is)\\s+(?P<v>{_NAME_EN})(?=[\\s.,!?]|$)"
            "|(?i:i am|i'm)\\s+(?P<v3>[A-Z][a-z]+ [A-Z][a-z]+)(?=[\\s.,!?]|$)"
            f"|(?:Mr|Mrs|Ms|Miss|Dr)\\.?\\s+(?P<v2>{_NAME_EN})"
        ),
        classify=lambda value: NAME if value.split()[0] not in {"The", "A", "An", "In", "On", "From"} else None,
    ),
]

_SENTINEL = "\ue000"  # a private-use character: not a digit, not a place, not a name


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    token: str  # "[PHONE]"
    value: str

    @property
    def kind(self) -> str:
        return self.token.strip("[]")


def find(text: str, rules: Iterable[Rule] = RULES) -> list[Found]:
    """Personal data in ``text``, in order; earlier rules win where matches overlap."""
    if not text:
        return []
    work = text
    found: list[Found] = []
    for rule in rules:
        for match in rule.pattern.finditer(work):
            groups = [g for g in ("v", "v2", "v3") if g in match.re.groupindex and match.group(g) is not None]
            start, end = match.span(groups[0]) if groups else match.span()
            if end <= start or _SENTINEL in work[start:end]:
                continue
            value = text[start:end]
            token = rule.kind_of(value)
            if token is None:
                continue
            found.append(Found(start, end, token, value))
        for item in found:
            work = work[: item.start] + _SENTINEL * (item.end - item.start) + work[item.end :]
    return sorted(found, key=lambda f: f.start)


def mask(text: str) -> str:
    """The text with personal data replaced by placeholder tokens (not reversible)."""
    if not text:
        return text
    out, last = [], 0
    for item in find(text):
        out.append(text[last : item.start])
        out.append(item.token)
        last = item.end
    out.append(text[last:])
    return "".join(out)


# Keys of a stored payload that hold identifiers, not words a person wrote: kept as they are.
_ID_KEY = re.compile(r"(?i)(?:id|ids|token|user|client|type|mode|timestamp|kind|action|language)$")


def mask_json(value: Any, key: str = "") -> Any:
    """A copy of a JSON value (a stored event) with personal data masked in its free-text strings."""
    if isinstance(value, dict):
        return {k: mask_json(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_json(v, key) for v in value]
    if isinstance(value, str) and not _ID_KEY.search(key):
        return mask(value)
    return value


def contains_personal_data(text: str) -> bool:
    return bool(find(text))


PLACEHOLDER = re.compile(r"\[(EMAIL|CARD|MY_NUMBER|NUMBER|PHONE|POSTCODE|ADDRESS|NAME)(?:_(\d{1,3}))?\]")


@dataclass
class Masker:
    """Reversible masking for one exchange with an external service.

    masker = Masker()
    prompt_text = masker.mask(question)  # "[NAME_1]です。[PHONE_1]に…"
    reply = masker.restore(model_reply)  # originals back where the reply uses them
    """

    table: dict[str, str] = field(default_factory=dict)  # "[PHONE_1]" -> "090-1234-5678"
    _by_value: dict[tuple[str, str], str] = field(default_factory=dict)
    _counts: dict[str, int] = field(default_factory=dict)

    def mask(self, text: str) -> str:
        if not text:
            return text
        out, last = [], 0
        for item in find(text):
            out.append(text[last : item.start])
            out.append(self._placeholder(item))
            last = item.end
        out.append(text[last:])
        return "".join(out)

    def _placeholder(self, item: Found) -> str:
        key = (item.kind, item.value)
        if key not in self._by_value:
            self._counts[item.kind] = self._counts.get(item.kind, 0) + 1
            placeholder = f"[{item.kind}_{self._counts[item.kind]}]"
            self._by_value[key] = placeholder
            self.table[placeholder] = item.value
        return self._by_value[key]

    def placeholders_in(self, text: str) -> list[str]:
        return [m.group(0) for m in PLACEHOLDER.finditer(text or "")]

    def restore(self, text: str, *, kinds: Iterable[str] = RESTORABLE) -> str:
        """Put originals back for the placeholders the text uses.

        Only kinds in ``kinds`` are restored; the others become a neutral mark, as do placeholders
        this masker never issued (a model inventing ``[PHONE_7]`` does not get to print anything).
        """
        allowed = set(kinds)

        def put_back(match: re.Match) -> str:
            placeholder = match.group(0)
            if placeholder in self.table and match.group(1) in allowed:
                return self.table[placeholder]
            return WITHHELD

        return PLACEHOLDER.sub(put_back, text or "")


def mask_reversible(text: str) -> tuple[str, Masker]:
    """Shorthand: the masked text and the masker that can restore it."""
    masker = Masker()
    return masker.mask(text), masker
