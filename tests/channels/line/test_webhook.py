"""The webhook view on its own: verification, storage, idempotency, bounds. Processing is not run here."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from channels.line import views
from chatbot import tasks
from conversations.models import InboundEvent
from tests.fakes.line_api import event, sign, text_event, webhook_body

from .conftest import SECRET


@pytest.fixture
def queued(monkeypatch):
    ids: list[int] = []
    monkeypatch.setattr(views, "enqueue", ids.append)
    monkeypatch.setattr(tasks, "send", lambda pk: ids.append(pk) or True)  # queued again (requeue)
    return ids


def test_signed_events_are_stored_raw_and_queued(line_city, post_webhook, queued):
    first = text_event("ソファを捨てたい")
    second = event("follow", redelivery=True)
    response = post_webhook(first, second)
    assert response.status_code == 200
    stored = {e.channel_event_id: e for e in InboundEvent.objects.all()}
    assert set(stored) == {first["webhookEventId"], second["webhookEventId"]}
    a, b = stored[first["webhookEventId"]], stored[second["webhookEventId"]]
    assert (a.channel, a.event_type, a.payload, a.is_redelivery) == ("line", "message", first, False)
    assert (b.event_type, b.is_redelivery, b.municipality_id) == ("follow", True, line_city.pk)
    assert sorted(queued) == sorted([a.pk, b.pk])


def test_the_same_event_twice_is_stored_and_queued_once(line_city, post_webhook, queued):
    raw = text_event("ソファを捨てたい")
    assert post_webhook(raw).status_code == 200
    redelivered = {**raw, "deliveryContext": {"isRedelivery": True}}
    assert post_webhook(redelivered, text_event("別の質問")).status_code == 200
    assert InboundEvent.objects.filter(channel_event_id=raw["webhookEventId"]).count() == 1
    assert InboundEvent.objects.count() == 2
    assert len(queued) == 2


def test_a_redelivered_event_never_processed_long_after_is_queued_again(line_city, post_webhook, queued):
    raw = text_event("ソファを捨てたい")
    post_webhook(raw)
    post_webhook(raw)  # redelivered at once: its task is surely still queued
    assert len(queued) == 1
    InboundEvent.objects.update(received_at=timezone.now() - timedelta(minutes=10))
    post_webhook(raw)
    assert len(queued) == 2 and queued[0] == queued[1]
    assert InboundEvent.objects.get().requeued_at is not None
    post_webhook(raw)  # queued again a moment ago: not again
    assert len(queued) == 2
    InboundEvent.objects.update(processed_at=timezone.now(), requeued_at=None)
    post_webhook(raw)
    assert len(queued) == 2


@pytest.mark.parametrize("signature", ["", "bm90IHRoZSByaWdodCBvbmU=", "garbage"])
def test_bad_or_missing_signature_is_refused_stored_nowhere_and_logged_without_the_body(
    line_city, post_webhook, queued, caplog, signature
):
    caplog.set_level(logging.INFO)
    response = post_webhook(text_event("私の電話番号は090-1234-5678です"), signature=signature)
    assert response.status_code == 400
    assert InboundEvent.objects.count() == 0 and queued == []
    assert "signature" in caplog.text
    assert "090-1234-5678" not in caplog.text


def test_signature_made_with_another_secret_is_refused(line_city, client, queued):
    body = webhook_body(text_event("hi"))
    response = client.post(
        "/line/mihon/webhook", body, content_type="application/json", HTTP_X_LINE_SIGNATURE=sign(body, "other")
    )
    assert response.status_code == 400
    assert InboundEvent.objects.count() == 0


def test_verification_request_without_events_is_accepted(line_city, post_webhook, queued):
    response = post_webhook(body=json.dumps({"destination": "Ubot", "events": []}).encode())
    assert response.status_code == 200
    assert InboundEvent.objects.count() == 0 and queued == []


@pytest.mark.parametrize("body", [b"not json", b'{"events": {}}', b'{"destination": "U"}', b"\xff\xfe"])
def test_signed_but_malformed_body_is_refused(line_city, post_webhook, queued, body):
    assert post_webhook(body=body).status_code == 400
    assert InboundEvent.objects.count() == 0


def test_body_size_is_bounded(line_city, post_webhook, queued, monkeypatch):
    monkeypatch.setattr(views, "MAX_BODY", 2_000)
    response = post_webhook(text_event("あ" * 1_000))
    assert response.status_code == 413
    assert InboundEvent.objects.count() == 0


def test_unknown_city_or_city_without_line_is_not_found(municipality, post_webhook, queued):
    assert post_webhook(text_event("hi"), slug="nowhere").status_code == 404
    assert post_webhook(text_event("hi")).status_code == 404  # no channel secret configured
    assert InboundEvent.objects.count() == 0


def test_only_post(line_city, client):
    assert client.get("/line/mihon/webhook").status_code == 405


def test_text_written_in_a_group_is_not_kept(line_city, post_webhook, queued):
    raw = text_event("グループの会話", source={"type": "group", "groupId": "Cg1", "userId": "U" + "2" * 32})
    post_webhook(raw)
    stored = InboundEvent.objects.get()
    assert "text" not in stored.payload["message"]
    assert stored.payload["source"]["groupId"] == "Cg1"


def test_cities_are_kept_apart(line_city, make_municipality, client, queued):
    other = make_municipality("other", line_channel_secret="other-secret", line_access_token="t2")
    body = webhook_body(text_event("hi"))
    ok = client.post(
        "/line/other/webhook", body, content_type="application/json", HTTP_X_LINE_SIGNATURE=sign(body, "other-secret")
    )
    assert ok.status_code == 200
    assert InboundEvent.objects.get().municipality == other
    wrong = client.post(
        "/line/other/webhook", body, content_type="application/json", HTTP_X_LINE_SIGNATURE=sign(body, SECRET)
    )
    assert wrong.status_code == 400


def test_a_new_channel_secret_takes_effect_at_once(line_city, post_webhook, client, queued):
    assert post_webhook(text_event("hi")).status_code == 200  # the old secret is now remembered
    line_city.line_channel_secret = "rotated-secret"
    line_city.save()
    assert post_webhook(text_event("hi")).status_code == 400  # signed with the old secret
    body = webhook_body(text_event("hi"))
    response = client.post(
        "/line/mihon/webhook", body, content_type="application/json", HTTP_X_LINE_SIGNATURE=sign(body, "rotated-secret")
    )
    assert response.status_code == 200


# --- malformed events: ignored and logged, never stored as "None" -----------------------------------------


@pytest.mark.parametrize("text", [None, "", "   ", "\u0000\u0007", 42, ["a"]])
def test_a_text_message_without_usable_text_is_ignored_and_logged(line_city, post_webhook, queued, caplog, text):
    raw = text_event("x")
    raw["message"]["text"] = text
    ok = text_event("粗大ごみ")
    assert post_webhook(raw, ok).status_code == 200
    assert list(InboundEvent.objects.values_list("channel_event_id", flat=True)) == [ok["webhookEventId"]]
    assert raw["webhookEventId"] in caplog.text and "without text" in caplog.text


@pytest.mark.parametrize(
    "source", [{"type": "user"}, {"type": "user", "userId": None}, {"type": "user", "userId": ""}, None]
)
def test_an_event_without_a_user_id_is_ignored_and_logged(line_city, post_webhook, queued, caplog, source):
    raw = text_event("こんにちは")
    if source is None:
        del raw["source"]
    else:
        raw["source"] = source
    assert post_webhook(raw).status_code == 200
    assert InboundEvent.objects.count() == 0 and queued == []
    assert "no userId" in caplog.text


def test_text_is_cleaned_before_it_is_stored(line_city, post_webhook, queued):
    raw = text_event("粗大\u0000ごみ\ud800の\u202e出し方\r\nです")
    body = json.dumps({"destination": "U" + "0" * 32, "events": [raw]}).encode()  # as LINE escapes a lone surrogate
    assert post_webhook(body=body).status_code == 200
    assert InboundEvent.objects.get().payload["message"]["text"] == "粗大ごみ\ufffdの出し方\nです"


def test_the_destination_is_checked_once_the_bot_user_id_is_known(line_city, client, post_webhook, queued, caplog):
    assert post_webhook(text_event("hi")).status_code == 200  # not known yet: any destination
    line_city.line_bot_user_id = "U" + "b" * 32
    line_city.save()
    body = webhook_body(text_event("hi"), destination="U" + "c" * 32)
    other = client.post(
        "/line/mihon/webhook", body, content_type="application/json", HTTP_X_LINE_SIGNATURE=sign(body, SECRET)
    )
    assert other.status_code == 400 and "destination" in caplog.text
    body = webhook_body(text_event("hi"), destination="U" + "b" * 32)
    ours = client.post(
        "/line/mihon/webhook", body, content_type="application/json", HTTP_X_LINE_SIGNATURE=sign(body, SECRET)
    )
    assert ours.status_code == 200
    assert InboundEvent.objects.count() == 2
    line_city.line_access_token = "another-channel-token"
    line_city.save()
    line_city.refresh_from_db()
    assert line_city.line_bot_user_id == ""  # another channel, perhaps: read again


def test_a_broker_that_is_down_still_gets_200_once_the_event_is_stored(
    line_city, post_webhook, broker_down, caplog, django_capture_on_commit_callbacks
):
    raw = text_event("ソファを捨てたい")
    with django_capture_on_commit_callbacks(execute=True):
        assert post_webhook(raw).status_code == 200
    assert InboundEvent.objects.filter(channel_event_id=raw["webhookEventId"], processed_at__isnull=True).exists()
    assert "stored but not queued" in caplog.text
