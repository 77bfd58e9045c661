"""What the engine and the staff console ask of translation, in their own terms.

* ``localise_answer(faq, lang)``: the answer to show a resident, curated first.
* ``localise_contact(faq, lang)``: the entry's contact line in the resident's language, curated first.
* ``localise_text(text_ja, lang, municipality=...)``: the same for any Japanese city text.
* ``to_japanese(text, lang)``: a resident's message in Japanese (staff console, lexical search).
* ``japanese_for_search(text, lang)``: Japanese words for the lexical index (MT + glossary).
* ``for_resident(text_ja, lang, preview=True)``: a staff reply in the resident's language, with
  a back-translation so staff who cannot read the language can check it before sending.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import translation as i18n
from django.utils.translation import gettext as _

from languages.glossary import expand_to_japanese
from languages.japanese_names import contact_line
from languages.registry import reads_japanese

from .codes import our_code
from .service import Translated, translate

JAPANESE = ("", "ja")


def localise_text(text_ja: str, target_lang: str, *, municipality=None, protect=()) -> tuple[str, bool, bool]:
    """(text, machine_translated, notice_needed) for Japanese city content shown in ``target_lang``.

    Curated cached translation > machine translation (cached) > the Japanese text. A notice is
    needed when the text is machine-translated or left in Japanese for a foreign-language reader.
    """
    lang = our_code(target_lang)
    if lang in JAPANESE:
        return text_ja, False, False
    result = translate(text_ja, "ja", lang, municipality=municipality, persist=True, protect=protect)
    if result is not None:
        return result.text, result.machine, result.machine
    if lang == "ja-easy":  # the plain Japanese is what an easy-Japanese reader gets without a rewrite
        return text_ja, False, False
    return text_ja, False, True


def localise_answer(faq, target_lang: str) -> tuple[str, bool, bool]:
    """(text, machine_translated, notice_needed) for an FAQ answer.

    FAQTranslation (curated) > curated CachedTranslation > machine translation (cached) > Japanese.
    """
    lang = our_code(target_lang)
    if lang in JAPANESE:
        return faq.answer, False, False
    curated = _faq_translation(faq, lang)
    if curated is not None and curated.answer.strip():
        return curated.answer, False, False
    return localise_text(faq.answer, lang, municipality=faq.municipality, protect=_faq_terms(faq))


def localise_question(faq, target_lang: str) -> tuple[str, bool]:
    """(question, machine_translated): the FAQ's title in the resident's language, e.g. for ask-back choices."""
    lang = our_code(target_lang)
    if lang in JAPANESE:
        return faq.question, False
    curated = _faq_translation(faq, lang)
    if curated is not None and curated.question.strip():
        return curated.question, False
    text, machine, _notice = localise_text(faq.question, lang, municipality=faq.municipality, protect=_faq_terms(faq))
    return text, machine


def localise_contact(faq, target_lang: str) -> str:
    """The FAQ's contact line (else its department) for a reader of ``target_lang``.

    The curated translation's contact; else the Japanese line with its office names and labels
    localised through the glossary and gettext (``languages.japanese_names``), no translator needed.
    """
    lang = our_code(target_lang)
    if lang in JAPANESE:
        return faq.contact
    curated = _faq_translation(faq, lang)
    if curated is not None and curated.contact.strip():
        return curated.contact
    return contact_line(faq.contact or faq.department, lang, municipality=faq.municipality)


def to_japanese(text: str, source_lang: str, *, municipality=None) -> Translated | None:
    """A resident's message in Japanese; ``machine=False`` when it already was. None: not available.

    Kept only in the short-lived cache: what residents write is personal.
    """
    lang = our_code(source_lang) or "ja"
    if reads_japanese(lang):
        return Translated(text, machine=False, cached=False, source=lang, target="ja")
    return translate(text, lang, "ja", municipality=municipality, persist=False)


def japanese_for_search(text: str, language: str, *, municipality=None) -> str:
    """Japanese words to add to a foreign-language query for the lexical search ("" for Japanese).

    The machine translation (if a translator is configured) followed by the glossary's Japanese
    terms for the municipal words the text contains (always available, offline).
    """

    lang = our_code(language)
    if reads_japanese(lang):
        return ""
    pieces: list[str] = []
    machine = to_japanese(text, lang or "en", municipality=municipality) if lang else None
    if machine is not None and machine.text.strip() and machine.text != text:
        pieces.append(machine.text.strip())
    joined = " ".join(pieces)
    pieces += [term for term in expand_to_japanese(text, lang, municipality=municipality) if term not in joined]
    return " ".join(pieces)


@dataclass(frozen=True)
class StaffTranslation:
    original: str  # what staff wrote (Japanese)
    text: str  # what the resident receives
    language: str
    translated: bool  # False: sent as written (Japanese resident, or no translation available)
    machine: bool
    back_translation: str = ""  # ``text`` translated back into Japanese, for the preview

    @property
    def needs_notice(self) -> bool:
        return self.machine


def for_resident(text_ja: str, target_lang: str, *, municipality=None, preview: bool = False) -> StaffTranslation:
    """A staff member's Japanese reply in the resident's language.

    ``preview=True`` also back-translates the result so staff can check the meaning before
    sending. The translation is cached briefly, so the send after a preview gets the same text.
    Without a translator the reply goes out as written (``translated=False``): the console should
    say so before sending.
    """
    lang = our_code(target_lang)
    if reads_japanese(lang):
        return StaffTranslation(text_ja, text_ja, lang or "ja", translated=False, machine=False)
    result = translate(text_ja, "ja", lang, municipality=municipality, persist=False)
    if result is None:
        return StaffTranslation(text_ja, text_ja, lang, translated=False, machine=False)
    back = ""
    if preview and result.machine:
        check = translate(result.text, lang, "ja", municipality=municipality, persist=False)
        back = check.text if check is not None else ""
    return StaffTranslation(text_ja, result.text, lang, translated=True, machine=result.machine, back_translation=back)


def notice_for(target_lang: str, machine_translated: bool) -> str:
    """The short notice under an answer: machine-translated, or shown in Japanese."""
    lang = our_code(target_lang) or "ja"
    with i18n.override(lang):
        if machine_translated:
            return _("This answer was translated by machine and may contain errors. The original is at the link.")
        return _("No translation of this answer is available yet; it is shown in Japanese.")


def _faq_translation(faq, lang: str):
    cached = getattr(faq, "_prefetched_objects_cache", {}).get("translations")
    if cached is not None:
        return next((t for t in cached if t.language == lang), None)
    return faq.translations.filter(language=lang).first()


def _faq_terms(faq) -> list[str]:
    return [part for part in (faq.department or "").split() if part]
