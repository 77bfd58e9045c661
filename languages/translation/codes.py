"""Our language codes (settings.LANGUAGES) and what each translation service calls them.

``None`` means the service cannot translate that language: the caller falls back (curated
translation or the Japanese text with a notice). Easy Japanese (``ja-easy``) is a rewrite, not a
translation, so no machine translator is ever asked for it.
"""

from __future__ import annotations

from languages.registry import normalise_code

OUR_CODES = ("ja", "en", "zh-hans", "zh-hant", "ko", "vi", "pt", "es", "tl", "ne", "id", "th", "my", "fr")

GOOGLE = {
    "ja": "ja",
    "en": "en",
    "zh-hans": "zh-CN",
    "zh-hant": "zh-TW",
    "ko": "ko",
    "vi": "vi",
    "pt": "pt",
    "es": "es",
    "tl": "tl",
    "ne": "ne",
    "id": "id",
    "th": "th",
    "my": "my",
    "fr": "fr",
}

# DeepL has no Filipino, Nepali or Burmese. Source codes are bare; some targets need a variant.
DEEPL_SOURCE = {
    "ja": "JA",
    "en": "EN",
    "zh-hans": "ZH",
    "zh-hant": "ZH",
    "ko": "KO",
    "vi": "VI",
    "pt": "PT",
    "es": "ES",
    "id": "ID",
    "th": "TH",
    "fr": "FR",
}
DEEPL_TARGET = {**DEEPL_SOURCE, "en": "EN-US", "zh-hans": "ZH-HANS", "zh-hant": "ZH-HANT", "pt": "PT-BR"}

MICROSOFT = {
    "ja": "ja",
    "en": "en",
    "zh-hans": "zh-Hans",
    "zh-hant": "zh-Hant",
    "ko": "ko",
    "vi": "vi",
    "pt": "pt",
    "es": "es",
    "tl": "fil",
    "ne": "ne",
    "id": "id",
    "th": "th",
    "my": "my",
    "fr": "fr",
}

# LibreTranslate's codes changed between releases (zh/zt -> zh-Hans/zh-Hant); the server's
# /languages answer decides, in this order of preference.
LIBRE_CANDIDATES = {
    "ja": ["ja"],
    "en": ["en"],
    "zh-hans": ["zh-Hans", "zh"],
    "zh-hant": ["zh-Hant", "zt"],
    "ko": ["ko"],
    "vi": ["vi"],
    "pt": ["pt-BR", "pt"],
    "es": ["es"],
    "tl": ["tl", "fil"],
    "ne": ["ne"],
    "id": ["id"],
    "th": ["th"],
    "my": ["my"],
    "fr": ["fr"],
}

# For an LLM: plain names in the prompt.
LLM_NAMES = {
    "ja": "Japanese",
    "en": "English",
    "zh-hans": "Simplified Chinese",
    "zh-hant": "Traditional Chinese (as used in Taiwan)",
    "ko": "Korean",
    "vi": "Vietnamese",
    "pt": "Brazilian Portuguese",
    "es": "Spanish",
    "tl": "Filipino (Tagalog)",
    "ne": "Nepali",
    "id": "Indonesian",
    "th": "Thai",
    "my": "Burmese (Myanmar, Unicode)",
    "fr": "French",
}


def our_code(code: str | None) -> str:
    """Our code for whatever a caller passes ("zh", "fil", "pt-BR" ...); ja-easy stays ja-easy."""

    return normalise_code(code)
