"""Issue 16, the staff member's path through the console in a real headless Chromium, at phone and
laptop sizes, with no translator configured (screenshots in test-artifacts/console-tour-*.png):

* the queue shows only plausible candidates, each once, and a fishing question proposed for 市民課
  on a 0.04 candidate waits in the general queue;
* a Vietnamese question nobody translated shows its gist from the glossary (キーワード: 住民票);
* on the ticket, the bot's untranslated answer is labelled 日本語 and not repeated in the 日本語 column;
* the FAQ-draft panel is prefilled with the question in Japanese, or says it is untranslated;
* take, reply, note and resolve each bring the staff member back to the form they used, with the
  focus there and its message in view, not to the top of the page;
* once resolved, 担当者 still names who handled it;
* no serious accessibility violations (axe) on the queue and the ticket.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from conversations.models import Conversation, Message, Resident
from handoff import services
from handoff.models import Ticket
from tests.channels.web.test_browser import run_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}

VIETNAMESE = "Tôi muốn lấy giấy chứng nhận cư trú, số điện thoại của tôi là 090-1234-5678"
BOT_JAPANESE = "住民票の写しは市民課の窓口で1通300円で取れます。本人確認書類をお持ちください。"


def guess(title: str, score: float, id: int, kind: str = "faq") -> dict:
    return {"kind": kind, "id": id, "external_id": f"{kind}-{id}", "title": title, "score": score}


def ticket_for(municipality, user: str, language: str, text: str, **kw) -> Ticket:
    resident = Resident.objects.create(
        municipality=municipality, channel="web", channel_user_id=user, language=language
    )
    conversation = Conversation.objects.create(municipality=municipality, resident=resident)
    Message.objects.create(conversation=conversation, direction="in", sender="resident", text=text, language=language)
    return services.open_ticket(conversation, Ticket.Reason.LOW_CONFIDENCE, question=text, **kw)


def earlier_exchange(ticket: Ticket) -> None:
    """What came before the hand-off: a few turns, and the bot's answer nobody could translate."""
    for n in range(4):
        Message.objects.create(
            conversation=ticket.conversation,
            direction="in",
            sender="resident",
            text=f"Xin lỗi, tôi hỏi lại lần thứ {n + 2} về giấy chứng nhận cư trú",
            language="vi",
        )
        Message.objects.create(  # as chatbot.answering stores it: the Japanese original kept beside it
            conversation=ticket.conversation,
            direction="out",
            sender="bot",
            text=BOT_JAPANESE,
            language="vi",
            translation=BOT_JAPANESE,
            translation_language="ja",
        )


def in_view(page, selector: str) -> bool:
    return page.evaluate(
        """(selector) => { const r = document.querySelector(selector).getBoundingClientRect();
             return r.top >= 0 && r.top < window.innerHeight && r.bottom > 0; }""",
        selector,
    )


def focused_id(page) -> str:
    return page.evaluate("() => document.activeElement && document.activeElement.id")


@pytest.mark.parametrize("size", SIZES)
def test_a_staff_member_works_a_foreign_ticket_without_a_translator(
    size, login_context, municipality, console_staff, settings
):
    settings.REDIS_URL = ""
    settings.TRANSLATOR = "none"
    settings.HANDOFF_POLL_SECONDS = 60  # nothing refreshes the page behind the test's back
    ARTIFACTS.mkdir(exist_ok=True)
    fishing = ticket_for(
        municipality,
        "fisher",
        "ja",
        "川で魚釣りをしてもいいですか",
        candidates=[guess("住民票の写しの請求", 0.04, 1), guess("市民課の窓口", 0.01, 2)],
        department="市民課",
    )
    ticket = ticket_for(
        municipality,
        "viet",
        "vi",
        VIETNAMESE,
        candidates=[
            guess("住民票の写しの請求", 0.48, 1),
            guess("住民票の写しの請求", 0.47, 1, kind="chunk"),  # the homepage's passage of the same question
            guess("住民票の写しの請求。", 0.46, 9),  # another department's copy of it
            guess("印鑑登録証明書", 0.31, 3),
            guess("釣り場の案内", 0.04, 5),
        ],
    )
    earlier_exchange(ticket)
    errors: list[str] = []
    context = login_context(console_staff, viewport=SIZES[size])
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # The queue: plausible candidates once each, the fishing question unrouted, the gist of the Vietnamese.
    page.goto("/console/")
    row = page.locator(f'tr[data-ticket-id="{ticket.pk}"]')
    expect(row.locator(".guess")).to_have_count(2)
    assert [g.split()[0] for g in row.locator(".guess").all_inner_texts()] == ["住民票の写しの請求", "印鑑登録証明書"]
    fishing_row = page.locator(f'tr[data-ticket-id="{fishing.pk}"]')
    expect(fishing_row.locator(".guess")).to_have_count(0)
    expect(fishing_row.locator(".department")).to_have_text("—")
    expect(row.locator(".question .gist")).to_contain_text("住民票")
    assert "090-1234-5678" not in row.inner_text()
    page.screenshot(path=str(ARTIFACTS / f"console-tour-{size}-queue.png"), full_page=True)
    assert run_axe(page) == []

    # The ticket: each message labelled with its real language; the gist; the draft says it is untranslated.
    page.goto(f"/console/tickets/{ticket.pk}/")
    expect(page.locator(".guesses li")).to_have_count(2)
    bot_rows = page.locator('.thread tr.msg[data-sender="bot"]')
    expect(bot_rows).to_have_count(4)
    for n in range(4):
        bot = bot_rows.nth(n)
        expect(bot.locator(".lang")).to_have_attribute("data-language", "ja")
        expect(bot.locator(".lang")).to_have_text("日本語")
        expect(bot.locator(".japanese .same")).to_be_visible()  # "(written in Japanese)", not the text again
        assert BOT_JAPANESE not in bot.locator(".japanese").inner_text()
    question = page.locator('.thread tr.msg[data-sender="resident"]').first
    expect(question.locator(".lang")).to_have_text("ベトナム語")
    expect(question.locator(".japanese .gist")).to_contain_text("住民票")
    page.locator("#faq-draft summary").click()
    expect(page.locator("#draft-untranslated")).to_be_visible()
    expect(page.locator("#faq-draft-form textarea[name=question]")).to_have_attribute("lang", "vi")
    page.screenshot(path=str(ARTIFACTS / f"console-tour-{size}-ticket.png"), full_page=True)
    assert run_axe(page) == []

    # Take: back at the reply box, not at the top of the page.
    page.locator("#claim-button").click()
    page.wait_for_url(f"**/console/tickets/{ticket.pk}/#reply-form")
    expect(page.locator("#reply-text")).to_be_focused()
    assert page.evaluate("window.scrollY") > 0 and in_view(page, "#reply-text")
    assert in_view(page, ".flashes.local .flash.success")

    # Reply: no translator, so the preview warns that the resident gets Japanese; sent, still at the box.
    page.fill("#reply-text", "住民票は市民課の窓口で取れます。")
    page.click("#preview-button")
    expect(page.locator("#preview-warning")).not_to_be_empty()
    page.click("#send-button")
    page.wait_for_selector(".thread tr.sender-staff")
    expect(page.locator("#reply-text")).to_be_focused()
    assert page.evaluate("window.scrollY") > 0 and in_view(page, "#reply-text")
    assert in_view(page, ".flashes.local .flash.success")
    expect(page.locator(".thread tr.sender-staff .lang")).to_have_text("日本語")
    page.screenshot(path=str(ARTIFACTS / f"console-tour-{size}-replied.png"))

    # A note: back at the note box.
    page.fill("#note-text", "来庁時に本人確認。")
    page.click("#note-form button[type=submit]")
    page.wait_for_selector(".thread tr.note")
    assert page.url.endswith("#note-form") and focused_id(page) == "note-text"
    assert in_view(page, "#note-text")

    # Resolve: back at the ticket's facts, which still name who handled it.
    page.select_option("#resolve-form select[name=outcome]", "answered")
    page.click("#resolve-button")
    page.wait_for_url(f"**/console/tickets/{ticket.pk}/#ticket-facts")
    expect(page.locator("#holder")).to_have_text("tanaka")
    assert focused_id(page) == "ticket-facts" and in_view(page, "#ticket-facts")
    page.screenshot(path=str(ARTIFACTS / f"console-tour-{size}-resolved.png"))
    assert run_axe(page) == []

    # A question in Japanese: the draft is prefilled with it, no note; no candidate was likely enough to show.
    page.goto(f"/console/tickets/{fishing.pk}/")
    page.locator("#faq-draft summary").click()
    expect(page.locator("#faq-draft-form textarea[name=question]")).to_have_value("川で魚釣りをしてもいいですか")
    expect(page.locator("#faq-draft-form textarea[name=question]")).to_have_attribute("lang", "ja")
    expect(page.locator("#draft-untranslated")).to_have_count(0)
    expect(page.locator(".guesses li")).to_have_count(0)
    assert Ticket.objects.get(pk=fishing.pk).department == ""
    assert errors == []
