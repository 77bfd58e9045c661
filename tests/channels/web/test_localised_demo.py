"""The demo city with no translator configured (issue 16): a Vietnamese, an English and a Nepali resident get
a fully localised answer in the web widget, in real headless Chromium at phone and laptop size.

The demo city is loaded as ``load_demo`` loads it (its FAQ and the curated translation files in
faq/demo/translations); the homepage and the embedding index are left out (the search embeds what
it needs). Each resident, in a browser set to their language:

- sees the suggested questions in their language (curated, marked with its ``lang``);
- taps one and gets the answer with its title, contact and department in their language, the
  Japanese names kept in brackets for the counter, and the widget's labels (contact, source,
  feedback, the disclaimer) in their language;
- types a question of their own and gets a reply (answer, choices or hand-off) in their language;
- the answer is a curated translation: no machine-translation notice, ``translated: "curated"`` in the
  API, and staff see it marked "curated translation" on the ticket (the Vietnamese resident asks for
  a person);
- no Japanese anywhere in the chat but names in brackets; axe finds no serious or critical violation.

Screenshots: test-artifacts/localised-demo-<language>-<size>-<step>.png (the console: vi-<size>-console).
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from channels.web.config import html_lang
from conversations.models import Message
from faq.management.commands import load_demo
from faq.search import embed
from handoff.models import Ticket
from languages.translation import notice_for
from tests.conftest import wait_until

from .conftest import SIZES
from .test_browser import ask, demo, open_widget, run_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Each resident: the browser's language, and a question they type.
RESIDENTS = {
    "vi": ("vi-VN", "Tôi muốn xin giấy chứng nhận cư trú thì làm thế nào?"),
    "en": ("en-US", "How can I get a certificate of residence?"),
    "ne": ("ne-NP", "मलाई निवास प्रमाणपत्र चाहियो, कसरी लिने?"),
}
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
BRACKETED = re.compile(r"[(（][^()（）]*[)）]")


def unreadable(text: str) -> str:
    """The Japanese a foreign resident would face: what is left once the (日本語) names are taken out."""
    while BRACKETED.search(text):
        text = BRACKETED.sub("", text)
    return "".join(JAPANESE.findall(text))


@pytest.fixture
def demo_city(live_server, settings):
    settings.TRANSLATOR = "none"
    city = load_demo.demo_municipality(live_server.url)
    assert load_demo.load_faq(city).errors == []
    loaded = load_demo.load_translations(city, set(RESIDENTS))
    assert {load_demo.file_language(path) for path, _result in loaded} == set(RESIDENTS)
    assert all(not result.errors for _path, result in loaded)
    embed.import_cache(load_demo.EMBEDDINGS)  # as load_demo does: no need to embed the demo texts again
    return city


def shot(page, artifacts, name: str) -> None:
    page.wait_for_timeout(200)  # the panel's fade-in and smooth scrolling settle
    page.screenshot(path=str(artifacts / f"localised-demo-{name}.png"))


def test_a_vietnamese_an_english_and_a_nepali_resident_get_a_localised_answer(
    live_server, demo_city, new_page, artifacts, size, staff_user
):
    for language, (locale, question) in RESIDENTS.items():
        page = new_page(locale=locale, **SIZES[size])
        page.goto(demo(live_server))
        panel = open_widget(page)
        name = f"{language}-{size}"

        # The suggested questions: curated ones in the resident's language, none in Japanese.
        chips = panel.locator(".mg-suggestions button")
        expect(chips.first).to_be_visible()
        assert chips.count() >= 3
        for chip in chips.all():
            assert chip.get_attribute("lang") == html_lang(language)
            assert not unreadable(chip.inner_text()), (language, chip.inner_text())
        expect(panel.locator(".mg-kind-greeting")).to_contain_text("Sample City")
        shot(page, artifacts, f"{name}-suggestions")

        # One tapped: the answer, its title, contact and department, and the labels in the resident's language.
        asked = chips.first.inner_text()
        chips.first.click()
        answer = panel.locator(".mg-kind-answer").last
        expect(answer.locator(".mg-msg-title")).to_have_text(asked)
        contact = answer.locator(".mg-contact")
        expect(contact).to_be_visible()
        assert re.search(r"\((?:[^()]*[\u3040-\u30ff\u4e00-\u9fff][^()]*)\)", contact.inner_text()), (
            "the department's Japanese name is kept in brackets for the counter"
        )
        # ... and marked as Japanese, so a screen reader reads it in Japanese, drawn with Japanese glyphs.
        japanese = contact.locator("span[lang=ja]").first
        expect(japanese).to_be_attached()
        assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", japanese.inner_text())
        label = contact.locator(".mg-meta-label").inner_text()
        assert label.strip(": ") and label.strip(": ") != "連絡先"
        # A curated translation: neither labelled machine-translated nor "shown in Japanese"; the API says so.
        for notice in (notice_for(language, True), notice_for(language, False)):
            expect(answer).not_to_contain_text(notice)
        stored = Message.objects.filter(direction=Message.Direction.OUTBOUND, kind="answer").order_by("pk").last()
        assert stored is not None and stored.payload["translated"] == "curated" and not stored.machine_translated
        contact.scroll_into_view_if_needed()
        shot(page, artifacts, f"{name}-answer")

        # A question of their own, typed: whatever the bot does, it says it in the resident's language.
        replies = panel.locator(".mg-bot")
        before = replies.count()
        ask(page, question)
        expect(replies).to_have_count(before + 1, timeout=30_000)
        shot(page, artifacts, f"{name}-typed")

        # Nothing in the chat the resident cannot read, but names in brackets (the language list names
        # each language in itself, Japanese included, and is left out).
        log = panel.locator(".mg-log").inner_text()
        header = panel.locator(".mg-header").inner_text() if panel.locator(".mg-header").count() else ""
        for text in (log, header):
            assert not unreadable(text), (language, size, unreadable(text), text[:2000])
        assert run_axe(page) == [], f"axe found serious or critical violations ({language}, {size})"
        if language == "vi":
            staff_see_the_curated_answer(page, stored, demo_city, new_page, staff_user, live_server, artifacts, size)
        page.context.close()


def staff_see_the_curated_answer(page, answer: Message, city, new_page, staff_user, live_server, artifacts, size):
    """The resident asks for a person; on the ticket, staff see the bot's answer marked as a curated translation."""
    person = page.locator(".mg-person")
    if person.is_visible():  # the typed question may have been handed off already
        person.click()
    ticket = wait_until(lambda: Ticket.objects.filter(conversation=answer.conversation).first())
    client = Client()
    client.force_login(staff_user(city))
    console = new_page(locale="ja-JP", **SIZES[size])
    console.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
          "url": live_server.url}]
    )  # fmt: skip
    console.goto(f"{live_server.url}/console/tickets/{ticket.pk}/")
    row = console.locator(f'[data-message-id="{answer.pk}"]')
    expect(row.locator(".badge.curated")).to_be_visible()
    expect(row.locator(".badge.mt")).to_have_count(0)
    row.scroll_into_view_if_needed()
    shot(console, artifacts, f"vi-{size}-console")
    console.context.close()
