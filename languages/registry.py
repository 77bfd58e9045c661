"""The languages Madoguchi speaks, declared once. Everything else derives from this list.

Each language has our code (Django's ``LANGUAGES`` uses it), its name for residents (in itself:
the widget selector, LINE's language buttons), its name for staff (English here, translated by
gettext: ベトナム語 in the console), its name in the language model's Japanese prompt, and whether
residents' words in it are in the glossary. Easy Japanese (``ja-easy``) is a rewrite of Japanese,
not a translation: no machine translator is asked for it and it has no glossary column.

This module imports nothing of Django's but ``gettext_noop``, so ``config.settings`` can read it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext, gettext_noop


@dataclass(frozen=True)
class Language:
    code: str
    native: str  # for residents, in the language itself
    staff: str  # for staff: an English name, shown through gettext
    model: str  # in the language model's (Japanese) prompt
    glossary: bool = True  # residents' words in this language are in the glossary
    translatable: bool = True  # machine translators produce it


LANGUAGES: tuple[Language, ...] = (
    Language("ja", "日本語", gettext_noop("Japanese"), "日本語", glossary=False),
    Language(
        "ja-easy",
        "やさしい にほんご",
        gettext_noop("Easy Japanese"),
        "やさしい日本語（短い文、簡単な言葉、難しい漢字を避ける）",
        glossary=False,
        translatable=False,
    ),
    Language("en", "English", gettext_noop("English"), "英語"),
    Language("zh-hans", "简体中文", gettext_noop("Chinese (Simplified)"), "中国語（簡体字）"),
    Language("zh-hant", "繁體中文", gettext_noop("Chinese (Traditional)"), "中国語（繁体字）"),
    Language("ko", "한국어", gettext_noop("Korean"), "韓国語"),
    Language("vi", "Tiếng Việt", gettext_noop("Vietnamese"), "ベトナム語"),
    Language("pt", "Português", gettext_noop("Portuguese"), "ポルトガル語"),
    Language("es", "Español", gettext_noop("Spanish"), "スペイン語"),
    Language("tl", "Filipino", gettext_noop("Filipino"), "フィリピノ語（タガログ語）"),
    Language("ne", "नेपाली", gettext_noop("Nepali"), "ネパール語"),
    Language("id", "Bahasa Indonesia", gettext_noop("Indonesian"), "インドネシア語"),
    Language("th", "ไทย", gettext_noop("Thai"), "タイ語"),
    Language("my", "မြန်မာ", gettext_noop("Burmese"), "ミャンマー語"),
    Language("fr", "Français", gettext_noop("French"), "フランス語"),
)
BY_CODE: dict[str, Language] = {language.code: language for language in LANGUAGES}
CODES: tuple[str, ...] = tuple(BY_CODE)
JAPANESE = ("ja", "ja-easy")
# Languages a machine translator is asked for (Japanese included, as the source or target).
TRANSLATABLE: tuple[str, ...] = tuple(language.code for language in LANGUAGES if language.translatable)
# The glossary's columns: residents' words in these languages, and romanised Japanese.
ROMAJI = "romaji"
GLOSSARY_COLUMNS: tuple[str, ...] = (*(language.code for language in LANGUAGES if language.glossary), ROMAJI)

# Detector codes and LINE profile codes -> our codes.
ALIASES = {
    "zh": "zh-hans",
    "zh-cn": "zh-hans",
    "zh-sg": "zh-hans",
    "zh-tw": "zh-hant",
    "zh-hk": "zh-hant",
    "wuu": "zh-hans",
    "yue": "zh-hant",
    "fil": "tl",
    "in": "id",
    "pt-br": "pt",
    "pt-pt": "pt",
    "es-419": "es",
    "mr": "ne",
    "hi": "ne",
}


def choices() -> list[tuple[str, str]]:
    """(code, name for residents): Django's ``LANGUAGES`` and every language field's choices."""
    return [(language.code, language.native) for language in LANGUAGES]


def normalise_code(code: str | None) -> str:
    """Our code for a code from a browser, LINE profile or detector; empty when we do not speak it."""
    if not code:
        return ""
    code = code.strip().lower().replace("_", "-")
    if code in BY_CODE:
        return code
    if code in ALIASES:
        return ALIASES[code]
    base = code.split("-")[0]
    return ALIASES.get(base, base if base in BY_CODE else "")


def reads_japanese(code: str | None) -> bool:
    """Whether a resident of this language reads the Japanese originals (Japanese, easy Japanese)."""
    return (code or "") in ("", *JAPANESE)


def native_name(code: str) -> str:
    language = BY_CODE.get(code)
    return language.native if language else code


def staff_name(code: str) -> str:
    """The language's name in the active (staff) language, e.g. ベトナム語; empty when unknown."""
    language = BY_CODE.get(code)
    return gettext(language.staff) if language else ""


def model_name(code: str) -> str:
    """How the language model's Japanese prompt names the language (Japanese when unknown)."""
    return (BY_CODE.get(code) or BY_CODE["ja"]).model
