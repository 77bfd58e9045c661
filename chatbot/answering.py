"""The bot's answer to one question: the engine's decision, logged, turned into replies in the resident's language.

A hand-off decision opens a ticket and tells the resident; an answer is localised (curated
translation, else machine translation with a notice); staff can read in the console what the bot
said, in its Japanese original.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import translation as i18n

from conversations import masking
from conversations.content import Kind, Reply
from conversations.models import HANDOFF_REASONS, AnswerLog, AnswerStatus, Conversation, InboundEvent, Message, Reason
from faq import learning
from faq.models import FAQ, LearnedPhrasing
from handoff import services as handoff
from languages import registry, translation

from . import compose, engine, generation

THANKS_WINDOW = timedelta(minutes=30)  # "thanks" this soon after an answer is about that answer


def answer_text(
    conversation: Conversation,
    event: InboundEvent,
    inbound: Message,
    text: str,
    lang: str,
    *,
    asked_back_before: bool = False,
) -> list[Reply]:
    """Run the engine on a question and return the replies (hand-off included).

    A question clearly written in another language than ``lang`` is answered in that language, and
    the replies end with a one-tap offer to make it the conversation's language.
    """
    municipality = conversation.municipality
    history = generation.history_from_conversation(conversation, before=inbound) if inbound else []
    request = engine.AnswerRequest(
        municipality, text, lang, conversation, asked_back_before=asked_back_before, history=history
    )
    with generation.metered() as meter:
        decision = engine.answer(request)
    decision.tokens = meter.total
    replies = replies_for(conversation, decision, inbound, text, decision.language or lang)
    offer = compose.language_offer(decision)
    return [*replies, offer] if offer else replies


def replies_for(
    conversation: Conversation, decision: engine.Decision, inbound: Message | None, text: str, lang: str
) -> list[Reply]:
    municipality = conversation.municipality
    log_row = AnswerLog.objects.create(
        municipality=municipality,
        conversation=conversation,
        message=inbound,
        query=masking.mask(text),
        language=lang,
        candidates=[c.summary() for c in decision.candidates[:10]],
        decision=decision.status,
        reason=decision.reason,
        confidence=decision.confidence,
        answered_faq_id=(
            decision.chosen.id
            if decision.chosen and decision.chosen.kind == "faq" and decision.generated is None
            else None
        ),
        tokens=decision.tokens,
        latency_ms=decision.latency_ms,
        **model_fields(decision),
    )
    if decision.status == AnswerStatus.HANDOFF:
        reason = decision.reason if decision.reason in HANDOFF_REASONS else Reason.LOW_CONFIDENCE
        instead = handoff.instead_of_reopening(conversation, reason, text, lang)
        if instead is not None:  # just after staff resolved: no hand-off loop on "thank you" or a miss
            AnswerLog.objects.filter(pk=log_row.pk).update(decision=AnswerStatus.ASK_BACK, reason=Reason.RESOLVED)
            return [instead]
        department = decision.candidates[0].department if decision.candidates else ""
        handoff.open_ticket(
            conversation,
            reason,
            question=text,
            candidates=[c.summary() for c in decision.candidates[:5]],
            department=department,
            language=lang,
        )
        crisis = decision.intent.category if decision.intent else ""
        return [handoff.handoff_notice(conversation, reason, lang, crisis=crisis)]
    if decision.reason == Reason.SMALL_TALK and decision.intent and decision.intent.category == "thanks":
        thanks_count_as_helpful(conversation, log_row)
    localised = LocalisedAnswer()
    if decision.status == AnswerStatus.ANSWERED and decision.generated is not None:
        localised = LocalisedAnswer(*localised_generated(decision, municipality, lang))
    elif decision.status == AnswerStatus.ANSWERED and decision.chosen and decision.chosen.kind == "faq":
        localised = localised_answer(decision.chosen.id, lang, log_row.pk)
    elif decision.status == AnswerStatus.ANSWERED and decision.chosen and not registry.reads_japanese(lang):
        text_l, machine, notice_needed = translation.localise_text(
            decision.chosen.text, lang, municipality=municipality
        )
        localised = LocalisedAnswer(text_l, translation.notice_for(lang, machine) if notice_needed else "")
    choice_titles = localised_choices(decision, lang) if decision.status == AnswerStatus.ASK_BACK else {}
    replies = compose.render(
        decision,
        municipality,
        lang,
        choice_titles=choice_titles,
        answer_log_id=log_row.pk,
        answer_text=localised.text,
        answer_title=localised.title,
        answer_contact=localised.contact,
        notice=localised.notice,
    )
    if not registry.reads_japanese(lang):  # staff read what the bot said in its Japanese original
        originals = compose.render(decision, municipality, "ja", answer_log_id=log_row.pk)
        if len(originals) == len(replies):
            for reply, original in zip(replies, originals, strict=True):
                reply.japanese = original.text
    return replies


def model_fields(decision: engine.Decision) -> dict:
    """What the model did for this question, for its AnswerLog (empty when it was not called)."""
    result = decision.model
    if result is None or not result.outcome:
        return {}
    return {
        "model_outcome": result.outcome,
        "model_detail": result.reason[:200],
        "model_latency_ms": result.latency_ms,
        "model_tokens": result.tokens,
    }


@dataclass(frozen=True)
class LocalisedAnswer:
    """An FAQ answer's parts in the resident's language; None keeps the Japanese original."""

    text: str | None = None
    notice: str = ""
    title: str | None = None
    contact: str | None = None


def localised_answer(faq_id: int, lang: str, answer_log_id: int | None = None) -> LocalisedAnswer:
    """The answer, its title and contact line in the resident's language.

    Curated translation > curated cache > machine translation (with a notice) > Japanese (with a
    notice). For やさしい日本語 without a curated version, a model rewrite when one is configured.
    """
    if lang in ("ja", ""):
        return LocalisedAnswer()
    faq = FAQ.objects.filter(pk=faq_id).select_related("municipality").prefetch_related("translations").first()
    if faq is None:
        return LocalisedAnswer()
    if lang == "ja-easy" and not any(t.language == lang for t in faq.translations.all()):
        with generation.metered() as meter:
            easy = generation.easy_japanese(faq.answer, municipality=faq.municipality)
        generation.add_to_log(answer_log_id, meter.total)
        if easy:
            with i18n.override(lang):
                return LocalisedAnswer(easy, i18n.gettext("Rewritten into easy Japanese automatically."))
        return LocalisedAnswer()
    text, machine, notice_needed = translation.localise_answer(faq, lang)
    title, _machine_title = translation.localise_question(faq, lang)
    notice = translation.notice_for(lang, machine) if notice_needed else ""
    return LocalisedAnswer(text, notice, title, translation.localise_contact(faq, lang))


def localised_choices(decision: engine.Decision, lang: str) -> dict[int, str]:
    """Ask-back choice labels (FAQ questions) in the resident's language, by FAQ id (curated easy Japanese too)."""
    if lang in ("ja", ""):
        return {}
    ids = [c.id for c in decision.choices if c.kind == "faq"]
    faqs = FAQ.objects.filter(pk__in=ids).select_related("municipality").prefetch_related("translations")
    return {faq.pk: translation.localise_question(faq, lang)[0] for faq in faqs}


def localised_generated(decision: engine.Decision, municipality, lang: str) -> tuple[str | None, str]:
    """A generated (Japanese) answer in the resident's language."""
    if registry.reads_japanese(lang) or decision.generated is None:
        return None, ""
    text, machine, notice_needed = translation.localise_text(decision.generated.text, lang, municipality=municipality)
    return text, translation.notice_for(lang, machine) if notice_needed else ""


def last_question(conversation: Conversation, before: Message) -> str:
    """What the resident last typed in this conversation: the question a button press is about.

    The ticket (and the dashboard's unanswered questions) then show the resident's own words, not
    "Talk to a person" or "None of these".
    """
    last = (
        Message.objects.filter(
            conversation=conversation,
            direction=Message.Direction.INBOUND,
            sender=Message.Sender.RESIDENT,
            kind=Kind.TEXT,
            pk__lt=before.pk,
        )
        .exclude(text="")
        .order_by("-pk")
        .values_list("text", flat=True)
        .first()
    )
    return last or ""


def learn_from(conversation: Conversation, log: AnswerLog | None, source: str) -> None:
    """The bot learns that the resident's question was answered by the entry it answered with (``faq.learning``).

    For an answer the resident picked from an ask-back, the question is what they had typed before.
    """
    if log is None or log.answered_faq is None:
        return
    message = log.message
    question = last_question(conversation, message) if message and message.kind == Kind.POSTBACK else log.query
    learning.learn(log.answered_faq, question, source=source, resident=conversation.resident, answer_log=log)


def thanks_count_as_helpful(conversation: Conversation, before: AnswerLog) -> None:
    """ "Thanks" right after an answer: the resident found it helpful (as if they had tapped 👍)."""
    answer = (
        AnswerLog.objects.filter(
            conversation=conversation,
            pk__lt=before.pk,
            created_at__gte=before.created_at - THANKS_WINDOW,
        )
        .exclude(reason=Reason.SMALL_TALK)
        .order_by("-pk")
        .first()
    )
    if answer is None or answer.decision != AnswerStatus.ANSWERED or answer.feedback:
        return
    AnswerLog.objects.filter(pk=answer.pk).update(feedback=AnswerLog.Feedback.HELPFUL)
    learn_from(conversation, answer, LearnedPhrasing.Source.THUMBS_UP)
