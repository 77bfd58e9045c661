"""What the rest of the project asks of hand-off: open a ticket, tell staff, tell the resident."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from channels.base import Reply
from chatbot import states
from chatbot.models import Conversation, Message

from .models import Ticket

log = logging.getLogger(__name__)


def emergency_lines(municipality) -> list[str]:
    lines = [_("Police: 110"), _("Fire and ambulance: 119")]
    lines += [line.strip() for line in municipality.emergency_contacts.splitlines() if line.strip()]
    return lines


def handoff_notice(conversation: Conversation, reason: str, language: str) -> Reply:
    with translation.override(language or "ja"):
        if reason == Ticket.Reason.SENSITIVE:
            text = _(
                "If you are in danger or it is an emergency, call now:\n%(lines)s\n"
                "A staff member has been asked to contact you here as soon as possible."
            ) % {"lines": "\n".join(emergency_lines(conversation.municipality))}
            return Reply(kind="handoff", text=text)
        text = _("I will pass your question to a staff member. They will reply here. Please wait a moment.")
        return Reply(kind="handoff", text=text)


def open_ticket(
    conversation: Conversation, reason: str, *, question: str = "", candidates=None, department: str = ""
) -> Ticket:
    """Queue the conversation for staff. One open ticket per conversation: a second call returns it."""
    priority = Ticket.Priority.URGENT if reason == Ticket.Reason.SENSITIVE else Ticket.Priority.NORMAL
    existing = Ticket.objects.filter(conversation=conversation, status=Ticket.Status.OPEN).first()
    if existing:
        if priority < existing.priority:
            existing.priority = priority
            existing.save(update_fields=["priority"])
        return existing
    try:
        with transaction.atomic():
            ticket = Ticket.objects.create(
                municipality=conversation.municipality,
                conversation=conversation,
                reason=reason,
                priority=priority,
                question=question,
                candidates=candidates or [],
                department=department,
            )
            if conversation.state == states.ConversationState.CLOSED:
                states.apply(conversation.pk, states.Transition.REOPEN)
            states.apply(conversation.pk, states.Transition.HAND_OFF)
    except IntegrityError:
        return Ticket.objects.get(conversation=conversation, status=Ticket.Status.OPEN)
    conversation.refresh_from_db()
    from . import live

    live.publish(conversation.municipality_id, {"type": "ticket.new", "ticket": ticket.pk})
    return ticket


def add_resident_message(conversation: Conversation, message: Message) -> None:
    """A message while a person holds the conversation: shown to staff; the bot stays silent."""
    from . import live

    live.publish(
        conversation.municipality_id,
        {"type": "message.new", "conversation": conversation.pk, "message": message.pk},
    )


def resolve(ticket: Ticket, *, outcome: str = "") -> None:
    from django.utils import timezone

    with transaction.atomic():
        updated = Ticket.objects.filter(pk=ticket.pk, status=Ticket.Status.OPEN).update(
            status=Ticket.Status.RESOLVED, resolved_at=timezone.now(), outcome=outcome
        )
        if updated:
            states.apply(ticket.conversation_id, states.Transition.RESOLVE)


def send_to_resident(conversation: Conversation, reply: Reply, *, sender: str = Message.Sender.STAFF,
                     staff_user=None, translation_ja: str = "") -> Message:
    """Store and deliver one message from staff (or the system) to the resident, by the conversation's channel.

    On LINE this is a push (no reply token); on the web it appears live. Delivery failures are
    recorded on the message by the channel adapter.
    """
    from channels.base import DeliveryContext
    from channels.registry import get_adapter

    message = Message.objects.create(
        conversation=conversation,
        direction=Message.Direction.OUTBOUND,
        sender=sender,
        staff_user=staff_user,
        text=reply.text,
        language=conversation.resident.language,
        translation=translation_ja,
        translation_language="ja" if translation_ja else "",
        kind=reply.kind,
        payload=reply.to_payload(),
        delivery=Message.Delivery.PENDING,
    )
    get_adapter(conversation.channel).deliver(conversation, [message], DeliveryContext())
    message.refresh_from_db()
    return message
