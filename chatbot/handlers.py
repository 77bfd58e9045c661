"""One handler per kind of inbound message. Each stores what came in and returns the conversation."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from conversations import inbox, outbox, states
from conversations.content import Choice, InboundMessage, Kind, Reply
from conversations.models import AnswerLog, AnswerStatus, Conversation, InboundEvent, Message, Reason
from faq import learning, retrieval
from faq.models import LearnedPhrasing
from handoff import services as handoff
from languages import detection, registry

from . import answering, compose, engine, stale_choices

log = logging.getLogger(__name__)


def dispatch(event: InboundEvent, item: InboundMessage) -> Conversation | None:
    handler = HANDLERS.get(item.kind, on_unknown)
    return handler(event, item)


def on_text(event: InboundEvent, item: InboundMessage) -> Conversation:
    resident, conversation = inbox.resident_for(event, item)
    lang, source = detection.resolve(resident.language, resident.language_source, item.text)
    if (lang, source) != (resident.language, resident.language_source):
        resident.language, resident.language_source = lang, source
        resident.save(update_fields=["language", "language_source"])
    # What it is written in (answered in it by the engine, shown to staff as it): the resident's
    # language unless the message is long and clearly in another one.
    written = detection.written_in(item.text, lang)
    inbound = inbox.store_inbound(event, conversation, item, item.text, written)
    if Message.objects.filter(event=event, direction=Message.Direction.OUTBOUND).exists():
        return conversation  # replies already composed on an earlier attempt: only delivery is left
    if not states.bot_may_answer(conversation.state):
        _to_staff(conversation, event, inbound, written)
        return conversation
    limit = settings.MESSAGE_MAX_CHARS
    if len(item.text) > limit:
        replies = [compose.text_too_long(lang, limit)]
    else:
        asked_back = _last_bot_kind(conversation, inbound) == "ask_back"
        replies = answering.answer_text(conversation, event, inbound, item.text, lang, asked_back_before=asked_back)
    outbox.send(conversation, replies, event=event, reply_to=inbound, language=written)
    return conversation


def _to_staff(conversation: Conversation, event: InboundEvent, inbound: Message, lang: str) -> None:
    """A message while staff hold the conversation: theirs to answer; the resident hears once that it arrived."""
    received = handoff.add_resident_message(conversation, inbound)
    if received is not None:
        outbox.send(conversation, [received], event=event, reply_to=inbound, language=lang)


def _last_bot_kind(conversation: Conversation, before: Message) -> str:
    last = (
        Message.objects.filter(conversation=conversation, direction=Message.Direction.OUTBOUND, id__lt=before.id)
        .order_by("-id")
        .values_list("kind", flat=True)
        .first()
    )
    return last or ""


def on_postback(event: InboundEvent, item: InboundMessage) -> Conversation:
    resident, conversation = inbox.resident_for(event, item)
    data = item.postback or {}
    action = data.get("action", "")
    lang = resident.language or "ja"
    label = str(data.get("label", ""))[:200]
    inbound = inbox.store_inbound(event, conversation, item, label or action, lang)
    if Message.objects.filter(event=event, direction=Message.Direction.OUTBOUND).exists():
        return conversation
    replies: list[Reply] = []
    if action == "lang":
        code = registry.normalise_code(data.get("value")) or "ja"
        resident.language, resident.language_source = code, "choice"
        resident.save(update_fields=["language", "language_source"])
        with translation.override(code):
            replies = [Reply(kind="notice", text=_("Language set. Please type your question."))]
    elif action == "feedback":
        replies = [_feedback(conversation, data, lang)]
    elif action == "rating":  # the one-tap satisfaction question sent when staff resolve a ticket
        replies = [handoff.record_rating(conversation, data, lang)]
    elif not states.bot_may_answer(conversation.state):
        # A button of the bot's pressed while staff hold the conversation (LINE keeps old buttons, so
        # does an old tab): the choice goes to staff, and the resident is told so, every time.
        handoff.add_resident_message(conversation, inbound)
        replies = [handoff.received_notice(conversation, lang, button=True)]
    elif action == "person":
        decision = engine.Decision(AnswerStatus.HANDOFF, Reason.ASKED_FOR_PERSON)
        question = answering.last_question(conversation, inbound) or label or action
        replies = answering.replies_for(conversation, decision, inbound, question, lang)
    elif action == "pick":
        replies = _picked(conversation, data, inbound, lang)
    elif action == "none":
        decision = engine.Decision(AnswerStatus.HANDOFF, Reason.LOW_CONFIDENCE)
        question = answering.last_question(conversation, inbound) or label or action
        replies = answering.replies_for(conversation, decision, inbound, question, lang)
    else:  # a postback that did not pass conversations.postbacks: never silence
        log.warning("postback action %r not understood; answered politely", str(action)[:20])
        with translation.override(lang):
            replies = [Reply(kind="notice", text=_("Sorry, I could not use that button. Please type your question."))]
    outbox.send(conversation, replies, event=event, reply_to=inbound, language=lang)
    return conversation


def _picked(conversation: Conversation, data: dict, inbound: Message, lang: str) -> list[Reply]:
    """The resident chose one of the ask-back candidates: answer with it."""
    candidate = retrieval.candidate(conversation.municipality, data.get("kind", "faq"), data.get("id"))
    if candidate is None:
        with translation.override(lang):
            return [Reply(kind="notice", text=_("Sorry, that answer is no longer available. Please ask again."))]
    decision = engine.Decision(AnswerStatus.ANSWERED, Reason.PICKED, [candidate], candidate, 1.0)
    replies = answering.replies_for(conversation, decision, inbound, candidate.title, lang)
    # A choice of an earlier ask-back is answered too, but it is not about the question typed last.
    if not stale_choices.is_stale_pick(conversation, inbound, data):
        log_row = AnswerLog.objects.filter(message=inbound).last()
        answering.learn_from(conversation, log_row, LearnedPhrasing.Source.PICK)
    return replies


def _feedback(conversation: Conversation, data: dict, lang: str) -> Reply:
    helpful = data.get("value") == "yes"
    value = AnswerLog.Feedback.HELPFUL if helpful else AnswerLog.Feedback.UNHELPFUL
    AnswerLog.objects.filter(pk=data.get("log"), conversation=conversation).update(feedback=value)
    rated = AnswerLog.objects.filter(pk=data.get("log"), conversation=conversation).first()
    if rated is not None and not helpful:
        learning.retract(rated)  # a pick followed by a complaint teaches nothing
    if helpful:
        answering.learn_from(conversation, rated, LearnedPhrasing.Source.THUMBS_UP)
        Conversation.objects.filter(pk=conversation.pk).update(unhelpful_streak=0)
        return compose.feedback_thanks(lang, True)
    streak = conversation.unhelpful_streak + 1
    Conversation.objects.filter(pk=conversation.pk).update(unhelpful_streak=streak)
    if streak >= 2 and states.bot_may_answer(conversation.state):
        handoff.open_ticket(conversation, Reason.REPEATED_FAILURE)
        return handoff.handoff_notice(conversation, Reason.REPEATED_FAILURE, lang)
    return compose.feedback_thanks(lang, False)


def greeting(municipality, lang: str) -> Reply:
    with translation.override(lang or "ja"):
        name = municipality.name_ja if registry.reads_japanese(lang) else (municipality.name_en or municipality.name_ja)
        text = _("Welcome to the %(city)s help desk. Ask me about the city's services, day or night.") % {"city": name}
        text += "\n" + compose.disclaimer(municipality, lang)
        choices = [Choice(label, {"action": "lang", "value": code}) for code, label in LANGUAGE_CHOICES]
        return Reply(kind="greeting", text=text, choices=choices)


LANGUAGE_CHOICES = [
    ("ja", "日本語"),
    ("ja-easy", "やさしいにほんご"),
    ("en", "English"),
    ("zh-hans", "简体中文"),
    ("zh-hant", "繁體中文"),
    ("ko", "한국어"),
    ("vi", "Tiếng Việt"),
    ("pt", "Português"),
    ("es", "Español"),
    ("tl", "Filipino"),
    ("ne", "नेपाली"),
    ("id", "Indonesia"),
    ("th", "ไทย"),
    ("my", "မြန်မာ"),
    ("fr", "Français"),
]


def on_follow(event: InboundEvent, item: InboundMessage) -> Conversation:
    resident, conversation = inbox.resident_for(event, item)
    if resident.unfollowed_at:
        resident.unfollowed_at = None
        resident.save(update_fields=["unfollowed_at"])
    lang = resident.language or "ja"
    inbound = inbox.store_inbound(event, conversation, item, "", lang)
    outbox.send(conversation, [greeting(conversation.municipality, lang)], event=event, reply_to=inbound, language=lang)
    return conversation


def on_unfollow(event: InboundEvent, item: InboundMessage) -> None:
    resident, _conversation = inbox.resident_for(event, item)
    resident.unfollowed_at = timezone.now()
    resident.save(update_fields=["unfollowed_at"])
    return None


def on_media(event: InboundEvent, item: InboundMessage) -> Conversation:
    resident, conversation = inbox.resident_for(event, item)
    lang = resident.language or "ja"
    inbound = inbox.store_inbound(event, conversation, item, "", lang)
    if not states.bot_may_answer(conversation.state):
        _to_staff(conversation, event, inbound, lang)
        return conversation
    outbox.send(conversation, [compose.unsupported_media(lang)], event=event, reply_to=inbound, language=lang)
    return conversation


def on_unsend(event: InboundEvent, item: InboundMessage) -> None:
    """Erase the unsent message's text everywhere and drop any answer not yet sent for it."""
    messages = Message.objects.filter(
        conversation__resident__channel=event.channel,
        conversation__resident__channel_user_id=item.user_id,
        conversation__municipality=event.municipality,
        channel_message_id=item.message_id,
        direction=Message.Direction.INBOUND,
    )
    now = timezone.now()
    for message in messages:
        Message.objects.filter(pk=message.pk).update(text="", translation="", unsent_at=now)
        AnswerLog.objects.filter(message=message).update(query="")
        Message.objects.filter(reply_to=message, delivery=Message.Delivery.PENDING).update(
            delivery=Message.Delivery.DROPPED, text="", payload={}
        )
    return None


def on_unknown(event: InboundEvent, item: InboundMessage) -> None:
    log.info("ignored %s event %s of kind %s", event.channel, event.channel_event_id, item.kind)
    return None


HANDLERS = {
    Kind.TEXT: on_text,
    Kind.POSTBACK: on_postback,
    Kind.FOLLOW: on_follow,
    Kind.UNFOLLOW: on_unfollow,
    Kind.MEDIA: on_media,
    Kind.UNSEND: on_unsend,
    Kind.UNKNOWN: on_unknown,
}
