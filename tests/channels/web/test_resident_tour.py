"""Issue 16, the residents' path in the web widget, in real headless Chromium at phone and laptop size.

Each item the browser tour found is checked here, with screenshots at both sizes in test-artifacts/
(``resident-tour-<size>-<step>.png``):

- the demo page's banner names the chat button as it reads; /favicon.ico is served;
- keyboard: a "skip to the chat" link is the first Tab stop of the page; Tab cycles inside the open
  chat (from Send round to Close, the language and "new conversation"); Escape closes it and gives
  the focus back to the launcher; arrow keys in the language list only move through it (nothing is
  posted until a choice: Enter, a click, leaving the list), Escape there undoes the browsing;
- a loading indicator while an answer is pending, gone when it arrives or sending fails;
- a long Vietnamese question typed into the chat set to Japanese is answered in Vietnamese (marked
  ``lang="vi"``) with a one-tap offer to switch, which switches the widget;
- old ask-back choices are disabled once the resident writes again or asks for a person; one that
  still arrives (an old tab) while staff hold the conversation gets a reply, not silence;
- while staff hold the conversation, a follow-up is acknowledged once;
- axe finds no serious or critical violation.
"""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import expect

from channels.web import config
from chatbot import engine
from conversations.models import Resident
from faq.models import FAQTranslation
from handoff.models import Ticket
from tests.conftest import wait_until

from .conftest import RESIDENT_CARD_JA, SIZES, post_message
from .test_browser import ask, conversation_of, demo, open_widget, run_axe, stored_token

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIETNAMESE = "Tôi muốn vứt một chiếc ghế sofa cũ thì phải làm thế nào ạ?"
SODAI_VI = "Rác cỡ lớn được thu gom tại nhà theo lịch hẹn trước. Hãy gọi cho trung tâm tiếp nhận."
FOCUSED = "() => document.querySelector('[data-madoguchi-widget]').shadowRoot.activeElement?.className || ''"
FOCUSED_ID = "() => document.querySelector('[data-madoguchi-widget]').shadowRoot.activeElement?.id || ''"


@pytest.fixture
def tour_faqs(city_faqs):
    """The web tests' small FAQ, with a curated Vietnamese translation of the bulky-waste entry."""
    FAQTranslation.objects.create(
        faq=city_faqs["sodai"], language="vi", question="Tôi muốn vứt rác cỡ lớn như ghế sofa", answer=SODAI_VI
    )
    return city_faqs


def shot(page, artifacts, step: str, size: str) -> None:
    page.wait_for_timeout(200)  # the panel's fade-in and smooth scrolling settle
    page.screenshot(path=str(artifacts / f"resident-tour-{size}-{step}.png"))


def lang_postbacks(requests: list[dict]) -> list[dict]:
    return [r for r in requests if (r.get("postback") or {}).get("action") == "lang"]


def test_page_keyboard_language_list_and_loading_indicator(
    live_server, tour_faqs, new_page, artifacts, size, monkeypatch
):
    page = new_page(locale="ja-JP", **SIZES[size])
    posted: list[dict] = []
    page.on(
        "request",
        lambda r: posted.append(r.post_data_json) if r.method == "POST" and r.url.endswith("/messages") else None,
    )
    page.goto(demo(live_server))
    launcher = page.locator(".mg-launcher")
    expect(launcher).to_be_visible()

    # The banner names the button by the words it shows; the page has its icon.
    label = page.locator(".mg-launcher-label").inner_text()
    assert label == "市に質問する"
    expect(page.locator(".demo-banner")).to_contain_text(f"「{label}」")
    icon = page.request.get(f"{live_server.url}/favicon.ico")
    assert icon.ok and icon.headers["content-type"].startswith("image/") and icon.body()[:4] == b"\x00\x00\x01\x00"

    # The first Tab from the top of the page reaches the chat: a skip link, shown while focused.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement?.hasAttribute('data-madoguchi-skip')")
    skip = page.locator(".mg-skip")
    expect(skip).to_have_text(config.ui_strings(tour_faqs["card"].municipality, "ja")["skip"])
    box = skip.bounding_box()
    assert box and box["width"] > 40 and box["y"] >= 0  # on screen, not clipped away
    shot(page, artifacts, "skip-link", size)
    page.keyboard.press("Enter")
    expect(page.locator(".mg-panel")).to_be_visible()
    assert page.evaluate(FOCUSED_ID) == ("mg-log" if size == "phone" else "mg-input")  # no keyboard popping up

    # Tab stays in the chat: from the text box on to Send, then round to Close, the language and
    # "new conversation"; Shift+Tab goes back the same way.
    page.locator("#mg-input").focus()
    order = []
    for _ in range(5):
        page.keyboard.press("Tab")
        order.append(page.evaluate(FOCUSED) or page.evaluate(FOCUSED_ID))
    assert order == [
        "mg-button mg-person",
        "mg-button mg-primary mg-send",
        "mg-icon-button mg-close",
        "mg-lang",
        "mg-link-button mg-clear",
    ]
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(FOCUSED_ID) == "mg-lang"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert "mg-send" in page.evaluate(FOCUSED)
    # Escape closes the chat and gives the focus back to the launcher.
    page.keyboard.press("Escape")
    expect(page.locator(".mg-panel")).to_be_hidden()
    expect(launcher).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".mg-panel")).to_be_visible()

    # A slow answer shows the indicator (in the polite live log) until the reply is there: the answer
    # is held back until the indicator has been looked at.
    real_answer = engine.answer
    looked = threading.Event()

    def slow_answer(request):
        looked.wait(timeout=30)
        return real_answer(request)

    monkeypatch.setattr(engine, "answer", slow_answer)
    ask(page, RESIDENT_CARD_JA)
    thinking = page.locator(".mg-thinking")
    expect(thinking).to_be_visible()
    expect(thinking).to_contain_text("回答を探しています")
    assert thinking.evaluate("el => el.closest('[aria-live]')?.getAttribute('aria-live')") == "polite"
    dots = "el => getComputedStyle(el.querySelector('.mg-dots span')).animationName"
    assert thinking.evaluate(dots) == ("none" if size == "phone" else "mg-pulse")  # reduced motion: still
    shot(page, artifacts, "thinking", size)
    looked.set()
    expect(page.locator(".mg-kind-answer")).to_contain_text("市民課の窓口")
    expect(thinking).to_be_hidden()
    monkeypatch.setattr(engine, "answer", real_answer)

    # An ask-back still open when the resident asks for a person: its choices go with the hand-off.
    ask(page, "ごみ")
    open_ask = page.locator(".mg-kind-ask_back").last
    expect(open_ask.locator(".mg-chip").first).to_be_enabled()
    page.locator(".mg-person").click()
    expect(page.locator(".mg-kind-handoff")).to_have_count(1)
    for chip in open_ask.locator(".mg-chip").all():
        expect(chip).to_be_disabled()
    shot(page, artifacts, "stale-after-handoff", size)

    # Sending fails: the indicator goes, the resident is told.
    page.route(
        "**/api/web/mihon/messages",
        lambda route: route.abort() if route.request.method == "POST" else route.continue_(),
    )
    ask(page, "ごみの収集日は")
    expect(page.locator(".mg-alert")).not_to_be_empty()
    expect(thinking).to_be_hidden()
    page.unroute("**/api/web/mihon/messages")

    # The language list: arrow keys move through it and post nothing; Enter chooses.
    select = page.locator("#mg-lang")
    select.focus()
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    page.wait_for_timeout(1000)
    assert lang_postbacks(posted) == []
    expect(page.locator("[data-madoguchi-widget] .mg-root")).to_have_attribute("lang", "ja")
    page.keyboard.press("Escape")  # undoes the browsing; the chat stays open
    expect(select).to_have_value("ja")
    expect(page.locator(".mg-panel")).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("[data-madoguchi-widget] .mg-root")).to_have_attribute("lang", "en")
    expect(page.locator(".mg-send")).to_have_text("Send")
    wait_until(lambda: len(lang_postbacks(posted)) == 1)
    assert lang_postbacks(posted)[0]["postback"]["value"] == "en"
    page.keyboard.press("Tab")  # leaving the list on the chosen language posts nothing more
    page.wait_for_timeout(500)
    assert len(lang_postbacks(posted)) == 1
    shot(page, artifacts, "language-chosen", size)
    assert run_axe(page) == []


def test_language_mismatch_old_buttons_and_staff_acknowledgement(
    live_server, tour_faqs, new_page, artifacts, size, client
):
    page = new_page(locale="ja-JP", **SIZES[size])
    page.goto(demo(live_server))
    panel = open_widget(page)

    # An ask-back, then the resident writes again: its choices no longer work.
    ask(page, "ごみ")
    first_ask = panel.locator(".mg-kind-ask_back").last
    expect(first_ask.locator(".mg-chip").first).to_be_enabled()
    offered = first_ask.locator(".mg-chip")
    ask(page, RESIDENT_CARD_JA)
    expect(panel.locator(".mg-kind-answer")).to_contain_text("市民課の窓口")
    for i in range(offered.count()):
        expect(offered.nth(i)).to_be_disabled()
    shot(page, artifacts, "stale-after-next-message", size)

    # Vietnamese typed into the chat set to Japanese: answered in Vietnamese, marked as Vietnamese,
    # with a one-tap offer to switch.
    ask(page, "ごみ")  # a second ask-back, still open when the Vietnamese question comes
    second_ask = panel.locator(".mg-kind-ask_back").last
    expect(second_ask.locator(".mg-chip").first).to_be_enabled()
    ask(page, VIETNAMESE)
    answer = panel.locator(".mg-kind-answer").filter(has_text=SODAI_VI)
    expect(answer).to_have_count(1)
    expect(answer).to_have_attribute("lang", "vi")
    offer = panel.locator(".mg-kind-language_offer")
    expect(offer).to_have_attribute("lang", "vi")
    expect(offer.locator(".mg-chip")).to_have_text("Tiếng Việt")
    expect(second_ask.locator(".mg-chip").first).to_be_disabled()
    shot(page, artifacts, "answered-in-vietnamese", size)
    offer.locator(".mg-chip").click()
    expect(page.locator("#mg-lang")).to_have_value("vi")
    expect(page.locator("[data-madoguchi-widget] .mg-root")).to_have_attribute("lang", "vi")
    token = stored_token(page)
    wait_until(lambda: Resident.objects.filter(language="vi", language_source="choice").exists())

    # A person: the hand-off notice; then the resident writes on and hears once that it reached staff.
    panel.locator(".mg-person").click()
    expect(panel.locator(".mg-kind-handoff")).to_have_count(1)
    expect(panel.locator(".mg-state")).to_be_visible()
    ask(page, "xin chào")
    received = panel.locator(".mg-kind-received")
    expect(received).to_have_count(1)
    ask(page, "Có ai ở đó không?")
    expect(panel.locator(".mg-msg.mg-resident").last).to_contain_text("Có ai ở đó không?")
    page.wait_for_timeout(1500)
    expect(received).to_have_count(1)  # once, not at every message
    expect(panel.locator(".mg-thinking")).to_be_hidden()  # nothing for the bot to answer

    # An old choice still arriving (another tab, LINE) while staff hold the conversation: passed on,
    # and the resident told so, not left waiting in silence.
    conversation = conversation_of(page)
    old_choice = second_ask.locator(".mg-chip").first.inner_text()
    with_id = [c["payload"] for c in _ask_backs(conversation)[-1]["choices"] if c["payload"]["action"] == "pick"]
    post_message(client, token, {"postback": {**with_id[0], "label": old_choice}, "client_id": "old-tab"})
    expect(received).to_have_count(2, timeout=10_000)
    expect(received.last).to_contain_text("nhân viên đang xử lý cuộc trò chuyện")
    assert Ticket.objects.get(conversation=conversation).language == "vi"
    shot(page, artifacts, "staff-hold-acknowledged", size)
    assert run_axe(page) == []


def _ask_backs(conversation) -> list[dict]:
    return [m.payload for m in conversation.messages.filter(direction="out", kind="ask_back").order_by("pk")]
