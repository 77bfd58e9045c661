"""Hand-off through the real pipeline (web channel): who speaks, out-of-hours notices, no loops, ratings.

LINE: the LINE adapter is being built separately; these tests drive the channel-neutral pipeline
with the web channel. The state rules they check (the bot is silent in ``waiting``/``staff``) are
not channel specific, so the LINE tests only need to add delivery (push) on top.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from conversations import states
from conversations.models import AnswerLog, Message
from faq import retrieval
from faq.retrieval import Candidate
from handoff import services, triggers
from handoff.models import Ticket

from .conftest import conversation_of, jst, replies

S = states.ConversationState


@pytest.fixture
def faq(municipality, make_faq, monkeypatch):
    """One FAQ entry, and a retrieval that finds it for sofa questions and nothing else.

    Retrieval quality is tested elsewhere; here only what hand-off does with its verdict matters.
    """
    entry = make_faq(
        municipality,
        "粗大ごみの出し方を教えてください",
        "粗大ごみは予約制です。受付センターに電話してください。",
        alt_questions=["ソファを捨てたい"],
        department="ごみ減量推進課",
    )

    def search(city, text, *, language=None, k=10):
        if "ソファ" not in text and "粗大ごみ" not in text:
            return []
        found = Candidate(
            kind="faq",
            id=entry.pk,
            external_id=entry.external_id,
            title=entry.question,
            text=entry.answer,
            url="",
            score=1.0,
            department=entry.department,
        )
        return [found]

    monkeypatch.setattr(retrieval, "search", search)
    return entry


# --- triggers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "人と話したい",
        "担当者につないでください",
        "ひとと はなしたい",
        "I want to talk to a human",
        "转人工",
        "상담원 연결해 주세요",
        "Tôi muốn nói chuyện với nhân viên",
        "Quero falar com uma pessoa",
        "Quiero hablar con una persona",
        "Gusto kong makipag-usap sa tao",
        "कर्मचारीसँग कुरा गर्न चाहन्छु",
        "Saya mau bicara dengan petugas",
        "ขอคุยกับเจ้าหน้าที่",
        "ဝန်ထမ်းနှင့် စကားပြောချင်ပါတယ်",
        "Je voudrais parler à une personne",
    ],
)
def test_asking_for_a_person_is_recognised_in_every_supported_language(text):
    assert triggers.asks_for_person(text)


@pytest.mark.parametrize("text", ["粗大ごみの出し方", "What day is burnable garbage?", "住民票の写しがほしい"])
def test_ordinary_questions_do_not_ask_for_a_person(text):
    assert not triggers.asks_for_person(text)


# --- the bot does not answer while a person holds the conversation (it says once that messages arrive) --


def test_message_while_waiting_is_added_to_the_ticket_and_not_answered(
    municipality, faq, send, live_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send("人と話したいです")
    ticket = Ticket.objects.get()
    conversation = conversation_of()
    assert conversation.state == S.WAITING
    assert [e["type"] for _m, e in live_events] == ["ticket.new"]  # staff are told at once

    with django_capture_on_commit_callbacks(execute=True):
        event = send("ソファを捨てたいのですが")  # would be answered from the FAQ if the bot could speak
    assert [m.kind for m in replies(event)] == ["received"]  # not an answer: that it reached staff
    inbound = Message.objects.get(event=event, direction="in")
    ticket.refresh_from_db()
    assert ticket.unread == 1 and ticket.last_resident_message_at is not None
    assert ("message.new", inbound.pk) in [(e["type"], e.get("message")) for _m, e in live_events]
    assert AnswerLog.objects.filter(message=inbound).count() == 0  # the engine never ran
    assert Ticket.objects.count() == 1


def test_bot_is_silent_while_staff_hold_the_conversation_and_staff_reply_reaches_the_web(
    client, municipality, faq, send, console_staff, django_capture_on_commit_callbacks
):
    send("人と話したいです")
    ticket = Ticket.objects.get()
    services.claim(ticket, console_staff)
    assert conversation_of().state == S.STAFF

    event = send("ソファを捨てたい")
    assert [m.kind for m in replies(event)] == ["received"]
    assert replies(send("まだですか")) == []  # said once per ticket, not at every message
    with django_capture_on_commit_callbacks(execute=True):  # delivery is queued once the reply is committed
        message = services.reply(ticket, console_staff, "ご予約は受付センターへお電話ください。")
    message.refresh_from_db()
    assert message.delivery == Message.Delivery.SENT and message.sender == "staff"

    token_user = "r" * 40  # the web API lists messages by the hashed token; read the table directly
    listed = Message.objects.filter(conversation__resident__channel_user_id=token_user, direction="out")
    # the hand-off notice, that the message reached staff, then the staff reply only
    assert [(m.sender, m.kind) for m in listed] == [("bot", "handoff"), ("bot", "received"), ("staff", "text")]


def test_an_old_button_pressed_while_waiting_is_passed_to_staff_and_the_resident_told_so(municipality, faq, send):
    send("人と話したいです")
    for _press in range(2):  # every press gets its reply: a button that does nothing looks broken
        event = send(postback={"action": "pick", "id": faq.pk, "label": "粗大ごみ"})
        [notice] = replies(event)
        assert notice.kind == "received" and "職員がこの会話に対応しているため" in notice.text
        assert not AnswerLog.objects.filter(message__event=event).exists()  # not answered by the bot
    assert Ticket.objects.get().unread == 2


# --- out of hours --------------------------------------------------------------------------------------


def test_outside_hours_the_resident_is_told_when_staff_are_next_in(municipality, faq, send, fixed_now):
    fixed_now(jst(2026, 7, 17, 18, 0))  # Friday evening; Monday 7/20 is Marine Day
    event = send("I want to talk to a human", language="en")
    [notice] = replies(event)
    assert notice.kind == "handoff"
    assert "not in right now" in notice.text
    assert "July 21, 2026 (Tuesday) 08:30" in notice.text
    ticket = Ticket.objects.get()
    assert ticket.out_of_hours is True
    assert ticket.next_opening_at == jst(2026, 7, 21, 8, 30)
    assert conversation_of().state == S.WAITING  # the ticket waits in the queue


def test_out_of_hours_notice_uses_the_residents_language_for_the_date(municipality, faq, send, fixed_now):
    fixed_now(jst(2026, 12, 28, 20, 0))
    event = send("担当者と話したい")
    [notice] = replies(event)
    assert "2027年1月4日（月曜日）08:30" in notice.text


def test_within_hours_the_resident_is_told_staff_will_reply(municipality, faq, send, fixed_now):
    fixed_now(jst(2026, 7, 15, 10, 0))
    event = send("I want to talk to a human", language="en")
    [notice] = replies(event)
    assert "pass your question to a staff member" in notice.text
    assert Ticket.objects.get().out_of_hours is False


def test_sensitive_topic_gives_numbers_at_once_urgent_even_out_of_hours(municipality, faq, send, fixed_now):
    municipality.emergency_contacts = "こころの相談 042-000-1050"
    municipality.save()
    fixed_now(jst(2026, 7, 18, 23, 0))  # Saturday night
    event = send("もう死にたい")
    [notice] = replies(event)
    assert "110" in notice.text and "119" in notice.text and "042-000-1050" in notice.text
    assert "2026年7月21日" in notice.text  # honest about when a person will read it
    ticket = Ticket.objects.get()
    assert ticket.priority == Ticket.Priority.URGENT and ticket.reason == Ticket.Reason.SENSITIVE


def test_a_sensitive_message_raises_an_open_tickets_priority(municipality, faq, send):
    send("人と話したいです")
    ticket = Ticket.objects.get()
    assert ticket.priority == Ticket.Priority.NORMAL
    conversation = conversation_of()
    services.open_ticket(conversation, Ticket.Reason.SENSITIVE)
    ticket.refresh_from_db()
    assert ticket.priority == Ticket.Priority.URGENT
    assert Ticket.objects.count() == 1


# --- resolve returns to the bot, without loops -----------------------------------------------------------


def _resolve_first_ticket(send, staff):
    send("人と話したいです")
    ticket = Ticket.objects.get()
    services.claim(ticket, staff)
    services.reply(ticket, staff, "ご用件をどうぞ。")
    assert services.resolve(ticket, outcome=Ticket.Outcome.ANSWERED, actor=staff) is True
    return ticket


def test_resolve_hands_back_to_the_bot_and_asks_for_a_rating(municipality, faq, send, console_staff):
    ticket = _resolve_first_ticket(send, console_staff)
    conversation = conversation_of()
    assert conversation.state == S.BOT and conversation.owner is None
    rating = Message.objects.filter(conversation=conversation, kind="rating").get()
    payloads = [c["payload"] for c in rating.payload["choices"]]
    assert {"action": "rating", "value": "good", "ticket": ticket.pk} in payloads
    assert services.resolve(ticket, outcome=Ticket.Outcome.ANSWERED, actor=console_staff) is False  # once only

    event = send("ソファを捨てたい")
    [answer] = replies(event)
    assert answer.kind == "answer"  # the bot answers again
    assert Ticket.objects.filter(status="open").count() == 0


def test_thanks_after_resolve_does_not_reopen_a_ticket(municipality, faq, send, console_staff):
    _resolve_first_ticket(send, console_staff)
    event = send("ありがとうございました！")
    [reply] = replies(event)
    assert reply.kind == "notice"
    assert Ticket.objects.filter(status="open").count() == 0
    assert conversation_of().state == S.BOT


def test_an_unanswerable_question_right_after_resolve_offers_a_person_instead_of_looping(
    municipality, faq, send, console_staff
):
    _resolve_first_ticket(send, console_staff)
    event = send("市民農園の区画を借りたいのですが")
    [reply] = replies(event)
    assert reply.kind == "notice"
    assert {"action": "person"} in [c["payload"] for c in reply.payload["choices"]]
    assert Ticket.objects.filter(status="open").count() == 0

    # ... but a trigger firing again opens a new ticket: asking for a person, or later on, low confidence.
    send(postback={"action": "person", "label": "Talk to a person"})
    assert Ticket.objects.filter(status="open").count() == 1


def test_low_confidence_hands_off_again_once_the_grace_period_is_over(municipality, faq, send, console_staff):
    ticket = _resolve_first_ticket(send, console_staff)
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now() - services.REOPEN_GRACE - timedelta(1))
    send("市民農園の区画を借りたいのですが")
    assert Ticket.objects.filter(status="open").get().reason == Ticket.Reason.LOW_CONFIDENCE


def test_asking_for_a_person_after_resolve_opens_a_new_ticket(municipality, faq, send, console_staff):
    first = _resolve_first_ticket(send, console_staff)
    send("もう一度担当者と話したい")
    second = Ticket.objects.get(status="open")
    assert second.pk != first.pk
    assert conversation_of().state == S.WAITING


def test_one_tap_rating_is_stored_once(municipality, faq, send, console_staff):
    ticket = _resolve_first_ticket(send, console_staff)
    event = send(postback={"action": "rating", "value": "good", "ticket": ticket.pk, "label": "満足"})
    [thanks] = replies(event)
    assert thanks.kind == "notice"
    send(postback={"action": "rating", "value": "bad", "ticket": ticket.pk})
    ticket.refresh_from_db()
    assert ticket.rating == "good" and ticket.rated_at is not None
    assert Ticket.objects.filter(status="open").count() == 0  # a rating never starts a hand-off


def test_a_rating_for_someone_elses_ticket_is_ignored(municipality, faq, send, console_staff):
    ticket = _resolve_first_ticket(send, console_staff)
    send(postback={"action": "rating", "value": "bad", "ticket": ticket.pk}, user="x" * 40)
    ticket.refresh_from_db()
    assert ticket.rating == ""


def test_spam_outcome_sends_no_rating_question(municipality, faq, send, console_staff):
    send("人と話したいです")
    ticket = Ticket.objects.get()
    services.resolve(ticket, outcome=Ticket.Outcome.SPAM, actor=console_staff)
    assert not Message.objects.filter(kind="rating").exists()


def test_web_widget_never_lists_internal_notes(
    client, municipality, faq, console_staff, django_capture_on_commit_callbacks
):
    token = client.post("/api/web/mihon/session").json()["token"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/api/web/mihon/messages",
            json.dumps({"token": token, "text": "人と話したい", "client_id": "c1"}),
            content_type="application/json",
        )
    ticket = Ticket.objects.get()
    services.add_note(ticket, console_staff, "この方は以前も電話あり。折り返し不要。")
    with django_capture_on_commit_callbacks(execute=True):
        services.reply(ticket, console_staff, "お待たせしました。")
    listed = client.get("/api/web/mihon/messages", HTTP_AUTHORIZATION=f"Bearer {token}").json()["messages"]
    texts = " ".join(m["text"] for m in listed)
    assert "お待たせしました。" in texts
    assert "折り返し不要" not in texts
