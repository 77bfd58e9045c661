"""Whether a pressed ask-back choice still belongs to the exchange it was offered in.

Buttons outlive their moment: LINE keeps old quick replies and postback buttons, an old browser tab
keeps its page. A choice pressed after the resident has moved on is still answered (the resident
asked for that entry), but it says nothing about the question typed last, so the bot learns nothing
from it.
"""

from __future__ import annotations

from conversations.models import Conversation, Message

ASK_BACK = "ask_back"


def is_stale_pick(conversation: Conversation, inbound: Message, data: dict) -> bool:
    """A pick of a choice that an earlier ask-back offered, pressed after the resident wrote again.

    A pick no ask-back offered (a suggested question, an API client) is not stale.
    """
    wanted = (str(data.get("kind", "faq")), str(data.get("id")))
    asks = Message.objects.filter(
        conversation=conversation, direction=Message.Direction.OUTBOUND, kind=ASK_BACK, pk__lt=inbound.pk
    ).order_by("-pk")
    for ask in asks[:20]:
        if wanted in _offered(ask):
            return _resident_wrote_between(conversation, ask, inbound)
    return False


def _offered(ask: Message) -> set[tuple[str, str]]:
    choices = (ask.payload or {}).get("choices") or []
    return {
        (str(c["payload"].get("kind", "faq")), str(c["payload"].get("id")))
        for c in choices
        if isinstance(c, dict) and isinstance(c.get("payload"), dict) and c["payload"].get("action") == "pick"
    }


def _resident_wrote_between(conversation: Conversation, ask: Message, inbound: Message) -> bool:
    return Message.objects.filter(
        conversation=conversation,
        direction=Message.Direction.INBOUND,
        sender=Message.Sender.RESIDENT,
        pk__gt=ask.pk,
        pk__lt=inbound.pk,
    ).exists()
