"""The bot's answer to one question: the engine's decision, logged, turned into replies in the resident's language.

A hand-off decision opens a ticket and tells the resident; an answer is localised (curated
translation, else machine translation with a notice); staff can read in the console what the bot
said, in its Japanese original.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import translation as i18n

from conversations import masking
from conversations.content import Kind, Reply
from conversations.models import HANDOFF_REASONS, AnswerLog, AnswerStatus, Conversation, InboundEvent, Message, Reason
from faq import learning
from faq.models import FAQ, LearnedPhrasing
from handoff import services as handoff
from languages import japanese_names, registry, translation

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
    localised = compose.Localised()
    if decision.status == AnswerStatus.ANSWERED and decision.generated is not None:
        localised = localised_generated(decision, municipality, lang)
    elif decision.status == AnswerStatus.ANSWERED and decision.chosen and decision.chosen.kind == "faq":
        localised = localised_answer(decision.chosen.id, lang, log_row.pk)
    elif decision.status == AnswerStatus.ANSWERED and decision.chosen and not registry.reads_japanese(lang):
        localised = localised_text(decision.chosen.text, municipality, lang)
    elif decision.reason == Reason.PERSONAL_RECORD:
        localised = compose.Localised(contact=best_contact(decision, lang))
    choice_titles = localised_choices(decision, lang) if decision.status == AnswerStatus.ASK_BACK else {}
    replies = compose.render(
        decision,
        municipality,
        lang,
        choice_titles=choice_titles,
        answer_log_id=log_row.pk,
        localised=localised,
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


def localised_answer(faq_id: int, lang: str, answer_log_id: int | None = None) -> compose.Localised:
    """The answer, its title and contact line in the resident's language.

    Curated translation > curated cache > machine translation (with a notice) > Japanese (with a
    notice). For やさしい日本語 without a curated version, a model rewrite when one is configured.
    """
    if lang in ("ja", ""):
        return compose.Localised()
    faq = FAQ.objects.filter(pk=faq_id).select_related("municipality").prefetch_related("translations").first()
    if faq is None:
        return compose.Localised()
    if lang == "ja-easy" and not any(t.language == lang for t in faq.translations.all()):
        with generation.metered() as meter:
            easy = generation.easy_japanese(faq.answer, municipality=faq.municipality)
        generation.add_to_log(answer_log_id, meter.total)
        if easy:
            with i18n.override(lang):
                notice = i18n.gettext("Rewritten into easy Japanese automatically.")
                return compose.Localised(easy, notice, translated="machine")
        return compose.Localised()
    text, machine, notice_needed = translation.localise_answer(faq, lang)
    title, _machine_title = translation.localise_question(faq, lang)
    if title == faq.question:  # untranslated: its gist says what it is about
        title = japanese_names.labelled(title, lang, municipality=faq.municipality)
    notice = translation.notice_for(lang, machine) if notice_needed else ""
    return compose.Localised(
        text, notice, title, translation.localise_contact(faq, lang), how_translated(machine, notice_needed)
    )


def how_translated(machine: bool, notice_needed: bool) -> str:
    """``Localised.translated`` for a text localised by ``languages.translation`` (not called for Japanese readers)."""
    if machine:
        return "machine"
    return "" if notice_needed else "curated"


def localised_text(text_ja: str, municipality, lang: str) -> compose.Localised:
    """A Japanese city text (a homepage passage) in the resident's language."""
    text, machine, notice_needed = translation.localise_text(text_ja, lang, municipality=municipality)
    notice = translation.notice_for(lang, machine) if notice_needed else ""
    return compose.Localised(text, notice, translated=how_translated(machine, notice_needed))


def best_contact(decision: engine.Decision, lang: str) -> str | None:
    """The best FAQ candidate's contact line in the resident's language (None: no such entry, or Japanese)."""
    best = decision.candidates[0] if decision.candidates else None
    if best is None or best.kind != "faq" or lang in ("ja", ""):
        return None
    faq = FAQ.objects.filter(pk=best.id).select_related("municipality").prefetch_related("translations").first()
    return translation.localise_contact(faq, lang) if faq is not None else None


def localised_choices(decision: engine.Decision, lang: str) -> dict[int, str]:
    """Ask-back choice labels (FAQ questions) in the resident's language, by FAQ id (curated easy Japanese too).

    Questions nothing could translate are left out: ``compose`` labels them with their gist.
    """
    if lang in ("ja", ""):
        return {}
    ids = [c.id for c in decision.choices if c.kind == "faq"]
    titles = {}
    for faq in FAQ.objects.filter(pk__in=ids).select_related("municipality").prefetch_related("translations"):
        title = translation.localise_question(faq, lang)[0]
        if title != faq.question:
            titles[faq.pk] = title
    return titles


def localised_generated(decision: engine.Decision, municipality, lang: str) -> compose.Localised:
    """A generated (Japanese) answer in the resident's language."""
    if registry.reads_japanese(lang) or decision.generated is None:
        return compose.Localised()
    return localised_text(decision.generated.text, municipality, lang)


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
