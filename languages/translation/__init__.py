"""Machine translation behind one interface, with a database cache editors can correct.

    from languages import translation
    translation.translate(text, "ja", "vi")            # Translated | None, never raises
    translation.localise_answer(faq, "vi")             # (text, machine_translated, notice_needed)
    translation.japanese_for_search(text, "vi")        # Japanese words for the lexical search
    translation.for_resident(reply_ja, "vi", preview=True)

Backends (``settings.TRANSLATOR``): none, google, deepl, microsoft, libre, llm. See ``backends``.
"""

from .localise import (
    StaffTranslation,
    for_resident,
    japanese_for_search,
    localise_answer,
    localise_contact,
    localise_question,
    localise_text,
    notice_for,
    to_japanese,
)
from .service import Translated, correct, reset_failures, translate

__all__ = [
    "StaffTranslation",
    "Translated",
    "correct",
    "for_resident",
    "japanese_for_search",
    "localise_answer",
    "localise_contact",
    "localise_question",
    "localise_text",
    "notice_for",
    "reset_failures",
    "to_japanese",
    "translate",
]
