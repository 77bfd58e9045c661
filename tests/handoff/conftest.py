"""Fixtures for hand-off and console tests, including a real headless browser.

Browser fixtures (reusable elsewhere, e.g. tests/channels/web/):

    def test_page(chromium, live_server):
        page = chromium.new_page()           # a fresh context per test is better: see ``browser_context``
        page.goto(live_server.url + "/console/")

``chromium`` is Debian's /usr/bin/chromium driven by Playwright (no ``playwright install``);
``browser_context`` gives a context for one test and closes it; ``login_context(user)`` gives a
context already logged in as ``user`` (a session cookie made by the Django test client).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from chatbot import pipeline
from conversations import live
from conversations.models import Conversation, InboundEvent, Membership, Message
from handoff import hours
from languages.translation import reset_failures
from tests.fakes.libretranslate import FakeLibreTranslate, configure

JST = ZoneInfo("Asia/Tokyo")

_ids = itertools.count(1)


def jst(*args) -> datetime:
    return datetime(*args, tzinfo=JST)


@pytest.fixture
def fixed_now(monkeypatch) -> Callable[[datetime], None]:
    """Fix the clock business hours are computed at: ``fixed_now(jst(2026, 7, 17, 18, 0))``."""

    def set_now(moment: datetime) -> None:
        monkeypatch.setattr(hours, "now", lambda: moment)

    return set_now


@pytest.fixture
def send(municipality) -> Callable[..., InboundEvent]:
    """Process one web-chat message (or postback) from a resident, in-process, and return its event."""

    def send_message(text: str = "", *, user: str = "r" * 40, language: str = "", postback=None, city=None):
        payload = {"user": user, "text": text, "postback": postback, "language": language}
        event = InboundEvent.objects.create(
            municipality=city or municipality,
            channel="web",
            channel_event_id=f"t-{next(_ids)}",
            event_type="postback" if postback else "message",
            payload=payload,
        )
        assert pipeline.process_event(event.pk) == "processed"
        return event

    return send_message


def replies(event: InboundEvent) -> list[Message]:
    return list(Message.objects.filter(event=event, direction=Message.Direction.OUTBOUND).order_by("sequence"))


def conversation_of(user: str = "r" * 40) -> Conversation:
    return Conversation.objects.get(resident__channel_user_id=user)


@pytest.fixture
def translator(settings, db) -> Iterator[FakeLibreTranslate]:
    """The project's translator (``TRANSLATOR=libre``) pointed at the fake LibreTranslate on loopback.

    It answers a Vietnamese stand-in for Japanese -> Vietnamese and a Japanese one back
    (``pseudo_translation``), so the translation check passes; ``translator.requests``
    records the calls. Residents' and staff texts' translations are cached in the Django cache:
    cleared before and after, so no test sees another's.
    """
    cache.clear()
    reset_failures()
    with FakeLibreTranslate() as api:
        configure(settings, api, timeout=5.0)
        yield api
    cache.clear()
    reset_failures()


@pytest.fixture
def console_staff(municipality, staff_user):
    return staff_user(municipality, Membership.Role.STAFF, username="tanaka")


@pytest.fixture
def console_client(client, console_staff) -> Client:
    """The Django test client, logged in as ``console_staff``."""
    client.force_login(console_staff)
    return client


@pytest.fixture
def live_events(monkeypatch) -> list[tuple[int, dict]]:
    """Capture what the console would be told live (without Redis)."""

    seen: list[tuple[int, dict]] = []
    monkeypatch.setattr(live, "publish", lambda municipality_id, event: seen.append((municipality_id, event)))
    return seen


# --- headless browser ------------------------------------------------------------------------------------


@pytest.fixture
def chromium(browser):
    """The session's shared Chromium (tests/conftest.py)."""
    return browser


@pytest.fixture
def browser_context(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url, locale="ja-JP")
    context.set_default_timeout(15_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def login_context(chromium, live_server) -> Iterator[Callable]:
    """``login_context(user)``: a browser context logged in as ``user`` (notifications granted)."""

    contexts = []

    def make(user, **options):
        client = Client()
        client.force_login(user)
        context = chromium.new_context(base_url=live_server.url, locale="ja-JP", **options)
        context.set_default_timeout(15_000)
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
