"""The console in a real headless Chromium against the live server."""

from __future__ import annotations

import pytest

from conversations import states
from conversations.models import Conversation, Membership, Message, Resident
from handoff import services
from handoff.models import CannedReply, CannedReplyTranslation, InternalNote, Ticket

from .conftest import jst

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Record notifications instead of showing them (headless Chromium has no notification centre).
FAKE_NOTIFICATIONS = """
window.__notifications = [];
window.Notification = class {
  constructor(title, options) { window.__notifications.push({ title: title, body: (options || {}).body || "" }); }
  static get permission() { return "granted"; }
  static requestPermission() { return Promise.resolve("granted"); }
};
"""


def new_ticket(municipality, *, user="b1", language="vi", text="Tôi muốn hỏi về thẻ cư trú, số 090-1234-5678", **kw):
    resident = Resident.objects.create(
        municipality=municipality, channel="web", channel_user_id=user, language=language
    )
    conversation = Conversation.objects.create(municipality=municipality, resident=resident)
    Message.objects.create(conversation=conversation, direction="in", sender="resident", text=text, language=language)
    return services.open_ticket(conversation, kw.pop("reason", Ticket.Reason.ASKED_FOR_PERSON), question=text, **kw)


@pytest.fixture
def staff(municipality, staff_user):
    return staff_user(municipality, Membership.Role.STAFF, username="tanaka")


@pytest.fixture
def page_errors():
    return []


def open_page(context, path: str, errors: list):
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(path)
    return page


def test_login_queue_and_conversation_render(browser_context, municipality, staff, page_errors, settings):
    settings.REDIS_URL = ""
    ticket = new_ticket(municipality)
    page = open_page(browser_context, "/console/", page_errors)
    assert "/console/login/" in page.url
    page.fill("input[name=username]", "tanaka")
    page.fill("input[name=password]", "pw")
    page.click("button[type=submit]")
    row = page.locator(f'tr[data-ticket-id="{ticket.pk}"]')
    row.wait_for()
    assert "Tiếng Việt" in row.inner_text()
    assert "090-1234-5678" not in page.content() and "[PHONE]" in row.inner_text()
    assert page.locator("#live-status").get_attribute("data-mode") == "poll"

    row.locator("a").first.click()
    page.wait_for_selector(".ticket-page")
    assert page.locator(".thread tr.msg").count() == 1
    assert "090-1234-5678" in page.locator(".thread").inner_text()  # the conversation itself is not masked
    assert page.locator(".resident-language strong").inner_text() == "Tiếng Việt"
    assert page_errors == []


def test_take_reply_with_translation_preview_note_and_resolve(login_context, municipality, staff, translator, settings):
    settings.REDIS_URL = ""
    settings.HANDOFF_POLL_SECONDS = 1
    ticket = new_ticket(municipality)
    errors: list = []
    page = open_page(login_context(staff), f"/console/tickets/{ticket.pk}/", errors)

    page.click("#claim-button")
    page.wait_for_selector("#release-button")
    assert Conversation.objects.get(pk=ticket.conversation_id).state == states.ConversationState.STAFF

    page.fill("#reply-text", "在留カードの手続きは市民課です。")
    assert page.locator("#send-button").is_disabled()  # a foreign-language resident: preview first
    page.click("#preview-button")
    page.wait_for_selector("#preview:not([hidden])")
    previewed = page.locator("#preview-text").inner_text()  # the fake's Vietnamese, the department kept
    assert previewed.startswith("văn phòng thành phố") and "市民課" in previewed
    assert page.locator("#preview-kind").get_attribute("data-kind") == "machine"
    assert page.locator("#send-button").is_enabled()
    page.fill("#reply-text", "在留カードの手続きは市民課の窓口です。")  # editing invalidates the preview
    assert page.locator("#send-button").is_disabled()
    page.click("#preview-button")
    page.wait_for_selector("#preview:not([hidden])")
    page.click("#send-button")
    page.wait_for_selector(".thread tr.sender-staff")
    sent = Message.objects.get(sender="staff")
    assert sent.text.startswith("văn phòng thành phố") and "市民課" in sent.text
    assert sent.translation == "在留カードの手続きは市民課の窓口です。"
    staff_row = page.locator(".thread tr.sender-staff")
    assert "văn phòng" in staff_row.locator(".original").inner_text()
    assert "市民課の窓口です" in staff_row.locator(".japanese").inner_text()

    page.fill("#note-text", "本人確認は来庁時に。")
    page.click("#note-form button[type=submit]")
    page.wait_for_selector(".thread tr.note")
    assert InternalNote.objects.get().text == "本人確認は来庁時に。"

    # The resident writes again: the open page picks it up by itself (polling, no Redis here).
    resident_message = Message.objects.create(
        conversation_id=ticket.conversation_id, direction="in", sender="resident", text="Cảm ơn", language="vi"
    )
    services.add_resident_message(ticket.conversation, resident_message)
    page.wait_for_selector(f'tr[data-message-id="{resident_message.pk}"]')

    page.select_option("#resolve-form select[name=outcome]", "answered")
    page.click("#resolve-button")
    page.wait_for_selector("#ticket-state.state-bot")
    assert not Ticket.objects.get(pk=ticket.pk).is_open
    assert Message.objects.filter(kind="rating").exists()
    assert errors == []


def test_canned_reply_fills_the_text_and_previews_its_curated_translation(login_context, municipality, staff):
    canned = CannedReply.objects.create(municipality=municipality, title="来庁案内", text_ja="市民課へお越しください。")
    CannedReplyTranslation.objects.create(canned=canned, language="vi", text="Vui lòng đến Phòng Thị dân.")
    ticket = new_ticket(municipality)
    errors: list = []
    page = open_page(login_context(staff), f"/console/tickets/{ticket.pk}/", errors)
    page.select_option("#canned", str(canned.pk))
    assert page.locator("#reply-text").input_value() == "市民課へお越しください。"
    page.click("#preview-button")
    page.wait_for_selector("#preview:not([hidden])")
    assert page.locator("#preview-text").inner_text() == "Vui lòng đến Phòng Thị dân."
    assert page.locator("#preview-kind").get_attribute("data-kind") == "curated"
    assert errors == []


def test_new_ticket_appears_with_a_sound_and_a_notification_polling(login_context, municipality, staff, settings):
    settings.REDIS_URL = ""
    settings.HANDOFF_POLL_SECONDS = 1
    context = login_context(staff)
    context.add_init_script(FAKE_NOTIFICATIONS)
    errors: list = []
    page = open_page(context, "/console/", errors)
    page.click("#enable-alerts")  # a user gesture unlocks sound
    assert page.evaluate("window.madoguchiConsole.sounds") == 0

    ticket = new_ticket(municipality, reason=Ticket.Reason.SENSITIVE)
    page.wait_for_selector(f'tr[data-ticket-id="{ticket.pk}"]')
    page.wait_for_function("window.__notifications.length > 0")
    [notification] = page.evaluate("window.__notifications")
    assert f"#{ticket.pk}" in notification["title"]
    assert "緊急" in notification["title"]  # URGENT, in the console's Japanese
    assert "090" not in notification["title"] + notification["body"]  # no personal data on a lock screen
    assert page.evaluate("window.madoguchiConsole.sounds") == 1
    assert errors == []


@pytest.mark.integration
def test_new_ticket_arrives_over_server_sent_events(
    login_context, municipality, staff, settings, redis_url, redis_client
):
    settings.REDIS_URL = redis_url
    settings.HANDOFF_POLL_SECONDS = 600  # polling cannot be what shows the ticket
    settings.HANDOFF_SSE_HEARTBEAT_SECONDS = 1
    context = login_context(staff)
    context.add_init_script(FAKE_NOTIFICATIONS)
    errors: list = []
    page = open_page(context, "/console/", errors)
    page.wait_for_selector('#live-status[data-mode="live"]')

    ticket = new_ticket(municipality, language="en", text="I want to talk to a human")
    page.wait_for_selector(f'tr[data-ticket-id="{ticket.pk}"]')
    page.wait_for_function("window.__notifications.length > 0")
    assert page.evaluate("window.madoguchiConsole.mode") == "live"
    assert errors == []


def test_a_crisis_jumps_to_the_top_of_the_queue_with_an_urgent_alert(
    login_context, municipality, staff, settings, send, fixed_now
):
    """Issue 14: a resident in danger is seen first. Through the real engine, not a hand-made ticket."""
    settings.REDIS_URL = ""
    settings.HANDOFF_POLL_SECONDS = 1
    fixed_now(jst(2026, 7, 15, 10, 0))  # staff are in
    earlier = new_ticket(municipality, user="waiting", language="ja", text="人と話したい")
    context = login_context(staff)
    context.add_init_script(FAKE_NOTIFICATIONS)
    errors: list = []
    page = open_page(context, "/console/", errors)
    page.click("#enable-alerts")
    page.wait_for_selector(f'tr[data-ticket-id="{earlier.pk}"]')

    send("Tôi vừa uống hết cả lọ thuốc ngủ, thấy rất mệt", user="danger", language="vi")
    urgent = Ticket.objects.get(conversation__resident__channel_user_id="danger")
    assert urgent.priority == Ticket.Priority.URGENT
    row = page.locator(f'tr[data-ticket-id="{urgent.pk}"]')
    row.wait_for()
    page.wait_for_function("window.__notifications.length > 0")
    first = page.locator("tr[data-ticket-id]").first
    assert first.get_attribute("data-ticket-id") == str(urgent.pk)  # above the ticket that waited longer
    assert "urgent" in (row.get_attribute("class") or "")
    assert row.locator(".badge.urgent").is_visible()
    [notification] = page.evaluate("window.__notifications")
    assert notification["title"].startswith("緊急")
    assert page.evaluate("window.madoguchiConsole.urgentSounds") == 1

    later = new_ticket(municipality, user="later", language="en", text="Can I talk to someone?")
    page.wait_for_selector(f'tr[data-ticket-id="{later.pk}"]')
    page.wait_for_function("window.__notifications.length > 1")
    assert not page.evaluate("window.__notifications")[1]["title"].startswith("緊急")
    assert page.evaluate("[window.madoguchiConsole.sounds, window.madoguchiConsole.urgentSounds]") == [2, 1]
    assert page.locator("tr[data-ticket-id]").first.get_attribute("data-ticket-id") == str(urgent.pk)
    assert errors == []
