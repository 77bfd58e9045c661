"""The inbox: who wrote, in which conversation, and what they sent, stored once per inbound event.

The counterpart of the outbox: a channel's neutral ``InboundMessage`` becomes a ``Resident``, the
open ``Conversation`` and an inbound ``Message`` keyed by the event, so a retried event finds them.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .content import InboundMessage, Kind
from .models import Conversation, ConversationState, InboundEvent, Message, Resident


def resident_for(event: InboundEvent, item: InboundMessage) -> tuple[Resident, Conversation]:
    resident, _created = Resident.objects.get_or_create(
        municipality=event.municipality, channel=event.channel, channel_user_id=item.user_id
    )
    code = item.language_hint  # the channel gives one of our codes, or nothing
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
            .exclude(state=ConversationState.CLOSED)
            .order_by("-created_at")
            .first()
        )
        if conversation is None:
            conversation = Conversation.objects.create(municipality=event.municipality, resident=resident)
    return resident, conversation


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
