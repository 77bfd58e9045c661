import threading

import pytest
from django.db import connection

from conversations import states
from conversations.models import Conversation, Resident
from conversations.states import ConversationState as S
from conversations.states import InvalidTransition, Transition

ALL = [S.BOT, S.WAITING, S.STAFF, S.CLOSED]


@pytest.mark.parametrize(
    "current,transition,expected",
    [
        (S.BOT, Transition.HAND_OFF, S.WAITING),
        (S.WAITING, Transition.CLAIM, S.STAFF),
        (S.STAFF, Transition.RELEASE, S.WAITING),
        (S.STAFF, Transition.RESOLVE, S.BOT),
        (S.WAITING, Transition.RESOLVE, S.BOT),
        (S.BOT, Transition.CLOSE, S.CLOSED),
        (S.CLOSED, Transition.REOPEN, S.BOT),
    ],
)
def test_allowed_transitions(current, transition, expected):
    assert states.next_state(current, transition) == expected


def test_every_other_transition_is_refused():
    allowed = {(src, t) for t, (sources, _) in states.ALLOWED.items() for src in sources}
    refused = [(s, t) for s in ALL for t in Transition if (s, t) not in allowed]
    assert (S.STAFF, Transition.CLAIM) in refused  # a claimed conversation cannot be claimed again
    assert (S.BOT, Transition.RESOLVE) in refused  # nothing to resolve: no hand-off loop
    for state, transition in refused:
        with pytest.raises(InvalidTransition):
            states.next_state(state, transition)


@pytest.mark.parametrize("state,may", [(S.BOT, True), (S.CLOSED, True), (S.WAITING, False), (S.STAFF, False)])
def test_bot_speaks_only_when_no_person_holds_the_conversation(state, may):
    assert states.bot_may_answer(state) is may


@pytest.fixture
def conversation(municipality):
    resident = Resident.objects.create(municipality=municipality, channel="web", channel_user_id="r1")
    return Conversation.objects.create(municipality=municipality, resident=resident)


def test_apply_moves_state_and_owner(conversation, django_user_model):
    user = django_user_model.objects.create_user("clerk")
    states.apply(conversation.pk, Transition.HAND_OFF)
    states.apply(conversation.pk, Transition.CLAIM, owner=user)
    conversation.refresh_from_db()
    assert (conversation.state, conversation.owner) == (S.STAFF, user)
    states.apply(conversation.pk, Transition.RESOLVE)
    conversation.refresh_from_db()
    assert (conversation.state, conversation.owner) == (S.BOT, None)


def test_apply_refuses_from_wrong_state(conversation):
    with pytest.raises(InvalidTransition):
        states.apply(conversation.pk, Transition.CLAIM)
    conversation.refresh_from_db()
    assert conversation.state == S.BOT


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_exactly_one_wins(municipality, django_user_model):
    resident = Resident.objects.create(municipality=municipality, channel="web", channel_user_id="r2")
    conversation = Conversation.objects.create(municipality=municipality, resident=resident, state=S.WAITING)
    users = [django_user_model.objects.create_user(f"u{i}") for i in range(6)]
    results: list[str] = []
    barrier = threading.Barrier(len(users))

    def claim(user):
        barrier.wait()
        try:
            states.apply(conversation.pk, Transition.CLAIM, owner=user)
            results.append("won")
        except InvalidTransition:
            results.append("lost")
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("won") == 1
    assert results.count("lost") == len(users) - 1
