"""Security of the web chat API: origins and CORS per municipality, sessions kept apart between cities,
bounded input, and the session token never logged or stored.

Each test fails if the protection it names is removed.
"""

from __future__ import annotations

import json
import logging

import pytest

from channels.web.adapter import resident_key
from conversations.models import InboundEvent, Message, Resident

A_ORIGIN = "https://www.city-a.example.jp"
B_ORIGIN = "https://www.city-b.example.jp"


@pytest.fixture
def cities(make_municipality):
    return (
        make_municipality("city-a", allowed_web_origins=A_ORIGIN),
        make_municipality("city-b", allowed_web_origins=B_ORIGIN),
    )


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def post_message(client, slug: str, body: dict, **headers):
    return client.post(f"/api/web/{slug}/messages", json.dumps(body), content_type="application/json", **headers)


ENDPOINTS = [
    ("get", "config"),
    ("post", "session"),
    ("get", "messages"),
    ("post", "messages"),
    ("post", "stream-ticket"),
    ("get", "events"),
    ("options", "messages"),
    ("options", "session"),
]


@pytest.mark.parametrize("method,endpoint", ENDPOINTS)
def test_one_citys_origin_is_refused_by_another_city(client, cities, method, endpoint):
    response = getattr(client, method)(f"/api/web/city-b/{endpoint}", HTTP_ORIGIN=A_ORIGIN)
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response
    assert not InboundEvent.objects.exists()


@pytest.mark.parametrize(
    "origin", ["null", "https://www.city-b.example.jp.evil.example", "http://www.city-b.example.jp"]
)
def test_cors_is_given_to_the_allowed_origins_only(client, cities, origin):
    preflight = client.options(
        "/api/web/city-b/messages", HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert "Access-Control-Allow-Origin" not in preflight
    allowed = client.options(
        "/api/web/city-b/messages", HTTP_ORIGIN=B_ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert allowed["Access-Control-Allow-Origin"] == B_ORIGIN  # echoed, never "*"
    assert "Access-Control-Allow-Credentials" not in allowed  # no cookies ride along


def test_a_session_of_one_city_reads_nothing_of_another(client, cities):
    token = client.post("/api/web/city-a/session", HTTP_ORIGIN=A_ORIGIN).json()["token"]
    resident = Resident.objects.create(municipality=cities[0], channel="web", channel_user_id=resident_key(token))
    Message.objects.create(
        conversation=resident.conversations.create(municipality=cities[0]),
        direction="out",
        sender="staff",
        text="A市からの返事",
        delivery="sent",
    )
    own = client.get("/api/web/city-a/messages", HTTP_ORIGIN=A_ORIGIN, **bearer(token)).json()
    assert [m["text"] for m in own["messages"]] == ["A市からの返事"]
    elsewhere = client.get("/api/web/city-b/messages", HTTP_ORIGIN=B_ORIGIN, **bearer(token))
    assert elsewhere.status_code == 401 and "messages" not in elsewhere.json()  # a session of city A only
    ticket = client.post("/api/web/city-a/stream-ticket", HTTP_ORIGIN=A_ORIGIN, **bearer(token)).json()["ticket"]
    assert client.get("/api/web/city-b/events", {"ticket": ticket}, HTTP_ORIGIN=B_ORIGIN).status_code == 403


def test_input_is_bounded(client, cities, settings):
    token = client.post("/api/web/city-b/session").json()["token"]
    settings.MESSAGE_MAX_CHARS = 50
    assert post_message(client, "city-b", {"text": "あ" * 51}, **bearer(token)).status_code == 413
    assert (
        post_message(client, "city-b", {"text": "a", "postback": {"x": "y" * 20_000}}, **bearer(token)).status_code
        == 413
    )
    short = post_message(client, "city-b", {"text": "a"}, **bearer("short"))
    long = post_message(client, "city-b", {"text": "a"}, **bearer("t" * 129))
    assert short.status_code == long.status_code == 400
    assert not InboundEvent.objects.exists()


def test_messages_are_rate_limited_per_session_and_per_address(client, cities, settings):
    settings.WEB_RATE_SESSION_MESSAGES = "1/h"
    settings.WEB_RATE_IP_MESSAGES = "2/h"
    first, second = (client.post("/api/web/city-b/session").json()["token"] for _ in range(2))
    assert post_message(client, "city-b", {"text": "1", "client_id": "1"}, **bearer(first)).status_code == 202
    assert post_message(client, "city-b", {"text": "2", "client_id": "2"}, **bearer(first)).status_code == 429
    assert post_message(client, "city-b", {"text": "3", "client_id": "3"}, **bearer(second)).status_code == 202
    # A made-up token (no /session call) is refused before anything is counted or stored.
    made_up = "m" * 40
    assert post_message(client, "city-b", {"text": "4", "client_id": "4"}, **bearer(made_up)).status_code == 401
    third = client.post("/api/web/city-b/session").json()["token"]
    assert post_message(client, "city-b", {"text": "5", "client_id": "5"}, **bearer(third)).status_code == 429
    assert InboundEvent.objects.count() == 2


def test_the_session_token_is_never_logged_or_stored(
    client, cities, make_faq, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    make_faq(cities[1], "住民票の写しはどこで取れますか", "市民課の窓口で1通300円です。")
    token = client.post("/api/web/city-b/session").json()["token"]
    with django_capture_on_commit_callbacks(execute=True):
        post_message(client, "city-b", {"text": "住民票がほしい", "client_id": "c1"}, **bearer(token))
        post_message(client, "city-b", {"text": "もう一度", "token": token, "client_id": "c2"})
    client.get("/api/web/city-b/messages", **bearer(token))
    client.post("/api/web/city-b/stream-ticket", **bearer(token))
    client.get(f"/api/web/city-b/messages?token={token}")  # refused with 400, and not logged either
    assert Message.objects.filter(direction="out").exists()  # the question was processed
    assert token not in caplog.text
    for event in InboundEvent.objects.all():
        assert token not in json.dumps(event.payload) and token not in event.channel_event_id
    assert not Resident.objects.filter(channel_user_id__contains=token).exists()
