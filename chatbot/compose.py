"""Turn an engine decision into the replies a resident reads, in the resident's language."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from conversations.content import Choice, Link, Reply
from languages import registry

from .engine import AnswerStatus, Decision, Reason

# A choice shows a whole FAQ question on the web; each channel clips to its own limit (LINE: 20 characters).
MAX_CHOICE_LABEL = 80


def ui_language(language: str) -> str:
    return language or "ja"


def disclaimer(municipality, language: str) -> str:
    if registry.reads_japanese(language) and municipality.disclaimer_ja:
        return municipality.disclaimer_ja
    if language == "en" and municipality.disclaimer_en:
        return municipality.disclaimer_en
    with translation.override(ui_language(language)):
        return _(
            "Answers are made automatically from the city's FAQ and website and may be wrong. "
            "Please check the official page or contact the city office."
        )


def short(text: str, limit: int = MAX_CHOICE_LABEL) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def person_choice() -> Choice:
    return Choice(_("Talk to a person"), {"action": "person"})


def render(
    decision: Decision,
    municipality,
    language: str,
    *,
    answer_log_id: int | None = None,
    answer_text: str | None = None,
    answer_title: str | None = None,
    choice_titles: dict[int, str] | None = None,
    notice: str = "",
) -> list[Reply]:
    with translation.override(ui_language(language)):
        if decision.status == AnswerStatus.ANSWERED and decision.chosen:
            chosen = decision.chosen
            links = [Link(_("Open the source page"), chosen.url)] if chosen.url else []
            text = answer_text if answer_text is not None else chosen.text
            title = answer_title if answer_title is not None else chosen.title
            if chosen.kind == "chunk" and chosen.heading_path:
                title = " > ".join(dict.fromkeys([chosen.title, *chosen.heading_path]))
            if decision.generated is not None:
                generated = decision.generated
                links = [Link(label, url) for label, url in generated.links()]
                text = answer_text if answer_text is not None else generated.text
                title = ""
                notice = " ".join(
                    n for n in [notice, _("This answer was composed automatically from the pages below.")] if n
                )
            notices = " ".join(n for n in [notice, disclaimer(municipality, language)] if n)
            return [
                Reply(
                    kind="answer",
                    title=title,
                    text=text,
                    contact=chosen.contact,
                    links=links,
                    feedback_ref=answer_log_id,
                    offer_person=True,
                    notice=notices,
                )
            ]
        if decision.status == AnswerStatus.ASK_BACK and decision.reason == Reason.EMPTY:
            return [Reply(kind="notice", text=_("Please type your question."))]
        if decision.status == AnswerStatus.ASK_BACK:
            titles = choice_titles or {}
            choices = [
                Choice(
                    short(titles.get(c.id, c.title) if c.kind == "faq" else (c.heading_path or [c.title])[-1]),
                    {"action": "pick", "kind": c.kind, "id": c.id},
                )
                for c in decision.choices
            ]
            choices.append(Choice(_("None of these"), {"action": "none"}))
            return [Reply(kind="ask_back", text=_("Which of these is closest to your question?"), choices=choices)]
        if decision.status == AnswerStatus.GUARDRAIL:
            return [Reply(kind="notice", text=_("Sorry, I can only answer questions about the city's services."))]
        if decision.status == AnswerStatus.ERROR:
            return [Reply(kind="notice", text=_("Sorry, something went wrong. Please try again in a moment."))]
        return []  # hand-off notices come from the hand-off service


def feedback_thanks(language: str, helpful: bool) -> Reply:
    with translation.override(ui_language(language)):
        if helpful:
            return Reply(kind="notice", text=_("Thank you for your feedback."))
        return Reply(
            kind="notice",
            text=_("Thank you. Please try asking in other words, or talk to a person."),
            choices=[person_choice()],
        )


def unsupported_media(language: str) -> Reply:
    with translation.override(ui_language(language)):
        return Reply(
            kind="notice",
            text=_("Sorry, I can only read text messages. Please type your question about the city's services."),
        )


def text_too_long(language: str, limit: int) -> Reply:
    with translation.override(ui_language(language)):
        return Reply(
            kind="notice",
            text=_("Your message is too long. Please keep it under %(limit)d characters.") % {"limit": limit},
        )
