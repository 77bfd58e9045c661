"""Processing one stored inbound event: channel in -> engine -> channel out.

Idempotent by construction:
- an event is claimed with a lease (a compare-and-set UPDATE), so two workers never process it
  at once, and a processed event is skipped;
- replies are stored as pending outbound messages keyed by (event, sequence) before anything is
  sent, so a retry re-sends only what was not yet sent and never composes a second answer.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils import translation as i18n

from channels.base import DeliveryContext, InboundMessage, Kind, Reply
from channels.registry import get_adapter
from conversations import masking, states
from conversations.models import AnswerLog, Conversation, InboundEvent, Message, Resident
from faq.models import FAQ
from handoff import services as handoff
from handoff.models import Ticket
from languages import registry, translation

from . import compose, engine, generation

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=120)

HANDOFF_REASONS = {
    engine.Reason.SENSITIVE: Ticket.Reason.SENSITIVE,
    engine.Reason.ASKED_FOR_PERSON: Ticket.Reason.ASKED_FOR_PERSON,
    engine.Reason.REPEATED_FAILURE: Ticket.Reason.REPEATED_FAILURE,
}


class AlreadyProcessed(Exception):
    pass


def claim(event_id: int) -> InboundEvent | None:
    now = timezone.now()
    claimed = (
        InboundEvent.objects.filter(pk=event_id, processed_at__isnull=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + LEASE, attempts=F("attempts") + 1)
    )
    if not claimed:
        return None
    return InboundEvent.objects.select_related("municipality").get(pk=event_id)


def process_event(event_id: int) -> str:
    event = claim(event_id)
    if event is None:
        return "skipped"
    adapter = get_adapter(event.channel)
    try:
        inbound = adapter.parse(event)
        conversation = None
        context = DeliveryContext()
        for item in inbound:
            context.reply_token = context.reply_token or item.reply_token
            with progress(adapter, event, item):
                conversation = handle(event, item) or conversation
        if conversation is not None:
            pending = list(
                Message.objects.filter(
                    event=event, direction=Message.Direction.OUTBOUND, delivery=Message.Delivery.PENDING
                ).order_by("sequence")
            )
            if pending:
                adapter.deliver(conversation, pending, context)
    except Exception as exc:
        InboundEvent.objects.filter(pk=event.pk).update(
            last_error=f"{type(exc).__name__}: {exc}"[:2000], lease_until=None
        )
        raise
    InboundEvent.objects.filter(pk=event.pk).update(processed_at=timezone.now(), lease_until=None, last_error="")
    return "processed"


def deliver_messages(message_ids: list[int]) -> int:
    """Deliver those of ``message_ids`` that are still pending, per conversation, in the order written.

    For messages not answering an inbound event (staff replies, notices): no reply token, so LINE
    pushes them. One delivery per conversation at a time, and earlier pending messages of the
    conversation go first, so two quick staff replies (or a retried task) never arrive swapped.
    Sent or dropped messages are skipped, so a retried task sends nothing twice (a LINE push also
    carries the message's retry key). The console hears of the outcome.
    """
    latest: dict[int, int] = {}
    for conversation_id, pk in Message.objects.filter(pk__in=message_ids).values_list("conversation_id", "pk"):
        latest[conversation_id] = max(pk, latest.get(conversation_id, 0))
    sent = 0
    for conversation_id, last in latest.items():
        with _delivery_lock(conversation_id):
            rows = list(
                Message.objects.filter(
                    conversation_id=conversation_id,
                    pk__lte=last,
                    event__isnull=True,  # answers to an event are delivered by process_event, reply token first
                    direction=Message.Direction.OUTBOUND,
                    delivery=Message.Delivery.PENDING,
                )
                .select_related("conversation__resident", "conversation__municipality")
                .order_by("pk")
            )
            if not rows:
                continue
            conversation = rows[0].conversation
            get_adapter(conversation.channel).deliver(conversation, rows, DeliveryContext())
            sent += len(rows)
        handoff.delivery_changed(conversation)
    return sent


def _delivery_lock(conversation_id: int):
    """A Redis lock per conversation (released if a worker dies); none without Redis, where tasks run inline."""
    if not settings.REDIS_URL:
        return nullcontext()
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    return client.lock(f"madoguchi:deliver:{conversation_id}", timeout=300, blocking_timeout=300)


def progress(adapter, event: InboundEvent, item: InboundMessage):
    """The channel's sign that an answer is coming (LINE's loading animation) if handling turns out slow."""
    busy = getattr(adapter, "busy", None)
    return busy(event, item) if busy is not None else nullcontext()


def resident_for(event: InboundEvent, item: InboundMessage) -> tuple[Resident, Conversation]:
    resident, _created = Resident.objects.get_or_create(
        municipality=event.municipality, channel=event.channel, channel_user_id=item.user_id
    )
    code = registry.normalise_code(item.language_hint)
    if code and item.explicit_language:
        resident.language, resident.language_source = code, "choice"
    elif code and not resident.language:
        resident.language, resident.language_source = code, "profile"
    resident.last_seen_at = timezone.now()
    with transaction.atomic():
        # The resident's row lock serialises two messages of one resident processed at once, so
        # they land in one conversation (on SQLite the immediate transaction does the same).
        Resident.objects.select_for_update().get(pk=resident.pk)
        resident.save()
        conversation = (
            Conversation.objects.filter(resident=resident)
            .exclude(state=states.ConversationState.CLOSED)
            .order_by("-created_at")
            .first()
        )
        if conversation is None:
            conversation = Conversation.objects.create(municipality=event.municipality, resident=resident)
    return resident, conversation


def handle(event: InboundEvent, item: InboundMessage) -> Conversation | None:
    """Store what the resident sent and, when the bot may speak, the pending replies."""
    if item.kind in (Kind.UNKNOWN, Kind.JOIN, Kind.LEAVE, Kind.UNFOLLOW, Kind.UNSEND, Kind.FOLLOW) and not item.user_id:
        return None
    from . import handlers

    return handlers.dispatch(event, item)


def store_inbound(
    event: InboundEvent, conversation: Conversation, item: InboundMessage, text: str, lang: str
) -> Message:
    message, _created = Message.objects.get_or_create(
        event=event,
        direction=Message.Direction.INBOUND,
        sequence=0,
        defaults={
            "conversation": conversation,
            "sender": Message.Sender.RESIDENT,
            "text": text,
            "language": lang,
            "kind": item.kind if item.kind != Kind.MEDIA else item.media_type or "media",
            "channel_message_id": item.message_id,
        },
    )
    return message


def store_replies(
    event: InboundEvent,
    conversation: Conversation,
    replies: list[Reply],
    lang: str,
    reply_to: Message | None = None,
    sender: str = Message.Sender.BOT,
) -> list[Message]:
    stored = []
    with transaction.atomic():
        for seq, reply in enumerate(replies, start=1):
            message, _created = Message.objects.get_or_create(
                event=event,
                direction=Message.Direction.OUTBOUND,
                sequence=seq,
                defaults={
                    "conversation": conversation,
                    "sender": sender,
                    "text": reply.text,
                    "language": lang,
                    "translation": reply.japanese,
                    "translation_language": "ja" if reply.japanese else "",
                    "kind": reply.kind,
                    "payload": reply.to_payload(),
                    "reply_to": reply_to,
                    "delivery": Message.Delivery.PENDING,
                },
            )
            stored.append(message)
    return stored


def answer_text(
    conversation: Conversation,
    event: InboundEvent,
    inbound: Message,
    text: str,
    lang: str,
    *,
    asked_back_before: bool = False,
) -> list[Reply]:
    """Run the engine on a question and return the replies (hand-off included)."""
    municipality = conversation.municipality
    history = generation.history_from_conversation(conversation, before=inbound) if inbound else []
    request = engine.AnswerRequest(
        municipality, text, lang, conversation, asked_back_before=asked_back_before, history=history
    )
    with generation.metered() as meter:
        decision = engine.answer(request)
    decision.tokens = meter.total
    return replies_for(conversation, decision, inbound, text, lang)


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
    )
    if decision.status == engine.AnswerStatus.HANDOFF:
        reason = HANDOFF_REASONS.get(decision.reason, Ticket.Reason.LOW_CONFIDENCE)
        instead = handoff.instead_of_reopening(conversation, reason, text, lang)
        if instead is not None:  # just after staff resolved: no hand-off loop on "thank you" or a miss
            AnswerLog.objects.filter(pk=log_row.pk).update(decision=engine.AnswerStatus.ASK_BACK, reason="resolved")
            return [instead]
        department = decision.candidates[0].department if decision.candidates else ""
        handoff.open_ticket(
            conversation,
            reason,
            question=text,
            candidates=[c.summary() for c in decision.candidates[:5]],
            department=department,
        )
        return [handoff.handoff_notice(conversation, reason, lang)]
    answer_text_override, notice, title = None, "", None
    if decision.status == engine.AnswerStatus.ANSWERED and decision.generated is not None:
        answer_text_override, notice = localised_generated(decision, municipality, lang)
    elif decision.status == engine.AnswerStatus.ANSWERED and decision.chosen and decision.chosen.kind == "faq":
        answer_text_override, notice, title = localised_answer(decision.chosen.id, lang, log_row.pk)
    elif decision.status == engine.AnswerStatus.ANSWERED and decision.chosen and not registry.reads_japanese(lang):
        text_l, machine, notice_needed = translation.localise_text(
            decision.chosen.text, lang, municipality=municipality
        )
        answer_text_override = text_l
        notice = translation.notice_for(lang, machine) if notice_needed else ""
    choice_titles = localised_choices(decision, lang) if decision.status == engine.AnswerStatus.ASK_BACK else {}
    replies = compose.render(
        decision,
        municipality,
        lang,
        choice_titles=choice_titles,
        answer_log_id=log_row.pk,
        answer_text=answer_text_override,
        answer_title=title,
        notice=notice,
    )
    if not registry.reads_japanese(lang):  # staff read what the bot said in its Japanese original
        originals = compose.render(decision, municipality, "ja", answer_log_id=log_row.pk)
        if len(originals) == len(replies):
            for reply, original in zip(replies, originals, strict=True):
                reply.japanese = original.text
    return replies


def localised_answer(faq_id: int, lang: str, answer_log_id: int | None = None) -> tuple[str | None, str, str | None]:
    """(answer text, notice, title) in the resident's language; None keeps the Japanese original.

    Curated translation > curated cache > machine translation (with a notice) > Japanese (with a
    notice). For やさしい日本語 without a curated version, a model rewrite when one is configured.
    """
    if lang in ("ja", ""):
        return None, "", None
    faq = FAQ.objects.filter(pk=faq_id).select_related("municipality").prefetch_related("translations").first()
    if faq is None:
        return None, "", None
    if lang == "ja-easy" and not any(t.language == lang for t in faq.translations.all()):
        with generation.metered() as meter:
            easy = generation.easy_japanese(faq.answer, municipality=faq.municipality)
        generation.add_to_log(answer_log_id, meter.total)
        if easy:
            with i18n.override(lang):
                return easy, i18n.gettext("Rewritten into easy Japanese automatically."), None
        return None, "", None
    text, machine, notice_needed = translation.localise_answer(faq, lang)
    title, _machine_title = translation.localise_question(faq, lang)
    notice = translation.notice_for(lang, machine) if notice_needed else ""
    return text, notice, title


def localised_choices(decision: engine.Decision, lang: str) -> dict[int, str]:
    """Ask-back choice labels (FAQ questions) in the resident's language, by FAQ id."""
    if registry.reads_japanese(lang):
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


def text_limit() -> int:
    return settings.MESSAGE_MAX_CHARS
