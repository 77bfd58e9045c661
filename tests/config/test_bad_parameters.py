"""No 500 from bad parameters, on any page: every URL pattern is walked with malformed dates, ids and numbers.

The walk is built from the URL configuration itself, so a page added later is walked too. Each
pattern is requested by a superuser (who reaches every page) with its path parameters filled with
real ids and with malformed ones (letters, a number too large for any database column, negative),
and with query strings whose dates, ids and numbers are malformed; forms are posted with malformed
ids (never for a real object, so nothing is changed). Nothing may answer 5xx. The dashboard's and
the web API's own parameters must answer 400 with a message.
"""

from __future__ import annotations

import itertools
import re
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conversations.models import AnswerLog, Conversation, InboundEvent, Message, Resident
from handoff import services
from handoff.models import Ticket

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"
BAD_IDS = ["abc", HUGE, "-1", "1.5", "%00"]
BAD_DATES = ["0001-01-01", "9999-12-31", "2026-02-30", "abc", "2026-13-01", HUGE]
QUERIES = [{"start": d, "end": e} for d, e in [("0001-01-01", "0001-01-01"), ("abc", "9999-12-31"), (HUGE, "-1")]] + [
    {"end": "0001-01-01"},
    {"start": "9999-12-31"},
    {"channel": "nonsense", "start": "2026-02-30"},
    {"after": "abc"},
    {"after": HUGE},
    {"after": "-5"},
    {"residents": HUGE},
    {"residents": "1,abc,-3," + HUGE},
    {"resident": "abc"},
    {"resident": HUGE},
    {"q": HUGE},
    {"q": "#" + HUGE},
    {"p": "abc"},
    {"p": HUGE},
    {"o": "abc.-99"},
    {"page": "abc"},
    {"lang": "x" * 300},
    {"ticket": HUGE},
    {"id": "abc", "pk": HUGE},
    {"municipality": "abc"},
    {"municipality__id__exact": HUGE},
    {"created_at__gte": "0001-01-01"},
    {"received_at__gte": "abc"},
    {"status": HUGE},
    {"user": "abc"},
    {"faq": "abc", "question": "x"},
]
SEARCHING = {"admin/faq/faq/try/"}  # runs the whole answer engine per request: a few queries only
ADMIN_QUERIES = [
    q
    for q in QUERIES
    if set(q) & {"p", "o", "q", "municipality__id__exact", "created_at__gte", "received_at__gte", "status", "end"}
]
FORM = {
    "resident": HUGE,
    "user": "abc",
    "ticket": HUGE,
    "department": "x",
    "text": "x",
    "outcome": "nonsense",
    "faq": "abc",
    "start": "0001-01-01",
    "end": "abc",
}


def walk(patterns, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
REGEX_GROUP = re.compile(r"\((?:\?P<\w+>)?[^()]*\)")


def concrete(route: str, values: dict[str, list[str]]) -> list[str]:
    """The URLs of one pattern, every parameter filled with each of its candidate values."""
    route = route.replace("^", "").replace("$", "").replace("\\", "")
    if "(" in route:  # a regular-expression pattern (simple_history's revision view)
        route = REGEX_GROUP.sub("{g}", route)
        return ["/" + route.replace("{g}", v) for v in ["abc", HUGE]]
    names = [m.group("name") for m in PARAM.finditer(route)]
    choices = [values.get(name, ["abc", HUGE]) for name in names]
    urls = []
    for combination in itertools.product(*choices):
        url = route
        for value in combination:
            url = PARAM.sub(value, url, count=1)
        urls.append("/" + url)
    return urls


@pytest.fixture
def world(municipality, staff_user):
    resident = Resident.objects.create(municipality=municipality, channel="web", channel_user_id="r" * 40)
    conversation = Conversation.objects.create(municipality=municipality, resident=resident)
    Message.objects.create(conversation=conversation, direction="in", sender="resident", text="質問")
    InboundEvent.objects.create(municipality=municipality, channel="web", channel_event_id="e", payload={})
    AnswerLog.objects.create(municipality=municipality, conversation=conversation, query="質問", decision="handoff")
    ticket = services.open_ticket(conversation, Ticket.Reason.ASKED_FOR_PERSON, question="質問")
    return {
        "slug": [municipality.slug, "nope"],
        "key": ["unanswered", "daily", "nope"],
        "pk": [str(ticket.pk), *BAD_IDS[:3]],
        "object_id": [str(municipality.pk), *BAD_IDS],
        "content_type_id": ["1", *BAD_IDS[:2]],
        "path": ["index.html", "../../etc/passwd"],
    }


def test_no_page_answers_5xx_to_malformed_parameters(world, municipality):
    admin = get_user_model().objects.create_superuser("root", "root@example.jp", "pw")
    client = Client(raise_request_exception=False)
    client.force_login(admin)
    failures = []
    routes = sorted(set(walk(get_resolver().url_patterns)))
    assert len(routes) > 100
    requests = 0
    for route in routes:
        urls = concrete(route, world)
        admin_object = route.startswith("admin/") and "object_id" in route
        if admin_object or route.endswith(("add/", "delete/")):
            queries = [{}]
        elif route in SEARCHING:
            queries = [{}, {"q": HUGE}]
        elif route.startswith("admin/"):
            queries = [{}, *ADMIN_QUERIES]
        else:
            queries = [{}, *QUERIES]
        for url in urls:
            for query in queries:
                response = client.get(url + ("?" + urlencode(query) if query else ""))
                requests += 1
                if response.status_code >= 500:
                    failures.append(f"GET {url}?{urlencode(query)} -> {response.status_code}")
            if any(bad in url for bad in BAD_IDS) and "delete" not in url:
                response = client.post(url, FORM)  # a malformed id: no real object is touched
                requests += 1
                if response.status_code >= 500:
                    failures.append(f"POST {url} -> {response.status_code}")
    assert not failures, "\n".join(failures[:40])
    assert requests > 1000


@pytest.mark.parametrize(
    "query",
    [
        {"end": "0001-01-01"},
        {"start": "abc"},
        {"start": "2026-02-30"},
        {"start": "2026-05-01", "end": "2026-04-01"},
        {"channel": "fax"},
    ],
)
@pytest.mark.parametrize("page", ["dashboard:overview", "dashboard:unanswered", "dashboard:export"])
def test_dashboard_filters_that_make_no_sense_get_400_with_a_message(client, municipality, query, page):
    admin = get_user_model().objects.create_superuser("root", "root@example.jp", "pw")
    client.force_login(admin)
    args = [municipality.slug, "daily"] if page == "dashboard:export" else [municipality.slug]
    response = client.get(reverse(page, args=args), query, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.content.strip()


@pytest.mark.parametrize(
    "method,data",
    [
        ("get", {"residents": HUGE}),
        ("get", {"residents": "1,abc"}),
        ("post", {"resident": "abc", "reason": "x", "confirm": "on"}),
        ("post", {"resident": HUGE, "reason": "x", "confirm": "on"}),
    ],
)
def test_the_erase_page_refuses_malformed_resident_ids_with_400(client, municipality, method, data):
    admin = get_user_model().objects.create_superuser("root", "root@example.jp", "pw")
    client.force_login(admin)
    url = reverse("dashboard:erase", args=[municipality.slug])
    response = getattr(client, method)(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and response.content.strip()
