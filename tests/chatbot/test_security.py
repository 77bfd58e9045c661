"""Security of the dashboard and the tenant admin: isolation between cities, roles, CSRF, CSV exports,
escaping, redirects and error pages.

Each test fails if the protection it names is removed.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conversations.models import AnswerLog, Conversation, InboundEvent, Membership, Message, Municipality, Resident
from dashboard import metrics
from languages.models import CachedTranslation, GlossaryTerm

Role = Membership.Role
ROLES = (Role.STAFF, Role.EDITOR, Role.CITY_ADMIN)
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
A_SECRET = "A市だけの相談内容"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The dashboard keeps grouped questions in the cache: no test sees another's."""

    cache.clear()
    yield
    cache.clear()


def converse(city, *, user: str, text: str, decision: str = "handoff", reason: str = "low_confidence"):
    resident = Resident.objects.create(municipality=city, channel="web", channel_user_id=user, language="ja")
    conversation = Conversation.objects.create(municipality=city, resident=resident)
    message = Message.objects.create(
        conversation=conversation, direction="in", sender="resident", text=text, language="ja"
    )
    AnswerLog.objects.create(
        municipality=city,
        conversation=conversation,
        message=message,
        query=text,
        language="ja",
        decision=decision,
        reason=reason,
        candidates=[{"kind": "faq", "id": 1, "external_id": "x", "title": text, "score": 0.2}],
    )
    InboundEvent.objects.create(
        municipality=city, channel="web", channel_event_id=f"e-{user}", event_type="message", payload={"text": text}
    )
    return resident, conversation


@pytest.fixture
def a_data(city_a):
    resident, conversation = converse(city_a, user="a-resident-0001", text=A_SECRET)
    translation = CachedTranslation.objects.create(
        municipality=city_a, source_language="ja", target_language="en", source_text=A_SECRET, text="A only"
    )
    term = GlossaryTerm.objects.create(municipality=city_a, japanese=A_SECRET, language="en", term="a-only-term")
    return {"resident": resident, "conversation": conversation, "translation": translation, "term": term}


# --- the dashboard -------------------------------------------------------------------------------------------

EXPORT_KEYS = [
    *metrics.CHART_TABLES,
    *metrics.COST_TABLES,
    *metrics.LIST_TABLES,
    *metrics.CONTENT_TABLES,
]


def dashboard_urls(slug: str) -> list[str]:
    return [
        reverse("dashboard:overview", args=[slug]),
        reverse("dashboard:unanswered", args=[slug]),
        reverse("dashboard:content", args=[slug]),
        reverse("dashboard:erase", args=[slug]),
        *(reverse("dashboard:export", args=[slug, key]) for key in EXPORT_KEYS),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_every_dashboard_url_of_another_city_is_404(client, city_a, city_b, a_data, staff_user, role):
    client.force_login(staff_user(city_b, role, username=f"b-{role}"))
    for url in dashboard_urls("city-a"):
        response = client.get(url, {"q": a_data["resident"].channel_user_id})
        assert response.status_code == 404, url
        assert A_SECRET not in response.content.decode(), url
    erase = client.post(
        reverse("dashboard:erase", args=["city-a"]),
        {"resident": a_data["resident"].pk, "reason": "request", "confirm": "on"},
    )
    assert erase.status_code == 404
    assert Resident.objects.get(pk=a_data["resident"].pk).channel_user_id == "a-resident-0001"
    # The user's own dashboard answers, and shows nothing of city A.
    for url in dashboard_urls("city-b"):
        response = client.get(url)
        assert response.status_code in (200, 404), url  # erase is for staff and city admins only
        assert A_SECRET not in response.content.decode(), url


def test_erasing_on_ones_own_page_cannot_reach_another_citys_resident(client, city_a, city_b, a_data, staff_user):
    client.force_login(staff_user(city_b, Role.CITY_ADMIN, username="b-admin"))
    url = reverse("dashboard:erase", args=["city-b"])
    resident = a_data["resident"]
    ticket_search = client.get(url, {"q": str(a_data["conversation"].pk)})
    assert ticket_search.status_code == 200 and not ticket_search.context["cards"]
    user_id_search = client.get(url, {"q": resident.channel_user_id})
    assert not user_id_search.context["cards"]
    from_admin_action = client.get(url, {"residents": str(resident.pk)})
    assert not from_admin_action.context["cards"]
    response = client.post(url, {"resident": resident.pk, "reason": "request", "confirm": "on"})
    assert response.status_code == 404
    assert Resident.objects.get(pk=resident.pk).channel_user_id == "a-resident-0001"
    assert Message.objects.get(conversation=a_data["conversation"]).text == A_SECRET


def test_users_without_a_membership_or_inactive_get_no_dashboard(client, city_a, a_data, staff_user):
    nobody = get_user_model().objects.create_user("nobody", password="pw", is_staff=True)
    client.force_login(nobody)
    assert client.get(reverse("dashboard:index")).status_code == 404
    for url in dashboard_urls("city-a"):
        assert client.get(url).status_code == 404, url
    member = staff_user(city_a, Role.CITY_ADMIN, username="a-admin")
    client.force_login(member)
    assert client.get(reverse("dashboard:overview", args=["city-a"])).status_code == 200
    get_user_model().objects.filter(pk=member.pk).update(is_active=False)
    response = client.get(reverse("dashboard:overview", args=["city-a"]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_editors_may_not_erase(client, city_a, a_data, staff_user):
    client.force_login(staff_user(city_a, Role.EDITOR, username="a-editor"))
    url = reverse("dashboard:erase", args=["city-a"])
    assert client.get(url).status_code == 404
    assert client.post(url, {"resident": a_data["resident"].pk, "reason": "r", "confirm": "on"}).status_code == 404
    assert Resident.objects.get(pk=a_data["resident"].pk).channel_user_id == "a-resident-0001"


def test_erasing_needs_the_csrf_token(city_a, a_data, staff_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user(city_a, Role.STAFF, username="a-staff"))
    url = reverse("dashboard:erase", args=["city-a"])
    data = {"resident": a_data["resident"].pk, "reason": "request", "confirm": "on"}
    assert client.post(url, data).status_code == 403
    assert Resident.objects.get(pk=a_data["resident"].pk).channel_user_id == "a-resident-0001"
    client.get(url, {"q": "a-resident-0001"})  # the confirmation form, with its CSRF token
    assert client.post(url, {**data, "csrfmiddlewaretoken": client.cookies["csrftoken"].value}).status_code == 302
    assert Resident.objects.get(pk=a_data["resident"].pk).channel_user_id != "a-resident-0001"


def test_dashboard_pages_have_no_side_effects_on_get(client, city_a, a_data, staff_user):
    client.force_login(staff_user(city_a, Role.STAFF, username="a-staff"))
    url = reverse("dashboard:erase", args=["city-a"])
    client.get(url, {"resident": a_data["resident"].pk, "reason": "r", "confirm": "on"})
    client.get(url, {"q": a_data["resident"].channel_user_id})
    assert Resident.objects.get(pk=a_data["resident"].pk).channel_user_id == "a-resident-0001"
    assert client.put(url).status_code == 405


@pytest.mark.parametrize(
    "question", ['=HYPERLINK("http://evil.example/","x")', "+1+2", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]
)
def test_exported_resident_questions_cannot_run_as_formulas(client, city_a, staff_user, question):
    converse(city_a, user="r-formula", text=question)
    client.force_login(staff_user(city_a, Role.STAFF, username="a-staff"))
    today = timezone.localdate().isoformat()
    response = client.get(reverse("dashboard:export", args=["city-a", "unanswered"]), {"start": today, "end": today})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8").lstrip("\ufeff"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert any(question.strip() in cell for cell in cells), rows
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells), rows


def test_resident_text_is_escaped_on_the_dashboard(client, city_a, make_faq, staff_user):
    converse(city_a, user="r-xss", text=XSS)
    make_faq(city_a, "</script><script>alert(1)</script>", "答え", external_id="xss")
    client.force_login(staff_user(city_a, Role.EDITOR, username="a-editor"))
    today = timezone.localdate().isoformat()
    fragment = client.get(reverse("dashboard:unanswered", args=["city-a"]), {"start": today, "end": today})
    html = fragment.content.decode()
    assert "&lt;script&gt;alert" in html and "<script>alert" not in html and "<img src=x" not in html
    page = client.get(reverse("dashboard:overview", args=["city-a"]), {"start": today, "end": today})
    html = page.content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    # Chart data is embedded with json_script: "<" is escaped inside the script element.
    found = re.search(r'<script id="dashboard-charts" type="application/json">(.*?)</script>', html, re.S)
    assert found and "</" not in found.group(1)


# --- the tenant admin --------------------------------------------------------------------------------------


def app_of(model: str) -> str:
    """The admin app label of a model that moved out of the chatbot app."""
    return "languages" if model in ("cachedtranslation", "glossaryterm") else "conversations"


def admin_urls(model: str, obj_pk: int) -> list[str]:
    base = f"/admin/{app_of(model)}/{model}/"
    return [f"{base}{obj_pk}/change/", f"{base}{obj_pk}/delete/", f"{base}{obj_pk}/history/"]


def assert_not_reachable(client, url: str, secret: str = A_SECRET) -> None:
    response = client.get(url)
    # The admin answers "no such object" with a redirect to its index, exactly as for a missing one.
    assert response.status_code in (302, 403, 404), url
    if response.status_code == 302:
        assert response["Location"] == "/admin/", url
    assert secret not in response.content.decode(), url


@pytest.mark.parametrize("role", ROLES)
def test_admin_lists_and_objects_of_another_city_are_out_of_reach(client, city_a, city_b, a_data, staff_user, role):
    converse(city_b, user="b-resident", text="B市の相談")
    client.force_login(staff_user(city_b, role, username=f"b-{role}"))
    objects = {
        "conversation": a_data["conversation"],
        "resident": a_data["resident"],
        "answerlog": AnswerLog.objects.get(municipality=city_a),
        "inboundevent": InboundEvent.objects.get(municipality=city_a),
        "cachedtranslation": a_data["translation"],
        "glossaryterm": a_data["term"],
        "membership": Membership.objects.create(
            user=get_user_model().objects.create_user("a-member"), municipality=city_a, role=Role.STAFF
        ),
        "municipality": city_a,
    }
    for model, obj in objects.items():
        listing = client.get(f"/admin/{app_of(model)}/{model}/")
        if listing.status_code == 200:
            assert obj.pk not in {o.pk for o in listing.context["cl"].result_list}, model
            assert A_SECRET not in listing.content.decode(), model
        else:
            assert listing.status_code == 403, model
        for url in admin_urls(model, obj.pk):
            assert_not_reachable(client, url)
    # Nothing changed by posting to another city's objects either.
    client.post(f"/admin/conversations/municipality/{city_a.pk}/change/", {"slug": "taken", "name_ja": "乗っ取り"})
    client.post(f"/admin/conversations/municipality/{city_a.pk}/delete/", {"post": "yes"})
    client.post(f"/admin/languages/glossaryterm/{a_data['term'].pk}/delete/", {"post": "yes"})
    city_a.refresh_from_db()
    assert city_a.slug == "city-a" and GlossaryTerm.objects.filter(pk=a_data["term"].pk).exists()


def test_admin_actions_ignore_another_citys_rows(client, city_a, city_b, a_data, staff_user):
    client.force_login(staff_user(city_b, Role.CITY_ADMIN, username="b-admin"))
    for model, obj in (
        ("resident", a_data["resident"]),
        ("answerlog", AnswerLog.objects.get(municipality=city_a)),
        ("conversation", a_data["conversation"]),
        ("glossaryterm", a_data["term"]),
        ("cachedtranslation", a_data["translation"]),
    ):
        client.post(
            f"/admin/{app_of(model)}/{model}/",
            {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
        )
        assert type(obj).objects.filter(pk=obj.pk).exists(), model
    response = client.post(
        "/admin/conversations/resident/", {"action": "erase_personal_data", "_selected_action": [a_data["resident"].pk]}
    )
    assert "city-a" not in response.get("Location", "")


def test_admin_forms_offer_only_the_users_cities(client, city_a, city_b, staff_user):
    client.force_login(staff_user(city_b, Role.CITY_ADMIN, username="b-admin"))
    for url in ("/admin/conversations/membership/add/", "/admin/languages/glossaryterm/add/"):
        choices = client.get(url).context["adminform"].form.fields["municipality"].queryset
        assert list(choices) == [city_b], url
    target = get_user_model().objects.create_user("someone")
    response = client.post(
        "/admin/conversations/membership/add/", {"user": target.pk, "municipality": city_a.pk, "role": Role.CITY_ADMIN}
    )
    assert response.status_code == 200 and not Membership.objects.filter(municipality=city_a).exists()
    response = client.post(
        "/admin/languages/glossaryterm/add/",
        {"municipality": city_a.pk, "japanese": "住民票", "language": "en", "term": "x", "is_active": "on"},
    )
    assert not GlossaryTerm.objects.filter(municipality=city_a).exists()


def test_autocomplete_shows_only_the_users_cities(client, city_a, city_b, staff_user):
    client.force_login(staff_user(city_b, Role.CITY_ADMIN, username="b-admin"))
    response = client.get(
        "/admin/autocomplete/", {"app_label": "conversations", "model_name": "membership", "field_name": "municipality"}
    )
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [str(city_b.pk)]
    users = client.get(
        "/admin/autocomplete/", {"app_label": "conversations", "model_name": "membership", "field_name": "user"}
    )
    assert users.status_code == 403  # the user list is for superusers


def test_city_admins_cannot_delete_or_create_municipalities(client, city_b, staff_user):
    client.force_login(staff_user(city_b, Role.CITY_ADMIN, username="b-admin"))
    assert client.get(f"/admin/conversations/municipality/{city_b.pk}/change/").status_code == 200
    assert client.get(f"/admin/conversations/municipality/{city_b.pk}/delete/").status_code == 403
    client.post(f"/admin/conversations/municipality/{city_b.pk}/delete/", {"post": "yes"})
    client.post(
        "/admin/conversations/municipality/",
        {"action": "delete_selected", "_selected_action": [city_b.pk], "post": "yes"},
    )
    assert Municipality.objects.filter(pk=city_b.pk).exists()
    assert client.get("/admin/conversations/municipality/add/").status_code == 403


def test_line_credentials_are_never_shown(client, city_a, staff_user):
    client.force_login(staff_user(city_a, Role.CITY_ADMIN, username="a-admin"))
    page = client.get(f"/admin/conversations/municipality/{city_a.pk}/change/").content.decode()
    assert "a-line-secret" not in page and "a-line-token" not in page


def test_shared_rows_are_read_only_for_non_superusers(client, city_b, staff_user):
    shared_term = GlossaryTerm.objects.create(japanese="住民票", language="en", term="shared-term")
    shared_translation = CachedTranslation.objects.create(
        source_language="ja", target_language="en", source_text="共有", text="shared"
    )
    client.force_login(staff_user(city_b, Role.CITY_ADMIN, username="b-admin"))
    for model, obj in (("glossaryterm", shared_term), ("cachedtranslation", shared_translation)):
        assert client.get(f"/admin/{app_of(model)}/{model}/{obj.pk}/change/").status_code == 200  # readable
        assert client.get(f"/admin/{app_of(model)}/{model}/{obj.pk}/delete/").status_code == 403
        client.post(
            f"/admin/{app_of(model)}/{model}/",
            {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
        )
        assert type(obj).objects.filter(pk=obj.pk).exists(), model
    client.post(
        f"/admin/languages/glossaryterm/{shared_term.pk}/change/",
        {"japanese": "住民票", "language": "en", "term": "changed", "is_active": "on"},
    )
    shared_term.refresh_from_db()
    assert shared_term.term == "shared-term" and shared_term.municipality is None


@pytest.mark.parametrize(
    "url",
    ["/admin/conversations/conversation/", "/admin/conversations/resident/", "/admin/conversations/inboundevent/"],
)
def test_editors_do_not_see_residents_data_in_the_admin(client, city_a, a_data, staff_user, url):
    client.force_login(staff_user(city_a, Role.EDITOR, username="a-editor"))
    assert client.get(url).status_code == 403


def test_admin_needs_csrf(city_b, staff_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user(city_b, Role.CITY_ADMIN, username="b-admin"))
    response = client.post(
        "/admin/languages/glossaryterm/add/",
        {"municipality": city_b.pk, "japanese": "住民票", "language": "en", "term": "x", "is_active": "on"},
    )
    assert response.status_code == 403 and not GlossaryTerm.objects.exists()


# --- redirects and error pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "https:evil.example"]
)
def test_admin_login_never_redirects_off_site(client, city_a, staff_user, target):
    staff_user(city_a, Role.EDITOR, username="a-editor")
    response = client.post(
        "/admin/login/", {"username": "a-editor", "password": "pw", "next": target}, QUERY_STRING=f"next={target}"
    )
    assert response.status_code == 302
    assert not response["Location"].startswith(("http", "//", "/\\")), response["Location"]


def test_server_errors_show_no_traceback(city_a, staff_user, settings, monkeypatch):
    settings.DEBUG = False

    def explode(_filters):
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr(metrics, "build", explode)
    client = Client(raise_request_exception=False)
    client.force_login(staff_user(city_a, Role.STAFF, username="a-staff"))
    response = client.get(reverse("dashboard:overview", args=["city-a"]))
    assert response.status_code == 500
    body = response.content.decode()
    assert "hunter2" not in body and "Traceback" not in body and "RuntimeError" not in body


@pytest.mark.parametrize(
    "url",
    [
        "/admin/conversations/membership/",
        "/admin/conversations/conversation/",
        "/admin/conversations/resident/",
        "/admin/conversations/inboundevent/",
        "/admin/conversations/answerlog/",
        "/admin/languages/cachedtranslation/",
        "/admin/languages/glossaryterm/",
        "/admin/handoff/ticket/",
        "/admin/handoff/cannedreply/",
        "/admin/handoff/auditevent/",
    ],
)
def test_list_filters_do_not_name_other_cities(client, city_a, city_b, make_municipality, staff_user, url):
    make_municipality("city-c", name_ja="秘密の顧客町")
    converse(city_b, user="b-resident", text="B市の相談")
    client.force_login(staff_user(city_b, Role.CITY_ADMIN, username="b-admin"))
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "秘密の顧客町" not in html and city_a.name_ja not in html, url
