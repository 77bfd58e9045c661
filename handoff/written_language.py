"""The language a message is really in, for its label in the console.

A message stores the resident's language, but its text need not be in it: the bot's answer stays
in Japanese when nothing could translate it, an untranslated staff reply is Japanese, and a resident
may type Vietnamese into a chat set to Japanese. The label follows the text.
"""

from __future__ import annotations

from languages import detection

DETECTED_CHARS = 80  # the detector reads no further (and logs each cut); the start of a message tells


def language_label(text: str, stored: str, japanese: str = "") -> str:
    """The language ``text`` is really in, to label it for staff (``languages.detection.written_in``
    answers another question: the language to answer a resident in).

    Japanese when it is its own Japanese original (``japanese``: the original kept for staff), else
    what detection finds when it is sure, else ``stored``.

    Detection is trusted as the bot trusts it for a resident's language (``detection.resolve``):
    a short text, kanji-only text between Japanese and Chinese, or a mostly Latin-script text
    with a Japanese term in it keep the stored language.
    """
    stored = stored or "ja"
    if japanese.strip() and japanese.strip() == text.strip():
        return "ja"
    if not text.strip():
        return stored
    return detection.resolve(stored, "", text[:DETECTED_CHARS])[0]
