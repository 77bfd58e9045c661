"""Two staff claiming the same ticket at once: exactly one wins, on any database."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.utils import translation

from conversations import states
from conversations.models import Conversation, Membership, Resident
from handoff import services
from handoff.models import AuditEvent, Ticket


def waiting_ticket(municipality, n: int = 0) -> Ticket:
    resident = Resident.objects.create(municipality=municipality, channel="web", channel_user_id=f"claim-{n}")
    conversation = Conversation.objects.create(municipality=municipality, resident=resident)
    return services.open_ticket(conversation, Ticket.Reason.ASKED_FOR_PERSON, question="人と話したい")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_concurrent_claim_has_exactly_one_winner(municipality, staff_user, round_):
    staff = [staff_user(municipality, Membership.Role.STAFF, username=f"staff{i}") for i in range(4)]
    ticket = waiting_ticket(municipality, round_)
    barrier = threading.Barrier(len(staff))
    won, lost, errors = [], [], []

    def attempt(user):
        try:
            barrier.wait(timeout=10)
            services.claim(ticket, user)
            won.append(user.pk)
        except services.AlreadyTaken:
            lost.append(user.pk)
        except Exception as exc:  # anything else is a bug (e.g. a lock error)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(user,)) for user in staff]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(won) == 1 and len(lost) == len(staff) - 1
    conversation = Conversation.objects.get(pk=ticket.conversation_id)
    assert conversation.state == states.ConversationState.STAFF
    assert conversation.owner_id == won[0]
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == won[0]
    claims = AuditEvent.objects.filter(action=AuditEvent.Action.CLAIM, ticket=ticket)
    assert list(claims.values_list("user_id", flat=True)) == won  # only the winner's claim is recorded


def test_second_claim_over_http_is_refused_and_changes_nothing(client, municipality, staff_user):
    first = staff_user(municipality, Membership.Role.STAFF, username="first")
    second = staff_user(municipality, Membership.Role.STAFF, username="second")
    ticket = waiting_ticket(municipality)
    client.force_login(first)
    assert client.post(f"/console/tickets/{ticket.pk}/claim").status_code == 302
    client.force_login(second)
    response = client.post(f"/console/tickets/{ticket.pk}/claim", {"from": "queue"}, follow=True)
    with translation.override("ja"):
        refused = translation.gettext("Someone else has already taken this ticket.")
    assert refused in [str(m) for m in response.context["messages"]]
    conversation = Conversation.objects.get(pk=ticket.conversation_id)
    assert conversation.owner == first
    assert not AuditEvent.objects.filter(action="claim", user=second).exists()


def test_someone_else_cannot_reply_release_or_resolve_a_held_ticket(municipality, staff_user):
    holder = staff_user(municipality, Membership.Role.STAFF, username="holder")
    other = staff_user(municipality, Membership.Role.STAFF, username="other")
    ticket = waiting_ticket(municipality)
    services.claim(ticket, holder)
    with pytest.raises(services.AlreadyTaken):
        services.reply(ticket, other, "横から失礼します")
    with pytest.raises(services.ConsoleError):
        services.release(ticket, other)
    with pytest.raises(services.ConsoleError):
        services.resolve(ticket, outcome="answered", actor=other)
    assert Ticket.objects.get(pk=ticket.pk).is_open


def test_a_city_admin_may_take_over(municipality, staff_user):
    holder = staff_user(municipality, Membership.Role.STAFF, username="holder")
    admin = staff_user(municipality, Membership.Role.CITY_ADMIN, username="boss")
    ticket = waiting_ticket(municipality)
    services.claim(ticket, holder)
    services.release(ticket, admin)
    assert Conversation.objects.get(pk=ticket.conversation_id).state == states.ConversationState.WAITING


def test_release_and_transfer_put_the_ticket_back_in_the_queue(municipality, staff_user):
    holder = staff_user(municipality, Membership.Role.STAFF, username="holder")
    ticket = waiting_ticket(municipality)
    services.claim(ticket, holder)
    services.transfer(ticket, holder, "市民課")
    ticket.refresh_from_db()
    assert ticket.department == "市民課" and ticket.assignee is None
    assert ticket.conversation.state == states.ConversationState.WAITING
    assert AuditEvent.objects.get(action="transfer").detail == {"from": "", "to": "市民課"}


def test_assign_gives_the_ticket_to_a_colleague_but_not_to_outsiders(municipality, make_municipality, staff_user):
    me = staff_user(municipality, Membership.Role.STAFF, username="me")
    colleague = staff_user(municipality, Membership.Role.STAFF, username="colleague")
    outsider = staff_user(make_municipality("elsewhere"), Membership.Role.STAFF, username="outsider")
    ticket = waiting_ticket(municipality)
    with pytest.raises(services.ConsoleError):
        services.assign(ticket, me, outsider)
    services.assign(ticket, me, colleague)
    conversation = Conversation.objects.get(pk=ticket.conversation_id)
    assert conversation.state == states.ConversationState.STAFF and conversation.owner == colleague
    with pytest.raises(services.AlreadyTaken):  # held by the colleague now: not mine to take back
        services.assign(ticket, me, me)
    services.assign(ticket, colleague, me)  # the holder hands it on
    assert Conversation.objects.get(pk=ticket.conversation_id).owner == me
    assert Ticket.objects.get(pk=ticket.pk).assignee == me
