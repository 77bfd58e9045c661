"""Delivery through the real SDK to the fake LINE API, with the pipeline run in-process.

Reply token first, push with a retry key on an expired token, retries that honour Retry-After,
failures recorded on the message, LINE's limits, the rate limiter, the loading animation, groups.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from channels.line import adapter as line_adapter
from channels.line import client as line_client
from channels.line.adapter import LineAdapter
from channels.line.ratelimit import RateLimiter
from chatbot import answering, compose, pipeline
from conversations import delivery, outbox
from conversations.adapters import DeliveryContext
from conversations.content import Choice, InboundMessage, Kind, Reply
from conversations.models import Conversation, InboundEvent, Membership, Message, Resident
from conversations.tasks import deliver_messages
from handoff.models import Ticket
from tests.conftest import wait_until
from tests.fakes.line_api import LOADING, PUSH, REPLY, Scripted, event, media_event, postback_event, text_event

USER = "U" + "1" * 32


@pytest.fixture
def faq(line_city, make_faq):
    return make_faq(
        line_city,
        "粗大ごみの出し方",
        "粗大ごみは予約制です。受付センターに電話してください。",
        alt_questions=["ソファを捨てたい"],
        url="kurashi/gomi/sodai.html",
        contact="電話 042-000-1202",
    )


@pytest.fixture
def slept(monkeypatch):
    """Backoff waits, recorded instead of slept."""
    waits: list[float] = []
    monkeypatch.setattr(line_client, "_sleep", waits.append)
    return waits


def process(city, raw: dict) -> InboundEvent:
    stored = InboundEvent.objects.create(
        municipality=city, channel="line", channel_event_id=raw["webhookEventId"], event_type=raw["type"], payload=raw
    )
    pipeline.process_event(stored.pk)
    stored.refresh_from_db()
    return stored


def outbound(**filters):
    return list(Message.objects.filter(direction="out", **filters).order_by("id"))


def test_answer_goes_by_reply_token(line_api, faq, slept):
    raw = text_event("ソファを捨てたい", user=USER)
    stored = process(faq.municipality, raw)
    assert stored.processed_at is not None and stored.last_error == ""
    [call] = line_api.delivered()
    assert call.path == REPLY and call.body["replyToken"] == raw["replyToken"]
    assert "粗大ごみは予約制です" in str(call.messages)
    [message] = outbound()
    assert (message.delivery, message.delivery_attempts) == ("sent", 1)
    assert message.channel_message_id  # LINE's id of the sent message
    assert line_api.shape_errors == [] and slept == []


def test_expired_reply_token_falls_back_to_push_with_the_message_uid_as_retry_key(line_api, faq, slept):
    raw = text_event("ソファを捨てたい", user=USER)
    line_api.invalid_reply_tokens.add(raw["replyToken"])
    process(faq.municipality, raw)
    [message] = outbound()
    [push] = line_api.delivered()
    assert push.path == PUSH and push.body["to"] == USER
    assert push.headers["x-line-retry-key"] == str(message.uid)
    assert message.delivery == "sent"


def test_a_push_already_accepted_under_its_retry_key_counts_as_sent(line_api, line_city, slept):
    raw = event("follow", user=USER, reply_token=None)
    line_api.profiles[USER] = {"language": "en"}
    process(line_city, raw)
    [message] = outbound()
    assert message.delivery == "sent"
    # As if LINE had accepted the push but its answer was lost: we send again, under the same key.
    Message.objects.filter(pk=message.pk).update(delivery="pending")
    delivery.deliver(message.conversation, [message])
    assert [c.status for c in line_api.calls(PUSH)] == [200, 409]
    message.refresh_from_db()
    assert message.delivery == "sent" and message.delivery_error == ""
    assert len(line_api.delivered()) == 1


def test_429_is_retried_after_retry_after_and_delivers_once(line_api, faq, slept):
    line_api.script(REPLY, Scripted.too_many(retry_after=3))
    process(faq.municipality, text_event("ソファを捨てたい", user=USER))
    assert [c.status for c in line_api.calls(REPLY)] == [429, 200]
    assert slept == [3.0]
    [message] = outbound()
    assert (message.delivery, message.delivery_attempts) == ("sent", 2)
    assert len(line_api.delivered()) == 1


def test_server_errors_are_retried_with_bounded_backoff_then_recorded(line_api, faq, slept):
    line_api.script(REPLY, *[Scripted.server_error()] * 10)
    stored = process(faq.municipality, text_event("ソファを捨てたい", user=USER))
    assert len(line_api.calls(REPLY)) == line_client.DEFAULT_POLICY.attempts
    assert len(slept) == line_client.DEFAULT_POLICY.attempts - 1
    assert all(0 <= w <= line_client.DEFAULT_POLICY.cap for w in slept)
    [message] = outbound()
    assert message.delivery == "failed" and "500" in message.delivery_error
    assert message.delivery_attempts == line_client.DEFAULT_POLICY.attempts
    assert stored.processed_at is not None  # given up and recorded, not retried for ever
    assert line_api.delivered() == []


def test_a_retry_after_beyond_the_bound_gives_up_at_once(line_api, faq, slept):
    line_api.script(REPLY, Scripted.too_many(retry_after=3600))
    process(faq.municipality, text_event("ソファを捨てたい", user=USER))
    [message] = outbound()
    assert message.delivery == "failed" and "Retry-After" in message.delivery_error
    assert slept == []


def test_wrong_access_token_fails_without_retrying(line_api, faq, slept):
    faq.municipality.line_access_token = "revoked"
    faq.municipality.save()
    process(faq.municipality, text_event("ソファを捨てたい", user=USER))
    assert [c.status for c in line_api.calls(REPLY)] == [401]
    [message] = outbound()
    assert message.delivery == "failed" and "401" in message.delivery_error


def test_more_than_five_objects_use_the_reply_token_once_then_push(line_api, line_city, slept):
    raw = event("follow", user=USER)
    stored = InboundEvent.objects.create(
        municipality=line_city, channel="line", channel_event_id=raw["webhookEventId"], payload=raw
    )
    resident = Resident.objects.create(municipality=line_city, channel="line", channel_user_id=USER)
    conversation = resident.conversations.create(municipality=line_city)
    rows = outbox.send(conversation, [Reply(text=f"お知らせ {i}") for i in range(7)], event=stored, language="ja")

    delivery.deliver(conversation, rows, DeliveryContext(reply_token=raw["replyToken"]))
    reply, push = line_api.delivered()
    assert (reply.path, len(reply.messages)) == (REPLY, 5)
    assert (push.path, len(push.messages)) == (PUSH, 2)
    assert push.headers["x-line-retry-key"] == str(rows[5].uid)
    assert [m["text"] for m in reply.messages + push.messages] == [f"お知らせ {i}" for i in range(7)]
    assert {m.delivery for m in outbound()} == {"sent"}


def test_unfollowed_resident_gets_no_push(line_api, line_city, slept):
    process(line_city, event("follow", user=USER))
    process(line_city, event("unfollow", user=USER, reply_token=None))
    line_api.reset()
    resident = Resident.objects.get(channel_user_id=USER)
    assert resident.unfollowed_at is not None
    conversation = resident.conversations.get()
    message = conversation.messages.create(
        direction="out",
        sender="staff",
        text="ご連絡です",
        payload=Reply(text="ご連絡です").to_payload(),
        delivery="pending",
    )
    delivery.deliver(conversation, [message])
    assert line_api.calls() == []
    message.refresh_from_db()
    assert message.delivery == "failed" and "unfollowed" in message.delivery_error


def test_follow_reads_the_profile_language_and_greets_with_language_quick_replies(line_api, line_city, slept):
    line_api.profiles[USER] = {"language": "zh-Hant"}
    process(line_city, event("follow", user=USER))
    assert Resident.objects.get(channel_user_id=USER).language == "zh-hant"
    [call] = line_api.delivered()
    items = call.messages[-1]["quickReply"]["items"]
    assert {"English", "日本語", "简体中文"} <= {i["action"]["label"] for i in items}
    assert line_api.shape_errors == []


def test_profile_failure_does_not_stop_the_greeting(line_api, line_city, slept):
    line_api.script(f"/v2/bot/profile/{USER}", Scripted.server_error(), Scripted.server_error())
    stored = process(line_city, event("follow", user=USER))
    assert stored.last_error == ""
    assert Resident.objects.get(channel_user_id=USER).language == ""
    assert len(line_api.delivered()) == 1


def test_language_choice_postback_sets_the_language(line_api, line_city, slept):
    process(line_city, event("follow", user=USER))
    process(line_city, postback_event({"action": "lang", "value": "vi", "label": "Tiếng Việt"}, user=USER))
    resident = Resident.objects.get(channel_user_id=USER)
    assert (resident.language, resident.language_source) == ("vi", "choice")
    assert len(line_api.delivered()) == 2


def test_join_in_a_group_explains_and_leaves_once(line_api, line_city, slept):
    raw = event("join", source={"type": "group", "groupId": "Cgroup1"})
    stored = process(line_city, raw)
    assert stored.last_error == ""
    [notice] = line_api.delivered()
    assert notice.path == REPLY and "one-to-one" in notice.messages[0]["text"]
    assert line_api.left == [("group", "Cgroup1")]
    # processed again (a retry): the token is spent, so no second notice; leaving is harmless
    InboundEvent.objects.filter(pk=stored.pk).update(processed_at=None)
    pipeline.process_event(stored.pk)
    assert len(line_api.delivered()) == 1
    assert Resident.objects.count() == 0 and Message.objects.count() == 0


def test_room_message_leaves_the_room(line_api, line_city, slept):
    process(line_city, text_event("こんにちは", source={"type": "room", "roomId": "Rroom1", "userId": USER}))
    assert line_api.left == [("room", "Rroom1")]
    assert Message.objects.count() == 0


def test_media_gets_a_polite_reply_and_unknown_events_none(line_api, line_city, slept):
    process(line_city, media_event("sticker", user=USER))
    [call] = line_api.delivered()
    assert call.messages == [{"type": "text", "text": compose.unsupported_media("ja").text}]
    process(line_city, event("videoPlayComplete", user=USER, videoPlayComplete={"trackingId": "t"}))
    assert len(line_api.delivered()) == 1


def test_unsent_before_delivery_is_dropped_not_sent(line_api, faq, slept, monkeypatch):
    raw = text_event("ソファを捨てたい", user=USER, message_id="m-unsent")
    real_deliver = LineAdapter.deliver

    def unsend_first(self, conversation, messages, context):
        process(faq.municipality, event("unsend", user=USER, reply_token=None, unsend={"messageId": "m-unsent"}))
        return real_deliver(self, conversation, messages, context)

    monkeypatch.setattr(LineAdapter, "deliver", unsend_first)
    process(faq.municipality, raw)
    assert line_api.delivered() == []
    [answer] = outbound()
    assert answer.delivery == "dropped"
    assert Message.objects.get(direction="in").text == ""


def test_slow_handling_shows_the_loading_animation(line_api, faq, slept, monkeypatch):
    monkeypatch.setattr(line_adapter, "LOADING_AFTER", 0.05)
    real = answering.answer_text

    def slow(*args, **kwargs):  # an answer that takes a while (an LLM call, say): until the animation shows
        wait_until(lambda: line_api.calls(LOADING), timeout=10)
        return real(*args, **kwargs)

    monkeypatch.setattr(answering, "answer_text", slow)
    process(faq.municipality, text_event("ソファを捨てたい", user=USER))
    [loading] = line_api.calls(LOADING)
    assert loading.status == 202 and loading.body["chatId"] == USER
    assert loading.body["loadingSeconds"] % 5 == 0
    [reply] = line_api.delivered()
    assert loading.at <= reply.at


def test_fast_handling_shows_no_loading_animation(line_api, faq, slept):
    process(faq.municipality, text_event("ソファを捨てたい", user=USER))
    assert line_api.calls(LOADING) == []


def test_busy_is_only_for_one_to_one_messages(line_api, line_city):
    stored = InboundEvent.objects.create(municipality=line_city, channel="line", channel_event_id="e", payload={})
    group = InboundMessage(Kind.JOIN, "", group_id="group:C1")
    follow = InboundMessage(Kind.FOLLOW, USER)
    for item in (group, follow):
        with LineAdapter().busy(stored, item, after=0.0):
            # A marker queued after it on the same timer runs after anything busy() scheduled (due no later).
            done = threading.Event()
            line_adapter._later.call_later(0.0, done.set)
            assert done.wait(5)
    assert line_api.calls(LOADING) == []


def test_rate_limiter_budget_is_per_channel_and_endpoint():
    limiter = RateLimiter("", {"default": 3})
    assert [limiter.try_acquire("city-1", "push") for _ in range(4)] == [True, True, True, False]
    assert limiter.try_acquire("city-1", "reply") and limiter.try_acquire("city-2", "push")


def test_rate_limiter_budget_is_shared_through_redis(redis_client, redis_url):
    web, worker = RateLimiter(redis_url, {"default": 4}), RateLimiter(redis_url, {"default": 4})
    taken = [limiter.try_acquire("city-1", "push") for limiter in (web, worker, web, worker)]
    assert taken == [True] * 4
    assert not web.try_acquire("city-1", "push") and not worker.try_acquire("city-1", "push")


def test_rate_limiter_lets_messages_through_when_its_storage_is_down():
    limiter = RateLimiter("redis://127.0.0.1:1/0", {"default": 1})
    assert limiter.try_acquire("c") and limiter.try_acquire("c")


def test_staff_reply_goes_by_push_with_its_uid_as_retry_key(line_api, line_city, slept):
    process(line_city, event("follow", user=USER))
    conversation = Resident.objects.get(channel_user_id=USER).conversations.get()
    reply = Reply(kind="staff", text="担当の山田です。申請書はこちらです。")
    message = conversation.messages.create(
        direction="out", sender="staff", text=reply.text, payload=reply.to_payload(), delivery="pending"
    )
    delivery.deliver(conversation, [message])
    push = line_api.delivered()[-1]
    assert push.path == PUSH and push.body == {
        "to": USER,
        "messages": [{"type": "text", "text": reply.text}],
        "notificationDisabled": False,
    }
    assert push.headers["x-line-retry-key"] == str(message.uid)
    message.refresh_from_db()
    assert message.delivery == "sent" and message.delivery_attempts == 1


def test_a_message_line_cannot_take_fails_alone(line_api, line_city, slept):
    process(line_city, event("follow", user=USER))
    conversation = Resident.objects.get(channel_user_id=USER).conversations.get()
    bad = Reply(text="x", choices=[Choice("x", {"action": "pick", "blob": "y" * 400})])
    rows = [
        conversation.messages.create(direction="out", sender="bot", text=r.text, payload=r.to_payload())
        for r in (bad, Reply(text="ok"))
    ]
    Message.objects.filter(pk__in=[r.pk for r in rows]).update(delivery="pending")
    delivery.deliver(conversation, rows)
    for row in rows:
        row.refresh_from_db()
    assert (rows[0].delivery, rows[1].delivery) == ("failed", "sent")
    assert "not sendable" in rows[0].delivery_error


def test_deferred_calls_run_in_order_unless_cancelled():
    later = line_adapter._Later()
    ran: list[str] = []
    later.call_later(0.2, ran.append, "late")
    later.call_later(0.0, ran.append, "now")
    later.call_later(0.05, ran.append, "cancelled").cancel()
    wait_until(lambda: len(ran) == 2, timeout=5)
    assert ran == ["now", "late"]


@pytest.mark.parametrize("state", ["waiting", "staff"])
def test_on_line_the_bot_does_not_answer_while_a_person_holds_the_conversation(line_api, faq, slept, state):
    process(faq.municipality, text_event("人と話したいです", user=USER))
    conversation = Conversation.objects.get()
    assert conversation.state == "waiting" and Ticket.objects.count() == 1
    Conversation.objects.filter(pk=conversation.pk).update(state=state)
    before = len(line_api.delivered())
    stored = process(faq.municipality, text_event("ソファを捨てたい", user=USER))
    assert stored.processed_at is not None
    # Not answered (the person answers); the resident is told once, by the reply token, that it arrived.
    [received] = Message.objects.filter(event=stored, direction="out")
    assert received.kind == "received" and "受付センター" not in received.text
    assert len(line_api.delivered()) == before + 1
    assert Message.objects.filter(event=stored, direction="in").exists()  # kept for the console
    again = process(faq.municipality, text_event("まだですか", user=USER))
    assert not Message.objects.filter(event=again, direction="out").exists()
    assert len(line_api.delivered()) == before + 1
    assert Ticket.objects.count() == 1


def test_a_console_reply_is_pushed_after_the_request_not_inside_it(
    client, line_api, line_city, slept, staff_user, django_capture_on_commit_callbacks
):
    process(line_city, text_event("人と話したいです", user=USER))
    ticket = Ticket.objects.get()
    client.force_login(staff_user(line_city, Membership.Role.STAFF, username="yamada"))
    line_api.script(PUSH, Scripted.too_many(retry_after=3))
    pushes = len(line_api.calls(PUSH))
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(f"/console/tickets/{ticket.pk}/reply", {"text": "担当の山田です。"})
    assert response.status_code == 302
    assert len(line_api.calls(PUSH)) == pushes  # the console did not wait for LINE (nor its Retry-After)
    message = Message.objects.get(sender="staff")
    assert message.delivery == "pending"

    for callback in queued:  # what the Celery worker runs once the reply is committed
        callback()
    message.refresh_from_db()
    assert message.delivery == "sent" and slept == [3]
    throttled, sent = line_api.calls(PUSH)[pushes:]
    assert (throttled.status, sent.status) == (429, 200)
    assert throttled.headers["x-line-retry-key"] == sent.headers["x-line-retry-key"] == str(message.uid)

    assert deliver_messages([message.pk]) == 0  # a redelivered task sends nothing twice
    assert len(line_api.calls(PUSH)) == pushes + 2


def test_staff_messages_go_out_in_the_order_written_whichever_task_runs_first(line_api, line_city, slept):
    process(line_city, event("follow", user=USER))
    conversation = Resident.objects.get(channel_user_id=USER).conversations.get()
    first, second = (
        conversation.messages.create(
            direction="out", sender="staff", text=text, payload=Reply(kind="staff", text=text).to_payload()
        )
        for text in ("一通目です。", "二通目です。")
    )
    Message.objects.filter(pk__in=[first.pk, second.pk]).update(delivery="pending")
    pushes = len(line_api.calls(PUSH))
    assert deliver_messages([second.pk]) == 2  # the second's task ran first: the earlier message goes before it
    assert deliver_messages([first.pk]) == 0
    sent = [message["text"] for call in line_api.calls(PUSH)[pushes:] for message in call.body["messages"]]
    assert sent == ["一通目です。", "二通目です。"]


# --- a worker killed between LINE's answer and its record ------------------------------------------------


def crashed_after_the_call(stored: InboundEvent, note: str, **event_fields) -> None:
    """Leave the rows as a worker killed right after LINE answered would: sent, but recorded as pending."""
    Message.objects.filter(event=stored, direction="out").update(delivery="pending", channel_message_id=note)
    InboundEvent.objects.filter(pk=stored.pk).update(processed_at=None, lease_until=None, **event_fields)


def test_a_reply_a_crash_hid_is_not_sent_twice(line_api, faq, slept):
    raw = text_event("ソファを捨てたい", user=USER)
    stored = process(faq.municipality, raw)
    crashed_after_the_call(stored, line_adapter.REPLY_ATTEMPTED)
    assert pipeline.process_event(stored.pk) == "processed"
    assert len(line_api.delivered()) == 1  # LINE refused the used token; no push
    [message] = outbound()
    assert message.delivery == "sent"


def test_a_reply_a_crash_hid_long_ago_is_pushed_rather_than_lost(line_api, faq, slept):
    raw = text_event("ソファを捨てたい", user=USER)
    stored = process(faq.municipality, raw)
    old = timezone.now() - timedelta(minutes=5)
    crashed_after_the_call(stored, line_adapter.REPLY_ATTEMPTED, received_at=old)
    pipeline.process_event(stored.pk)
    # The token may have expired unused: a rare duplicate is preferred to a lost answer (ADR 0002).
    assert [c.path for c in line_api.delivered()] == [REPLY, PUSH]


def test_a_push_a_crash_hid_is_not_delivered_twice(line_api, faq, slept):
    raw = text_event("ソファを捨てたい", user=USER)
    line_api.invalid_reply_tokens.add(raw["replyToken"])
    stored = process(faq.municipality, raw)
    crashed_after_the_call(stored, line_adapter.REPLY_REFUSED)
    pipeline.process_event(stored.pk)
    assert [c.path for c in line_api.delivered()] == [PUSH]  # the retry key: LINE answers 409
    assert [c.status for c in line_api.calls(PUSH)] == [200, 409]
    assert outbound()[0].delivery == "sent"


def test_a_postback_that_does_not_fit_is_answered_politely_not_ignored(line_api, line_city, slept):
    raw = postback_event({"action": "pick", "id": "abc"}, user=USER)
    stored = process(line_city, raw)
    assert stored.processed_at is not None and stored.last_error == ""
    [call] = line_api.delivered()
    assert call.path == REPLY and "そのボタンは使えませんでした" in str(call.messages)


def test_the_bot_user_id_is_read_from_line_once_and_kept(line_api, faq, slept, monkeypatch):
    monkeypatch.setattr(line_adapter, "_bot_info_tried", {})
    line_api.bot_user_id = "U" + "b" * 32
    process(faq.municipality, text_event("ソファを捨てたい", user=USER))
    faq.municipality.refresh_from_db()
    assert faq.municipality.line_bot_user_id == "U" + "b" * 32  # the webhook checks destinations from now on
    process(faq.municipality, text_event("ソファを捨てたい", user=USER))
    assert len(line_api.calls("/v2/bot/info")) == 1
