"""The webhook view on its own: verification, storage, idempotency, bounds. Processing is not run here."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from channels.line import views
from conversations.models import InboundEvent
from tests.fakes.line_api import event, sign, text_event, webhook_body

from .conftest import SECRET


@pytest.fixture
def queued(monkeypatch):
    ids: list[int] = []
    monkeypatch.setattr(views, "enqueue", ids.append)
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
    InboundEvent.objects.update(received_at=timezone.now() - timedelta(minutes=10))
    post_webhook(raw)
    assert len(queued) == 2 and queued[0] == queued[1]
    InboundEvent.objects.update(processed_at=timezone.now())
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
