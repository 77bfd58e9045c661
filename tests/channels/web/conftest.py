"""Fixtures of the web chat tests: a small city FAQ with translations, and a real headless Chromium."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.cache import cache

from faq.models import FAQTranslation

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts"
VENDOR = Path(__file__).resolve().parent / "vendor"

RESIDENT_CARD_JA = "住民票の写しはどこで取れますか"
RESIDENT_CARD_EN = "Where can I get a copy of my residence certificate?"
RESIDENT_CARD_ANSWER_EN = "You can get one at the Citizens Division counter for 300 yen per copy."


def post_message(client, token: str, body: dict):
    """POST one message (or postback) to the demo city's web chat API, expecting it stored (202)."""
    response = client.post(
        "/api/web/mihon/messages",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 202, response.content
    return response


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters and cached configs live in the cache: every test starts with none."""

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_index(settings):
    """Tests reuse database ids: the search index must notice each test's own FAQ at once."""
    settings.FAQ_INDEX_CHECK_SECONDS = 0


@pytest.fixture
def city_faqs(municipality, make_faq):
    """A few published entries in three categories; two with curated English translations."""

    card = make_faq(
        municipality,
        RESIDENT_CARD_JA,
        "市民課の窓口で1通300円で取れます。",
        url="kurashi/koseki/juminhyo.html",
        category="戸籍・住民票",
        department="市民課",
        contact="市民課 電話 042-000-1111",
        alt_questions=["住民票がほしい", "住民票の取り方"],
    )
    FAQTranslation.objects.create(faq=card, language="en", question=RESIDENT_CARD_EN, answer=RESIDENT_CARD_ANSWER_EN)
    sodai = make_faq(
        municipality,
        "粗大ごみの出し方を教えてください。",
        "粗大ごみは事前申込制の戸別収集です。粗大ごみ受付センターにお申し込みください。",
        url="kurashi/gomi/sodai.html",
        category="ごみ・リサイクル",
        department="ごみ減量推進課",
        contact="粗大ごみ受付センター 電話 042-000-1202",
    )
    FAQTranslation.objects.create(
        faq=sodai,
        language="en",
        question="How do I dispose of oversized (bulky) waste?",
        answer="Oversized waste is collected from your home by advance reservation only.",
    )
    make_faq(
        municipality,
        "ごみの収集日を知りたい。",
        "地区ごとの収集日はごみカレンダーでご確認ください。",
        url="kurashi/gomi/calendar.html",
        category="ごみ・リサイクル",
        department="ごみ減量推進課",
    )
    make_faq(
        municipality,
        "児童手当はいつ支給されますか。",
        "児童手当は偶数月に前月分までの2か月分を支給します。",
        url="kosodate/jido-teate.html",
        category="子育て・教育",
        department="子育て支援課",
        contact="子育て支援課 電話 042-000-1600",
    )
    return {"card": card, "sodai": sodai}


# --- the browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _answering_warmed(django_db_setup, django_db_blocker) -> None:
    """The engine's curated intent examples, embedded once per test process (chatbot.intents.nearest).

    A server process does this at its first message (from the embedding cache after the first time);
    here every test database starts without that cache, and on a busy machine embedding the 841
    examples takes longer than a browser test waits for its first answer.
    """
    from chatbot.intents import nearest  # noqa: PLC0415 (loads the embedding model)

    with django_db_blocker.unblock():
        nearest.examples()


@pytest.fixture(autouse=True)
def _warm_before_browser_tests(request) -> None:
    if request.node.get_closest_marker("browser"):
        request.getfixturevalue("_answering_warmed")


# The residents' tours (issue 16) run at phone and laptop size; the phone prefers reduced motion.
SIZES = {
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "reduced_motion": "reduce",
    },
    "laptop": {"viewport": {"width": 1280, "height": 800}},
}


@pytest.fixture(params=list(SIZES))
def size(request) -> str:
    """Each test that takes it runs once per size; ``new_page(**SIZES[size])`` opens a page of that size."""
    return request.param


class PageErrors(list):
    """Uncaught script errors in the page: any one fails the test."""


@pytest.fixture
def new_page(browser):
    """Open pages in fresh browser contexts (own storage); uncaught page errors fail the test."""
    contexts = []
    errors = PageErrors()

    def make(**options):
        options.setdefault("viewport", {"width": 1280, "height": 900})
        options.setdefault("locale", "ja-JP")
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    make.errors = errors
    yield make
    for context in contexts:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
