"""Security of the editors' admin: isolation between cities (FAQ, history, pages, import/export, "try a
question", unanswered questions, autocomplete), roles, CSRF and escaping.

Each test fails if the protection it names is removed.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from chatbot import engine
from conversations.models import AnswerLog, Membership
from faq.models import FAQ, Chunk, Page

Role = Membership.Role
ROLES = (Role.STAFF, Role.EDITOR, Role.CITY_ADMIN)
LIST = "/admin/faq/faq/"
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
A_SECRET = "A市だけの内部メモ"


@pytest.fixture
def a_faq(city_a, make_faq):
    faq = make_faq(city_a, A_SECRET, "A市の答え", external_id="a-1", status=FAQ.Status.PUBLISHED)
    faq.answer = "A市の答え（改訂）"
    faq.save()  # a second version in the history
    return faq


@pytest.fixture
def a_page(city_a):
    page = Page.objects.create(municipality=city_a, url="https://a.example/p.html", title=A_SECRET, kind="html")
    Chunk.objects.create(municipality=city_a, page=page, position=0, heading_path=["A"], text=A_SECRET)
    return page


def history_form(faq) -> str:
    return f"{LIST}{faq.pk}/history/{faq.history.earliest().history_id}/"


def faq_form_data(municipality, **fields) -> dict:
    return {
        "municipality": municipality.pk,
        "external_id": "a-1",
        "status": FAQ.Status.PUBLISHED,
        "question": "乗っ取られた質問",
        "answer": "偽の答え",
        "alt_questions": "",
        "category": "",
        "department": "",
        "contact": "",
        "url": "",
        "translations-TOTAL_FORMS": "0",
        "translations-INITIAL_FORMS": "0",
        **fields,
    }


def unchanged(faq) -> bool:
    current = FAQ.objects.get(pk=faq.pk)
    return (current.municipality_id, current.question, current.answer, current.status) == (
        faq.municipality_id,
        faq.question,
        faq.answer,
        faq.status,
    )


# --- FAQ entries and their history --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_another_citys_faq_is_out_of_reach(client, city_a, city_b, a_faq, staff_user, role):
    client.force_login(staff_user(city_b, role, username=f"b-{role}"))
    listing = client.get(LIST)
    assert listing.status_code == 200 and a_faq.pk not in {f.pk for f in listing.context["cl"].result_list}
    searched = client.get(LIST, {"q": A_SECRET})
    assert not searched.context["cl"].result_list
    for view in ("change", "delete"):
        # Answered exactly as for an entry that does not exist (the admin redirects to its index, or refuses
        # the view to a role that never has it).
        response, missing = client.get(f"{LIST}{a_faq.pk}/{view}/"), client.get(f"{LIST}999999/{view}/")
        assert response.status_code == missing.status_code and response.status_code in (302, 403), view
        assert response.get("Location") == missing.get("Location"), view
    for url in (f"{LIST}{a_faq.pk}/history/", history_form(a_faq)):
        response = client.get(url)
        assert response.status_code == 404, url  # not 403: whether the entry exists is not told
        assert A_SECRET not in response.content.decode(), url
    for url in (f"{LIST}{a_faq.pk}/change/", history_form(a_faq)):
        client.post(url, faq_form_data(city_b))
    client.post(f"{LIST}{a_faq.pk}/delete/", {"post": "yes"})
    for action in ("publish", "unpublish", "mark_reviewed", "delete_selected"):
        client.post(LIST, {"action": action, "_selected_action": [a_faq.pk], "post": "yes"})
    assert unchanged(a_faq)
    assert FAQ.objects.get(pk=a_faq.pk).last_reviewed_at is None


def test_readers_cannot_rewrite_an_entry_through_its_history(client, city_a, a_faq, staff_user):
    client.force_login(staff_user(city_a, Role.STAFF, username="a-staff"))
    assert client.get(f"{LIST}{a_faq.pk}/history/").status_code == 200  # staff may read the history
    assert client.get(history_form(a_faq)).status_code == 200
    response = client.post(history_form(a_faq), faq_form_data(city_a))
    assert response.status_code == 403
    assert unchanged(a_faq)


def test_an_editor_elsewhere_cannot_move_a_readable_entry_into_their_city(client, city_a, city_b, a_faq, staff_user):
    # Read-only (staff) in city A, editor in city B: A's entries are visible, never writable.
    user = staff_user(city_a, Role.STAFF, username="a-staff-b-editor")
    Membership.objects.create(user=user, municipality=city_b, role=Role.EDITOR)
    client.force_login(user)
    assert client.post(history_form(a_faq), faq_form_data(city_b)).status_code == 403
    assert client.post(f"{LIST}{a_faq.pk}/change/", faq_form_data(city_b)).status_code == 403
    assert unchanged(a_faq)


def test_editors_still_revert_their_own_entries(client, city_a, a_faq, staff_user):
    client.force_login(staff_user(city_a, Role.EDITOR, username="a-editor"))
    first = a_faq.history.earliest()
    response = client.post(history_form(a_faq), faq_form_data(city_a, question=first.question, answer=first.answer))
    assert response.status_code == 302
    assert FAQ.objects.get(pk=a_faq.pk).answer == "A市の答え"


def test_history_of_a_deleted_entry_stays_in_its_city(client, city_a, city_b, a_faq, staff_user):
    pk = a_faq.pk
    a_faq.delete()
    client.force_login(staff_user(city_b, Role.EDITOR, username="b-editor"))
    assert client.get(f"{LIST}{pk}/history/").status_code == 404
    client.force_login(staff_user(city_a, Role.EDITOR, username="a-editor"))
    assert client.get(f"{LIST}{pk}/history/").status_code == 200


def test_the_add_form_offers_only_writable_cities(client, city_a, city_b, staff_user):
    user = staff_user(city_b, Role.EDITOR, username="b-editor")
    Membership.objects.create(user=user, municipality=city_a, role=Role.STAFF)
    client.force_login(user)
    form = client.get(f"{LIST}add/").context["adminform"].form
    assert list(form.fields["municipality"].queryset) == [city_b]
    client.post(f"{LIST}add/", faq_form_data(city_a, external_id="planted"))
    assert not FAQ.objects.filter(external_id="planted").exists()


def test_staff_only_users_cannot_add_import_or_bulk_edit(client, city_a, a_faq, staff_user):
    client.force_login(staff_user(city_a, Role.STAFF, username="a-staff"))
    assert client.get(f"{LIST}add/").status_code == 403
    assert client.get(f"{LIST}import/").status_code == 403
    content = b"external_id,question,answer\nplanted,q,a\n"
    upload = SimpleUploadedFile("f.csv", content)
    assert client.post(f"{LIST}import/", {"municipality": city_a.pk, "kind": "faq", "file": upload}).status_code == 403
    client.post(LIST, {"action": "unpublish", "_selected_action": [a_faq.pk]})
    assert unchanged(a_faq) and not FAQ.objects.filter(external_id="planted").exists()


def test_users_without_a_membership_get_no_editor_pages(client, a_faq, django_user_model):
    client.force_login(django_user_model.objects.create_user("nobody", password="pw", is_staff=True))
    for url in (LIST, f"{LIST}import/", f"{LIST}export/", f"{LIST}try/", f"{LIST}unanswered/", "/admin/faq/page/"):
        assert client.get(url).status_code == 403, url


# --- the editors' own pages -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_editor_pages_refuse_another_city(client, city_a, city_b, a_faq, staff_user, monkeypatch, role):
    monkeypatch.setattr(engine, "answer", lambda request: pytest.fail("the engine ran for another city"))
    AnswerLog.objects.create(municipality=city_a, query=A_SECRET, decision="handoff", reason="low_confidence")
    client.force_login(staff_user(city_b, role, username=f"b-{role}"))
    export = client.get(f"{LIST}export/", {"municipality": city_a.pk, "kind": "faq", "format": "csv"})
    assert export.status_code in (200, 403) and "attachment" not in export.get("Content-Disposition", "")
    assert A_SECRET not in export.content.decode()
    tried = client.get(f"{LIST}try/", {"municipality": city_a.pk, "q": "質問", "language": "ja"})
    assert tried.status_code in (200, 403) and A_SECRET not in tried.content.decode()
    unanswered = client.get(f"{LIST}unanswered/", {"municipality": city_a.pk})
    assert unanswered.status_code in (302, 403)
    everything = client.get(f"{LIST}unanswered/", {"days": 365})
    assert A_SECRET not in everything.content.decode()
    upload = SimpleUploadedFile("f.csv", b"external_id,question,answer\nplanted,q,a\n")
    client.post(f"{LIST}import/", {"municipality": city_a.pk, "kind": "faq", "file": upload})
    assert not FAQ.objects.filter(external_id="planted").exists()


def test_pages_and_passages_of_another_city_are_out_of_reach(client, city_a, city_b, a_page, staff_user):
    client.force_login(staff_user(city_b, Role.EDITOR, username="b-editor"))
    chunk = a_page.chunks.get()
    for model, obj in (("page", a_page), ("chunk", chunk)):
        listing = client.get(f"/admin/faq/{model}/")
        assert listing.status_code == 200 and not listing.context["cl"].result_list, model
        response = client.get(f"/admin/faq/{model}/{obj.pk}/change/")
        assert response.status_code == 302 and A_SECRET not in response.content.decode()
    client.post("/admin/faq/page/", {"action": "withdraw", "_selected_action": [a_page.pk]})
    client.post("/admin/faq/page/", {"action": "delete_selected", "_selected_action": [a_page.pk], "post": "yes"})
    a_page.refresh_from_db()
    assert a_page.gone_at is None and a_page.chunks.exists()


def test_autocomplete_shows_only_the_users_entries(client, city_a, city_b, a_faq, make_faq, staff_user):
    own = make_faq(city_b, "B市の質問", "B市の答え", external_id="b-1")
    client.force_login(staff_user(city_b, Role.EDITOR, username="b-editor"))
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "conversations", "model_name": "answerlog", "field_name": "answered_faq", "term": ""},
    )
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [str(own.pk)]


# --- CSRF ----------------------------------------------------------------------------------------------------


def test_admin_writes_need_the_csrf_token(city_a, a_faq, staff_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user(city_a, Role.EDITOR, username="a-editor"))
    assert client.post(LIST, {"action": "unpublish", "_selected_action": [a_faq.pk]}).status_code == 403
    assert client.post(history_form(a_faq), faq_form_data(city_a)).status_code == 403
    upload = SimpleUploadedFile("f.csv", b"external_id,question,answer\nplanted,q,a\n")
    assert client.post(f"{LIST}import/", {"municipality": city_a.pk, "kind": "faq", "file": upload}).status_code == 403
    assert unchanged(a_faq) and not FAQ.objects.filter(external_id="planted").exists()


# --- escaping ------------------------------------------------------------------------------------------------


def test_resident_questions_are_escaped_in_the_unanswered_list(client, city_a, staff_user):
    candidates = [{"kind": "faq", "id": 1, "external_id": XSS, "title": XSS, "score": 0.2}]
    AnswerLog.objects.create(
        municipality=city_a, query=XSS, decision="handoff", reason="low_confidence", candidates=candidates
    )
    client.force_login(staff_user(city_a, Role.EDITOR, username="a-editor"))
    for params in ({}, {"by": "candidate"}):
        html = client.get(f"{LIST}unanswered/", params).content.decode()
        assert "&lt;script&gt;alert" in html
        assert "<script>alert" not in html and "<img src=x" not in html


def test_the_unanswered_filter_does_not_reflect_arbitrary_input(client, city_a, staff_user):
    client.force_login(staff_user(city_a, Role.EDITOR, username="a-editor"))
    html = client.get(f"{LIST}unanswered/", {"kind": '"><b>reflected'}).content.decode()
    assert "reflected" not in html


def test_try_a_question_escapes_the_question_and_the_candidates(client, city_a, make_faq, staff_user):
    make_faq(city_a, XSS, XSS, external_id="xss-entry", status=FAQ.Status.PUBLISHED)
    client.force_login(staff_user(city_a, Role.EDITOR, username="a-editor"))
    html = client.get(f"{LIST}try/", {"municipality": city_a.pk, "q": XSS, "language": "ja"}).content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert" in html


def test_faq_export_neutralises_formulas(client, city_a, make_faq, staff_user):
    make_faq(city_a, '=HYPERLINK("http://evil.example/","x")', "@SUM(A1)", external_id="formula")
    client.force_login(staff_user(city_a, Role.EDITOR, username="a-editor"))
    response = client.get(f"{LIST}export/", {"municipality": city_a.pk, "kind": "faq", "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)
