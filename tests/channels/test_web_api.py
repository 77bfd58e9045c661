"""The web chat JSON API: validation, idempotent posts, origins."""

import json

import pytest

from chatbot.models import InboundEvent, Message


@pytest.fixture
def faq(municipality, make_faq):
    return make_faq(municipality, "住民票の写しはどこで取れますか", "市民課の窓口で1通300円です。", url="a.html")


def post(client, body, **headers):
    return client.post("/api/web/mihon/messages", json.dumps(body), content_type="application/json", **headers)


@pytest.fixture
def token(client, municipality):
    return client.post("/api/web/mihon/session").json()["token"]


def test_question_is_answered_and_listed(client, faq, token, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            post(client, {"token": token, "text": "住民票の写しはどこで取れる？", "client_id": "c1"}).status_code == 202
        )
    data = client.get("/api/web/mihon/messages", {"token": token}).json()
    senders = [m["sender"] for m in data["messages"]]
    assert senders == ["resident", "bot"]
    assert data["messages"][1]["reply"]["links"][0]["url"].endswith("/a.html")


def test_same_client_id_is_stored_once(client, faq, token, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post(client, {"token": token, "text": "住民票", "client_id": "same"})
        again = post(client, {"token": token, "text": "住民票", "client_id": "same"})
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert InboundEvent.objects.count() == 1
    assert Message.objects.filter(direction="out").count() == 1


@pytest.mark.parametrize(
    "body,status",
    [
        ({"text": "hi"}, 400),  # no token
        ({"token": "x" * 20, "text": "   "}, 400),
        ({"token": "x" * 20, "text": "あ" * 1001}, 413),
        ({"token": "x" * 20, "text": ["not", "text"]}, 400),
    ],
)
def test_bad_input_gets_a_clear_error(client, municipality, body, status):
    response = post(client, body)
    assert response.status_code == status
    assert response.json()["error"]
    assert InboundEvent.objects.count() == 0


def test_broken_json_is_refused(client, municipality):
    response = client.post("/api/web/mihon/messages", "{oops", content_type="application/json")
    assert response.status_code == 400


def test_foreign_origin_is_refused_and_allowed_origin_gets_cors(client, municipality, token):
    municipality.allowed_web_origins = "https://www.city.mihon.example.jp"
    municipality.save()
    refused = post(client, {"token": token, "text": "x"}, HTTP_ORIGIN="https://evil.example.com")
    assert refused.status_code == 403
    ok = client.options("/api/web/mihon/messages", HTTP_ORIGIN="https://www.city.mihon.example.jp")
    assert ok["Access-Control-Allow-Origin"] == "https://www.city.mihon.example.jp"


def test_unknown_municipality_is_404(client, db):
    assert client.post("/api/web/nowhere/session").status_code == 404


def test_history_is_private_to_the_session(client, faq, token, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post(client, {"token": token, "text": "住民票", "client_id": "c"})
    other = client.post("/api/web/mihon/session").json()["token"]
    assert client.get("/api/web/mihon/messages", {"token": other}).json()["messages"] == []


def test_health_endpoints(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"
