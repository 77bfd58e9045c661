"""The web API at the edge, as an attacker or a careless client uses it: invented sessions, ``Origin: null``,
malformed postbacks and broken text each get a refusal (or are cleaned), and nobody floods the staff queue.

Each test fails if the protection it names is removed.
"""

from __future__ import annotations

import json

import pytest

from channels.web import views
from conversations.models import InboundEvent, Message
from handoff import services
from handoff.models import Ticket

ORIGIN = "https://www.city.mihon.example.jp"


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def post(client, body: dict | str, slug: str = "mihon", **headers):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(f"/api/web/{slug}/messages", data, content_type="application/json", **headers)


def session(client, slug: str = "mihon", **headers) -> str:
    return client.post(f"/api/web/{slug}/session", **headers).json()["token"]


@pytest.fixture
def city(municipality):
    municipality.allowed_web_origins = ORIGIN
    municipality.save()
    return municipality


# --- only sessions the server issued -------------------------------------------------------------------


def invented_tokens(client, city, make_municipality) -> list[str]:
    issued = session(client)
    nonce, _dot, mac = issued.partition(".")
    make_municipality("other")
    return [
        "x" * 40,  # any string of the right length
        f"{nonce}.{'0' * len(mac)}",  # the right shape, a MAC this server did not make
        f"{nonce[::-1]}.{mac}",  # a MAC taken from another token
        session(client, "other"),  # issued, but by another municipality
    ]


def test_a_token_the_server_never_issued_gets_401_everywhere(client, city, make_municipality):
    for token in invented_tokens(client, city, make_municipality):
        assert post(client, {"text": "人と話したい"}, **bearer(token)).status_code == 401
        assert post(client, {"text": "人と話したい", "token": token}).status_code == 401
        assert client.get("/api/web/mihon/messages", **bearer(token)).status_code == 401
        assert client.post("/api/web/mihon/stream-ticket", **bearer(token)).status_code == 401
    assert not InboundEvent.objects.exists()


def test_an_issued_token_works_and_survives_a_rotated_secret_key(client, city, settings):
    token = session(client)
    assert post(client, {"text": "こんにちは", "client_id": "a"}, **bearer(token)).status_code == 202
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-key-" + "k" * 50
    assert post(client, {"text": "こんにちは", "client_id": "b"}, **bearer(token)).status_code == 202
    settings.SECRET_KEY_FALLBACKS = []
    assert post(client, {"text": "こんにちは", "client_id": "c"}, **bearer(token)).status_code == 401


# --- Origin: null ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method,endpoint",
    [("post", "session"), ("post", "messages"), ("get", "messages"), ("post", "stream-ticket"), ("get", "config")],
)
def test_origin_null_is_refused_unless_the_city_allows_it(client, city, method, endpoint):
    token = session(client)
    response = getattr(client, method)(f"/api/web/mihon/{endpoint}", HTTP_ORIGIN="null", **bearer(token))
    assert response.status_code == 403
    city.allowed_web_origins = f"{ORIGIN}\nnull"
    city.save()
    response = getattr(client, method)(f"/api/web/mihon/{endpoint}", HTTP_ORIGIN="null", **bearer(token))
    assert response.status_code != 403


# --- malformed input: 400 with a message, nothing stored ----------------------------------------------------


@pytest.mark.parametrize(
    "postback",
    [
        {"action": "pick", "id": "abc"},
        {"action": "pick", "id": -3},
        {"action": "pick", "id": True},
        {"action": "pick", "id": 1, "kind": "table"},
        {"action": "lang", "value": ["en", "ja"]},
        {"action": "lang", "value": "<script>"},
        {"action": "feedback", "value": "yes", "log": "x"},
        {"action": "feedback", "value": "maybe", "log": 1},
        {"action": "rating", "value": "good", "ticket": None},
        {"action": "person", "label": ["a"]},
        {"action": "person", "label": "あ" * 201},
        {"action": "launch"},
        {"value": "en"},
        [],
        "person",
    ],
)
def test_a_postback_that_does_not_fit_the_schema_gets_400(client, city, postback):
    response = post(client, {"postback": postback, "client_id": "p"}, **bearer(session(client)))
    assert response.status_code == 400 and response.json()["error"]
    assert not InboundEvent.objects.exists()


def test_a_valid_postback_is_stored_in_the_shape_the_bot_reads(client, city):
    response = post(
        client,
        {"postback": {"action": "pick", "id": "12", "label": "粗大ごみ\u0000", "x": 1}},
        **bearer(session(client)),
    )
    assert response.status_code == 202
    assert InboundEvent.objects.get().payload["postback"] == {
        "action": "pick",
        "id": 12,
        "kind": "faq",
        "label": "粗大ごみ",
    }


def test_text_is_cleaned_before_it_is_stored(client, city):
    body = (
        '{"text": "\\u7c97\\u5927\\u0000\\ud800\\u3054\\u307f\\u202e\\r\\n?", "client_id": "t"}'  # as JSON escapes it
    )
    assert post(client, body, **bearer(session(client))).status_code == 202
    assert InboundEvent.objects.get().payload["text"] == "粗大\ufffdごみ\n?"


def test_the_client_address_is_stored_only_as_a_keyed_hash(client, city):
    post(client, {"text": "こんにちは"}, REMOTE_ADDR="203.0.113.7", **bearer(session(client)))
    payload = InboundEvent.objects.get().payload
    assert "203.0.113.7" not in json.dumps(payload) and len(payload["client"]) == 24


# --- nobody floods the staff queue ---------------------------------------------------------------------------


def ask_for_a_person(client, token: str, n: int, capture, **headers):
    with capture(execute=True):
        response = post(client, {"postback": {"action": "person"}, "client_id": f"p{n}"}, **bearer(token), **headers)
    assert response.status_code == 202
    return Message.objects.filter(direction="out").order_by("-pk").first()


def test_tickets_per_address_per_hour_are_limited(client, city, settings, django_capture_on_commit_callbacks):
    settings.WEB_TICKETS_PER_ADDRESS_HOUR = 2
    settings.WEB_TICKETS_PER_SESSION_HOUR = 0
    replies = [
        ask_for_a_person(client, session(client), n, django_capture_on_commit_callbacks, REMOTE_ADDR="198.51.100.9")
        for n in range(4)
    ]
    assert Ticket.objects.count() == 2
    assert "お取り次ぎできませんでした" in replies[-1].text  # told why, and where else to turn
    assert "お取り次ぎできませんでした" not in replies[0].text
    # Another address is not affected.
    ask_for_a_person(client, session(client), 9, django_capture_on_commit_callbacks, REMOTE_ADDR="198.51.100.10")
    assert Ticket.objects.count() == 3


def test_tickets_per_session_per_hour_are_limited(client, city, settings, django_capture_on_commit_callbacks):
    settings.WEB_TICKETS_PER_SESSION_HOUR = 1
    token = session(client)
    ask_for_a_person(client, token, 1, django_capture_on_commit_callbacks)
    services.resolve(Ticket.objects.get(), ask_rating=False)
    reply = ask_for_a_person(client, token, 2, django_capture_on_commit_callbacks)
    assert Ticket.objects.count() == 1 and "お取り次ぎできませんでした" in reply.text


def test_the_widget_starts_a_new_session_when_its_token_is_refused():
    script = (views.HERE / "static" / "web" / "widget.js").read_text(encoding="utf-8")
    assert "response.status === 401" in script and "forgetToken(token)" in script
