"""A multilingual glossary of municipal terms: the words residents use -> the Japanese term.

    expand_to_japanese("How do I get a residence certificate?", "en")  ->  ["住民票"]

The glossary ships as ``glossary_data/*.jsonl``, one Japanese administrative term per line with
the everyday words for it in every supported language and in romanised Japanese::

    {"ja": "住民票", "terms": {"en": ["residence certificate", ...], "vi": [...], "romaji": ["juminhyo"]}}

An optional ``"also"`` list adds related Japanese terms to the expansion. Editors extend it in
the admin (``GlossaryTerm``: shared rows, or rows for one municipality); those rows are merged
in and the matcher is rebuilt when they change.

The other direction, a Japanese term's name for a resident (``name_in("市民課", "en")`` ->
"Citizens Division"), is the first term of its language in the shipped glossary; for a Japanese
term the files lack (a city's own office), the first of the editors' terms, the municipality's
own rows before the shared ones.

Matching is case- and diacritics-insensitive. Latin-script and Devanagari text is matched word
by word (whole words, plural "-s" folded, Nepali postpositions allowed after the last word);
Chinese, Korean, Thai and Burmese by substring, ignoring spaces. Romanised Japanese also
matches with long vowels written any way (jūminhyō, juuminhyou, juminhyo) and with or without
spaces (sodai gomi, sodaigomi). The longest match wins ("bulky garbage" before "garbage").
"""

from __future__ import annotations

import json
import re
import threading
import time
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.db import DatabaseError
from django.db.models import Count, F, Max, Q
from django.db.models.signals import post_delete, post_save

from .models import GlossaryTerm
from .registry import normalise_code, reads_japanese

DATA_DIR = Path(__file__).resolve().parent / "glossary_data"
LANGUAGES = ("en", "zh-hans", "zh-hant", "ko", "vi", "pt", "es", "tl", "ne", "id", "th", "my", "fr")
ROMAJI = "romaji"
REFRESH_SECONDS = 10.0  # at most this often, check whether editors changed the glossary
SHORT = 4  # Latin terms this short match only in their own language (vi "rác" is not English)

SUBSTRING_SCRIPTS = re.compile(
    r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af\u1100-\u11ff\u3130-\u318f\u0e00-\u0e7f\u1000-\u109f]"
)
DEVANAGARI = re.compile(r"[\u0900-\u097f]")
# Words: Latin letters (with their diacritics) and digits, or Devanagari.
WORDS = re.compile(
    r"[0-9a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff\u0300-\u036f]+|[\u0900-\u0963\u0966-\u097f]+"
)
SPACES = re.compile(r"[\s\u200b-\u200d\u2060\ufeff]+")
LATIN_EXTRA = str.maketrans({"đ": "d", "ð": "d", "ø": "o", "ł": "l", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i"})
NEPALI_SUFFIXES = {
    "को",
    "का",
    "की",
    "मा",
    "लाई",
    "ले",
    "बाट",
    "देखि",
    "सम्म",
    "हरू",
    "हरु",
    "मै",
    "तिर",
    "संग",
    "सँग",
    "पनि",
    "नै",
}


@dataclass(frozen=True)
class Entry:
    ja: str
    terms: dict[str, tuple[str, ...]]
    also: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    ja: tuple[str, ...]  # the Japanese term(s) this match expands to
    term: str  # the matched words as found (folded)
    start: int  # position, for ordering


# --- folding ---------------------------------------------------------------------------------------


def _is_latin(ch: str) -> bool:
    o = ord(ch)
    return o < 0x250 or 0x1E00 <= o <= 0x1EFF


def fold(text: str) -> str:
    """Lower case, full-width to half-width, diacritics dropped from Latin letters only.

    Thai, Devanagari and Burmese vowel signs are combining marks too; they are kept.
    """
    text = unicodedata.normalize("NFKC", text).lower()
    out = []
    for ch in text:
        if _is_latin(ch):
            for part in unicodedata.normalize("NFKD", ch):
                if not unicodedata.combining(part):
                    out.append(part)
        else:
            out.append(ch)
    return "".join(out).translate(LATIN_EXTRA).replace("\u200c", "").replace("\u200d", "")


def _raw(text: str) -> str:
    """Lower case and full-width folded, diacritics kept (Vietnamese "thuế" is not "thuê")."""
    text = unicodedata.normalize("NFKC", text).lower().replace("\u200c", "").replace("\u200d", "")
    return unicodedata.normalize("NFC", text)


def _words(text: str) -> list[tuple[str, str, int]]:
    """(raw, folded, position) for each Latin or Devanagari word of ``text``."""
    return [(m.group(0), fold(m.group(0)), m.start()) for m in WORDS.finditer(_raw(text))]


def _stem(token: str) -> str:
    """Fold English/Romance plurals so "certificates" meets "certificate" (applied to both sides)."""
    if not token.isascii() or token.isdigit():
        return token
    if len(token) > 4 and token.endswith("es") and (token[-3] in "sxz" or token.endswith(("ches", "shes"))):
        return token[:-2]
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


_ROMAJI_RULES = [
    ("jy", "j"),
    ("ou", "o"),
    ("oo", "o"),
    ("uu", "u"),
    ("aa", "a"),
    ("ii", "i"),
    ("mb", "nb"),
    ("mp", "np"),
]


def _romaji(token: str) -> str:
    """Long vowels and spelling variants folded: juuminhyou, jyuminhyo, jūminhyō -> juminhyo."""
    for old, new in _ROMAJI_RULES:
        token = token.replace(old, new)
    return token.replace("-", "")


# --- the matcher -------------------------------------------------------------------------------------


@dataclass
class Matcher:
    """Longest-match-first lookup of glossary terms in a text."""

    words: dict[tuple[str, ...], dict[str, set[str | None]]] = field(default_factory=lambda: defaultdict(dict))
    vi_exact: dict[tuple[str, ...], dict[str, set[str | None]]] = field(default_factory=lambda: defaultdict(dict))
    vi_folded: dict[tuple[str, ...], dict[str, set[str | None]]] = field(default_factory=lambda: defaultdict(dict))
    romaji: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    nepali: dict[tuple[str, ...], dict[str, set[str]]] = field(default_factory=lambda: defaultdict(dict))
    substrings: dict[str, dict[str, set[str]]] = field(default_factory=lambda: defaultdict(dict))
    also: dict[str, tuple[str, ...]] = field(default_factory=dict)
    max_words: int = 1

    def add(self, language: str, term: str, ja: str) -> None:
        folded = fold(term).strip()
        if not folded or not ja:
            return
        if SUBSTRING_SCRIPTS.search(folded):
            key = SPACES.sub("", folded)
            if len(key) >= 2:
                self.substrings[key[0]].setdefault(key, set()).add(ja)
            return
        words = _words(term)
        if not words:
            return
        tokens = [f for _, f, _ in words]
        self.max_words = max(self.max_words, len(tokens))
        if language == ROMAJI:
            self.romaji["".join(_romaji(t) for t in tokens)].add(ja)
            return
        bound = language if len("".join(tokens)) <= SHORT else None
        if language == "vi":
            # Vietnamese without its tone marks is other words (thuế tax, thuê rent): a text written
            # with diacritics must match them; one typed without any matches the folded form.
            self.vi_exact[tuple(r for r, _, _ in words)].setdefault(ja, set()).add(bound)
            if len(words) > 1:
                self.vi_folded[tuple(tokens)].setdefault(ja, set()).add(bound)
            return
        if DEVANAGARI.search(folded):
            self.nepali[tuple(tokens[:-1])].setdefault(tokens[-1], set()).add(ja)
        key = tuple(_stem(t) for t in tokens)
        self.words[key].setdefault(ja, set()).add(bound)

    def find(self, text: str, language: str = "", *, substrings: bool = True) -> list[Match]:
        return Glossary((self,), self.also).find(text, language, substrings=substrings)

    def word_candidates(self, text: Prepared, language: str) -> list[Candidate]:
        """Every window of words that is a term here: (first word, word count, Japanese terms)."""

        def allowed(table: dict[str, set[str | None]]) -> set[str]:
            return {ja for ja, bounds in table.items() if None in bounds or not language or language in bounds}

        out: list[Candidate] = []
        count = len(text.tokens)
        for i in range(count):
            for n in range(1, min(self.max_words, count - i) + 1):
                stems = text.stems[i : i + n]
                hits = allowed(self.words[stems]) if stems in self.words else set()
                raw = text.raw[i : i + n]
                if raw in self.vi_exact:
                    hits |= allowed(self.vi_exact[raw])
                if n > 1 and text.tokens[i : i + n] in self.vi_folded and all(r.isascii() for r in raw):
                    hits |= allowed(self.vi_folded[text.tokens[i : i + n]])
                hits |= self.romaji.get("".join(text.romaji[i : i + n]), set())
                if self.nepali and text.devanagari[i + n - 1]:
                    hits |= self._nepali(text.tokens[i : i + n])
                if hits:
                    out.append((i, n, hits))
        return out

    def _nepali(self, tokens: tuple[str, ...]) -> set[str]:
        """The last Nepali word may carry postpositions: नागरिकताको, कार्यालयमा."""
        last = tokens[-1]
        hits: set[str] = set()
        for stem, jas in self.nepali.get(tokens[:-1], {}).items():
            if last.startswith(stem) and _is_suffix(last[len(stem) :]):
                hits |= jas
        return hits

    def substring_candidates(self, compact: str) -> list[Candidate]:
        out: list[Candidate] = []
        for i, ch in enumerate(compact):
            for key, jas in self.substrings.get(ch, {}).items():
                if compact.startswith(key, i):
                    out.append((i, len(key), jas))
        return out


Candidate = tuple[int, int, set[str]]


@dataclass(frozen=True)
class Prepared:
    """A text's words, in every form the tables are keyed by."""

    words: tuple[tuple[str, str, int], ...]
    raw: tuple[str, ...]
    tokens: tuple[str, ...]
    stems: tuple[str, ...]
    romaji: tuple[str, ...]
    devanagari: tuple[bool, ...]

    @classmethod
    def of(cls, text: str) -> Prepared:
        words = tuple(_words(text))
        tokens = tuple(f for _, f, _ in words)
        return cls(
            words,
            tuple(r for r, _, _ in words),
            tokens,
            tuple(_stem(t) for t in tokens),
            tuple(_romaji(t) for t in tokens),
            tuple(bool(DEVANAGARI.search(t)) for t in tokens),
        )


@dataclass(frozen=True)
class Glossary:
    """The shipped glossary plus the editors' terms, matched together (longest match first)."""

    parts: tuple[Matcher, ...]
    also: dict[str, tuple[str, ...]]
    names: dict[str, dict[str, str]] = field(default_factory=dict)  # language -> Japanese term -> name

    def find(self, text: str, language: str = "", *, substrings: bool = True) -> list[Match]:
        prepared = Prepared.of(text)
        words = _merge(c for part in self.parts for c in part.word_candidates(prepared, language))

        def size(c: Candidate) -> int:
            return sum(len(t) for t in prepared.tokens[c[0] : c[0] + c[1]])

        found = [
            Match(tuple(sorted(jas)), " ".join(prepared.raw[i : i + n]), prepared.words[i][2])
            for i, n, jas in _longest_first(words, size)
        ]
        if substrings:
            compact = SPACES.sub("", fold(text))
            spans = _merge(c for part in self.parts for c in part.substring_candidates(compact))
            found += [
                Match(tuple(sorted(jas)), compact[i : i + n], i) for i, n, jas in _longest_first(spans, lambda c: c[1])
            ]
        return found


def _merge(candidates: Iterable[Candidate]) -> list[Candidate]:
    """One candidate per span, with the Japanese terms of every table that matched it."""
    spans: dict[tuple[int, int], set[str]] = {}
    for i, n, jas in candidates:
        spans.setdefault((i, n), set()).update(jas)
    return [(i, n, jas) for (i, n), jas in spans.items()]


def _longest_first(candidates: list[Candidate], size) -> list[Candidate]:
    """Non-overlapping spans, the longest taken first ("bulky garbage" before "garbage"), in text order."""
    taken: list[Candidate] = []
    covered: set[int] = set()
    for cand in sorted(candidates, key=lambda c: (-size(c), c[0])):
        span = set(range(cand[0], cand[0] + cand[1]))
        if not span & covered:
            taken.append(cand)
            covered |= span
    return sorted(taken, key=lambda c: c[0])


def _is_suffix(rest: str) -> bool:
    if not rest:
        return True
    if rest in NEPALI_SUFFIXES:
        return True
    return any(rest.startswith(a) and rest[len(a) :] in NEPALI_SUFFIXES for a in NEPALI_SUFFIXES)


# --- data: shipped files + editors' rows ------------------------------------------------------------


@lru_cache(maxsize=1)
def entries() -> tuple[Entry, ...]:
    """The shipped glossary, in file order."""
    out: list[Entry] = []
    for path in sorted(DATA_DIR.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path.name}:{number}: {exc}") from exc
            terms = {lang: tuple(v for v in values if v) for lang, values in raw["terms"].items()}
            out.append(Entry(raw["ja"], terms, tuple(raw.get("also", ()))))
    return tuple(out)


def _pairs_from_files() -> Iterable[tuple[str, str, str]]:
    for entry in entries():
        yield "ja", entry.ja, entry.ja
        for language, values in entry.terms.items():
            for value in values:
                yield language, value, entry.ja


def build_matcher(extra: Iterable[tuple[str, str, str]] = ()) -> Matcher:
    """One matcher over the shipped glossary and ``extra`` (language, term, Japanese) triples."""
    matcher = Matcher()
    for language, term, ja in _pairs_from_files():
        matcher.add(language, term, ja)
    for language, term, ja in extra:
        matcher.add(language, term, ja)
    matcher.also.update({entry.ja: entry.also for entry in entries() if entry.also})
    return matcher


@lru_cache(maxsize=1)
def _file_matcher() -> Matcher:
    return build_matcher()


@lru_cache(maxsize=1)
def _file_names() -> dict[str, dict[str, str]]:
    names: dict[str, dict[str, str]] = defaultdict(dict)
    for entry in entries():
        for language, values in entry.terms.items():
            if values:
                names[language].setdefault(entry.ja, values[0])
    return dict(names)


def _glossary(rows: list[tuple[str, str, str]]) -> Glossary:
    """``rows``: the editors' (language, term, Japanese), the preferred name of a term first."""
    base = _file_matcher()
    if not rows:
        return Glossary((base,), base.also, _file_names())
    extra = Matcher()
    names = {language: dict(by_ja) for language, by_ja in _file_names().items()}
    for language, term, ja in rows:
        extra.add(language, term, ja)
        names.setdefault(language, {}).setdefault(ja, term)
    return Glossary((base, extra), base.also, names)


_lock = threading.Lock()
_matchers: dict[int | None, tuple[object, float, Glossary]] = {}
_version = {"n": 0}


def _db_rows(municipality_id: int | None):
    scope = Q(municipality__isnull=True)
    if municipality_id is not None:
        scope |= Q(municipality_id=municipality_id)
    return GlossaryTerm.objects.filter(scope)


def _stamp(municipality_id: int | None):
    agg = _db_rows(municipality_id).aggregate(
        n=Count("id"), active=Count("id", filter=Q(is_active=True)), last=Max("updated_at")
    )
    return (_version["n"], agg["n"], agg["active"], agg["last"])


def matcher_for(municipality=None) -> Glossary:
    """The glossary with the editors' rows for this municipality (and the shared ones)."""
    key = getattr(municipality, "pk", municipality)
    now = time.monotonic()
    with _lock:
        held = _matchers.get(key)
        if held and held[0][0] == _version["n"] and now - held[1] < REFRESH_SECONDS:
            return held[2]
    try:
        stamp = _stamp(key)
        if held and held[0] == stamp:
            found = held[2]
        else:
            rows = _db_rows(key).filter(is_active=True).order_by(F("municipality").asc(nulls_last=True), "pk")
            found = _glossary(list(rows.values_list("language", "term", "japanese")))
    except DatabaseError:  # no table yet (before migrate): the shipped glossary alone
        return _glossary([])
    with _lock:
        _matchers[key] = (stamp, now, found)
    return found


def invalidate(*_args, **_kwargs) -> None:
    """Forget built matchers (called when an editor saves or deletes a term)."""
    with _lock:
        _version["n"] += 1
        _matchers.clear()


def _connect_signals() -> None:
    post_save.connect(invalidate, sender=GlossaryTerm, dispatch_uid="glossary-invalidate-save")
    post_delete.connect(invalidate, sender=GlossaryTerm, dispatch_uid="glossary-invalidate-delete")


_connect_signals()


# --- the public functions --------------------------------------------------------------------------


def find_terms(text: str, language: str = "", *, municipality=None) -> list[Match]:
    """The glossary terms in ``text``, in order of appearance (longest match first, no overlaps)."""

    lang = normalise_code(language) if language != ROMAJI else ROMAJI
    japanese_text = reads_japanese(lang)
    matches = matcher_for(municipality).find(text, lang, substrings=not japanese_text)
    return sorted(matches, key=lambda m: m.start)


def expand_to_japanese(text: str, language: str = "", *, municipality=None) -> list[str]:
    """The Japanese terms whose words (in any supported language or romaji) occur in ``text``.

    For a Japanese text only romanised Japanese and English words are looked up (a resident
    writing "my number" in Japanese); for other languages everything, so a misdetected language
    does not lose the expansion.
    """
    if not text or not text.strip():
        return []
    matcher = matcher_for(municipality)
    out: list[str] = []
    for match in find_terms(text, language, municipality=municipality):
        for ja in match.ja:
            for term in (ja, *matcher.also.get(ja, ())):
                if term not in out:
                    out.append(term)
    return out


def names_in(language: str, *, municipality=None) -> dict[str, str]:
    """Japanese term -> its name for a reader of ``language`` (empty for Japanese readers)."""
    return matcher_for(municipality).names.get(normalise_code(language), {})


def name_in(japanese: str, language: str, *, municipality=None) -> str:
    """The glossary's name for a Japanese term in ``language``, e.g. 市民課 -> "Citizens Division"; "" if none."""
    return names_in(language, municipality=municipality).get(japanese.strip(), "")
