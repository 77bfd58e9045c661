"""The whole LINE path with real parts: signed webhook -> the real view -> Redis -> a real Celery worker
-> the real line-bot-sdk -> the fake LINE API on loopback."""

from __future__ import annotations

import pytest

from conversations.models import InboundEvent, Message, Resident
from tests.conftest import wait_until
from tests.fakes.line_api import (
    PUSH,
    REPLY,
    Scripted,
    event,
    media_event,
    postback_event,
    text_event,
)

pytestmark = pytest.mark.integration

USER = "U" + "e" * 32


@pytest.fixture
def worker(celery_worker, line_api):
    return celery_worker(LINE_API_BASE_URL=line_api.url)


@pytest.fixture
def faq(line_city, make_faq):
    return make_faq(
        line_city,
        "粗大ごみの出し方",
        "粗大ごみは予約制です。受付センターに電話してください。",
        alt_questions=["ソファを捨てたい"],
        url="kurashi/gomi/sodai.html",
    )


def all_processed(n: int):
    return lambda: InboundEvent.objects.filter(processed_at__isnull=False).count() == n


def settled():
    """No outbound message still pending."""
    return lambda: (
        Message.objects.filter(direction="out").exclude(delivery="pending").exists()
        and not (Message.objects.filter(direction="out", delivery="pending").exists())
    )


def test_signed_text_event_gets_exactly_one_reply_with_the_faq_answer(faq, worker, line_api, post_webhook):
    raw = text_event("ソファを捨てたい", user=USER)
    assert post_webhook(raw).status_code == 200
    wait_until(settled(), timeout=60)
    [call] = line_api.delivered()
    assert call.path == REPLY and call.body["replyToken"] == raw["replyToken"]
    assert "粗大ごみは予約制です。受付センターに電話してください。" in str(call.messages)
    assert line_api.shape_errors == []
    [answer] = Message.objects.filter(direction="out")
    assert answer.delivery == "sent" and answer.text == faq.answer


def test_bad_signature_is_refused_and_nothing_is_stored(faq, line_api, post_webhook):
    assert post_webhook(text_event("ソファを捨てたい"), signature="d3Jvbmc=").status_code == 400
    assert post_webhook(text_event("ソファを捨てたい"), signature="").status_code == 400
    assert InboundEvent.objects.count() == 0 and Message.objects.count() == 0
    assert line_api.calls() == []


def test_the_same_event_delivered_twice_gets_one_reply(line_city, worker, line_api, post_webhook):
    raw = event("follow", user=USER)
    assert post_webhook(raw).status_code == 200
    assert post_webhook({**raw, "deliveryContext": {"isRedelivery": True}}).status_code == 200
    wait_until(all_processed(1))
    wait_until(settled())
    assert InboundEvent.objects.count() == 1
    assert len(line_api.delivered()) == 1
    assert Message.objects.filter(direction="out").count() == 1


def test_expired_reply_token_is_replaced_by_a_push_with_a_retry_key(line_city, worker, line_api, post_webhook):
    raw = event("follow", user=USER)
    line_api.script(REPLY, Scripted.invalid_reply_token())
    post_webhook(raw)
    wait_until(settled())
    [push] = line_api.delivered()
    [greeting] = Message.objects.filter(direction="out")
    assert push.path == PUSH and push.body["to"] == USER
    assert push.headers["x-line-retry-key"] == str(greeting.uid)
    assert greeting.delivery == "sent"


def test_429_then_success_delivers_one_message(line_city, worker, line_api, post_webhook):
    line_api.script(REPLY, Scripted.too_many(retry_after=1))
    post_webhook(event("follow", user=USER))
    wait_until(settled())
    assert [c.status for c in line_api.calls(REPLY)] == [429, 200]
    assert len(line_api.delivered()) == 1
    [greeting] = Message.objects.filter(direction="out")
    assert (greeting.delivery, greeting.delivery_attempts) == ("sent", 2)


def test_follow_gets_a_greeting_with_language_choices(line_city, worker, line_api, post_webhook):
    line_api.profiles[USER] = {"language": "en"}
    post_webhook(event("follow", user=USER))
    wait_until(settled())
    [call] = line_api.delivered()
    items = call.messages[-1]["quickReply"]["items"]
    assert 2 <= len(items) <= 13
    assert all(i["action"]["type"] == "postback" and '"action":"lang"' in i["action"]["data"] for i in items)
    assert Resident.objects.get(channel_user_id=USER).language == "en"
    assert line_api.shape_errors == []


def test_every_other_event_type_is_handled_without_a_crash(line_city, worker, line_api, post_webhook):
    group = {"type": "group", "groupId": "Cgroup000000000000000000000000001"}
    events = [
        media_event("sticker", user=USER),
        media_event("image", user=USER),
        media_event("video", user=USER),
        media_event("audio", user=USER),
        media_event("file", user=USER),
        media_event("location", user=USER),
        postback_event({"action": "lang", "value": "ko"}, user=USER),
        postback_event("action=unknown-thing", user=USER),
        event("unsend", user=USER, reply_token=None, unsend={"messageId": "1"}),
        event("join", source=group),
        text_event("グループでの会話", source={**group, "userId": USER}),
        event("memberJoined", source=group, joined={"members": [{"type": "user", "userId": USER}]}),
        event("leave", source=group, reply_token=None),
        event("videoPlayComplete", user=USER, videoPlayComplete={"trackingId": "t"}),
        event("beacon", user=USER, beacon={"hwid": "d41d8cd98f", "type": "enter"}),
        event("accountLink", user=USER, link={"result": "ok", "nonce": "n"}),
        event("somethingLineAddsNextYear", user=USER),
        event("unfollow", user=USER, reply_token=None),
    ]
    assert post_webhook(*events).status_code == 200
    wait_until(all_processed(len(events)), timeout=60)
    assert list(InboundEvent.objects.exclude(last_error="").values_list("event_type", "last_error")) == []
    assert ("group", group["groupId"]) in line_api.left
    notices = [c for c in line_api.delivered() if "one-to-one" in str(c.messages)]
    assert notices  # the group was told why the bot leaves
    assert line_api.shape_errors == []
    assert Resident.objects.get(channel_user_id=USER).unfollowed_at is not None
    assert not Message.objects.filter(text__contains="グループでの会話").exists()
