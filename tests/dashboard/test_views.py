"""The dashboard pages: who may see them, CSV exports equal to the charts, FAQ drafts, data deletion."""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.urls import reverse

from conversations.admin import erase_personal_data
from conversations.models import AnswerLog, Membership, Message, Resident
from handoff.models import AuditEvent, Ticket

from .test_seed import END, PHONE_TEXT, START, build_seed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client):
    """Pages in English (the msgids), whatever locales exist; no cached groups from another test."""

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    cache.clear()


@pytest.fixture
def seeded(make_municipality, make_faq):
    return build_seed(make_municipality, make_faq)


WEEK = {"start": START.isoformat(), "end": END.isoformat()}


def overview(client, slug="mihon", **params):
    return client.get(reverse("dashboard:overview", args=[slug]), {**WEEK, **params})


def charts_of(response) -> dict:
    html = response.content.decode()
    found = re.search(r'<script id="dashboard-charts" type="application/json">(.*?)</script>', html, re.S)
    assert found, "the page embeds its chart data"
    return json.loads(found.group(1))


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_members_see_their_municipality_and_no_other(client, seeded, staff_user, django_user_model):
    for role in (Membership.Role.STAFF, Membership.Role.EDITOR, Membership.Role.CITY_ADMIN):
        client.force_login(staff_user(seeded.city, role))
        assert overview(client).status_code == 200
        assert overview(client, slug="tonari").status_code == 404
    client.force_login(django_user_model.objects.create_user("nobody", password="pw", is_staff=True))
    assert overview(client).status_code == 404
    assert client.get(reverse("dashboard:index")).status_code == 404
    client.logout()
    response = overview(client)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_city_admin_of_two_cities_and_superuser_see_both(client, seeded, django_user_model):
    admin = django_user_model.objects.create_user("two", password="pw", is_staff=True)
    for city in (seeded.city, seeded.other):
        Membership.objects.create(user=admin, municipality=city, role=Membership.Role.CITY_ADMIN)
    client.force_login(admin)
    index = client.get(reverse("dashboard:index"))
    assert index.status_code == 200
    assert "みほん市" in index.content.decode() and "となり町" in index.content.decode()
    assert overview(client, slug="tonari").status_code == 200
    client.force_login(django_user_model.objects.create_superuser("root", password="pw"))
    assert overview(client, slug="tonari").status_code == 200


def test_single_city_members_go_straight_to_it(client, seeded, staff_user):
    client.force_login(staff_user(seeded.city))
    response = client.get(reverse("dashboard:index"))
    assert response.status_code == 302 and response["Location"] == reverse("dashboard:overview", args=["mihon"])


def test_page_shows_the_headline_figures(client, seeded, staff_user):
    client.force_login(staff_user(seeded.city))
    html = overview(client).content.decode()
    assert 'data-kpi="conversations">11<' in html
    assert 'data-kpi="self_resolution">27.3<' in html
    assert 'data-kpi="handoff_rate">45.5<' in html
    assert 'data-kpi="outside_hours">38.5<' in html
    assert 'data-kpi="response">20 min<' in html
    assert "vendor/chart.umd.min.js" in html and "cdn" not in html.lower()


@pytest.mark.parametrize("channel", ["", "web"])
def test_every_chart_export_has_the_charts_numbers(client, seeded, staff_user, channel):
    client.force_login(staff_user(seeded.city))
    charts = charts_of(overview(client, channel=channel))
    assert {"daily", "hourly", "resolution", "handoff_reasons", "first_response", "satisfaction", "languages"} <= set(
        charts
    )
    assert {"channels", "top_faq", "tokens", "translated_characters"} <= set(charts)  # costs: tokens were used
    for key, chart in charts.items():
        url = reverse("dashboard:export", args=["mihon", key])
        table = read_csv(client.get(url, {**WEEK, "channel": channel}))
        header, body = table[0], table[1:]
        assert [row[0] for row in body] == chart["labels"], key
        for dataset in chart["datasets"]:
            column = header.index(dataset["label"])
            assert [float(row[column]) for row in body] == [float(v) for v in dataset["data"]], (key, dataset)
    assert sum(charts["daily"]["datasets"][1]["data"]) == (6 if channel else 13)


def test_exports_of_lists_and_unknown_keys(client, seeded, staff_user):
    client.force_login(staff_user(seeded.city))
    never = read_csv(client.get(reverse("dashboard:export", args=["mihon", "faq_never_hit"]), WEEK))
    assert [row[0] for row in never[1:]] == ["F4", "F7"]
    unanswered = read_csv(client.get(reverse("dashboard:export", args=["mihon", "unanswered"]), WEEK))
    assert [(row[0], row[1]) for row in unanswered[1:3]] == [
        ("ペットの犬を登録したい", "2"),
        ("粗大ごみの出し方を教えて", "2"),
    ]
    assert "090-1234-5678" not in str(unanswered)
    for key in ("review_due", "expiring", "changed_sources"):
        assert client.get(reverse("dashboard:export", args=["mihon", key])).status_code == 200
    assert client.get(reverse("dashboard:export", args=["mihon", "nonsense"])).status_code == 404
    assert client.get(reverse("dashboard:export", args=["tonari", "daily"])).status_code == 404


def test_unanswered_questions_offer_an_faq_draft_to_editors(client, seeded, staff_user):
    url = reverse("dashboard:unanswered", args=["mihon"])
    client.force_login(staff_user(seeded.city, Membership.Role.EDITOR))
    html = client.get(url, WEEK).content.decode()
    assert "090-1234-5678" not in html and "[PHONE]" in html
    links = re.findall(r'href="(/admin/faq/faq/add/\?[^"]+)"', html)
    assert len(links) == 5  # one per group; C11's unpicked ask-back counts since the two pages share one rule
    params = parse_qs(urlparse(links[0].replace("&amp;", "&")).query)
    city = str(seeded.city.pk)
    assert params == {"question": ["ペットの犬を登録したい"], "status": ["draft"], "municipality": [city]}
    client.force_login(staff_user(seeded.city, Membership.Role.STAFF))
    html = client.get(url, WEEK).content.decode()
    assert "ペットの犬を登録したい" in html and "/admin/faq/faq/add/" not in html


def test_the_faq_draft_link_opens_a_prefilled_admin_form(client, seeded, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password="pw"))
    link = reverse("admin:faq_faq_add") + f"?question=犬の登録&status=draft&municipality={seeded.city.pk}"
    response = client.get(link)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.initial["question"] == "犬の登録" and form.initial["status"] == "draft"


def test_filters_validate(client, seeded, staff_user):
    client.force_login(staff_user(seeded.city))
    response = client.get(reverse("dashboard:overview", args=["mihon"]), {"start": "2026-07-12", "end": "2026-07-06"})
    assert response.status_code == 400  # the page, with the default period and what was wrong
    assert "The start date is after the end date." in response.content.decode()
    f = response.context["f"]
    assert (f.end - f.start).days == 29  # the default: the last 30 days
    response = client.get(reverse("dashboard:overview", args=["mihon"]), {"channel": "fax"})
    assert response.status_code == 400 and response.context["f"].channel == ""


def test_content_freshness_page(client, seeded, staff_user):
    client.force_login(staff_user(seeded.city, Membership.Role.EDITOR))
    response = client.get(reverse("dashboard:content", args=["mihon"]))
    assert response.status_code == 200
    html = response.content.decode()
    # Nothing was ever reviewed: every published entry is due (F1-F4, F6, F7), F6 has expired.
    assert re.search(r'id="content-review_due".*?data-count="6"', html, re.S)
    assert re.search(r'id="content-expiring".*?data-count="1"', html, re.S)
    assert reverse("admin:faq_faq_change", args=[seeded.faqs[6].pk]) in html


def test_staff_delete_a_residents_data_on_request(client, seeded, staff_user):
    user = staff_user(seeded.city)
    client.force_login(user)
    c3 = seeded.conversations["C3"]
    url = reverse("dashboard:erase", args=["mihon"])
    found = client.get(url, {"q": f"#{c3.pk}"})
    assert found.status_code == 200 and f'data-resident="{c3.resident_id}"' in found.content.decode()
    by_id = client.get(url, {"q": "U-C3"})
    assert f'data-resident="{c3.resident_id}"' in by_id.content.decode()
    assert 'data-resident="' not in client.get(url, {"q": "U-C14"}).content.decode()  # another city's resident

    unconfirmed = client.post(url, {"resident": c3.resident_id, "reason": "電話で依頼"})
    assert unconfirmed.status_code == 400  # the form again, with what is missing
    assert Message.objects.filter(conversation=c3, text=PHONE_TEXT).exists()

    done = client.post(url, {"resident": c3.resident_id, "reason": "電話で依頼 090-1111-2222", "confirm": "on"})
    assert done.status_code == 302
    assert not Message.objects.filter(conversation=c3).exclude(text="").exists()
    assert not AnswerLog.objects.filter(conversation=c3).exclude(query="").exists()
    resident = Resident.objects.get(pk=c3.resident_id)
    assert resident.channel_user_id.startswith("anon-")
    event = AuditEvent.objects.get(action="erase_resident")
    assert event.user == user and event.municipality == seeded.city
    assert event.detail["resident"] == resident.pk and "090-1111-2222" not in json.dumps(event.detail)
    # Others keep their data.
    assert Message.objects.filter(conversation=seeded.conversations["C4"]).exclude(text="").exists()


def test_editors_may_not_delete_residents_data(client, seeded, staff_user):
    client.force_login(staff_user(seeded.city, Membership.Role.EDITOR))
    url = reverse("dashboard:erase", args=["mihon"])
    assert client.get(url).status_code == 404
    c3 = seeded.conversations["C3"]
    assert client.post(url, {"resident": c3.resident_id, "reason": "x", "confirm": "on"}).status_code == 404
    assert Message.objects.filter(conversation=c3, text=PHONE_TEXT).exists()


def test_staff_of_one_city_cannot_erase_another_citys_resident(client, seeded, staff_user):
    client.force_login(staff_user(seeded.city))
    other = seeded.conversations["C14"].resident
    response = client.post(
        reverse("dashboard:erase", args=["mihon"]), {"resident": other.pk, "reason": "x", "confirm": "on"}
    )
    assert response.status_code == 404
    assert Resident.objects.get(pk=other.pk).channel_user_id == "U-C14"


def test_admin_action_opens_the_confirmation_page(rf, seeded, django_user_model):
    request = rf.post("/admin/conversations/resident/")
    request.user = django_user_model.objects.create_superuser("root", password="pw")
    ids = [seeded.conversations["C1"].resident_id, seeded.conversations["C2"].resident_id]
    response = erase_personal_data(admin.site._registry[Resident], request, Resident.objects.filter(pk__in=ids))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("dashboard:erase", args=["mihon"]) + "?residents=")


def test_residents_are_found_by_ticket_number_and_listed_from_the_admin_action(client, seeded, staff_user):
    client.force_login(staff_user(seeded.city))
    url = reverse("dashboard:erase", args=["mihon"])
    c4 = seeded.conversations["C4"]
    ticket = Ticket.objects.get(conversation=c4)
    html = client.get(url, {"q": f"#{ticket.pk}"}).content.decode()
    assert f'data-resident="{c4.resident_id}"' in html
    ids = [seeded.conversations[k].resident_id for k in ("C1", "C2")] + [seeded.conversations["C14"].resident_id]
    html = client.get(url, {"residents": ",".join(map(str, ids))}).content.decode()
    assert html.count("data-resident=") == 2  # C14 lives in another municipality
