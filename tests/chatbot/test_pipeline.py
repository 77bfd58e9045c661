"""The conversation pipeline, run in-process: idempotency, retries, who may speak."""

from __future__ import annotations

import pytest
from django.utils import timezone

from channels.web.adapter import WebAdapter
from chatbot import pipeline
from chatbot.tasks import process_event
from conversations import states
from conversations.models import AnswerLog, Conversation, InboundEvent, Message
from faq.models import Chunk, FAQTranslation, Page
from handoff.models import Ticket
from tests.fakes.libretranslate import FakeLibreTranslate, configure


@pytest.fixture
def faq(municipality, make_faq):
    return make_faq(
        municipality,
        "粗大ごみの出し方を教えてください",
        "粗大ごみは予約制です。受付センターに電話してください。",
        alt_questions=["ソファを捨てたい"],
        department="ごみ減量推進課",
        contact="電話 042-000-1202",
        url="kurashi/gomi/sodai.html",
    )


def web_event(municipality, text: str, user: str = "u" * 40, event_id: str = "e1", **extra) -> InboundEvent:
    payload = {"user": user, "text": text, "postback": None, "language": ""}
    payload.update(extra)
    return InboundEvent.objects.create(
        municipality=municipality, channel="web", channel_event_id=event_id, event_type="message", payload=payload
    )


def outbound(event=None):
    qs = Message.objects.filter(direction=Message.Direction.OUTBOUND)
    return qs.filter(event=event) if event else qs


def test_answer_from_faq_with_source_and_disclaimer(municipality, faq):
    event = web_event(municipality, "ソファを捨てたい")
    assert pipeline.process_event(event.pk) == "processed"
    [reply] = outbound(event)
    assert reply.delivery == Message.Delivery.SENT
    assert reply.kind == "answer"
    assert reply.text == faq.answer
    assert reply.payload["links"][0]["url"] == "https://www.city.mihon.example.jp/kurashi/gomi/sodai.html"
    assert reply.payload["contact"] == "電話 042-000-1202"
    assert reply.payload["notice"]  # the disclaimer
    log = AnswerLog.objects.get()
    assert log.decision == "answer" and log.answered_faq == faq
    event.refresh_from_db()
    assert event.processed_at is not None and event.attempts == 1


CURATED = {
    "en": (
        "How do I put out bulky waste?",
        "Bulky waste is by reservation.",
        "Waste Reduction Division (ごみ減量推進課) Tel 042-000-1202",
    ),
    "ja-easy": (  # not machine-translatable: only a curated version (or a model rewrite) serves it
        "おおきい ごみを すてたい",
        "おおきい ごみは よやくが ひつようです。でんわを してください。",
        "ごみげんりょう すいしんか(ごみ減量推進課) でんわ 042-000-1202",
    ),
}


@pytest.mark.parametrize("language", list(CURATED))
def test_a_curated_translation_gives_the_answer_its_title_and_contact(municipality, faq, language):
    question, answer, contact = CURATED[language]
    FAQTranslation.objects.create(faq=faq, language=language, question=question, answer=answer, contact=contact)
    event = web_event(municipality, "ソファを捨てたい", language=language)
    pipeline.process_event(event.pk)
    reply = outbound(event).get(kind="answer")
    assert reply.language == language
    assert (reply.payload["title"], reply.text, reply.payload["contact"]) == (question, answer, contact)
    assert AnswerLog.objects.get().tokens == 0  # no model rewrite or translation was asked for
    if language == "en":  # staff read what the bot said in its Japanese original
        assert (reply.translation, reply.translation_language) == (faq.answer, "ja")
    assert "japanese" not in reply.payload  # never sent to the resident
    assert reply.payload["translated"] == "curated" and not reply.machine_translated


def test_without_a_curated_version_the_contact_is_localised_offline_and_machine_text_is_marked(
    municipality, faq, settings
):
    faq.contact = "ごみ減量推進課 電話 042-000-1202(平日8:30〜17:15)"
    faq.save()
    # No translator: the answer in Japanese with a notice, its contact's office and labels in English.
    event = web_event(municipality, "ソファを捨てたい", user="a" * 40, event_id="no-translator", language="en")
    pipeline.process_event(event.pk)
    reply = outbound(event).get(kind="answer")
    assert reply.text == faq.answer and "shown in Japanese" in reply.payload["notice"]
    assert (
        reply.payload["contact"] == "Waste Reduction Division (ごみ減量推進課) Tel 042-000-1202 (weekdays 8:30–17:15)"
    )
    assert reply.payload["translated"] == "" and not reply.machine_translated
    # A machine translation is marked so, for the resident's client and for staff.
    with FakeLibreTranslate() as api:
        configure(settings, api, timeout=2.0)
        event = web_event(municipality, "ソファを捨てたい", user="b" * 40, event_id="machine", language="vi")
        pipeline.process_event(event.pk)
    reply = outbound(event).get(kind="answer")
    assert reply.text != faq.answer and reply.payload["translated"] == "machine"
    assert reply.machine_translated
    assert reply.payload["contact"].startswith("Phòng Xúc tiến Giảm thiểu Rác thải (ごみ減量推進課)")


def test_processing_the_same_event_twice_sends_one_reply(municipality, faq):
    event = web_event(municipality, "ソファを捨てたい")
    assert pipeline.process_event(event.pk) == "processed"
    assert pipeline.process_event(event.pk) == "skipped"
    InboundEvent.objects.filter(pk=event.pk).update(processed_at=None)  # even a forced re-run
    pipeline.process_event(event.pk)
    assert outbound(event).count() == 1
    assert Message.objects.filter(direction="in").count() == 1
    assert AnswerLog.objects.count() == 1


def test_an_event_under_lease_is_not_processed_twice(municipality, faq):
    event = web_event(municipality, "ソファを捨てたい")
    assert pipeline.claim(event.pk) is not None
    assert pipeline.process_event(event.pk) == "skipped"  # another worker holds it
    assert outbound().count() == 0


def test_task_retried_after_transient_failure_sends_once(municipality, faq, monkeypatch, settings):
    calls = {"n": 0}
    real_deliver = WebAdapter.deliver

    def flaky(self, conversation, messages, context):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("broker hiccup")
        return real_deliver(self, conversation, messages, context)

    monkeypatch.setattr(WebAdapter, "deliver", flaky)
    event = web_event(municipality, "ソファを捨てたい")
    result = process_event.apply(args=[event.pk])
    assert result.successful(), result.traceback
    event.refresh_from_db()
    assert calls["n"] == 2
    assert event.attempts == 2
    assert event.processed_at is not None and event.last_error == ""
    [reply] = outbound(event)
    assert reply.delivery == Message.Delivery.SENT
    assert AnswerLog.objects.count() == 1  # the answer was composed once, only delivery was repeated


def test_failure_is_recorded_on_the_event(municipality, faq, monkeypatch):
    def broken(self, conversation, messages, context):
        raise ConnectionError("down")

    monkeypatch.setattr(WebAdapter, "deliver", broken)
    event = web_event(municipality, "ソファを捨てたい")
    with pytest.raises(pipeline.RetryLater) as raised:
        pipeline.process_event(event.pk)
    assert isinstance(raised.value.cause, ConnectionError) and raised.value.delay > 0
    event.refresh_from_db()
    assert event.processed_at is None and event.given_up_at is None
    assert "ConnectionError: down" in event.last_error
    # Not claimable before the next attempt is due: neither beat nor a duplicate task runs it early.
    assert event.lease_until > timezone.now()
    assert pipeline.process_event(event.pk) == "skipped"


@pytest.mark.parametrize("state", [states.ConversationState.WAITING, states.ConversationState.STAFF])
def test_while_a_person_holds_the_conversation_the_bot_only_says_once_that_messages_reach_them(
    municipality, faq, state
):
    pipeline.process_event(web_event(municipality, "人と話したいです", event_id="e0").pk)
    conversation = Conversation.objects.get()
    Conversation.objects.filter(pk=conversation.pk).update(state=state)
    event = web_event(municipality, "ソファを捨てたい", event_id="e2")
    pipeline.process_event(event.pk)
    [received] = outbound(event)  # not an answer: the person answers
    assert received.kind == "received" and "メッセージは職員に届きました" in received.text
    assert Message.objects.filter(event=event, direction="in").count() == 1  # stored for staff
    again = web_event(municipality, "まだですか", event_id="e3")
    pipeline.process_event(again.pk)
    assert outbound(again).count() == 0  # once is enough


def test_unknown_question_asks_back_then_hands_off_once(municipality, faq):
    pipeline.process_event(web_event(municipality, "市民農園の区画を借りたいのですが", event_id="a").pk)
    conversation = Conversation.objects.get()
    first = outbound().get()
    if first.kind == "ask_back":  # not sure: ask first, hand off when the next try fails too
        assert conversation.state == states.ConversationState.BOT
        pipeline.process_event(web_event(municipality, "市民農園の区画を借りたいのですが", event_id="b").pk)
    conversation.refresh_from_db()
    assert conversation.state == states.ConversationState.WAITING
    ticket = Ticket.objects.get()
    assert ticket.reason == Ticket.Reason.LOW_CONFIDENCE
    assert outbound().order_by("-id").first().kind == "handoff"
    # a further message while waiting is stored for staff, not answered (the resident hears that it
    # reached them), and opens no second ticket
    pipeline.process_event(web_event(municipality, "まだですか", event_id="c").pk)
    assert Ticket.objects.count() == 1
    assert outbound().order_by("-id").first().kind == "received"


def test_asking_for_a_person_hands_off(municipality, faq):
    pipeline.process_event(web_event(municipality, "人と話したいです").pk)
    assert Ticket.objects.get().reason == Ticket.Reason.ASKED_FOR_PERSON


@pytest.mark.parametrize("action", ["person", "none"])
def test_a_button_hand_off_carries_the_residents_own_question(municipality, faq, action):
    pipeline.process_event(web_event(municipality, "駐輪場の定期券はどこで買えますか", event_id="a").pk)
    pipeline.process_event(
        web_event(municipality, "", event_id="b", postback={"action": action, "label": "職員と話す"}).pk
    )
    ticket = Ticket.objects.get()
    assert ticket.question == "駐輪場の定期券はどこで買えますか"  # not the button's label
    assert AnswerLog.objects.filter(decision="handoff").get().query == "駐輪場の定期券はどこで買えますか"


def test_sensitive_topic_gives_emergency_numbers_and_urgent_ticket(municipality, faq):
    municipality.emergency_contacts = "こころの相談 042-000-1050"
    municipality.save()
    pipeline.process_event(web_event(municipality, "もう死にたい").pk)
    ticket = Ticket.objects.get()
    assert ticket.priority == Ticket.Priority.URGENT
    text = outbound().get().text
    assert "110" in text and "119" in text and "042-000-1050" in text


def test_overlong_text_gets_a_polite_reply(municipality, faq, settings):
    settings.MESSAGE_MAX_CHARS = 20
    event = web_event(municipality, "あ" * 50)
    pipeline.process_event(event.pk)
    assert "20" in outbound(event).get().text
    assert AnswerLog.objects.count() == 0


def test_feedback_is_recorded_and_two_unhelpful_hand_off(municipality, faq):
    pipeline.process_event(web_event(municipality, "ソファを捨てたい", event_id="q").pk)
    log = AnswerLog.objects.get()
    for i in range(2):
        e = web_event(municipality, "", event_id=f"f{i}", postback={"action": "feedback", "value": "no", "log": log.pk})
        pipeline.process_event(e.pk)
    log.refresh_from_db()
    assert log.feedback == AnswerLog.Feedback.UNHELPFUL
    assert Ticket.objects.get().reason == Ticket.Reason.REPEATED_FAILURE


def test_a_picked_homepage_passage_is_answered_with_its_heading_path(municipality, faq):
    page = Page.objects.create(
        municipality=municipality, url="kurashi/gomi/sodai.html", title="粗大ごみ", content_hash="x"
    )
    chunk = Chunk.objects.create(
        page=page, municipality=municipality, heading_path=["粗大ごみ", "申し込み方法"], text="電話で申し込みます。"
    )
    event = web_event(municipality, "", event_id="p", postback={"action": "pick", "kind": "chunk", "id": chunk.pk})
    pipeline.process_event(event.pk)
    reply = outbound(event).get()
    assert reply.kind == "answer" and reply.text == "電話で申し込みます。"
    assert reply.payload["title"] == "粗大ごみ > 申し込み方法"
    assert reply.payload["links"][0]["url"].endswith("/kurashi/gomi/sodai.html")
