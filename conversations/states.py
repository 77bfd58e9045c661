r"""The conversation state machine, in one place.

    bot --hand off--> waiting --claim--> staff --resolve--> bot
     \                   |  \--release (staff) <--/
      \--close-----------+------------------------> closed --resident writes--> bot

Only the bot may answer a conversation in state ``bot``; ``waiting`` and ``staff`` belong to people.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Conversation, ConversationState


class Transition(models.TextChoices):
    HAND_OFF = "hand_off", _("hand off")
    CLAIM = "claim", _("claim")
    RELEASE = "release", _("release")
    RESOLVE = "resolve", _("resolve")
    CLOSE = "close", _("close")
    REOPEN = "reopen", _("reopen")


S = ConversationState
ALLOWED: dict[Transition, tuple[frozenset[str], str]] = {
    Transition.HAND_OFF: (frozenset({S.BOT}), S.WAITING),
    Transition.CLAIM: (frozenset({S.WAITING}), S.STAFF),
    Transition.RELEASE: (frozenset({S.STAFF}), S.WAITING),
    Transition.RESOLVE: (frozenset({S.WAITING, S.STAFF}), S.BOT),
    Transition.CLOSE: (frozenset({S.BOT, S.WAITING, S.STAFF}), S.CLOSED),
    Transition.REOPEN: (frozenset({S.CLOSED}), S.BOT),
}


class InvalidTransition(Exception):
    """A transition that the current state does not allow (e.g. claiming a claimed conversation)."""


def next_state(current: str, transition: Transition) -> str:
    sources, target = ALLOWED[transition]
    if current not in sources:
        raise InvalidTransition(f"cannot {transition.value} a conversation in state {current!r}")
    return target


def bot_may_answer(state: str) -> bool:
    return state in (S.BOT, S.CLOSED)


def apply(conversation_id: int, transition: Transition, *, owner: User | None = None) -> str:
    """Move one conversation atomically: a compare-and-set on its current state.

    Two staff claiming at once: both read ``waiting``; only one UPDATE ... WHERE state='waiting'
    matches, the other gets InvalidTransition.
    """
    sources, target = ALLOWED[transition]
    fields: dict = {"state": target, "updated_at": timezone.now()}
    if transition in (Transition.CLAIM,):
        fields["owner"] = owner
    elif transition in (Transition.RELEASE, Transition.RESOLVE, Transition.CLOSE, Transition.HAND_OFF):
        fields["owner"] = None
    if transition in (Transition.RESOLVE, Transition.REOPEN):
        fields["unhelpful_streak"] = 0
    updated = Conversation.objects.filter(pk=conversation_id, state__in=sources).update(**fields)
    if not updated:
        current = Conversation.objects.filter(pk=conversation_id).values_list("state", flat=True).first()
        raise InvalidTransition(f"cannot {transition.value} a conversation in state {current!r}")
    return target
