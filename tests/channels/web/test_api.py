"""The web chat JSON API: validation, idempotent posts, tokens and tickets, origins, limits, config, live events."""

import json
import threading
import time

import pytest
from django.conf import settings
from django.core import signing
from django.db import connection
from django.urls import get_resolver

from channels.web.adapter import live_channel, resident_key
from conversations import live, outbox
from conversations.content import Reply
from conversations.models import Conversation, InboundEvent, Message, Resident
from faq.models import FAQTranslation

from .conftest import RESIDENT_CARD_ANSWER_EN, RESIDENT_CARD_EN


@pytest.fixture
def faq(municipality, make_faq):
    return make_faq(municipality, "住民票の写しはどこで取れますか", "市民課の窓口で1通300円です。", url="a.html")


def post(client, body, **headers):
    return client.post("/api/web/mihon/messages", json.dumps(body), content_type="application/json", **headers)


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def history(client, token: str, slug: str = "mihon", **params):
    return client.get(f"/api/web/{slug}/messages", params, **bearer(token))


def ticket_for(client, token: str, slug: str = "mihon") -> str:
    response = client.post(f"/api/web/{slug}/stream-ticket", **bearer(token))
    assert response.status_code == 201, response.content
    return response.json()["ticket"]


def open_events(client, token: str):
    return client.get("/api/web/mihon/events", {"ticket": ticket_for(client, token)})


@pytest.fixture
def token(client, municipality):
    return client.post("/api/web/mihon/session").json()["token"]


def test_question_is_answered_and_listed(client, faq, token, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            post(client, {"token": token, "text": "住民票の写しはどこで取れる？", "client_id": "c1"}).status_code == 202
        )
    data = history(client, token).json()
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
        ({"token": "TOKEN", "text": "   "}, 400),
        ({"token": "TOKEN", "text": "\u0000\u0007 \n"}, 400),  # nothing left once control characters go
        ({"token": "TOKEN", "text": "あ" * 1001}, 413),
        ({"token": "TOKEN", "text": ["not", "text"]}, 400),
        ({"token": "TOKEN", "text": "hi", "language": ["en"]}, 400),
        ({"token": "TOKEN", "text": "hi", "client_id": {"x": 1}}, 400),
        ({"token": "x" * 20, "text": "hi"}, 401),  # a token this server never issued
    ],
)
def test_bad_input_gets_a_clear_error(client, municipality, token, body, status):
    if body.get("token") == "TOKEN":
        body = {**body, "token": token}
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
    assert history(client, other).json()["messages"] == []


def test_health_endpoints(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"


# --- the session token: in a header, never in a URL -------------------------------------------------


def test_the_token_in_a_header_reads_and_writes(client, faq, token, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sent = post(client, {"text": "住民票の写しはどこで取れる？", "client_id": "h1"}, **bearer(token))
    assert sent.status_code == 202
    assert InboundEvent.objects.get().payload["user"] == resident_key(token)
    response = history(client, token, after=0, lang="ja")
    assert response["Cache-Control"] == "private, no-store"
    data = response.json()
    assert [m["sender"] for m in data["messages"]] == ["resident", "bot"]
    assert data["messages"][0]["client_id"] == "h1"
    # Without a token (or with another scheme) there is nothing to read.
    assert client.get("/api/web/mihon/messages").json() == {"messages": [], "state": "bot"}
    other_scheme = client.get("/api/web/mihon/messages", HTTP_AUTHORIZATION=f"Basic {token}")
    assert other_scheme.json()["messages"] == []


def test_the_header_token_wins_over_one_in_the_body(client, municipality, token):
    other = client.post("/api/web/mihon/session").json()["token"]
    assert post(client, {"token": other, "text": "こんにちは", "client_id": "w1"}, **bearer(token)).status_code == 202
    assert InboundEvent.objects.get().payload["user"] == resident_key(token)


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/api/web/mihon/messages"),
        ("post", "/api/web/mihon/messages"),
        ("get", "/api/web/mihon/events"),
        ("post", "/api/web/mihon/stream-ticket"),
        ("get", "/api/web/mihon/config"),
        ("post", "/api/web/mihon/session"),
    ],
)
def test_a_token_in_the_url_is_refused(client, municipality, token, method, path):
    origin = "https://www.city.mihon.example.jp"
    municipality.allowed_web_origins = origin
    municipality.save()
    kwargs = {"content_type": "application/json", "data": json.dumps({"text": "x"})} if method == "post" else {}
    response = getattr(client, method)(f"{path}?token={token}&after=0", HTTP_ORIGIN=origin, **kwargs)
    assert response.status_code == 400
    assert "Authorization" in response.json()["error"] and "URL" in response.json()["error"]
    assert response["Access-Control-Allow-Origin"] == origin  # the client can read why
    assert InboundEvent.objects.count() == 0


def test_the_preflight_allows_the_authorization_header(client, municipality):
    origin = "https://www.city.mihon.example.jp"
    municipality.allowed_web_origins = origin
    municipality.save()
    for path in ("messages", "stream-ticket", "events"):
        response = client.options(
            f"/api/web/mihon/{path}",
            HTTP_ORIGIN=origin,
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET" if path != "stream-ticket" else "POST",
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
        )
        assert response.status_code == 204
        assert response["Access-Control-Allow-Origin"] == origin
        allowed = {h.strip().lower() for h in response["Access-Control-Allow-Headers"].split(",")}
        assert {"authorization", "content-type"} <= allowed


# --- stream tickets ----------------------------------------------------------------------------------


def test_a_stream_ticket_needs_the_token_in_the_header_and_does_not_contain_it(client, municipality, token):
    assert client.post("/api/web/mihon/stream-ticket").status_code == 400
    assert client.post("/api/web/mihon/stream-ticket", **bearer("short")).status_code == 400
    response = client.post("/api/web/mihon/stream-ticket", **bearer(token))
    assert response.status_code == 201 and response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["expires_in"] == 60
    assert token not in body["ticket"]
    data = signing.loads(body["ticket"], salt="madoguchi.web.stream-ticket")
    assert data == {"m": municipality.pk, "u": resident_key(token)}


def test_reading_tickets_counts_against_the_read_limit(client, municipality, token, settings):
    settings.WEB_RATE_IP_READS = "2/h"
    statuses = [client.post("/api/web/mihon/stream-ticket", **bearer(token)).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]


def _old_ticket(client, token, monkeypatch, age: int) -> str:
    """A ticket issued ``age`` seconds ago."""
    with monkeypatch.context() as m:
        m.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(int(time.time()) - age))
        return ticket_for(client, token)


@pytest.mark.parametrize("age,status", [(50, 204), (61, 403), (3600, 403)])
def test_a_ticket_opens_the_stream_only_for_about_a_minute(
    client, municipality, token, monkeypatch, settings, age, status
):
    settings.REDIS_URL = ""  # no Redis: a valid ticket gets 204 (the widget polls), a refused one 403
    response = client.get("/api/web/mihon/events", {"ticket": _old_ticket(client, token, monkeypatch, age)})
    assert response.status_code == status
    if status == 403:
        assert "expired" in response.json()["error"]


def test_a_ticket_of_another_municipality_is_refused(client, municipality, make_municipality, settings):
    settings.REDIS_URL = ""
    make_municipality("other")
    token = client.post("/api/web/other/session").json()["token"]
    foreign = ticket_for(client, token, slug="other")
    response = client.get("/api/web/mihon/events", {"ticket": foreign})
    assert response.status_code == 403 and "not valid" in response.json()["error"]
    assert client.get("/api/web/other/events", {"ticket": foreign}).status_code == 204


def test_a_forged_ticket_is_refused(client, municipality, token, settings):
    settings.REDIS_URL = ""
    good = ticket_for(client, token)
    payload = {"m": municipality.pk, "u": resident_key("someone-elses-token-123")}
    forged = [
        good[:-2] + ("AA" if not good.endswith("AA") else "BB"),  # tampered signature
        signing.dumps(payload, salt="another-purpose"),  # signed for something else
        signing.dumps(payload, key="not-the-secret-key", salt="madoguchi.web.stream-ticket"),
        signing.dumps("just a string", salt="madoguchi.web.stream-ticket"),
        token,  # the session token itself is not a ticket
        "x" * 600,
    ]
    for ticket in forged:
        response = client.get("/api/web/mihon/events", {"ticket": ticket})
        assert response.status_code == 403, ticket
        assert response.json()["error"]
    assert client.get("/api/web/mihon/events", {"ticket": good}).status_code == 204


# --- configuration -------------------------------------------------------------------------------


def test_config_has_every_language_greeting_disclaimer_and_suggestions(client, city_faqs):
    data = client.get("/api/web/mihon/config", {"lang": "en"}).json()
    assert data["language"] == "en"
    codes = [lang["code"] for lang in data["languages"]]
    assert codes == [code for code, _name in settings.LANGUAGES] and "ja-easy" in codes
    assert "Sample City" in data["greeting"]
    assert data["disclaimer"]
    assert data["max_chars"] == settings.MESSAGE_MAX_CHARS
    assert data["live"] is False
    assert {"open", "person", "send", "helpful_yes", "helpful_no", "too_long"} <= set(data["strings"])
    suggestions = data["suggestions"]
    # One per category, the largest category first; only questions with a curated English version
    # are offered to an English reader: two questions rather than two more in Japanese.
    assert [(s["lang"], s["question"]) for s in suggestions] == [
        ("en", "How do I dispose of oversized (bulky) waste?"),
        ("en", RESIDENT_CARD_EN),
    ]


def test_suggested_questions_in_japanese_only_where_nothing_is_translated(client, city_faqs):
    # Nothing in Vietnamese yet: the Japanese questions, one per category, then filled up to four.
    vi = client.get("/api/web/mihon/config", {"lang": "vi"}).json()["suggestions"]
    assert [s["lang"] for s in vi] == ["ja"] * 4
    assert [s["category"] for s in vi[:3]] == ["ごみ・リサイクル", "子育て・教育", "戸籍・住民票"]
    # Easy Japanese: a curated easy-Japanese question first, then the Japanese ones (they can read them).
    FAQTranslation.objects.create(
        faq=city_faqs["card"], language="ja-easy", question="じゅうみんひょうが ほしい", answer="しみんかで とれます。"
    )
    easy = client.get("/api/web/mihon/config", {"lang": "ja-easy"}).json()["suggestions"]
    assert easy[0]["question"] == "じゅうみんひょうが ほしい" and len(easy) == 4


def test_config_in_japanese_and_unknown_language(client, city_faqs):
    ja = client.get("/api/web/mihon/config", {"lang": "ja"}).json()
    assert "みほん市" in ja["greeting"] and ja["html_lang"] == "ja"
    assert all(s["lang"] == "ja" for s in ja["suggestions"])
    easy = client.get("/api/web/mihon/config", {"lang": "ja-easy"}).json()
    assert easy["language"] == "ja-easy" and easy["html_lang"] == "ja"
    unknown = client.get("/api/web/mihon/config", {"lang": "xx"}).json()
    assert unknown["language"] == "ja"


def test_config_uses_the_citys_own_texts(client, municipality):
    municipality.greeting_ja = "みほん市チャットへようこそ。"
    municipality.disclaimer_en = "Check the official page."
    municipality.save()
    assert client.get("/api/web/mihon/config", {"lang": "ja"}).json()["greeting"] == "みほん市チャットへようこそ。"
    assert client.get("/api/web/mihon/config", {"lang": "en"}).json()["disclaimer"] == "Check the official page."


# --- origins ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/api/web/mihon/config"),
        ("post", "/api/web/mihon/session"),
        ("get", "/api/web/mihon/messages"),
        ("get", "/api/web/mihon/messages?token=" + "t" * 20),
        ("post", "/api/web/mihon/stream-ticket"),
        ("get", "/api/web/mihon/events?ticket=x"),
        ("get", "/api/web/mihon/events?token=" + "t" * 20),
        ("options", "/api/web/mihon/messages"),
    ],
)
def test_every_endpoint_refuses_a_foreign_origin(client, municipality, method, path):
    municipality.allowed_web_origins = "https://www.city.mihon.example.jp"
    municipality.save()
    response = getattr(client, method)(path, HTTP_ORIGIN="https://evil.example.com")
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response
    assert response.json()["error"]


def test_allowed_origin_gets_cors_on_reads_and_writes(client, municipality, token):
    origin = "https://www.city.mihon.example.jp"
    municipality.allowed_web_origins = origin + "/\nhttps://other.example.jp"
    municipality.save()
    for response in (
        client.get("/api/web/mihon/config", HTTP_ORIGIN=origin),
        client.get("/api/web/mihon/messages", HTTP_ORIGIN=origin, **bearer(token)),
        post(client, {"text": "こんにちは"}, HTTP_ORIGIN=origin, **bearer(token)),
        client.post("/api/web/mihon/stream-ticket", HTTP_ORIGIN=origin, **bearer(token)),
    ):
        assert response.status_code in (200, 201, 202)
        assert response["Access-Control-Allow-Origin"] == origin
        assert "Origin" in response["Vary"]
    # The server's own pages need no CORS and are always allowed.
    own = client.get("/api/web/mihon/config", HTTP_ORIGIN="http://testserver")
    assert own.status_code == 200 and "Access-Control-Allow-Origin" not in own


# --- limits ------------------------------------------------------------------------------------------


def test_per_session_rate_limit_gives_a_clear_429(client, municipality, token, settings):
    settings.WEB_RATE_SESSION_MESSAGES = "2/h"
    for n in range(2):
        assert post(client, {"token": token, "text": f"質問{n}", "client_id": f"c{n}"}).status_code == 202
    refused = post(client, {"token": token, "text": "質問3", "client_id": "c3", "language": "en"})
    assert refused.status_code == 429
    body = refused.json()
    assert "too quickly" in body["error"] and body["retry_after"] >= 1
    assert int(refused["Retry-After"]) == body["retry_after"]
    assert InboundEvent.objects.count() == 2
    # Another session from the same address is not held back by this one's limit.
    other = client.post("/api/web/mihon/session").json()["token"]
    assert post(client, {"token": other, "text": "質問", "client_id": "o1"}).status_code == 202


def test_per_ip_rate_limit_covers_all_sessions(client, municipality, settings):
    settings.WEB_RATE_IP_MESSAGES = "3/h"
    tokens = [client.post("/api/web/mihon/session").json()["token"] for _ in range(4)]
    statuses = [post(client, {"token": t, "text": "質問", "client_id": t[:8]}).status_code for t in tokens]
    assert statuses == [202, 202, 202, 429]
    # A different address still gets through.
    assert (
        post(client, {"token": tokens[3], "text": "質問", "client_id": "x"}, REMOTE_ADDR="10.0.0.9").status_code == 202
    )


def test_new_sessions_and_reads_are_limited_per_ip(client, municipality, settings):
    settings.WEB_RATE_IP_SESSIONS = "2/h"
    settings.WEB_RATE_IP_READS = "2/h"
    assert [client.post("/api/web/mihon/session").status_code for _ in range(3)] == [201, 201, 429]
    statuses = [client.get("/api/web/mihon/config").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_too_long_text_is_refused_with_the_limit_in_the_residents_language(client, municipality, token):
    response = post(client, {"token": token, "text": "a" * 1001, "language": "en"})
    assert response.status_code == 413
    assert response.json() == {
        "error": "Your message is too long. Please keep it under 1000 characters.",
        "limit": 1000,
    }


def test_a_postback_that_is_not_an_object_is_refused(client, municipality, token):
    assert post(client, {"token": token, "postback": "person"}).status_code == 400


# --- what comes back ---------------------------------------------------------------------------


def test_markup_is_stored_and_returned_as_plain_text(client, municipality, token, django_capture_on_commit_callbacks):
    attack = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    with django_capture_on_commit_callbacks(execute=True):
        post(client, {"token": token, "text": attack, "client_id": "x1"})
    response = history(client, token)
    assert response["Content-Type"] == "application/json"
    mine = response.json()["messages"][0]
    assert mine["text"] == attack and mine["client_id"] == "x1" and mine["sender"] == "resident"


def test_clearing_means_a_new_session_that_sees_no_old_history(client, faq, token, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post(client, {"token": token, "text": "住民票", "client_id": "c"})
    fresh = client.post("/api/web/mihon/session").json()["token"]
    assert fresh != token
    assert history(client, fresh).json() == {"messages": [], "state": "bot"}


def test_english_question_gets_the_curated_english_answer(client, city_faqs, token, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post(client, {"token": token, "text": RESIDENT_CARD_EN, "client_id": "e1", "language": "en"})
    messages = history(client, token).json()["messages"]
    reply = messages[-1]["reply"]
    assert reply["kind"] == "answer", messages
    assert reply["text"] == RESIDENT_CARD_ANSWER_EN
    assert reply["links"][0]["url"] == "https://www.city.mihon.example.jp/kurashi/koseki/juminhyo.html"


# --- live events -------------------------------------------------------------------------------


def test_events_without_redis_say_204_so_the_widget_polls(client, municipality, token, settings):
    settings.REDIS_URL = ""
    assert open_events(client, token).status_code == 204
    assert client.get("/api/web/mihon/events").status_code == 400


@pytest.fixture
def live_redis(redis_client, redis_url, settings):
    settings.REDIS_URL = redis_url
    return redis_url


def _collect(response, seconds: float) -> tuple[list[str], float]:
    frames, started = [], time.monotonic()
    for chunk in response.streaming_content:
        frames.append(chunk.decode() if isinstance(chunk, bytes) else chunk)
        if time.monotonic() - started > seconds:
            break
    return frames, time.monotonic() - started


def test_events_stream_a_staff_reply_with_heartbeats_and_end_in_time(
    transactional_db, client, municipality, token, live_redis, settings
):
    def console_replies():  # as the staff console does, from another thread (its own connection)
        try:
            outbox.send(conversation, [Reply(text="担当です", kind="staff")], sender=Message.Sender.STAFF)
        finally:
            connection.close()

    settings.WEB_SSE_LIFETIME_SECONDS = 3
    settings.WEB_SSE_HEARTBEAT_SECONDS = 1
    resident = Resident.objects.create(municipality=municipality, channel="web", channel_user_id=resident_key(token))
    conversation = Conversation.objects.create(municipality=municipality, resident=resident)
    response = open_events(client, token)
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/event-stream"
    stream = iter(response.streaming_content)
    first = next(stream).decode()
    assert "event: ready" in first and first.startswith("retry:")
    timer = threading.Timer(0.3, console_replies)
    timer.start()
    frames, took = _collect(response, seconds=10)
    timer.join()
    text = "".join(frames)
    sent = Message.objects.get(sender="staff")
    assert f'"ids": [{sent.pk}]' in text and "event: messages" in text
    assert ": heartbeat" in text and text.rstrip().endswith("data: {}") and "event: bye" in text
    assert took < 6  # bounded lifetime: the worker thread is freed


def test_events_for_one_session_do_not_see_another(client, municipality, token, live_redis, settings):
    settings.WEB_SSE_LIFETIME_SECONDS = 1.5
    response = open_events(client, token)
    next(iter(response.streaming_content))
    other = live_channel(municipality.pk, resident_key("someone-else-token-xyz"))
    threading.Timer(0.2, lambda: live.publish_to(other, {"type": "messages", "ids": [1]})).start()
    frames, _took = _collect(response, seconds=5)
    assert "event: messages" not in "".join(frames)


# --- static parts ----------------------------------------------------------------------------------


def test_widget_script_is_served_with_its_styles_inlined(client, db):
    response = client.get("/widget.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    source = response.content.decode()
    assert "__MADOGUCHI_CSS__" not in source and ".mg-launcher" in source and "attachShadow" in source
    # Texts reach the page only as text: no HTML parsing sinks anywhere in the widget.
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in source, sink


def test_openapi_description_is_valid_and_covers_every_endpoint(client, db):
    response = client.get("/api/web/openapi.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(spec)
    documented = {path.replace("{slug}", "<slug:slug>").lstrip("/") for path in spec["paths"]}
    served = {
        str(p.pattern)
        for p in get_resolver("channels.web.urls").url_patterns
        if str(p.pattern).startswith("api/web/<slug:slug>/")
    }
    assert served == documented


def test_demo_page_embeds_the_widget_with_one_script_tag(client, municipality):
    page = client.get("/demo/mihon/").content.decode()
    assert '<script src="/widget.js" data-municipality="mihon" async></script>' in page
    assert "みほん市" in page
