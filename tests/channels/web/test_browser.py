"""The widget end to end in real headless Chromium against a live server.

Tasks run in-process (no REDIS_URL), so the widget polls; one test runs a real Celery worker and
Redis and checks that a staff reply arrives over server-sent events, others run Redis only to see
the live stream reopened with new tickets and the polling fallback. No request URL may ever carry
the session token (URLs end up in access logs).
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from channels.web import views
from channels.web.adapter import resident_key
from conversations import outbox
from conversations.content import Link, Reply
from conversations.models import AnswerLog, Conversation, Message, Resident
from handoff.models import Ticket
from tests.conftest import wait_until

from .conftest import RESIDENT_CARD_ANSWER_EN, RESIDENT_CARD_EN, RESIDENT_CARD_JA, VENDOR

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SOURCE_URL = "https://www.city.mihon.example.jp/kurashi/koseki/juminhyo.html"


def demo(live_server) -> str:
    return f"{live_server.url}/demo/mihon/"


def open_widget(page):
    launcher = page.locator(".mg-launcher")
    expect(launcher).to_be_visible()
    launcher.click()
    expect(page.locator(".mg-panel")).to_be_visible()
    return page.locator(".mg-panel")


def ask(page, text: str):
    page.locator("#mg-input").fill(text)
    page.locator("#mg-input").press("Enter")


def conversation_of(page) -> Conversation:
    token = wait_until(lambda: stored_token(page))
    return wait_until(lambda: Conversation.objects.filter(resident__channel_user_id=resident_key(token)).first())


def stored_token(page) -> str | None:
    return page.evaluate(
        "() => { for (const k of Object.keys(localStorage)) if (k.endsWith(':mihon:token')) "
        "return localStorage.getItem(k); return null; }"
    )


class Requests(list):
    """Every request a page made: (method, url, Authorization header)."""

    def __init__(self, page):
        super().__init__()
        page.on("request", lambda r: self.append((r.method, r.url, r.headers.get("authorization"))))

    def urls(self) -> list[str]:
        return [url for _method, url, _auth in self]

    def to(self, path: str, method: str = "GET") -> list[tuple[str, str, str | None]]:
        return [r for r in self if r[0] == method and urlparse(r[1]).path.endswith(path)]

    def tickets(self) -> list[str]:
        return [parse_qs(urlparse(url).query)["ticket"][0] for _m, url, _a in self.to("/events")]

    def wait_for(self, page, predicate, timeout: float = 15) -> None:
        """Wait on the page (Playwright reports requests only while it is waited on, not in time.sleep)."""
        for _ in range(int(timeout * 10)):
            if predicate():
                return
            page.wait_for_timeout(100)
        pytest.fail(f"condition not met within {timeout}s: {self}")

    def assert_token_never_in_a_url(self, *tokens: str | None) -> None:
        tokens = [t for t in tokens if t]
        assert tokens and self
        leaked = [url for url in self.urls() for t in tokens if t in url]
        assert not leaked, leaked


def run_axe(page) -> list[dict]:
    page.add_script_tag(path=str(VENDOR / "axe.min.js"))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}, resultTypes: ['violations']})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_resident_asks_in_japanese_and_english_gets_a_person_and_a_staff_reply(
    live_server, city_faqs, new_page, artifacts
):
    page = new_page()
    requests = Requests(page)
    page.goto(demo(live_server))
    expect(page.locator(".mg-launcher")).to_be_visible()
    page.screenshot(path=str(artifacts / "web-demo-desktop.png"), full_page=True)
    panel = open_widget(page)

    # Greeting, disclaimer, every language (easy Japanese included), suggested questions.
    expect(panel.locator(".mg-kind-greeting")).to_contain_text("みほん市")
    expect(panel.locator(".mg-disclaimer")).to_be_visible()
    assert panel.locator("#mg-lang option").count() == 15
    expect(panel.locator("#mg-lang option[value='ja-easy']")).to_have_count(1)
    expect(panel.locator(".mg-suggestions button")).to_have_count(4)
    expect(page.locator("#mg-input")).to_be_focused()
    page.wait_for_timeout(300)  # the panel's short fade-in
    page.screenshot(path=str(artifacts / "web-widget-open.png"))

    # A question in Japanese: the answer with its source link and department contact.
    ask(page, RESIDENT_CARD_JA)
    answer = panel.locator(".mg-kind-answer").last
    expect(answer).to_contain_text("市民課の窓口で1通300円")
    expect(answer.locator(".mg-source a")).to_have_attribute("href", SOURCE_URL)
    expect(answer.locator(".mg-source a")).to_have_attribute("target", "_blank")
    expect(answer.locator(".mg-contact")).to_contain_text("042-000-1111")
    page.screenshot(path=str(artifacts / "web-widget-answer.png"))

    # Useful: the feedback is recorded on the answer's log row.
    answer.locator(".mg-feedback-yes").click()
    expect(answer.locator(".mg-feedback-yes")).to_have_attribute("aria-pressed", "true")
    expect(answer.locator(".mg-feedback-no")).to_be_disabled()
    wait_until(lambda: AnswerLog.objects.filter(feedback=AnswerLog.Feedback.HELPFUL).exists())

    # Switch to English: the widget's texts change, and an English question gets the curated answer.
    page.locator("#mg-lang").select_option("en")
    expect(panel.locator(".mg-kind-greeting")).to_contain_text("Welcome to the Sample City help desk")
    expect(page.locator(".mg-root")).to_have_attribute("lang", "en")
    expect(panel.locator(".mg-send")).to_have_text("Send")
    ask(page, RESIDENT_CARD_EN)
    english = panel.locator(".mg-kind-answer").filter(has_text=RESIDENT_CARD_ANSWER_EN)
    expect(english).to_have_count(1)
    expect(english.locator(".mg-source a")).to_have_attribute("href", SOURCE_URL)

    # Talk to a person: a ticket opens and the hand-off notice shows; the state is announced.
    page.evaluate("() => { window.__notReloaded = true; }")
    panel.locator(".mg-person").click()
    expect(panel.locator(".mg-kind-handoff")).to_have_count(1)
    expect(panel.locator(".mg-state")).to_be_visible()
    conversation = conversation_of(page)
    assert Ticket.objects.filter(conversation=conversation, status=Ticket.Status.OPEN).exists()

    # The console replies: it appears without a reload (polling here; SSE in the worker test).
    assert page.locator("[data-madoguchi-widget]").get_attribute("data-transport") == "poll"
    outbox.send(
        Conversation.objects.get(pk=conversation.pk),
        [Reply(text="市民課の山田です。ご用件をどうぞ。", kind="staff")],
        sender=Message.Sender.STAFF,
    )
    staff = panel.locator(".mg-msg.mg-staff")
    expect(staff).to_contain_text("市民課の山田です", timeout=10_000)
    assert page.evaluate("() => window.__notReloaded") is True

    # While staff hold the conversation the resident's messages go to them; the bot stays silent.
    ask(page, "窓口は何時までですか")
    expect(panel.locator(".mg-msg.mg-resident").last).to_have_text(re.compile("窓口は何時までですか"))
    expect(panel.locator(".mg-thinking")).to_be_hidden()
    wait_until(lambda: Message.objects.filter(text="窓口は何時までですか", conversation=conversation).exists())

    # Closed panel: a further staff reply shows a badge on the launcher (and is announced).
    panel.locator(".mg-close").click()
    outbox.send(
        Conversation.objects.get(pk=conversation.pk),
        [Reply(text="17時15分までです。", kind="staff")],
        sender=Message.Sender.STAFF,
    )
    expect(page.locator(".mg-launcher .mg-badge")).to_be_visible(timeout=10_000)
    page.locator(".mg-launcher").click()
    expect(panel.locator(".mg-msg.mg-staff").last).to_contain_text("17時15分までです")

    # Reload: the conversation is still there, the panel still open.
    expect(panel.locator(".mg-msg.mg-pending")).to_have_count(0)
    count = panel.locator(".mg-messages .mg-msg").count()
    page.reload()
    panel = page.locator(".mg-panel")
    expect(panel).to_be_visible()
    expect(panel.locator(".mg-msg.mg-staff").first).to_contain_text("市民課の山田です")
    expect(panel.locator(".mg-messages .mg-msg")).to_have_count(count)
    expect(panel.locator(".mg-kind-answer").first.locator(".mg-feedback-yes")).to_have_attribute("aria-pressed", "true")

    # Clear: old history gone from the page and a new session on the next question.
    old_token = stored_token(page)
    page.once("dialog", lambda dialog: dialog.accept())
    panel.locator(".mg-clear").click()
    expect(panel.locator(".mg-messages .mg-msg")).to_have_count(0)
    assert stored_token(page) is None
    ask(page, RESIDENT_CARD_EN)
    expect(panel.locator(".mg-kind-answer")).to_have_count(1)
    new_token = stored_token(page)
    assert new_token not in (None, old_token)
    page.reload()
    expect(page.locator(".mg-panel .mg-messages .mg-msg.mg-staff")).to_have_count(0)

    # Neither session's token was ever in a URL; history reads and posts carried it in a header.
    requests.assert_token_never_in_a_url(old_token, new_token)
    for token in (old_token, new_token):
        assert any(auth == f"Bearer {token}" for _m, _u, auth in requests.to("/messages", "GET"))
        assert any(auth == f"Bearer {token}" for _m, _u, auth in requests.to("/messages", "POST"))
    assert not requests.to("/events")  # no Redis here: the widget polls, it opens no stream


@pytest.mark.integration
def test_staff_reply_arrives_live_over_server_sent_events(live_server, city_faqs, new_page, celery_worker, settings):
    celery_worker()
    settings.WEB_SSE_LIFETIME_SECONDS = 20
    page = new_page()
    requests = Requests(page)
    page.goto(demo(live_server))
    panel = open_widget(page)
    ask(page, RESIDENT_CARD_JA)
    expect(panel.locator(".mg-kind-answer")).to_contain_text("市民課の窓口", timeout=30_000)
    host = page.locator("[data-madoguchi-widget]")
    expect(host).to_have_attribute("data-transport", "sse")

    panel.locator(".mg-person").click()
    expect(panel.locator(".mg-kind-handoff")).to_have_count(1, timeout=30_000)
    conversation = conversation_of(page)
    wait_until(lambda: Conversation.objects.get(pk=conversation.pk).state == "waiting")

    # With SSE the safety poll runs every 30 s: a reply within a few seconds came over the stream.
    outbox.send(
        Conversation.objects.get(pk=conversation.pk),
        [Reply(text="担当の佐藤です。", kind="staff")],
        sender=Message.Sender.STAFF,
    )
    expect(panel.locator(".mg-msg.mg-staff")).to_contain_text("担当の佐藤です", timeout=8_000)
    expect(host).to_have_attribute("data-transport", "sse")

    # The stream was opened with a ticket, asked for with the token in a header; never the token.
    requests.assert_token_never_in_a_url(stored_token(page))
    assert requests.tickets() and requests.to("/stream-ticket", "POST")
    assert all(auth == f"Bearer {stored_token(page)}" for _m, _u, auth in requests.to("/stream-ticket", "POST"))


@pytest.fixture
def live_redis(redis_client, redis_url, settings):
    """Live events through a real Redis; tasks still run in-process (no worker)."""
    settings.REDIS_URL = redis_url
    return redis_url


@pytest.mark.integration
def test_live_stream_is_reopened_with_a_new_ticket_each_time(
    live_server, city_faqs, new_page, live_redis, settings, monkeypatch
):
    # A ticket opens a stream for 2 s; a stream lives 4 s, so each reconnect needs a new ticket.
    monkeypatch.setattr(views, "TICKET_SECONDS", 2)
    settings.WEB_SSE_LIFETIME_SECONDS = 4
    page = new_page()
    requests = Requests(page)
    streams = []

    def first_stream_breaks(route):
        # The first stream says "ready" and then the connection drops (no "bye"), as a proxy might.
        streams.append(route.request.url)
        if len(streams) == 1:
            route.fulfill(status=200, content_type="text/event-stream", body="event: ready\ndata: {}\n\n")
        else:
            route.continue_()

    page.route(re.compile(r"/api/web/mihon/events\?"), first_stream_breaks)
    page.goto(demo(live_server))
    panel = open_widget(page)
    ask(page, RESIDENT_CARD_JA)
    expect(panel.locator(".mg-kind-answer")).to_contain_text("市民課の窓口")
    host = page.locator("[data-madoguchi-widget]")

    # Broken once, then ended by the server ("bye") at least once: a new ticket for every stream.
    requests.wait_for(page, lambda: len(requests.tickets()) >= 3, timeout=20)
    expect(host).to_have_attribute("data-transport", "sse")
    tickets = requests.tickets()
    assert len(set(tickets)) == len(tickets)
    assert len(requests.to("/stream-ticket", "POST")) == len(tickets)

    # Still live after all that: a staff reply arrives without a reload.
    conversation = conversation_of(page)
    outbox.send(
        Conversation.objects.get(pk=conversation.pk),
        [Reply(text="担当の佐藤です。", kind="staff")],
        sender=Message.Sender.STAFF,
    )
    expect(panel.locator(".mg-msg.mg-staff")).to_contain_text("担当の佐藤です", timeout=8_000)
    requests.assert_token_never_in_a_url(stored_token(page))


@pytest.mark.integration
def test_widget_polls_when_the_live_stream_is_unavailable(live_server, city_faqs, new_page, live_redis):
    page = new_page()
    requests = Requests(page)
    # Redis is configured but the stream answers 204 (e.g. Redis just went away): the widget polls.
    page.route(re.compile(r"/api/web/mihon/events\?"), lambda route: route.fulfill(status=204))
    page.goto(demo(live_server))
    panel = open_widget(page)
    ask(page, RESIDENT_CARD_JA)
    expect(panel.locator(".mg-kind-answer")).to_contain_text("市民課の窓口")
    host = page.locator("[data-madoguchi-widget]")
    requests.wait_for(page, requests.tickets)  # it tried the stream (with a ticket) ...
    expect(host).to_have_attribute("data-transport", "poll")  # ... and polls instead
    conversation = conversation_of(page)
    outbox.send(
        Conversation.objects.get(pk=conversation.pk),
        [Reply(text="担当の佐藤です。", kind="staff")],
        sender=Message.Sender.STAFF,
    )
    expect(panel.locator(".mg-msg.mg-staff")).to_contain_text("担当の佐藤です", timeout=10_000)
    expect(host).to_have_attribute("data-transport", "poll")
    assert len(requests.tickets()) <= 3  # it gives up on the stream after a few tries
    requests.assert_token_never_in_a_url(stored_token(page))


def test_accessibility_has_no_serious_violations_and_works_by_keyboard(live_server, city_faqs, new_page):
    page = new_page()
    page.goto(demo(live_server))
    expect(page.locator(".mg-launcher")).to_be_visible()
    assert run_axe(page) == []

    # Keyboard only: from the page's last link, Tab reaches the launcher; Enter opens the chat.
    page.locator(".tiles a").last.focus()
    launcher = page.locator(".mg-launcher")
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement?.hasAttribute('data-madoguchi-widget')"):
            break
    expect(launcher).to_be_focused()
    outline = launcher.evaluate("el => getComputedStyle(el).outlineStyle + ' ' + getComputedStyle(el).outlineWidth")
    assert outline.startswith("solid") and not outline.endswith(" 0px"), outline  # visible focus
    page.keyboard.press("Enter")
    expect(page.locator(".mg-panel")).to_be_visible()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#mg-input")).to_be_focused()
    page.keyboard.type(RESIDENT_CARD_JA)
    page.keyboard.press("Enter")
    answer = page.locator(".mg-kind-answer")
    expect(answer).to_contain_text("市民課の窓口")
    # New messages are in a polite live region, labelled.
    log = page.locator(".mg-log")
    expect(log).to_have_attribute("role", "log")
    expect(log).to_have_attribute("aria-live", "polite")
    # Back from the text box: the answer's "Not useful" and "Useful" buttons.
    page.keyboard.press("Shift+Tab")
    expect(answer.locator(".mg-feedback-no")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(answer.locator(".mg-feedback-yes")).to_be_focused()
    page.keyboard.press("Enter")
    wait_until(lambda: AnswerLog.objects.filter(feedback=AnswerLog.Feedback.HELPFUL).exists())

    # The open widget with an answer, buttons and a hand-off notice: still no serious violations.
    page.locator(".mg-person").click()
    expect(page.locator(".mg-kind-handoff")).to_have_count(1)
    assert run_axe(page) == []

    # Escape closes and returns focus to the launcher.
    page.locator("#mg-input").focus()
    page.keyboard.press("Escape")
    expect(page.locator(".mg-panel")).to_be_hidden()
    expect(launcher).to_be_focused()


def test_phone_layout_reduced_motion_and_screenshot(live_server, city_faqs, new_page, artifacts):
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, reduced_motion="reduce")
    page.goto(demo(live_server))
    expect(page.locator(".mg-launcher")).to_be_visible()
    page.screenshot(path=str(artifacts / "web-demo-phone.png"))
    panel = open_widget(page)
    box = panel.bounding_box()
    assert box["width"] == 390 and box["height"] >= 800  # the whole screen on a phone
    # The conversation, not the text box, takes the focus: no keyboard over the greeting.
    focused = "() => document.querySelector('[data-madoguchi-widget]').shadowRoot.activeElement?.id"
    assert page.evaluate(focused) == "mg-log"
    assert panel.evaluate("el => getComputedStyle(el).animationName") == "none"
    ask(page, RESIDENT_CARD_JA)
    expect(panel.locator(".mg-kind-answer")).to_contain_text("市民課の窓口")
    page.screenshot(path=str(artifacts / "web-widget-phone.png"))
    assert run_axe(page) == []
    panel.locator(".mg-close").click()
    expect(page.locator(".mg-launcher")).to_be_visible()


def test_script_injection_is_shown_as_text(live_server, municipality, new_page):
    page = new_page()
    page.goto(demo(live_server))
    panel = open_widget(page)
    attack = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
    ask(page, attack)
    mine = panel.locator(".mg-msg.mg-resident p").first
    expect(mine).to_have_text(attack)
    conversation = conversation_of(page)
    outbox.send(
        conversation,
        [
            Reply(
                text='<b>bold</b><img src=x onerror="window.__pwned=3">',
                kind="staff",
                links=[Link("evil", "javascript:window.__pwned=4"), Link("<i>ok</i>", "https://example.jp/")],
            )
        ],
        sender=Message.Sender.STAFF,
    )
    staff = panel.locator(".mg-msg.mg-staff")
    expect(staff.locator("p")).to_have_text('<b>bold</b><img src=x onerror="window.__pwned=3">', timeout=10_000)
    # No element came out of any text; the javascript: link is not a link at all.
    assert panel.locator("img, b, i, script").count() == 0
    assert staff.locator("a").count() == 1
    expect(staff.locator("a")).to_have_attribute("href", "https://example.jp/")
    expect(staff.locator("a")).to_contain_text("<i>ok</i>")
    assert page.evaluate("() => window.__pwned") is None


def _embedding_page(live_server, extra_css: str = "") -> str:
    return (
        "<!doctype html><html lang='en'><head><title>Another site</title>"
        f"<style>{extra_css}</style></head><body><main><h1>Another site</h1></main>"
        f"<script src='{live_server.url}/widget.js' data-municipality='mihon' async></script></body></html>"
    )


@pytest.fixture
def other_site():
    """A second web server on loopback: another origin, like the city's own homepage server."""
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def publish(html: str) -> str:
        pages["/index.html"] = html
        return f"http://127.0.0.1:{server.server_port}/index.html"

    yield publish
    server.shutdown()
    server.server_close()


def test_a_foreign_origin_is_refused(live_server, municipality, new_page, other_site):
    municipality.allowed_web_origins = "https://www.city.mihon.example.jp"
    municipality.save()
    page = new_page()
    warnings = []
    page.on("console", lambda msg: warnings.append(msg.text) if msg.type == "warning" else None)
    page.goto(other_site(_embedding_page(live_server)))
    # The script loads, the API refuses the origin (403, no CORS), and the widget shows nothing.
    expect(page.locator("h1")).to_have_text("Another site")
    page.wait_for_function("() => window.__madoguchi && !window.__madoguchi.mihon")
    assert page.locator("[data-madoguchi-widget]").count() == 0
    assert any("refused" in w for w in warnings), warnings
    status = page.evaluate(
        "async (api) => { try { await fetch(api); return 'read'; } catch (e) { return 'blocked'; } }",
        f"{live_server.url}/api/web/mihon/config",
    )
    assert status == "blocked"


def test_an_allowed_foreign_origin_works_and_its_styles_do_not_leak_in(live_server, city_faqs, new_page, other_site):
    hostile = (
        "html { font-size: 40%; } * { color: red !important; font-family: serif !important; "
        "font-size: 8px !important; line-height: 0.5 !important; } "
        "button { display: none !important; } div { display: none !important; }"
    )
    url = other_site(_embedding_page(live_server, hostile))
    municipality = city_faqs["card"].municipality
    municipality.allowed_web_origins = re.match(r"https?://[^/]+", url).group(0)
    municipality.save()
    page = new_page()
    page.goto(url)
    launcher = page.locator(".mg-launcher")
    expect(launcher).to_be_visible()
    assert launcher.evaluate("el => getComputedStyle(el).fontSize") == "16px"  # the browser's size, not the page's
    assert launcher.evaluate("el => getComputedStyle(el).color") == "rgb(255, 255, 255)"
    panel = open_widget(page)
    ask(page, RESIDENT_CARD_JA)
    expect(panel.locator(".mg-kind-answer")).to_contain_text("市民課の窓口")
    assert panel.locator(".mg-kind-answer p").evaluate("el => getComputedStyle(el).fontSize") == "16px"


def test_rate_limit_shows_a_clear_message_and_keeps_the_text(live_server, municipality, new_page, settings):
    settings.WEB_RATE_SESSION_MESSAGES = "2/h"
    page = new_page(locale="en-US")
    page.goto(demo(live_server))
    panel = open_widget(page)
    for n in range(2):
        ask(page, f"question {n}")
        expect(panel.locator(".mg-msg.mg-resident")).to_have_count(n + 1)
        # Stored before the next is sent: on a busy machine two posts in flight may be counted in either order.
        wait_until(lambda n=n: Message.objects.filter(sender="resident").count() == n + 1)
    ask(page, "question 3")
    alert = panel.locator(".mg-alert")
    expect(alert).to_contain_text("You are sending messages too quickly")
    expect(alert).to_have_attribute("role", "alert")
    expect(page.locator("#mg-input")).to_have_value("question 3")
    expect(panel.locator(".mg-msg.mg-resident")).to_have_count(2)
    assert Message.objects.filter(sender="resident").count() == 2


def test_too_long_text_is_refused_with_a_clear_message(live_server, municipality, new_page, settings):
    page = new_page(locale="en-US")
    page.goto(demo(live_server))
    open_widget(page)
    textarea = page.locator("#mg-input")
    assert textarea.get_attribute("maxlength") == str(settings.MESSAGE_MAX_CHARS)
    textarea.fill("a" * (settings.MESSAGE_MAX_CHARS - 10))
    expect(page.locator(".mg-counter")).to_contain_text("10")
    # Past the attribute (e.g. pasted by a script): the server's message is shown.
    page.evaluate(
        "async ([api, n]) => { window.__r = await (await fetch(api + 'session', {method: 'POST'})).json(); "
        "const r = await fetch(api + 'messages', {method: 'POST', headers: {'Content-Type': 'application/json', "
        "Authorization: 'Bearer ' + window.__r.token}, body: JSON.stringify({text: 'a'.repeat(n), language: 'en'})}); "
        "window.__status = [r.status, (await r.json()).error]; }",
        [f"{live_server.url}/api/web/mihon/", settings.MESSAGE_MAX_CHARS + 1],
    )
    status, error = page.evaluate("() => window.__status")
    assert status == 413 and json.dumps(settings.MESSAGE_MAX_CHARS) in error


def test_quick_first_messages_share_one_session(live_server, municipality, new_page):
    """Two messages typed before the first session request returns must not open two sessions."""

    page = new_page(locale="en-US")
    page.goto(demo(live_server))
    panel = open_widget(page)
    # Both submitted in the same moment, before any session exists.
    page.evaluate(
        """() => {
            const root = document.querySelector("[data-madoguchi-widget]").shadowRoot;
            const input = root.querySelector("#mg-input");
            const form = root.querySelector("form.mg-form");
            input.value = "first question"; form.requestSubmit();
            input.value = "second question"; form.requestSubmit();
        }"""
    )
    expect(panel.locator(".mg-msg.mg-resident")).to_have_count(2)
    wait_until(lambda: Message.objects.filter(sender="resident").count() == 2)
    assert Resident.objects.count() == 1
    assert Message.objects.filter(sender="resident").values("conversation").distinct().count() == 1
