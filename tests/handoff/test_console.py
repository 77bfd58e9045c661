"""The console over HTTP: scoping (404), roles, masking, replies with translation, notes, drafts, audit, timing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from conversations import states
from conversations.models import Conversation, Membership, Message, Resident
from faq.models import FAQ
from handoff import services
from handoff.models import AuditEvent, CannedReply, CannedReplyTranslation, InternalNote, Ticket
from tests.fakes.libretranslate import pseudo_translation

S = states.ConversationState


def ticket_for(municipality, *, user="r1", language="ja", question="人と話したい", department="", reason=None):
    resident = Resident.objects.create(
        municipality=municipality, channel="web", channel_user_id=user, language=language
    )
    conversation = Conversation.objects.create(municipality=municipality, resident=resident)
    Message.objects.create(
        conversation=conversation, direction="in", sender="resident", text=question, language=language
    )
    return services.open_ticket(
        conversation,
        reason or Ticket.Reason.LOW_CONFIDENCE,
        question=question,
        department=department,
        candidates=[{"kind": "faq", "id": 1, "external_id": "f-1", "title": "住民票の写しの請求", "score": 0.31}],
    )


@pytest.fixture
def staff(municipality, staff_user):
    return staff_user(municipality, Membership.Role.STAFF, username="tanaka")


@pytest.fixture
def logged_in(client, staff):
    client.force_login(staff)
    return client


def audit_actions(**filters) -> list[str]:
    return list(AuditEvent.objects.filter(**filters).order_by("id").values_list("action", flat=True))


# --- access ----------------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_console_login(client, municipality):
    response = client.get("/console/")
    assert response.status_code == 302 and response["Location"].startswith("/console/login/")
    assert client.get("/console/login/").status_code == 200


def test_login_page_logs_staff_in(client, staff):
    response = client.post("/console/login/", {"username": "tanaka", "password": "pw"})
    assert response.status_code == 302 and response["Location"] == "/console/"
    assert client.get("/console/").status_code == 200


def test_editors_and_outsiders_may_not_use_the_console(client, municipality, staff_user, django_user_model):
    client.force_login(staff_user(municipality, Membership.Role.EDITOR))
    assert client.get("/console/").status_code == 403
    client.force_login(django_user_model.objects.create_user("nobody", password="pw"))
    assert client.get("/console/").status_code == 403


def test_staff_of_another_municipality_gets_404_everywhere(client, municipality, make_municipality, staff_user):
    ticket = ticket_for(municipality)
    outsider = staff_user(make_municipality("tonari"), Membership.Role.CITY_ADMIN, username="tonari-admin")
    client.force_login(outsider)
    base = f"/console/tickets/{ticket.pk}/"
    assert client.get(base).status_code == 404
    assert client.get(base + "thread").status_code == 404
    for action in ("claim", "release", "reply", "note", "resolve", "transfer", "assign", "preview", "faq-draft"):
        assert client.post(base + action, {"text": "x", "outcome": "answered", "department": "x"}).status_code == 404
    queue = client.get("/console/")
    assert queue.status_code == 200 and f'data-ticket-id="{ticket.pk}"' not in queue.content.decode()
    ticket.refresh_from_db()
    assert ticket.is_open and ticket.conversation.state == S.WAITING
    assert not InternalNote.objects.exists() and not AuditEvent.objects.exists()


def test_department_staff_see_their_department_and_unrouted_tickets_only(client, municipality, staff_user):
    mine = ticket_for(municipality, user="a", department="市民課")
    unrouted = ticket_for(municipality, user="b")
    other = ticket_for(municipality, user="c", department="税務課")
    client.force_login(staff_user(municipality, Membership.Role.STAFF, username="shimin", department="市民課"))
    page = client.get("/console/").content.decode()
    assert f'data-ticket-id="{mine.pk}"' in page and f'data-ticket-id="{unrouted.pk}"' in page
    assert f'data-ticket-id="{other.pk}"' not in page
    assert client.get(f"/console/tickets/{other.pk}/").status_code == 404
    assert client.get(f"/console/tickets/{mine.pk}/").status_code == 200


# --- queue -------------------------------------------------------------------------------------------------


def test_queue_lists_waiting_tickets_with_personal_data_masked(logged_in, municipality):
    ticket = ticket_for(
        municipality,
        language="en",
        question="Please call me at 090-1234-5678 or mail taro@example.jp, I live at 本町1-2-3",
    )
    page = logged_in.get("/console/").content.decode()
    assert f'data-ticket-id="{ticket.pk}"' in page
    assert "090-1234-5678" not in page and "taro@example.jp" not in page and "本町1-2-3" not in page
    assert "[PHONE]" in page and "[EMAIL]" in page and "[ADDRESS]" in page
    assert "English" in page  # the resident's language
    assert "住民票の写しの請求" in page  # the bot's best guess
    rows = logged_in.get("/console/queue/rows").content.decode()
    assert f'data-ticket-id="{ticket.pk}"' in rows and "090-1234-5678" not in rows


def test_urgent_tickets_come_first(logged_in, municipality):
    normal = ticket_for(municipality, user="n")
    urgent = ticket_for(municipality, user="u", reason=Ticket.Reason.SENSITIVE)
    page = logged_in.get("/console/").content.decode()
    assert page.index(f'data-ticket-id="{urgent.pk}"') < page.index(f'data-ticket-id="{normal.pk}"')


# --- conversation, reply, translation ----------------------------------------------------------------------


def test_conversation_view_shows_original_translation_candidates_and_language(logged_in, municipality, translator):
    ticket = ticket_for(municipality, language="vi", question="Tôi muốn hỏi về thẻ cư trú")
    services.add_resident_message(
        ticket.conversation,
        Message.objects.create(
            conversation=ticket.conversation, direction="in", sender="resident", text="Xin chào", language="vi"
        ),
    )
    page = logged_in.get(f"/console/tickets/{ticket.pk}/").content.decode()
    # original and Japanese side by side (the fake translator's Japanese stand-in)
    assert "Xin chào" in page and pseudo_translation("Xin chào", "ja") in page
    assert pseudo_translation("Tôi muốn hỏi về thẻ cư trú", "ja") in page  # the question that started the ticket too
    assert "Tiếng Việt" in page
    assert "住民票の写しの請求" in page and "0.310" in page
    assert audit_actions(action="view") == ["view"]


def test_preview_without_a_translator_warns_that_japanese_will_be_sent(logged_in, municipality, settings):
    settings.TRANSLATOR = "none"
    ticket = ticket_for(municipality, language="en")
    data = logged_in.post(f"/console/tickets/{ticket.pk}/preview", {"text": "少々お待ちください。"}).json()
    assert data["text"] == "少々お待ちください。" and data["language"] == "ja"
    assert data["machine_translated"] is False and data["warning"]


def test_a_reply_shows_as_sending_until_it_is_delivered(logged_in, municipality, django_capture_on_commit_callbacks):
    ticket = ticket_for(municipality)
    with django_capture_on_commit_callbacks() as queued:
        logged_in.post(f"/console/tickets/{ticket.pk}/reply", {"text": "確認します。"})
    thread = f"/console/tickets/{ticket.pk}/thread"
    assert 'class="badge pending">送信中' in logged_in.get(thread).content.decode()
    for callback in queued:  # the delivery task, once the reply is committed
        callback()
    assert Message.objects.get(sender="staff").delivery == Message.Delivery.SENT
    assert "送信中" not in logged_in.get(thread).content.decode()


def test_reply_sends_the_previewed_translation_and_keeps_the_japanese(
    logged_in, municipality, translator, staff, django_capture_on_commit_callbacks
):
    ticket = ticket_for(municipality, language="vi")
    preview = logged_in.post(f"/console/tickets/{ticket.pk}/preview", {"text": "少々お待ちください。"}).json()
    assert preview["text"] == pseudo_translation("少々お待ちください。", "vi") and preview["machine_translated"] is True
    assert preview["back_translation"] == pseudo_translation(preview["text"], "ja")
    # Were it asked again, the translator would now say something else (and nothing is cached).
    translator.learn({("ja", "vi", "少々お待ちください。"): "[vi] bản dịch khác"})
    cache.clear()
    calls_before = translator.calls
    with django_capture_on_commit_callbacks(execute=True):  # delivery is queued once the reply is committed
        response = logged_in.post(
            f"/console/tickets/{ticket.pk}/reply", {"text": "少々お待ちください。", "preview_token": preview["token"]}
        )
    assert response.status_code == 302
    assert translator.calls == calls_before  # what was previewed is what is sent
    sent = Message.objects.get(sender="staff")
    assert sent.text == preview["text"] and sent.translation == "少々お待ちください。"
    assert sent.machine_translated and sent.payload["notice"]  # the resident is told it is machine-made
    assert sent.staff_user == staff and sent.delivery == Message.Delivery.SENT
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None
    assert ticket.conversation.state == S.STAFF  # replying to a waiting ticket claims it


def test_a_preview_token_for_other_text_is_not_used(logged_in, municipality, translator):
    ticket = ticket_for(municipality, language="vi")
    token = logged_in.post(f"/console/tickets/{ticket.pk}/preview", {"text": "はい。"}).json()["token"]
    logged_in.post(f"/console/tickets/{ticket.pk}/reply", {"text": "いいえ。", "preview_token": token})
    assert Message.objects.get(sender="staff").text == pseudo_translation("いいえ。", "vi")


def test_canned_reply_uses_its_curated_translation(logged_in, municipality, translator):
    canned = CannedReply.objects.create(
        municipality=municipality, title="窓口案内", text_ja="市民課の窓口へお越しください。"
    )
    CannedReplyTranslation.objects.create(canned=canned, language="en", text="Please come to the Citizens Division.")
    ticket = ticket_for(municipality, language="en")
    page = logged_in.get(f"/console/tickets/{ticket.pk}/").content.decode()
    assert "窓口案内" in page
    data = logged_in.post(f"/console/tickets/{ticket.pk}/preview", {"text": canned.text_ja, "canned": canned.pk}).json()
    assert data["curated"] is True and data["text"] == "Please come to the Citizens Division."
    logged_in.post(f"/console/tickets/{ticket.pk}/reply", {"text": canned.text_ja, "canned": canned.pk})
    sent = Message.objects.get(sender="staff")
    assert sent.text == "Please come to the Citizens Division." and not sent.machine_translated
    edited = ticket_for(municipality, user="r2", language="en")
    data = logged_in.post(
        f"/console/tickets/{edited.pk}/preview", {"text": canned.text_ja + "明日でも結構です。", "canned": canned.pk}
    ).json()
    assert data["curated"] is False  # edited text: the curated translation no longer matches


def test_internal_note_is_not_a_message(logged_in, municipality):
    ticket = ticket_for(municipality)
    before = Message.objects.count()
    logged_in.post(f"/console/tickets/{ticket.pk}/note", {"text": "前回は電話で対応済み"})
    assert Message.objects.count() == before
    assert InternalNote.objects.get().text == "前回は電話で対応済み"
    assert "前回は電話で対応済み" in logged_in.get(f"/console/tickets/{ticket.pk}/thread").content.decode()


def test_resolve_needs_an_outcome_then_returns_to_the_bot(logged_in, municipality):
    ticket = ticket_for(municipality)
    logged_in.post(f"/console/tickets/{ticket.pk}/claim")
    logged_in.post(f"/console/tickets/{ticket.pk}/resolve", {"outcome": ""})
    assert Ticket.objects.get(pk=ticket.pk).is_open
    logged_in.post(f"/console/tickets/{ticket.pk}/resolve", {"outcome": "referred", "note": "市民課へ案内"})
    ticket.refresh_from_db()
    assert not ticket.is_open and ticket.outcome == "referred" and ticket.resolved_by is not None
    assert ticket.conversation.state == S.BOT
    assert Message.objects.filter(kind="rating").count() == 1


def test_faq_draft_is_a_masked_unpublished_entry_for_editors(logged_in, municipality, staff):
    ticket = ticket_for(municipality, question="子どもの医療費助成の申請方法は？電話は090-1111-2222です")
    services.reply(ticket, staff, "市役所子育て支援課の窓口で申請できます。")
    page = logged_in.get(f"/console/tickets/{ticket.pk}/").content.decode()
    assert "市役所子育て支援課の窓口で申請できます。" in page  # the form is pre-filled
    logged_in.post(f"/console/tickets/{ticket.pk}/faq-draft", {})
    logged_in.post(f"/console/tickets/{ticket.pk}/faq-draft", {})
    faq = FAQ.objects.get()
    assert faq.external_id == f"draft-{ticket.pk}" and faq.status == FAQ.Status.DRAFT
    assert "090-1111-2222" not in faq.question and "[PHONE]" in faq.question
    assert faq.answer == "市役所子育て支援課の窓口で申請できます。"
    assert not FAQ.objects.answerable(municipality).exists()  # never used by the bot until published
    assert Ticket.objects.get(pk=ticket.pk).faq_draft == faq


# --- audit log -----------------------------------------------------------------------------------------------


def test_every_staff_action_is_in_the_audit_log(logged_in, municipality, staff, staff_user):
    colleague = staff_user(municipality, Membership.Role.STAFF, username="suzuki")
    ticket = ticket_for(municipality)
    base = f"/console/tickets/{ticket.pk}/"
    logged_in.get(base)
    logged_in.post(base + "claim")
    logged_in.post(base + "note", {"text": "確認中"})
    logged_in.post(base + "reply", {"text": "確認します。"})
    logged_in.post(base + "release")
    logged_in.post(base + "transfer", {"department": "市民課"})
    logged_in.post(base + "faq-draft", {"question": "質問", "answer": "回答"})
    logged_in.post(base + "assign", {"user": colleague.pk})
    logged_in.force_login(colleague)
    logged_in.post(base + "resolve", {"outcome": "answered"})
    assert audit_actions(user=staff) == [
        "view",
        "claim",
        "note",
        "reply",
        "release",
        "transfer",
        "faq_draft",
        "assign",
    ]
    assert audit_actions(user=colleague) == ["resolve"]
    assert AuditEvent.objects.get(action="assign").detail == {"to": "suzuki"}
    assert all(e.municipality == municipality and e.ticket == ticket for e in AuditEvent.objects.all())


def test_audit_log_admin_is_for_city_admins_and_read_only(client, municipality, staff_user):
    ticket = ticket_for(municipality)
    admin = staff_user(municipality, Membership.Role.CITY_ADMIN, username="boss")
    services.claim(ticket, admin)
    client.force_login(admin)
    listing = client.get("/admin/handoff/auditevent/")
    assert listing.status_code == 200 and "boss" in listing.content.decode()
    event = AuditEvent.objects.get()
    assert client.post(f"/admin/handoff/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    client.force_login(staff_user(municipality, Membership.Role.STAFF))
    assert client.get("/admin/handoff/auditevent/").status_code == 403


# --- timing figures -------------------------------------------------------------------------------------------


def test_timing_page_shows_first_response_and_handling_per_day_and_department(logged_in, municipality):
    now = timezone.now()
    ticket = ticket_for(municipality, department="市民課")
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=now - timedelta(minutes=60),
        claimed_at=now - timedelta(minutes=50),
        first_response_at=now - timedelta(minutes=48),
        resolved_at=now - timedelta(minutes=20),
        status="resolved",
        rating="good",
    )
    ticket_for(municipality, user="r2")  # still waiting, no department
    page = logged_in.get("/console/stats/").content.decode()
    assert 'data-key="市民課"' in page
    section = page[page.index('data-key="市民課"') :]
    assert '<td class="frt-median">12.0</td>' in section[:600]
    assert '<td class="handling-median">30.0</td>' in section[:600]
    today = timezone.localdate().isoformat()
    day_row = page[page.index(f'data-key="{today}"') :][:400]
    assert '<td class="opened">2</td>' in day_row and '<td class="resolved">1</td>' in day_row


# --- live events ---------------------------------------------------------------------------------------------


def test_events_endpoint_says_poll_without_redis(logged_in, settings):
    settings.REDIS_URL = ""
    assert logged_in.get("/console/events").status_code == 204


def test_messages_of_an_earlier_hand_off_are_marked_as_earlier(logged_in, municipality, staff):
    first = ticket_for(municipality, question="最初の質問")
    services.resolve(first, outcome="answered", actor=None, ask_rating=False)
    Message.objects.create(conversation=first.conversation, direction="in", sender="resident", text="二度目の質問")
    second = services.open_ticket(first.conversation, Ticket.Reason.ASKED_FOR_PERSON, question="二度目の質問")
    thread = logged_in.get(f"/console/tickets/{second.pk}/thread").content.decode()

    def row_class(text: str) -> str:
        rows = re.findall(r'<tr class="([^"]*)"(?:(?!</tr>).)*</tr>', thread, re.S)
        bodies = re.findall(r'<tr class="[^"]*"((?:(?!</tr>).)*)</tr>', thread, re.S)
        return next(cls for cls, body in zip(rows, bodies, strict=True) if text in body)

    assert "earlier" in row_class("最初の質問")
    assert "earlier" not in row_class("二度目の質問")


def test_admin_pages_for_hours_canned_replies_and_tickets(client, municipality, make_municipality, staff_user):
    ticket_for(municipality, question="電話は090-1234-5678です")
    other = ticket_for(make_municipality("tonari"), user="o", question="隣の市の質問")
    client.force_login(staff_user(municipality, Membership.Role.CITY_ADMIN, username="boss"))
    assert client.get("/admin/handoff/businesscalendar/add/").status_code == 200
    assert client.get("/admin/handoff/cannedreply/add/").status_code == 200
    listing = client.get("/admin/handoff/ticket/").content.decode()
    assert "[PHONE]" in listing and "090-1234-5678" not in listing
    assert "隣の市の質問" not in listing
    assert client.get(f"/admin/handoff/ticket/{other.pk}/change/").status_code == 302  # not theirs
