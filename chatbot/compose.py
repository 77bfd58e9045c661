"""Turn an engine decision into the replies a resident reads, in the resident's language."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _

from conversations.content import Choice, Link, Reply
from handoff import hours
from languages import japanese_names, registry

from . import decision as decision_rules
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


@dataclass(frozen=True)
class Localised:
    """An answer's parts in the resident's language; None keeps the Japanese original.

    ``translated``: how the text came into that language: "curated" (editors wrote or corrected
    it), "machine" (a translator or a model), "" (not translated: as written).
    """

    text: str | None = None
    notice: str = ""
    title: str | None = None
    contact: str | None = None
    translated: str = ""


def render(
    decision: Decision,
    municipality,
    language: str,
    *,
    answer_log_id: int | None = None,
    localised: Localised | None = None,
    choice_titles: dict[int, str] | None = None,
) -> list[Reply]:
    localised = localised or Localised()
    notice = localised.notice
    with translation.override(ui_language(language)):
        if decision.status == AnswerStatus.ANSWERED and decision.chosen:
            chosen = decision.chosen
            links = [Link(_("Open the source page"), chosen.url)] if chosen.url else []
            text = localised.text if localised.text is not None else chosen.text
            title = localised.title if localised.title is not None else chosen.title
            contact = localised.contact
            if contact is None:
                contact = japanese_names.contact_line(chosen.contact, language, municipality=municipality)
            if chosen.kind == "chunk" and chosen.heading_path:
                title = " > ".join(dict.fromkeys([chosen.title, *chosen.heading_path]))
            if decision.generated is not None:
                generated = decision.generated
                links = [Link(label, url) for label, url in generated.links()]
                text = localised.text if localised.text is not None else generated.text
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
                    contact=contact,
                    links=links,
                    feedback_ref=answer_log_id,
                    offer_person=True,
                    notice=notices,
                    translated=localised.translated,
                )
            ]
        if decision.status == AnswerStatus.ASK_BACK and decision.reason == Reason.EMPTY:
            return [Reply(kind="notice", text=_("Please type your question."))]
        if decision.status == AnswerStatus.ASK_BACK:
            titles = choice_titles or {}
            choices = [
                Choice(
                    short(choice_label(c, titles, language, municipality)),
                    {"action": "pick", "kind": c.kind, "id": c.id},
                )
                for c in decision.choices
            ]
            choices.append(Choice(_("None of these"), {"action": "none"}))
            return [Reply(kind="ask_back", text=_("Which of these is closest to your question?"), choices=choices)]
        if decision.status == AnswerStatus.REPLIED:
            return [fixed_reply(decision, municipality, language, contact=localised.contact)]
        if decision.status == AnswerStatus.GUARDRAIL:
            return [Reply(kind="notice", text=_("Sorry, I can only answer questions about the city's services."))]
        if decision.status == AnswerStatus.ERROR:
            return [Reply(kind="notice", text=_("Sorry, something went wrong. Please try again in a moment."))]
        return []  # hand-off notices come from the hand-off service


def choice_label(candidate, titles: dict[int, str], language: str, municipality) -> str:
    """An ask-back choice: the FAQ question in the resident's language (``titles``), else the Japanese question
    or passage heading with its gist for a reader of another language ("Bulky waste (粗大ごみの出し方は？)")."""
    if candidate.kind == "faq" and candidate.id in titles:
        return titles[candidate.id]
    japanese = candidate.title if candidate.kind == "faq" else (candidate.heading_path or [candidate.title])[-1]
    return japanese_names.labelled(japanese, language, municipality=municipality)


def city_name(municipality, language: str) -> str:
    return municipality.name_ja if registry.reads_japanese(language) else (municipality.name_en or municipality.name_ja)


def fixed_reply(decision: Decision, municipality, language: str, *, contact: str | None = None) -> Reply:
    """What a good counter clerk says to a message that is not a question for the FAQ (in the active language).

    ``contact``: the best candidate's contact line already in ``language`` (a curated one), if known.
    """
    intent = decision.intent
    category = intent.category if intent else ""
    city = city_name(municipality, language)
    if decision.reason == Reason.SMALL_TALK:
        return small_talk(category, city)
    if decision.reason == Reason.PERSONAL_RECORD:
        return personal_record(decision, municipality, language, contact=contact)
    if decision.reason == Reason.OTHER_MUNICIPALITY:
        other = intent.detail if intent else ""
        return Reply(
            kind="notice",
            text=_(
                "I answer questions about %(city)s only, so I cannot say how %(other)s does it. Please check "
                "%(other)s's own website or ask its office."
            )
            % {"city": city, "other": other or _("another municipality")},
        )
    return Reply(
        kind="notice",
        text=_(
            "I can only help with questions about %(city)s's services, for example garbage, resident "
            "registration, taxes, health insurance, childcare or disaster preparedness. Please ask me about those."
        )
        % {"city": city},
    )


def small_talk(category: str, city: str) -> Reply:
    if category == "thanks":
        return Reply(kind="notice", text=_("You're welcome. If you have another question, please type it here."))
    if category == "goodbye":
        return Reply(kind="notice", text=_("Thank you for writing. You can ask again any time, day or night."))
    if category == "bot_question":
        return Reply(
            kind="notice",
            text=_(
                "I am %(city)s's automatic assistant, not a person. I answer from the city's FAQ and website. "
                "If you would like a staff member, tap below."
            )
            % {"city": city},
            choices=[person_choice()],
        )
    if category == "insult":
        return Reply(
            kind="notice",
            text=_("I'm sorry I could not help. Please tell me your question in other words, or talk to a person."),
            choices=[person_choice()],
        )
    return Reply(
        kind="notice",
        text=_(
            "Hello. I am %(city)s's automatic assistant. Ask me about the city's services, for example garbage, "
            "resident registration or childcare."
        )
        % {"city": city},
    )


def personal_record(decision: Decision, municipality, language: str = "ja", *, contact: str | None = None) -> Reply:
    """The bot cannot see anyone's records: it says so, names who can, and offers a person when staff are in.

    Who can is said in the resident's language: ``contact`` (the best entry's curated contact line),
    else its Japanese contact or department with the names localised through the glossary.
    """
    best = decision.candidates[0] if decision.candidates else None
    where = ""
    if best is not None and best.score >= decision_rules.ASK_BACK_FLOOR and (best.contact or best.department):
        where = contact or japanese_names.contact_line(
            best.contact or best.department, language, municipality=municipality
        )
    where = where or japanese_names.contact_line(municipality.general_contact, language, municipality=municipality)
    where = where or _("the city office")
    text = _(
        "I cannot see personal records (your taxes, applications, benefits or registrations), so I cannot check "
        "this for you. Please contact: %(where)s"
    ) % {"where": where}
    choices = [person_choice()] if staff_in(municipality) else []
    if choices:
        text += "\n" + _("Staff are in now: you can also ask a person here.")
    return Reply(kind="notice", text=text, choices=choices)


def staff_in(municipality) -> bool:
    return hours.schedule_for(municipality).is_open(hours.now())


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


def language_offer(decision: Decision) -> Reply | None:
    """After a question answered in the language it is written in (not the resident's): one tap makes
    that language the conversation's. Said in that language; the button names it in itself."""
    code = decision.written_in
    if not code:
        return None
    name = registry.native_name(code)
    with translation.override(code):
        text = _("Your message was in %(language)s, so I answered in %(language)s. Use %(language)s from now on?") % {
            "language": name
        }
    return Reply(kind="language_offer", text=text, choices=[Choice(name, {"action": "lang", "value": code})])
