"""Mask personal data in free text wherever a person or a log reads resident text outside the conversation.

    mask("電話は090-1234-5678です")  ->  "電話は[PHONE]です"

Two ways to use it:

- ``mask(text)`` for what people and logs read (answer logs, the unanswered lists and clusters, FAQ
  drafts, learned phrasings, the admin, application logs): each piece of personal data becomes a
  bare token such as ``[PHONE]``; nothing can be restored.
- ``Masker`` before text leaves for an external service (a language model, a translator): each
  piece becomes a numbered placeholder (``[PHONE_1]``, ``[NAME_1]``) and the masker keeps the
  table, so the same value gets the same placeholder across the question and earlier turns, and
  ``restore()`` puts the originals back into the reply, only where the reply uses them and only
  for kinds a reply may repeat (a My Number or a card number is never echoed back).

What is found, in this order (an earlier finding wins where two overlap):

- e-mail addresses (also ``name (at) example.com``); payment cards; residence-card numbers (two
  letters, eight digits, two letters); My Number (12 digits, labelled by its check digit);
- identifiers near their keywords in the languages residents write in: passport, health-insurance
  (記号 / 番号), bank-account and other "number" keywords; passport shapes (one or two capitals and
  seven or eight digits);
- phone numbers: Japanese shapes, and any number Google's ``phonenumbers`` library finds valid
  (international ones too); postal codes (〒, or seven digits after a postal keyword);
- birth dates: a date (Western, Japanese era, abbreviated era, Korean, written months in several
  languages) next to a birth keyword (生年月日, 生まれ, born, DOB, nasci, sinh, 생, ipinanganak …);
- addresses: Japanese block addresses (丁目, 番地, 1-2-3) with their city and town, romanised ones;
- any run of seven or more digits that is not an amount (account, insurance and card numbers
  written without keywords);
- names: Japanese names from Sudachi's dictionary of person names (a full name anywhere; a
  surname only where a name stands: before an honorific, です or と申します, after a role, at the
  end as a signature); names in self-introductions, after relatives and form labels, in several
  languages and scripts (私は / 名前は / my name is / I'm / tôi là / 我叫 / 제 이름은 / मेरो नाम / meu
  nome é / ako po si / watashi wa …); katakana names joined by ・; a signature on the last line.

Matching runs on a copy of the text with full-width forms folded (NFKC: ＠, ．, full-width digits
and letters, half-width katakana), and the findings are mapped back, so everything outside a match
stays exactly as the resident wrote it. Masking is deliberately greedy where a miss costs a lot
and a wrong mask little; ordinary questions (dates of deadlines, amounts, room and counter
numbers, years) are left alone: tests/conversations/test_masking_corpus.py holds it to a corpus
of personal data in eight languages and to ordinary questions.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
import regex

D = "[0-9０-９]"  # a half- or full-width digit
SEP = "[-‐‑‒–—―−ー－ 　]"  # hyphens, long vowel mark (a common typo for a hyphen), spaces
_HYPHEN = "[-‐‑‒–—―−ー－]"  # between the blocks of an address: hyphens only (not times, not dates)
LEFT = r"(?<![0-9０-９])"
RIGHT = r"(?![0-9０-９])"
# Around a run of digits that is a number of its own, not part of an identifier (01TESTEVENT0000…).
NLEFT = r"(?<![0-9０-９A-Za-z])"
NRIGHT = r"(?![0-9０-９A-Za-z])"

EMAIL = "[EMAIL]"
CARD = "[CARD]"
MY_NUMBER = "[MY_NUMBER]"
NUMBER = "[NUMBER]"
PHONE = "[PHONE]"
POSTCODE = "[POSTCODE]"
ADDRESS = "[ADDRESS]"
NAME = "[NAME]"
BIRTHDATE = "[BIRTHDATE]"
RESIDENCE_CARD = "[RESIDENCE_CARD]"
PASSPORT = "[PASSPORT]"
INSURANCE = "[INSURANCE]"
ACCOUNT = "[ACCOUNT]"

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
    """A pattern; only its named groups ``v``, ``v2``… are masked when it has them, else the whole match."""

    token: str
    pattern: Any  # a compiled ``re`` or ``regex`` pattern
    # Optional: decide the token from the matched text (None: not personal data after all).
    classify: Callable[[str], str | None] | None = None

    def kind_of(self, value: str) -> str | None:
        return self.classify(value) if self.classify else self.token


def _rx(pattern: str, flags: int = 0) -> Any:
    return regex.compile(pattern, flags | regex.V0)


PLACE = r"[\u30a0-\u30ff\u4e00-\u9fff々ヶ]"  # kanji and katakana: the town name before a block number
_NUM = f"{D}{{1,4}}"
_KNUM = "[一二三四五六七八九十百]{1,4}"
_BLOCK = f"(?:{_NUM}|[一二三四五六七八九十]{{1,3}})"
_DATE = f"(?:19|20|１９|２０){D}{{2}}{SEP}{D}{{1,2}}{SEP}{D}{{1,2}}{RIGHT}"
_PREFECTURE = (
    "(?:北海道|[東东]京都|(?:京都|大阪)府|(?:青森|岩手|宮城|秋田|山形|福島|茨城|栃木|群馬|埼玉|千葉|神奈川|新潟|富山|石川|福井"
    "|山梨|長野|岐阜|静岡|愛知|三重|滋賀|兵庫|奈良|和歌山|鳥取|島根|岡山|広島|山口|徳島|香川|愛媛|高知|福岡|佐賀|長崎|熊本"
    "|大分|宮崎|鹿児島|沖縄)県)"
)
# A city, ward, town or village name before the town: kanji, katakana and hiragana but not the
# particles that would let the match run back into the sentence (住所は…, 私の…).
_CITY = "(?:(?:[\u3041-\u3093\u30a0-\u30ff\u4e00-\u9fff々ヶ](?<![はをがにでともへのや])){1,6}?(?:[市区町村郡]|通り))"
_ADDRESS_HEAD = f"(?:{_PREFECTURE}{_CITY}{{0,2}}|{_CITY}{{1,2}})?"
_ROMAJI_PLACE = r"[A-Z][a-z]+(?:-(?:cho|machi|ku|shi|gun|mura|ken|dai|oka|dori))?"


def _my_number_or_number(value: str) -> str:
    return MY_NUMBER if is_valid_my_number(value) else NUMBER


# --- identifiers near their keywords ----------------------------------------------------------------

_NOT_SENTENCE_END = r"[^\n。！？!?]"
_PASSPORT_WORDS = r"パスポート|旅券|passport|hộ chiếu|护照|護照|여권|राहदानी|passaporte|pasaporte"
_INSURANCE_MARK = r"記号|记号|기호|kigou|kigo|symbol|ký hiệu"
_ACCOUNT_WORDS = (
    r"口座(?:番号)?|普通(?:預金)?|当座(?:預金)?|貯蓄(?:預金)?|記号番号|ゆうちょ(?:銀行)?|account(?: number| no\.?)?"
    r"|conta(?: poupança| corrente)?|tài khoản|账号|帳號|账户|계좌(?:번호)?|खाता(?: नम्बर)?"
)
_NUMBER_WORDS = r"番号|號碼|号码|号|번호|bangou|number|numero|número|nº|no\.|số|नम्बर|nombor"
_ID_VALUE = r"(?<![A-Za-z0-9])[A-Za-z]{0,2}\d[\d -]{1,14}\d[A-Za-z]?(?![A-Za-z0-9])"


# --- birth dates ---------------------------------------------------------------------------------------

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
    "|janeiro|fevereiro|março|marco|abril|maio|junho|julho|agosto|setembro|outubro|novembro|dezembro"
    "|enero|pebrero|marso|mayo|hunyo|hulyo|setyembre|oktubre|nobyembre|disyembre"
)
_ERA = r"(?:明治|大正|昭和|平成|令和)(?:\d{1,2}|元)年"
_DATES = "|".join(
    [
        rf"(?:(?:19|20)\d{{2}}年|{_ERA})(?:[（(][^）)]{{1,12}}[）)])?(?:\d{{1,2}}月(?:\d{{1,2}}日)?)?",
        r"\d{1,2}月\d{1,2}日",
        r"(?<![A-Za-z])[MTSHR]\d{1,2}[./-]\d{1,2}[./-]\d{1,2}",
        r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}",
        r"\d{1,2}[-/.]\d{1,2}[-/.]\d{4}",
        r"\d{4}년(?:\s?\d{1,2}월(?:\s?\d{1,2}일)?)?",
        rf"\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\.?,?\s+\d{{4}}",
        rf"(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}",
        r"\d{1,2}\s+de\s+\w+\s+de\s+\d{4}",
        r"ngày\s+\d{1,2}\s+tháng\s+\d{1,2}(?:\s+năm\s+\d{4})?",
    ]
)
_DATE_RX = _rx(rf"(?<!\d)(?:{_DATES})(?!\d)", regex.IGNORECASE)
_BIRTH_BEFORE = _rx(
    r"(?:生年月日|誕生日|生まれは|出生日期|出生年月日|生日|出生于|出生於|born(?:\s+on|\s+in)?|birthday(?:\s+is)?|"
    r"date of birth|d\.?o\.?b\.?|nasci(?:da|do)?(?:\s+em)?|data de nascimento|ngày sinh|sinh(?:\s+ngày)?|"
    r"생년월일|생일|ipinanganak|kapanganakan|जन्म(?:\s+मिति)?)"
    rf"{_NOT_SENTENCE_END}{{0,14}}$",
    regex.IGNORECASE,
)
_BIRTH_AFTER = _rx(r"^\s?(?:生まれ|生|出生|に生|생|에 태어|年生)")


# --- names -----------------------------------------------------------------------------------------------

KANJI = "[\u4e00-\u9fff々〆ヶ]"
KATAKANA = "[\u30a1-\u30fa\u30fc\u3099\u309a]"
HIRAGANA = "[\u3041-\u3096\u30fc]"
_NAME_JA = f"(?:{KANJI}{{1,4}}(?:[ 　]?{KANJI}{{1,4}})?|{KATAKANA}{{2,10}}(?:[ 　・=＝]?{KATAKANA}{{1,10}}){{0,3}})"
# A Japanese name in a weaker context: kanji surname with a kanji, hiragana or katakana given name.
_NAME_JA_ANY = (
    f"(?:{KANJI}{{1,3}}[ 　]?(?:{KANJI}{{1,3}}|{HIRAGANA}{{2,4}}|{KATAKANA}{{2,5}})|{KANJI}{{2,4}}"
    f"|{KATAKANA}{{2,10}}(?:[ 　・=]{KATAKANA}{{1,10}}){{0,3}})"
)
_HIRA_NAME = f"{HIRAGANA}{{2,5}}[ 　]{HIRAGANA}{{2,5}}"
_NAME_EN = "(?:[A-Z][a-z]+(?: [A-Z][a-z]+){0,2})"
_NAME_END = "(?=です|でございます|と申します|といいます|と言います|だ|。|、|,|\\s|$)"
_HONORIFIC = "(?=[ 　]?(?:様|さま|さん|くん|君|ちゃん(?!と)|殿|氏|先生))"
# A word in a romanised name: capitalised (any script with case), or a surname in capitals.
_W = r"(?:\p{Lu}[\p{Ll}\p{M}'’]+(?:-\p{Lu}?[\p{Ll}\p{M}]+)?|\p{Lu}{2,})"
_LATIN_NAME = rf"{_W}(?:[ ]{_W}){{1,4}}"
_LATIN_NAME1 = rf"{_W}(?:[ ]{_W}){{0,4}}"
_RELATIVES_JA = (
    "母|父|夫|妻|息子|娘|兄|姉|弟|妹|祖母|祖父|義父|義母|義兄|義姉|主人|家内|子|うちの子|長男|長女|次男|次女|孫|嫁|婿"
)
_LABELS_JA = "申請者|名前|氏名|お名前|名義|口座名義|届出人|代理人|受取人|送付先|宛名|世帯主|契約者|被保険者|本人|患者"
_I_JA = "私|わたし|わたくし|僕|ぼく|俺"
_NAME_STOP = "(?=[がはのをにもと、,，（(）)」』\\s。]|です|$)"  # what may follow a name in a weak context
_RELATIVES_EN = (
    "wife|husband|son|daughter|mother|father|mom|mum|dad|child|brother|sister|partner|grandmother|grandfather"
)

# Words that sit where a name would but are not one: roles, relatives, institutions.
_NOT_NAMES_TEXT = (
    "先生 医者 両親 家族 子供 子ども 友達 友人 業者 大家 主人 旦那 奥 息子 娘 兄 姉 弟 妹 父 母 祖父 祖母 孫 "
    "上司 部下 近所 隣 担当 窓口 警察 運転手 配達 学生 生徒 住民 市民 区民 町民 村民 外国人 日本人 留学生 "
    "主婦 主夫 無職 会社員 公務員 妊婦 妊娠中 高齢者 障害者 初心者 独身 年金生活者 利用者 申請者 保護者 相談者 "
    "皆 皆様 客 お客 神 王 様 市長 区長 町長 村長 知事 議員 社長 店長 部長 課長 係長 看護師 保育士 介護士 "
    "ヘルパー ケアマネ ケアマネージャー ドライバー スタッフ オペレーター ママ パパ サンタ マスター "
    "アナタ ワタシ ボク 担任 主治医 民生委員 以上 宜しく 敬具 草々 不一 乱文 取り急ぎ 本人 代理 家内 "
    "学生 老师 留学生 中国人 外国人 居民 市民 本人 技能实习生 "
    "학생 외국인 회사원 주부"
)
NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())
_NOT_NAME_ENDINGS = tuple("者員師士所課局署庁館院校園店社会部室係市区町村都道府県")
_NOT_LATIN_TEXT = (
    "The A An In On From At To For Of And Or But I My Your His Her Our Their This That These Those It Is Are "
    "Was Were Be Been Yes No Not Please Thank Thanks Hello Hi Dear Regards City Hall Office Ward Town Village "
    "Midori Room Floor Counter Japan Japanese English Tokyo Monday Tuesday Wednesday Thursday Friday Saturday "
    "Sunday January February March April May June July August September October November December Grade "
    "Bank Branch Station School Hospital Library Center Centre Park Street Road Avenue Heights Mansion"
)
_NOT_LATIN = frozenset(_NOT_LATIN_TEXT.split())


def _name(value: str) -> str | None:
    name = value.strip().replace("　", " ")
    if len(name.replace(" ", "")) < 2 or name in NOT_NAMES or name.endswith(_NOT_NAME_ENDINGS):
        return None
    if any(name.endswith(word) and len(word) >= 2 for word in NOT_NAMES):
        return None
    return NAME


def _latin_name(value: str) -> str | None:
    words = value.split()
    if not words or words[0] in _NOT_LATIN or all(w in _NOT_LATIN for w in words):
        return None
    return NAME


def _namey(part: str) -> bool:
    """Every morpheme of ``part`` is a proper noun or unknown to the dictionary (foreign names are)."""
    tokens = _sudachi_tokens(part)
    return bool(tokens) and all(t[1][0] == "固有名詞" or t[4] for t in tokens)


def _kana_name(value: str) -> bool:
    """Katakana (or hiragana) parts joined by ・ or spaces: more than half of them name-like, or half
    with one the dictionary does not know (グエン・ヴァン・アン, ラム・シュレスタ; not ショート・ステイ,
    ファミリー・サポート・センター, マイナカード)."""
    parts = [p for p in regex.split(r"[・=＝ 　]", value) if p]
    if not parts:
        return False
    namey = sum(_namey(p) for p in parts)
    unknown = any(t[4] for p in parts for t in _sudachi_tokens(p))
    return namey * 2 > len(parts) or (namey * 2 == len(parts) and unknown)


def _plausible_ja_name(value: str) -> str | None:
    """A name in a weak context (after a relative, a label, 私は…、): Sudachi must read it as a name.

    Kana names: see ``_kana_name``. Kanji names: the first morpheme a proper noun (a surname, or a
    place name many surnames are), the rest proper nouns, unknown, or a short kana given name.
    """
    if _name(value) is None:
        return None
    if regex.fullmatch(r"[\p{Katakana}\p{Hiragana}ー・=＝ 　]+", value):
        return NAME if _kana_name(value) else None
    tokens = [t for t in _sudachi_tokens(value.replace("　", " ")) if t[0].strip()]
    if not tokens or tokens[0][1][0] != "固有名詞":
        return None
    surname = tokens[0][1][1:] == ("人名", "姓")
    given = "".join(t[0] for t in tokens[1:])
    if surname and regex.fullmatch(r"\p{Han}{1,3}", given):
        return NAME  # after a surname, any one to three kanji: given names are often ordinary words (蒼, 誠)
    for surface, pos, _start, _end, oov in tokens[1:]:
        kana = regex.fullmatch(r"[\p{Katakana}\p{Hiragana}ー]{1,4}", surface)
        if not (pos[0] == "固有名詞" or oov or kana):
            return None
    return NAME


def _katakana_name(value: str) -> str | None:
    return NAME if _name(value) is not None and _kana_name(value) else None


def _introduced_name(value: str) -> str | None:
    """ "Xです。" opening a message: a katakana name as it stands, anything else only if Sudachi reads a name."""
    if regex.fullmatch(r"[\p{Katakana}ー・=＝ 　]+", value):
        return _name(value)
    return _plausible_ja_name(value)


def _han_name(value: str) -> str | None:
    return None if value in NOT_NAMES or any(value.endswith(w) for w in ("学生", "人", "们")) else NAME


# Chinese names begin with a surname; these are the common ones (simplified and traditional forms).
CHINESE_SURNAMES = frozenset(
    "王李张張刘劉陈陳杨楊黄黃赵趙吴吳周徐孙孫马馬朱胡郭何高林罗羅郑鄭梁谢謝宋唐许許韩韓冯馮邓鄧曹彭曾肖蕭田董袁潘于"
    "蒋蔣蔡余杜叶葉程苏蘇魏吕呂丁任沈姚卢盧姜崔钟鍾谭譚陆陸汪范金石廖贾賈夏韦韋付方白邹鄒孟熊秦邱江尹薛闫段雷侯龙龍"
    "史陶黎贺賀顾顧毛郝龚龔邵万萬钱錢严嚴覃武戴莫孔向汤湯常温溫康施文牛樊葛邢安齐齊易乔喬伍庞龐颜顏倪庄莊聂聶章鲁魯"
    "岳翟殷詹申耿关關兰蘭焦俞左柳甘祝包宁寧尚符舒阮柯纪紀梅童凌毕畢单單季裴霍涂成苗谷盛曲翁冉骆駱蓝藍路游辛靳管柴蒙"
    "鲍鮑华華喻祁蒲房滕屈饶饒解牟艾尤阳陽时時穆农農司卓古吉缪繆简簡车車项項连連麦麥褚娄婁窦竇戚岑景党黨宫宮费費卜冷"
    "晏席卫衛米柏宗瞿桂全佟应應臧闵閔苟边邊卞姬师師仇栾欒隋商刁沙荣榮巫寇桑郎甄丛叢仲虞敖巩鞏佘池查麻苑迟遲邝鄺官封"
    "谈談匡鞠惠荆荊冀郁胥班储儲栗燕楚鄢劳勞奚皮粟冼蔺藺楼樓闻聞厉厲伊区區郜阚闞权權强強屠朴盖蓋练練廉禹井祖漆巴"
)


def _chinese_name(value: str) -> str | None:
    return _han_name(value) if value[:1] in CHINESE_SURNAMES and len(value) <= 3 else None


# Nepali names end in a family name; these are the common ones.
_NEPALI_SURNAMES_TEXT = (
    "थापा गुरुङ श्रेष्ठ तामाङ राई शर्मा अधिकारी मगर लिम्बू शाही बस्नेत कार्की खड्का पौडेल भट्टराई पाण्डे जोशी यादव महर्जन "
    "केसी बिष्ट भण्डारी पोखरेल घिमिरे न्यौपाने खनाल ढकाल दाहाल कोइराला सुवेदी आचार्य रेग्मी बराल लामा शेर्पा क्षेत्री "
    "चौधरी ठाकुर साह सिंह गिरी पुरी रावल बोहरा ओली दुलाल सापकोटा तिवारी उप्रेती मल्ल प्रधान कुँवर राणा गौतम पन्त "
    "सिग्देल अर्याल कडेल लुइटेल काफ्ले ज्ञवाली भुसाल रिजाल बुढाथोकी कुमाल नेवार"
)
NEPALI_SURNAMES = frozenset(_NEPALI_SURNAMES_TEXT.split())


def _nepali_name(value: str) -> str | None:
    words = value.split()
    return NAME if len(words) >= 2 and words[-1] in NEPALI_SURNAMES else None


RULES: list[Rule] = [
    Rule(EMAIL, _rx(r"[A-Za-z0-9._%+\-]+\s?@\s?[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")),
    Rule(
        EMAIL,
        _rx(
            r"[A-Za-z0-9._%+\-]+\s?[(\[]\s?at\s?[)\]]\s?[A-Za-z0-9\-]+(?:\s?(?:\.|[(\[]\s?dot\s?[)\]])\s?[A-Za-z0-9\-]+)+"
        ),
    ),
    # Payment cards: 16 digits, in fours or not.
    Rule(CARD, _rx(f"{NLEFT}{D}{{4}}{SEP}?{D}{{4}}{SEP}?{D}{{4}}{SEP}?{D}{{4}}{NRIGHT}")),
    # Residence cards (在留カード): two letters, eight digits, two letters.
    Rule(
        RESIDENCE_CARD,
        _rx(r"(?<![A-Za-z0-9])[A-Za-z]{2}[ -]?\d{4}[ -]?\d{4}[ -]?[A-Za-z]{2}(?![A-Za-z0-9])"),
    ),
    # My Number (individual number): 12 digits, often written 4-4-4; labelled by its check digit.
    Rule(
        MY_NUMBER,
        _rx(f"{NLEFT}{D}{{4}}{SEP}?{D}{{4}}{SEP}?{D}{{4}}{NRIGHT}"),
        classify=_my_number_or_number,
    ),
    # Identifiers after their keywords: passports, health-insurance symbol and number, bank accounts.
    Rule(PASSPORT, _rx(rf"(?:{_PASSPORT_WORDS}){_NOT_SENTENCE_END}{{0,25}}?(?P<v>{_ID_VALUE})", regex.IGNORECASE)),
    Rule(PASSPORT, _rx(r"(?<![A-Za-z0-9])[A-Z]{1,2}\d{7,8}(?![A-Za-z0-9])")),
    Rule(
        INSURANCE,
        _rx(
            rf"(?:{_INSURANCE_MARK})\s?[:：]?\s?(?P<v>[\p{{Hiragana}}\p{{Katakana}}A-Za-z]{{0,2}}\d[\d-]{{0,9}})"
            rf"(?:[、,，\s]{{0,3}}(?:{_NUMBER_WORDS})\s?[:：]?\s?(?P<v2>\d[\d-]{{0,9}}))?",
            regex.IGNORECASE,
        ),
    ),
    Rule(
        INSURANCE,
        _rx(r"(?:被?保険者(?:証)?番号|保险号码|保険証番号)\s?(?:は|[:：])?\s?(?P<v>\d[\d-]{3,12})"),
    ),
    Rule(
        ACCOUNT,
        _rx(
            rf"(?:{_ACCOUNT_WORDS}){_NOT_SENTENCE_END}{{0,25}}?(?P<v>\d{{5}}-\d{{6,8}}|\d{{6,8}})(?!\d)",
            regex.IGNORECASE,
        ),
    ),
    # Japanese phone numbers: 0 or +81, 10-11 digits in all, with or without separators/brackets.
    Rule(
        PHONE,
        _rx(
            f"{LEFT}(?:(?:\\+|＋)(?:81|８１){SEP}?\\(?(?:0|０)?\\)?|\\(?(?:0|０))"
            f"{D}{{1,4}}\\)?{SEP}?\\(?{D}{{1,4}}\\)?{SEP}?{D}{{3,4}}{RIGHT}"
        ),
    ),
    Rule(PHONE, _rx(r"(?<![\d.])0\d{2,4}[.]\d{2,4}[.]\d{3,4}(?![\d.])")),
    # Plain runs of 10-11 digits starting with 0 (phone numbers typed without separators).
    Rule(PHONE, _rx(f"{NLEFT}(?:0|０){D}{{9,10}}{NRIGHT}")),
]

POSTCODE_RULES: list[Rule] = [
    Rule(POSTCODE, _rx(f"(?:〒\\s?)?{LEFT}{D}{{3}}{SEP}{D}{{4}}{RIGHT}|〒\\s?{D}{{7}}{RIGHT}")),
    Rule(
        POSTCODE,
        _rx(
            r"(?:郵便番号|邮编|邮政编码|우편번호|postal code|post code|zip(?: code)?|mã bưu điện|código postal|CEP)"
            rf"{_NOT_SENTENCE_END}{{0,12}}?(?P<v>(?<!\d)\d{{3}}-?\d{{4}}(?!\d))",
            regex.IGNORECASE,
        ),
    ),
]

ADDRESS_RULES: list[Rule] = [
    # 東京都みほん市本町1丁目2番3号 / 本町一丁目2番地 / 2丁目5-10 / 大門町二丁目十番地の五 / 字東15番地.
    Rule(
        ADDRESS,
        _rx(
            f"{_ADDRESS_HEAD}{PLACE}{{0,10}}{_BLOCK}丁目(?:{SEP}?(?:{_NUM}|{_KNUM})(?:番地?|{SEP})?(?:の?{SEP}?(?:{_NUM}|{_KNUM})号?)?)?"
            f"|{_ADDRESS_HEAD}{PLACE}{{0,10}}(?:{_NUM}|{_KNUM})番地(?:の?{SEP}?(?:{_NUM}|{_KNUM})号?)?"
            f"|{_ADDRESS_HEAD}{PLACE}{{0,10}}{_NUM}番{SEP}?{_NUM}号"
        ),
    ),
    # 東京都みほん市中央1-2-3(-405) / 1-2-3 Honcho, Midori-shi: three or four number blocks (not a date).
    Rule(
        ADDRESS,
        _rx(
            f"(?:{_ROMAJI_PLACE},?\\s){{0,3}}{_ADDRESS_HEAD}{PLACE}{{0,10}}(?<![0-9０-９\\-:/.])(?!{_DATE})"
            f"{_NUM}(?:{_HYPHEN}{_NUM}){{2,3}}(?![0-9０-９:])"
            f"(?:,?\\s?{_ROMAJI_PLACE}(?:\\s(?:City|Ward|Town))?){{0,3}}"
        ),
    ),
]

# Names: only the named groups are masked.
NAME_RULES: list[Rule] = [
    Rule(
        NAME,
        _rx(
            f"(?:{_I_JA})(?:の名前)?は[ 　]?(?P<v>{_NAME_JA})(?=[ 　]?(?:です|でございます|と申|とい|と言))"
            f"|(?:名前|氏名|お名前|なまえ)(?:は|[:：]|[ 　])[ 　]?(?P<v2>{_NAME_JA}){_NAME_END}"
        ),
        classify=_name,
    ),
    Rule(
        NAME,
        _rx(f"(?:{_I_JA})(?:の名前)?は[ 　]?(?P<v>{_NAME_JA}){_NAME_END}"),
        classify=_plausible_ja_name,
    ),
    # In easy Japanese, written in hiragana with spaces: わたしの なまえは すずき はなこ です.
    Rule(
        NAME,
        _rx(
            f"(?:なまえ|名前|{_I_JA})(?:の[ 　]?なまえ)?は[ 　]?(?P<v>{_HIRA_NAME})(?=[ 　]?(?:です|と))"
            f"|(?P<v2>{_HIRA_NAME})(?=[ 　]?と[ 　]?(?:いいます|もうします|申します))"
        ),
        classify=_name,
    ),
    Rule(NAME, _rx(f"(?P<v>{_NAME_JA})(?=と申します|といいます|と言います|と申す|と申しますが)"), classify=_name),
    # Opening a message (or after a greeting): ラム・バハドゥル・タパです。/ 木村です、
    Rule(
        NAME,
        _rx(
            f"(?:^|[。！!？?\n]|(?:こんにちは|こんばんは|はじめまして|お世話になっております)[、,。！!]?)[ 　]*"
            f"(?P<v>{_NAME_JA})(?=[ 　]?です(?:[。、,！!\\s]|$))"
        ),
        classify=_introduced_name,
    ),
    Rule(NAME, _rx(f"(?P<v>{_NAME_JA}){_HONORIFIC}"), classify=_name),
    # A name with its reading in brackets: 岡本智子（Okamoto Tomoko）と申します / リー・ウェイ（李伟）です.
    Rule(
        NAME,
        _rx(
            f"(?P<v>{_NAME_JA_ANY})[（(](?P<v2>[^）)]{{2,30}})[）)](?=と申します|といいます|です|と言います|と申す|、|,)"
        ),
        classify=_name,
    ),
    # After a relative or a form label: 母の中村和子 / 夫・伊藤健二 / 申請者：山口 誠 / 口座名義 ヤマダ タロウ.
    Rule(
        NAME,
        _rx(f"(?:{_RELATIVES_JA})(?:の|・|、|[ 　]|（|\\()[ 　]?(?P<v>{_NAME_JA_ANY}){_NAME_STOP}"),
        classify=_plausible_ja_name,
    ),
    Rule(
        NAME,
        _rx(f"(?:{_LABELS_JA})[ 　]?(?:は|[:：])?[ 　]?(?P<v>{_NAME_JA_ANY}){_NAME_STOP}"),
        classify=_plausible_ja_name,
    ),
    # Before a relation: 村上の家内です / 遠藤真理子の代理で / チャン・ティ・フオンの夫です.
    Rule(
        NAME,
        _rx(f"(?P<v>{_NAME_JA_ANY})の(?=家内|夫|妻|主人|代理|母|父|息子|娘|子|嫁|孫|兄|姉|弟|妹)"),
        classify=_plausible_ja_name,
    ),
    # A full name in quotes near a name field: 氏名欄に「原田 恵」と書きました.
    Rule(NAME, _rx(f"(?:氏名|名前|旧姓|名義|署名)[^「」\\n]{{0,10}}「(?P<v>{_NAME_JA_ANY})」"), classify=_name),
    Rule(NAME, _rx(f"「(?P<v>{KANJI}{{1,3}}[ 　]{KANJI}{{1,3}})」"), classify=_plausible_ja_name),
    # Katakana names joined by ・ (グエン・ヴァン・アン), or spaced before です / と申します (キム ジウです).
    Rule(NAME, _rx(f"(?P<v>{KATAKANA}{{2,}}(?:[・=＝]{KATAKANA}{{1,}}){{1,4}})"), classify=_katakana_name),
    Rule(
        NAME,
        _rx(f"(?P<v>{KATAKANA}{{2,}}(?:[ 　]{KATAKANA}{{2,}}){{1,3}})(?=[ 　]?(?:です|と申|とい|と言|さん|様|、|の))"),
        classify=_name,
    ),
    # Romanised: my name is / I'm / this is / Mr. / my wife… / watashi wa / … desu (several languages).
    Rule(
        NAME,
        _rx(
            rf"(?i:my name is|name is|(?:my )?name\s?:|applicant\s?:|this is|i am|i'm|call me)\s+(?P<v>{_LATIN_NAME})"
            rf"|(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+(?P<v2>{_LATIN_NAME1})"
            rf"|(?i:(?:my\s+)?(?:{_RELATIVES_EN}))(?:,)?\s+(?P<v3>{_LATIN_NAME})"
            rf"|(?i:watashi wa|boku wa)\s+(?P<v4>{_LATIN_NAME})"
            rf"|(?P<v5>{_LATIN_NAME})\s+(?i:desu\b|to (?:moushimasu|mōshimasu|iimasu))"
        ),
        classify=_latin_name,
    ),
    Rule(
        NAME,
        _rx(
            rf"(?i:tôi là|tên là|tên tôi là|tên chủ tài khoản\s?:|tên\s?:"
            rf"|con trai tôi là|con gái tôi là|vợ tôi là|chồng tôi là"
            rf"|meu nome é|me chamo|se chama|sou(?: a| o)?|meu marido|minha esposa|minha mulher|meu filho|minha filha"
            rf"|nome\s?:|(?:ako|ay|po) si|nombre\s?:|me llamo|mi nombre es)\s+(?P<v>{_LATIN_NAME1})"
        ),
        classify=_latin_name,
    ),
    # Chinese: 我叫王小明 / 我儿子叫张浩然 (叫: is called) / 我是李娜 (a surname must start it).
    Rule(
        NAME,
        _rx(r"(?:我叫|名叫|叫做|叫|我的名字是|姓名[:：]?)\s?(?P<v>\p{Han}{2,3})(?=[，,。.！!、]|$)"),
        classify=_han_name,
    ),
    Rule(NAME, _rx(r"(?:我是|我姓)\s?(?P<v>\p{Han}{2,3})(?=[，,。.！!、]|$)"), classify=_chinese_name),
    # Korean: 제 이름은 김민준입니다 / 박서연이라고 합니다 / 남편 이준호의 / 저는 정하은이고.
    Rule(
        NAME,
        _rx(
            r"(?:이름은|저는|남편|아내|아들|딸|어머니|아버지|엄마|아빠)\s?(?P<v>\p{Hangul}{2,4}?)"
            r"(?=입니다|이에요|예요|이라고|라고|이고|의|[,，.]|\s|$)"
            r"|(?P<v2>\p{Hangul}{2,4}?)(?=이라고 합니다|라고 합니다|입니다\.?\s*$)"
        ),
        classify=_han_name,
    ),
    # Nepali: मेरो नाम राम बहादुर थापा हो (my name is) / म सीता गुरुङ हुँ / मेरी श्रीमती कमला श्रेष्ठ (a family name ends it).
    Rule(NAME, _rx(r"मेरो नाम\s+(?P<v>\p{Devanagari}+(?:\s\p{Devanagari}+){0,3}?)\s?(?=हो|[,।])")),
    Rule(
        NAME,
        _rx(
            r"(?:(?<!\p{Devanagari})म|श्रीमती|श्रीमान्?|छोरा|छोरी|बुबा|आमा)\s+(?P<v>\p{Devanagari}+(?:\s\p{Devanagari}+){1,2}?)"
            r"(?=\s?(?:हो|हुँ|[,।])|\s)"
        ),
        classify=_nepali_name,
    ),
]

# A signature: the message's last line (or what follows its last sentence) is a name alone.
_SIGNATURE = _rx(
    r"(?:\n|[—–―]|(?:^|\s)-)[ \t　]*(?:[—–\-―]+[ \t　]*|[（(])?"
    rf"(?P<v>{_LATIN_NAME}|\p{{Han}}{{2,4}}(?:[ 　]\p{{Han}}{{1,3}})?|\p{{Hangul}}{{2,4}}"
    rf"|{KATAKANA}{{2,}}(?:[ 　・]{KATAKANA}{{2,}}){{0,3}})"
    r"[ \t　]*(?:[）)]|드림|올림|拝|より)?[ \t　]*[。.]?\s*$"
)

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


# --- the text as matched: full-width folded, mapped back to the original -----------------------------------


def _folded(text: str) -> tuple[str, list[int]]:
    """``text`` NFKC-folded character by character, and for each folded character its original index.

    The long vowel mark between digits (０９０ー１２３４) becomes a hyphen, so numbers read as typed.
    """
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        folded = unicodedata.normalize("NFKC", ch) if not ch.isascii() else ch
        for piece in folded:
            out.append(piece)
            origin.append(i)
    for k, ch in enumerate(out):
        if ch == "ー" and 0 < k < len(out) - 1 and out[k - 1].isdigit() and out[k + 1].isdigit():
            out[k] = "-"
    return "".join(out), origin


class _Work:
    """The folded text being searched, with what was found so far blanked out."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.work, self.origin = _folded(text)
        self.found: list[Found] = []

    def take(self, start: int, end: int, token: str) -> bool:
        """Record a finding at folded [start, end); False if it overlaps one already made."""
        if end <= start or _SENTINEL in self.work[start:end]:
            return False
        while end > start and self.work[end - 1].isspace():
            end -= 1
        while start < end and self.work[start].isspace():
            start += 1
        if end <= start:
            return False
        o_start, o_end = self.origin[start], self.origin[end - 1] + 1
        self.found.append(Found(o_start, o_end, token, self.text[o_start:o_end]))
        self.work = self.work[:start] + _SENTINEL * (end - start) + self.work[end:]
        return True


def _apply(work: _Work, rule: Rule) -> None:
    for match in list(rule.pattern.finditer(work.work)):
        groups = [g for g in ("v", "v2", "v3", "v4", "v5") if g in rule.pattern.groupindex and match.group(g)]
        spans = [match.span(g) for g in groups] if rule.pattern.groupindex else [match.span()]
        for start, end in spans:
            value = work.work[start:end]
            token = rule.kind_of(value)
            if token is not None:
                work.take(start, end, token)


def _phonenumbers(work: _Work) -> None:
    """Numbers Google's phonenumbers library finds valid (Japanese, or international with +country)."""
    if sum(ch.isdigit() for ch in work.work) < 9:
        return
    for match in phonenumbers.PhoneNumberMatcher(work.work, "JP", leniency=phonenumbers.Leniency.VALID):
        work.take(match.start, match.end, PHONE)


def _birth_dates(work: _Work) -> None:
    for match in list(_DATE_RX.finditer(work.work)):
        before = work.work[max(0, match.start() - 32) : match.start()]
        after = work.work[match.end() : match.end() + 6]
        if _BIRTH_BEFORE.search(before) or _BIRTH_AFTER.search(after):
            work.take(match.start(), match.end(), BIRTHDATE)


_LONG_NUMBER = _rx(
    r"(?<![\d.,¥￥$A-Za-z])\d{7,}(?![\d.,A-Za-z]|\s?(?:円|yen|ien|엔|元|yên|येन|人|名|件|万|億|km|m\b|kg|g\b|%))",
    regex.IGNORECASE,
)


def _long_numbers(work: _Work) -> None:
    """Seven digits or more that are not an amount: an account, insurance or other personal number."""
    for match in list(_LONG_NUMBER.finditer(work.work)):
        work.take(match.start(), match.end(), NUMBER)


# --- Japanese names from Sudachi's dictionary -------------------------------------------------------------

_local = threading.local()
_dictionary_lock = threading.Lock()
_dictionary: Any = None
_KANA = regex.compile(r"[\p{Hiragana}\p{Katakana}]")
_JAPANESE_SCRIPT = regex.compile(r"^[\p{Han}\p{Hiragana}\p{Katakana}ー々]+$")
_SURNAME_BEFORE = regex.compile(
    r"(?:担当|担任|主治医|民生委員|担当者|先生|ケアマネ|ヘルパー|私|わたし|在住|近所|隣)(?:の|、|は)[ 　]?$"
    r"|[（(「][ 　]?$|^[ 　]*$"
)
_SURNAME_AFTER = regex.compile(
    r"^[ 　]?(?:さん|様|さま|先生|君|くん|ちゃん|氏|殿|です|でございます|と申|といい|と言い"
    r"|の(?:家内|夫|妻|主人|代理|母|父|息子|娘|子|嫁)"
    r"|[）)」]|[ 　]*[。.!！]?[ 　]*$)"
)
_GIVEN_SUFFIX_STOP = frozenset("様氏殿君達等方先生家内夫妻")


def _sudachi_tokens(text: str) -> list[tuple[str, tuple[str, ...], int, int, bool]]:
    """(surface, (pos1, pos2, pos3), start, end, unknown) of each morpheme; Sudachi's core dictionary, loaded once."""
    global _dictionary
    tokenizer = getattr(_local, "tokenizer", None)
    if tokenizer is None:
        with _dictionary_lock:
            if _dictionary is None:
                from sudachipy import Dictionary  # noqa: PLC0415 (heavy: loaded on first use, not at start-up)

                _dictionary = Dictionary(dict="core")
        tokenizer = _local.tokenizer = _dictionary.tokenizer()
    from sudachipy import SplitMode  # noqa: PLC0415 (as above)

    return [
        (m.surface(), tuple(m.part_of_speech()[1:4]), m.begin(), m.end(), m.is_oov())
        for m in tokenizer.tokenize(text[:4000], SplitMode.C)
    ]


def _sudachi_names(work: _Work) -> None:
    """Japanese text only (it has kana): Chinese read by a Japanese dictionary finds names everywhere."""
    if not _KANA.search(work.work):
        return
    tokens = _sudachi_tokens(work.work)
    text = work.work
    i = 0
    while i < len(tokens):
        surface, pos, start, end, _oov = tokens[i]
        is_person = pos[1] == "人名" and pos[2] in ("姓", "名") and _JAPANESE_SCRIPT.match(surface)
        if not is_person:
            i += 1
            continue
        first_kind = pos[2]
        j = i + 1
        # A surname followed (after a space or not) by a given name: a full name.
        if j < len(tokens) and tokens[j][0] in (" ", "　"):
            j += 1
        full = (
            first_kind == "姓"
            and j < len(tokens)
            and tokens[j][1][1] == "人名"
            and tokens[j][1][2] == "名"
            and _JAPANESE_SCRIPT.match(tokens[j][0])
        )
        if full:
            end = tokens[j][3]
            # 悠 + 人: a given name the dictionary splits; hiragana or katakana given names (内田ひなた).
            while end < len(text) and end - tokens[j][2] < 3 and regex.match(r"\p{Han}", text[end]):
                if text[end] in _GIVEN_SUFFIX_STOP:
                    break
                end += 1
            work.take(start, end, NAME)
            i = j + 1
            continue
        if first_kind == "姓":
            rest = regex.match(r"[\p{Hiragana}\p{Katakana}]{2,4}(?=[、,，。（(）)\s]|です|が|は|を|$)", text[end:])
            if rest and not regex.match(
                r"(?:さん|さま|くん|ちゃん|です|でした|から|まで|など|たち|ども|にて|さま)", rest.group(0)
            ):
                work.take(start, end + rest.end(), NAME)
                i += 1
                continue
            before = text[max(0, start - 8) : start]
            after = text[end : end + 8]
            if _SURNAME_AFTER.match(after) or (
                _SURNAME_BEFORE.search(before)
                and after[:1] in ("", "、", ",", " ", "。", "と", "に", "）", ")", "が", "は")
            ):
                work.take(start, end, NAME)
        elif first_kind == "名" and i > 0:
            prev = tokens[i - 1] if tokens[i - 1][0].strip() else (tokens[i - 2] if i > 1 else None)
            if prev and prev[1][0] == "固有名詞" and regex.fullmatch(r"\p{Han}{1,3}", prev[0]):
                work.take(prev[2], end, NAME)  # 千葉 舞: a surname the dictionary reads as a place
        i += 1


def _signature(work: _Work) -> None:
    """A name alone on the last line: Latin words, a Chinese name, a Korean name, a katakana name.

    (A Japanese surname at the end is Sudachi's: ``_sudachi_names``.)
    """
    match = _SIGNATURE.search(work.work)
    if match is None or match.start("v") == 0:
        return
    value = match.group("v").strip()
    if not value or value in NOT_NAMES:
        return
    if regex.match(r"\p{Latin}", value):
        ok = _latin_name(value) is not None
    elif regex.fullmatch(r"[\p{Han} 　]+", value):
        ok = _chinese_name(value.replace(" ", "").replace("　", "")) is not None or (
            _KANA.search(work.work) is not None and _plausible_ja_name(value) is not None
        )
    elif regex.match(r"\p{Hangul}", value):
        ok = _han_name(value) is not None
    else:
        ok = _katakana_name(value) is not None
    if ok:
        work.take(match.start("v"), match.start("v") + len(match.group("v").rstrip()), NAME)


def find(text: str, rules: Iterable[Rule] | None = None) -> list[Found]:
    """Personal data in ``text``, in order; earlier findings win where matches overlap.

    With ``rules`` only those patterns are used (no dictionary, no phone library).
    """
    if not text:
        return []
    work = _Work(text)
    if rules is not None:
        for rule in rules:
            _apply(work, rule)
        return sorted(work.found, key=lambda f: f.start)
    for rule in RULES:
        _apply(work, rule)
    _phonenumbers(work)
    for rule in POSTCODE_RULES:
        _apply(work, rule)
    _birth_dates(work)
    for rule in ADDRESS_RULES:
        _apply(work, rule)
    _long_numbers(work)
    for rule in NAME_RULES:
        _apply(work, rule)
    _sudachi_names(work)
    _signature(work)
    return sorted(work.found, key=lambda f: f.start)


def mask(text: str) -> str:
    """The text with personal data replaced by placeholder tokens (not reversible).

    The one function to call wherever resident text is shown or logged outside the conversation.
    """
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


PLACEHOLDER = re.compile(
    r"\[(EMAIL|CARD|MY_NUMBER|NUMBER|PHONE|POSTCODE|ADDRESS|NAME|BIRTHDATE|RESIDENCE_CARD|PASSPORT|INSURANCE|ACCOUNT)"
    r"(?:_(\d{1,3}))?\]"
)


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
