"""The outbox: the one way a message to a resident is made.

``send`` stores outbound messages as pending. Replies to an inbound event are keyed by the event
and their place in the answer, so a retried event finds them instead of writing a second answer,
and the pipeline that answers the event delivers them (LINE's reply token first). Every other
message (a staff reply, a hand-off notice, the satisfaction question) is queued for delivery once
the transaction that stored it commits.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from .content import Reply
from .models import Conversation, InboundEvent, Message
from .tasks import enqueue_delivery


def send(
    conversation: Conversation,
    replies: list[Reply],
    *,
    event: InboundEvent | None = None,
    reply_to: Message | None = None,
    language: str | None = None,
    sender: str = Message.Sender.BOT,
    staff_user: User | None = None,
    machine_translated: bool = False,
) -> list[Message]:
    """Store ``replies`` for the resident (pending) and, unless they answer ``event``, queue their delivery.

    ``Reply.japanese`` is the Japanese original of a translated reply: staff read it in the console.
    """
    language = conversation.resident.language if language is None else language
    stored = []
    with transaction.atomic():
        for seq, reply in enumerate(replies, start=1):
            fields = {
                "conversation": conversation,
                "sender": sender,
                "staff_user": staff_user,
                "text": reply.text,
                "language": language,
                "translation": reply.japanese,
                "translation_language": "ja" if reply.japanese else "",
                "machine_translated": machine_translated or reply.translated == "machine",
                "kind": reply.kind,
                "payload": reply.to_payload(),
                "reply_to": reply_to,
                "delivery": Message.Delivery.PENDING,
            }
            if event is not None:
                message, _created = Message.objects.get_or_create(
                    event=event, direction=Message.Direction.OUTBOUND, sequence=seq, defaults=fields
                )
            else:
                message = Message.objects.create(direction=Message.Direction.OUTBOUND, **fields)
            stored.append(message)
        if event is None and stored:
            enqueue_delivery([m.pk for m in stored])
    return stored
