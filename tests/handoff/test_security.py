"""Security of the staff console: tenant and department isolation, roles, CSRF, escaping, redirects.

Each test fails if the protection it names is removed: a city B account must get a 404 (and change
nothing) for every URL of a city A ticket, a console POST without a CSRF token is refused, resident and
staff text is escaped, and the login never redirects off-site.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.test import Client

from conversations import live, states
from conversations.models import Conversation, Membership, Message, Resident
from faq.models import FAQ
from handoff import services
from handoff import views as console
from handoff.models import AuditEvent, BusinessCalendar, CannedReply, CannedReplyTranslation, InternalNote, Ticket

Role = Membership.Role
S = states.ConversationState
ACTIONS = ("claim", "release", "assign", "transfer", "preview", "reply", "note", "resolve", "faq-draft")
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def ticket_for(municipality, *, user="r1", question="人と話したい", department="", language="ja") -> Ticket:
    resident = Resident.objects.create(
        municipality=municipality, channel="web", channel_user_id=user, language=language
    )
    conversation = Conversation.objects.create(municipality=municipality, resident=resident)
    Message.objects.create(
        conversation=conversation, direction="in", sender="resident", text=question, language=language
    )
    return services.open_ticket(conversation, Ticket.Reason.LOW_CONFIDENCE, question=question, department=department)


def action_data(colleague_pk: int = 0) -> dict:
    """Form data that would make every action succeed on a ticket the user may see."""
    return {
        "text": "お答えします",
        "outcome": Ticket.Outcome.ANSWERED,
        "department": "税務課",
        "user": colleague_pk,
        "question": "質問",
        "answer": "答え",
    }


def snapshot(ticket: Ticket) -> tuple:
    ticket = Ticket.objects.select_related("conversation").get(pk=ticket.pk)
    return (
        ticket.status,
        ticket.department,
        ticket.assignee_id,
        ticket.faq_draft_id,
        ticket.conversation.state,
        ticket.conversation.owner_id,
        Message.objects.filter(conversation=ticket.conversation).count(),
        InternalNote.objects.filter(ticket=ticket).count(),
        AuditEvent.objects.filter(ticket=ticket).count(),
        FAQ.objects.count(),
    )


@pytest.fixture
def a_ticket(city_a, staff_user):
    ticket = ticket_for(city_a, question="A市の住民の相談")
    holder = staff_user(city_a, Role.STAFF, username="a-holder")
    services.claim(ticket, holder)  # held, so release/resolve/transfer/reply would all act on it
    return ticket


# --- tenant isolation ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.STAFF, Role.CITY_ADMIN])
def test_console_user_of_another_city_gets_404_and_changes_nothing(client, a_ticket, city_a, city_b, staff_user, role):
    outsider = staff_user(city_b, role, username=f"b-{role}")
    colleague_in_b = staff_user(city_b, Role.STAFF, username="b-colleague")
    client.force_login(outsider)
    before = snapshot(a_ticket)
    base = f"/console/tickets/{a_ticket.pk}/"
    for path in (base, base + "thread"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "A市の住民の相談" not in response.content.decode()
    for action in ACTIONS:
        response = client.post(base + action, action_data(colleague_in_b.pk))
        assert response.status_code == 404, action
        assert "A市の住民の相談" not in response.content.decode()
    assert snapshot(a_ticket) == before
    for path in ("/console/", "/console/queue/rows", "/console/stats/"):
        page = client.get(path)
        assert page.status_code == 200
        assert f'data-ticket-id="{a_ticket.pk}"' not in page.content.decode()
        assert "A市の住民の相談" not in page.content.decode()
    assert client.get("/console/stats/").context["report"].total.opened == 0


def test_an_editor_gets_the_same_403_for_a_ticket_that_exists_and_one_that_does_not(
    client, a_ticket, city_a, staff_user
):
    client.force_login(staff_user(city_a, Role.EDITOR, username="a-editor"))
    before = snapshot(a_ticket)
    existing = client.get(f"/console/tickets/{a_ticket.pk}/")
    missing = client.get("/console/tickets/999999/")
    assert existing.status_code == missing.status_code == 403
    assert existing.content == missing.content
    for action in ACTIONS:
        assert client.post(f"/console/tickets/{a_ticket.pk}/{action}", action_data()).status_code == 403
    assert snapshot(a_ticket) == before


def test_department_staff_cannot_act_on_another_departments_ticket(client, city_a, staff_user):
    other = ticket_for(city_a, user="tax", question="税金の相談", department="税務課")
    colleague = staff_user(city_a, Role.STAFF, username="a-colleague")
    client.force_login(staff_user(city_a, Role.STAFF, username="shimin", department="市民課"))
    before = snapshot(other)
    for action in ACTIONS:
        assert client.post(f"/console/tickets/{other.pk}/{action}", action_data(colleague.pk)).status_code == 404
    assert client.get(f"/console/tickets/{other.pk}/thread").status_code == 404
    assert snapshot(other) == before
    assert "税金の相談" not in client.get("/console/queue/rows").content.decode()


def test_a_ticket_cannot_be_assigned_to_someone_of_another_city(client, city_a, city_b, staff_user):
    ticket = ticket_for(city_a)
    client.force_login(staff_user(city_a, Role.CITY_ADMIN, username="a-admin"))
    outsider = staff_user(city_b, Role.STAFF, username="b-staff")
    client.post(f"/console/tickets/{ticket.pk}/assign", {"user": outsider.pk})
    ticket.refresh_from_db()
    assert ticket.assignee_id is None and ticket.conversation.owner_id is None


def test_only_the_holder_or_a_city_admin_reassigns_a_held_ticket(client, a_ticket, city_a, staff_user):
    holder = Conversation.objects.get(pk=a_ticket.conversation_id).owner
    colleague = staff_user(city_a, Role.STAFF, username="a-colleague")
    client.force_login(colleague)
    client.post(f"/console/tickets/{a_ticket.pk}/assign", {"user": colleague.pk})  # taking it over
    assert Conversation.objects.get(pk=a_ticket.conversation_id).owner == holder
    client.post(f"/console/tickets/{a_ticket.pk}/resolve", {"outcome": Ticket.Outcome.ANSWERED})
    assert Ticket.objects.get(pk=a_ticket.pk).is_open
    client.force_login(holder)
    client.post(f"/console/tickets/{a_ticket.pk}/assign", {"user": colleague.pk})
    assert Conversation.objects.get(pk=a_ticket.conversation_id).owner == colleague
    client.force_login(staff_user(city_a, Role.CITY_ADMIN, username="a-admin"))
    client.post(f"/console/tickets/{a_ticket.pk}/assign", {"user": holder.pk})
    assert Conversation.objects.get(pk=a_ticket.conversation_id).owner == holder


def test_another_citys_canned_reply_is_not_used(client, city_a, city_b, staff_user):
    ticket = ticket_for(city_a, language="en")
    foreign = CannedReply.objects.create(municipality=city_b, title="B", text_ja="B市の定型文")
    CannedReplyTranslation.objects.create(canned=foreign, language="en", text="City B's curated text")
    client.force_login(staff_user(city_a, Role.STAFF, username="a-staff"))
    preview = client.post(f"/console/tickets/{ticket.pk}/preview", {"text": "B市の定型文", "canned": foreign.pk}).json()
    assert preview["text"] != "City B's curated text" and not preview["curated"]
    client.post(f"/console/tickets/{ticket.pk}/reply", {"text": "B市の定型文", "canned": foreign.pk})
    sent = Message.objects.get(conversation=ticket.conversation, sender="staff")
    assert sent.text != "City B's curated text"
    assert "canned" in AuditEvent.objects.get(action="reply").detail
    assert AuditEvent.objects.get(action="reply").detail["canned"] is None


def test_a_preview_token_of_one_ticket_is_not_used_for_another(client, city_a, staff_user):
    first = ticket_for(city_a, user="r1", language="en")
    second = ticket_for(city_a, user="r2", language="vi")
    client.force_login(staff_user(city_a, Role.STAFF, username="a-staff"))
    # A validly signed token, as the preview of the first ticket would give (here: a curated English text).
    token = signing.dumps(
        {"k": first.pk, "t": "こんにちは", "x": "Hello (for the first resident)", "l": "en", "m": False, "c": True},
        salt=console.PREVIEW_SALT,
        compress=True,
    )
    client.post(f"/console/tickets/{second.pk}/reply", {"text": "こんにちは", "preview_token": token})
    sent = Message.objects.get(conversation=second.conversation, sender="staff")
    assert sent.text != "Hello (for the first resident)"


# --- live events ------------------------------------------------------------------------------------------


class FakeSubscription:
    def __init__(self, events):
        self.events = events
        self.closed = False

    def __iter__(self):
        yield from self.events

    def close(self):
        self.closed = True


def test_live_events_subscribe_to_the_users_cities_only(client, city_a, city_b, staff_user, monkeypatch):
    subscribed: list[list[str]] = []

    def listen(channels, **kwargs):
        subscribed.append(list(channels))
        return FakeSubscription([{"type": "ticket.new", "ticket": 1}])

    monkeypatch.setattr(live, "enabled", lambda: True)
    monkeypatch.setattr(live, "listen", listen)
    client.force_login(staff_user(city_b, Role.STAFF, username="b-staff"))
    response = client.get("/console/events")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/event-stream")
    body = b"".join(response.streaming_content).decode()
    assert "event: update" in body
    assert subscribed == [[live.channel_name("console", city_b.pk)]]


def test_live_events_need_a_console_role(client, city_a, staff_user, django_user_model, monkeypatch):
    monkeypatch.setattr(live, "enabled", lambda: True)
    monkeypatch.setattr(live, "listen", lambda *a, **k: pytest.fail("subscribed for a user without a console role"))
    client.force_login(staff_user(city_a, Role.EDITOR, username="a-editor"))
    assert client.get("/console/events").status_code == 403
    client.force_login(django_user_model.objects.create_user("nobody", password="pw", is_staff=True))
    assert client.get("/console/events").status_code == 403
    client.logout()
    assert client.get("/console/events").status_code == 302


# --- who may use the console ------------------------------------------------------------------------------


def test_inactive_users_and_inactive_cities_get_nothing(client, a_ticket, city_a, staff_user):
    user = staff_user(city_a, Role.CITY_ADMIN, username="a-admin")
    client.force_login(user)
    assert client.get(f"/console/tickets/{a_ticket.pk}/").status_code == 200
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    response = client.get(f"/console/tickets/{a_ticket.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/console/login/")
    get_user_model().objects.filter(pk=user.pk).update(is_active=True)
    city_a.is_active = False
    city_a.save()
    assert client.get(f"/console/tickets/{a_ticket.pk}/").status_code == 403
    assert client.post(f"/console/tickets/{a_ticket.pk}/note", {"text": "x"}).status_code == 403
    assert not InternalNote.objects.exists()


# --- CSRF and safe methods ----------------------------------------------------------------------------------


@pytest.fixture
def csrf_client(city_a, staff_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user(city_a, Role.CITY_ADMIN, username="a-admin"))
    return client


@pytest.mark.parametrize("action", ACTIONS)
def test_every_console_action_needs_the_csrf_token(csrf_client, a_ticket, city_a, staff_user, action):
    colleague = staff_user(city_a, Role.STAFF, username="a-colleague")
    before = snapshot(a_ticket)
    url = f"/console/tickets/{a_ticket.pk}/{action}"
    assert csrf_client.post(url, action_data(colleague.pk)).status_code == 403
    assert snapshot(a_ticket) == before
    csrf_client.get(f"/console/tickets/{a_ticket.pk}/")  # sets the CSRF cookie, as the page does
    token = csrf_client.cookies["csrftoken"].value
    assert csrf_client.post(url, {**action_data(colleague.pk), "csrfmiddlewaretoken": token}).status_code in (200, 302)


def test_logout_needs_post_and_the_csrf_token(csrf_client):
    assert csrf_client.get("/console/logout/").status_code == 405
    assert csrf_client.post("/console/logout/").status_code == 403
    assert csrf_client.get("/console/").status_code == 200  # still logged in


@pytest.mark.parametrize("action", ACTIONS)
def test_actions_refuse_get(csrf_client, a_ticket, action):
    before = snapshot(a_ticket)
    assert csrf_client.get(f"/console/tickets/{a_ticket.pk}/{action}", action_data()).status_code == 405
    assert snapshot(a_ticket) == before


# --- escaping -------------------------------------------------------------------------------------------------


def test_resident_and_staff_text_is_escaped_in_the_console(client, city_a, staff_user):
    ticket = ticket_for(city_a, question=XSS, language="en")
    ticket.candidates = [{"kind": "faq", "id": 1, "external_id": XSS, "title": XSS, "score": 0.3}]
    ticket.save()
    staff = staff_user(city_a, Role.STAFF, username="a-staff")
    services.claim(ticket, staff)
    services.add_note(ticket, staff, XSS)
    services.reply(ticket, staff, XSS)
    client.force_login(staff)
    for path in (f"/console/tickets/{ticket.pk}/", f"/console/tickets/{ticket.pk}/thread", "/console/queue/rows"):
        page = client.get(path).content.decode()
        assert "<script>alert" not in page and "<img src=x" not in page, path
        assert "&lt;script&gt;alert" in page, path


# --- redirects -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "https:evil.example"]
)
def test_console_login_never_redirects_off_site(client, city_a, staff_user, target):
    staff_user(city_a, Role.STAFF, username="a-staff")
    response = client.post(f"/console/login/?next={target}", {"username": "a-staff", "password": "pw"})
    assert response.status_code == 302 and response["Location"] == "/console/"
    response = client.get(f"/console/login/?next={target}")  # already logged in
    assert response.status_code == 302 and response["Location"] == "/console/"


def test_a_queue_action_redirects_only_inside_the_console(client, a_ticket, city_a, staff_user):
    client.force_login(staff_user(city_a, Role.STAFF, username="a-staff"))
    response = client.post(f"/console/tickets/{a_ticket.pk}/claim", {"from": "https://evil.example/", "next": "//x"})
    # someone holds it: back to the ticket's actions, inside the console
    assert response.status_code == 302 and response["Location"] == f"/console/tickets/{a_ticket.pk}/#actions"


# --- the hand-off admin ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.STAFF, Role.EDITOR, Role.CITY_ADMIN])
def test_hand_off_admin_of_another_city_is_out_of_reach(client, a_ticket, city_a, city_b, staff_user, role):
    canned = CannedReply.objects.create(municipality=city_a, title="A市の定型文", text_ja="A市の住民の相談")
    calendar = BusinessCalendar.objects.create(municipality=city_a)
    audit = AuditEvent.objects.filter(ticket=a_ticket).first()
    client.force_login(staff_user(city_b, role, username=f"b-{role}"))
    for model, obj in (
        ("ticket", a_ticket),
        ("cannedreply", canned),
        ("businesscalendar", calendar),
        ("auditevent", audit),
    ):
        listing = client.get(f"/admin/handoff/{model}/")
        if listing.status_code == 200:
            assert obj.pk not in {o.pk for o in listing.context["cl"].result_list}, model
        else:
            assert listing.status_code == 403, model
        for view in ("change", "delete", "history"):
            response, missing = (
                client.get(f"/admin/handoff/{model}/{obj.pk}/{view}/"),
                client.get(f"/admin/handoff/{model}/999999/{view}/"),
            )
            assert response.status_code == missing.status_code and response.status_code in (302, 403), (model, view)
            assert "A市の住民の相談" not in response.content.decode(), (model, view)
        client.post(
            f"/admin/handoff/{model}/", {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
        )
        assert type(obj).objects.filter(pk=obj.pk).exists(), model
    client.post(
        f"/admin/handoff/cannedreply/{canned.pk}/change/",
        {
            "municipality": city_b.pk,
            "title": "moved",
            "text_ja": "x",
            "translations-TOTAL_FORMS": "0",
            "translations-INITIAL_FORMS": "0",
        },
    )
    canned.refresh_from_db()
    assert canned.municipality == city_a and canned.title == "A市の定型文"


def test_canned_reply_form_offers_only_the_users_cities(client, city_a, city_b, staff_user):
    client.force_login(staff_user(city_b, Role.EDITOR, username="b-editor"))
    form = client.get("/admin/handoff/cannedreply/add/").context["adminform"].form
    assert list(form.fields["municipality"].queryset) == [city_b]
    client.post(
        "/admin/handoff/cannedreply/add/",
        {
            "municipality": city_a.pk,
            "title": "planted",
            "text_ja": "x",
            "is_active": "on",
            "translations-TOTAL_FORMS": "0",
            "translations-INITIAL_FORMS": "0",
        },
    )
    assert not CannedReply.objects.filter(title="planted").exists()


def test_department_staff_see_only_their_departments_tickets_in_the_admin(client, city_a, staff_user):
    mine = ticket_for(city_a, user="a", department="市民課")
    unrouted = ticket_for(city_a, user="b")
    other = ticket_for(city_a, user="c", question="税金の相談", department="税務課")
    client.force_login(staff_user(city_a, Role.STAFF, username="shimin", department="市民課"))
    listing = client.get("/admin/handoff/ticket/")
    assert {t.pk for t in listing.context["cl"].result_list} == {mine.pk, unrouted.pk}
    response = client.get(f"/admin/handoff/ticket/{other.pk}/change/")
    assert response.status_code == 302 and "税金の相談" not in response.content.decode()
    client.force_login(staff_user(city_a, Role.CITY_ADMIN, username="boss", department="市民課"))
    listing = client.get("/admin/handoff/ticket/")
    assert {t.pk for t in listing.context["cl"].result_list} == {mine.pk, unrouted.pk, other.pk}
