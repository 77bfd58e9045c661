"""The gist of a question nobody could translate: the glossary's Japanese terms found in it.

Without a translator staff cannot read a Vietnamese or Nepali question at all, but the glossary
(``languages.glossary``, offline) knows the everyday words for 住民票 or 転入 in every supported
language, so 「キーワード: 住民票, 転入」 tells them what it is about.
"""

from __future__ import annotations

from languages import glossary, registry

MAX_KEYWORDS = 6


def keywords(text: str, language: str, municipality=None) -> list[str]:
    """The Japanese terms for the glossary words in ``text``, in the order they occur; none for Japanese text."""
    if not text or registry.reads_japanese(language or "ja"):
        return []
    terms: list[str] = []
    for match in glossary.find_terms(text, language, municipality=municipality):
        for term in match.ja:
            if term not in terms:
                terms.append(term)
    return terms[:MAX_KEYWORDS]
