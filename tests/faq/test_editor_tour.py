"""An editor's tour of the admin in headless Chromium, at phone and laptop size (issue 16).

One pass per size: the unanswered questions fit the screen; "Create FAQ from this" opens a prefilled
draft, saving it lands on the draft's page with "Publish", the residents' wording is learned and the
questions leave the list; once published the bot answers the question with it; the entry's history
shows the change whole in the editor's language; the import lists every problem of a row with its
line and field; content freshness flags an answer the homepage contradicts, and one whose date has
passed. Screenshots go to
test-artifacts/editor-*-{phone,laptop}.png.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from chatbot import engine
from conversations.models import AnswerLog, Membership
from faq import retrieval
from faq.models import FAQ, Chunk, LearnedPhrasing, Page
from tests.conftest import ROOT, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = ROOT / "test-artifacts"
SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}
FIRE = "使わなくなった消火器はどうやって処分すればいいですか"
LONG_QUESTION = (
    "市役所の近くで釣りができる池や川はありますか。子どもと一緒に週末に行きたいのですが、許可が必要かどうかも知りたいです。"
    "https://www.example.com/a/very/long/address/without/any/space/that/must/wrap/inside/its/cell/aaaaaaaaaaaaaaaa"
)
DROP_OFF_FAQ = (
    "粗大ごみは、みほん市クリーンセンター（みほん市北町5-2）へ直接持ち込むことができます。"
    "受入日時は月曜日〜土曜日の9:00〜11:30と13:00〜16:00で、手数料は10kgごとに200円です。"
)
DROP_OFF_PAGE = (
    "ご自分で運べる場合は、みほん市清掃センター（みほん市西町5-20-1）へ直接持ち込むことができます。\n"
    "・受付時間：月曜日〜金曜日と第2日曜日の9:00〜11:30、13:00〜16:00\n・料金：10kgごとに200円"
)
PASSED_RATES = "例えば令和7年度の医療分は、均等割が加入者1人あたり42,000円です。"  # a fiscal year that is over
BAD_CSV = "external_id,question,answer,status,valid_until\n,,答えだけ,maybe,2026-02-30\ngomi-100,質問,答え,,\n"


@pytest.fixture
def city(municipality, make_faq, settings):
    settings.FAQ_INDEX_CHECK_SECONDS = 0
    retrieval.registry.forget()
    make_faq(
        municipality,
        "粗大ごみの出し方を教えてください。",
        "粗大ごみ受付センター（042-000-1202）にお申し込みください。",
        external_id="gomi-001",
        category="ごみ・リサイクル",
        department="ごみ減量推進課",
    )
    make_faq(
        municipality,
        "粗大ごみを自分で処理施設に持ち込むことはできますか。",
        DROP_OFF_FAQ,
        external_id="gomi-007",
        category="ごみ・リサイクル",
        department="ごみ減量推進課",
        url="kurashi/gomi/sodai.html",
    )
    make_faq(municipality, "住民票の写しはどこで取れますか。", "市民課で取れます。", external_id="koseki-001")
    make_faq(municipality, "国民健康保険税はいくらですか。", PASSED_RATES, external_id="kokuho-003")
    page = Page.objects.create(municipality=municipality, url="kurashi/gomi/sodai.html", title="粗大ごみの出し方")
    Chunk.objects.create(
        page=page,
        municipality=municipality,
        position=0,
        heading_path=["粗大ごみの出し方", "清掃センターへの持ち込み"],
        text=DROP_OFF_PAGE,
    )
    near = [{"kind": "faq", "id": FAQ.objects.get(external_id="gomi-001").pk, "external_id": "gomi-001", "score": 0.1}]
    for text in [FIRE, FIRE + "？", LONG_QUESTION]:
        AnswerLog.objects.create(
            municipality=municipality, query=text, decision="handoff", reason="low_confidence", candidates=near
        )
    yield municipality
    retrieval.registry.forget()


def logged_in(browser, live_server, user, size: str):
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport=SIZES[size], locale="ja-JP", base_url=live_server.url)
    context.set_default_timeout(20_000)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page, errors


def shot(page, name: str, size: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"editor-{name}-{size}.png"), full_page=True)


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_editor_tour(browser, live_server, city, staff_user, size, tmp_path):
    editor = staff_user(city, Membership.Role.EDITOR, username="editor")
    context, page, errors = logged_in(browser, live_server, editor, size)

    # Unanswered questions: the table fits the screen (long texts wrap; on a phone each row is a card).
    page.goto("/admin/faq/faq/unanswered/")
    row = page.locator("#gaps tbody tr", has_text=FIRE)
    assert row.count() == 1 and fits(page)
    shot(page, "unanswered", size)

    # Create FAQ from this: a prefilled draft in the city's id pattern, saying where it comes from.
    row.locator("a.create-faq").click()
    page.wait_for_selector("#drafted-from")
    assert page.input_value("#id_external_id") == "gomi-008"
    assert page.input_value("#id_question") == FIRE
    assert page.input_value("#id_category") == "ごみ・リサイクル"
    assert page.input_value("#id_status") == "draft"
    shot(page, "draft-form", size)
    page.fill("#id_question", "消火器はどのように処分すればよいですか。")
    page.fill("#id_answer", "消火器は市では収集しません。販売店か消火器リサイクルの指定引取場所にお持ちください。")
    page.click("input[name=_save]")

    # The draft's own page: it says it is a draft and offers Publish.
    page.wait_for_selector("#draft-notice")
    assert "gomi-008" in page.inner_text(".messagelist")
    assert page.locator("input[name=_publish]").is_visible() or page.locator("input[name=_publish]").count() == 1
    shot(page, "draft-saved", size)
    faq = FAQ.objects.get(municipality=city, external_id="gomi-008")
    assert faq.status == FAQ.Status.DRAFT
    assert list(LearnedPhrasing.objects.filter(faq=faq).values_list("text", flat=True)) == [FIRE]
    assert AnswerLog.objects.filter(query__startswith=FIRE, handled_at__isnull=False).count() == 2

    page.goto("/admin/faq/faq/unanswered/")
    assert page.locator("#gaps tbody tr", has_text=FIRE).count() == 0
    assert page.locator("#gaps tbody tr").count() == 1  # the long question is still waiting

    # Review, then publish: the bot answers the residents' question with the new entry.
    page.goto(f"/admin/faq/faq/{faq.pk}/change/")
    page.click("input[name=_publish]")
    page.wait_for_selector(".messagelist .success")
    assert page.locator("#draft-notice").count() == 0
    shot(page, "published", size)
    faq.refresh_from_db()
    assert faq.status == FAQ.Status.PUBLISHED and faq.last_reviewed_by == editor

    def answered_with_it() -> bool:
        decision = engine.answer(engine.AnswerRequest(city, FIRE))
        return decision.chosen is not None and decision.chosen.external_id == "gomi-008"

    wait_until(answered_with_it, timeout=20, interval=0.5)

    # History: the change whole, removed and added text marked, the page's own labels in Japanese.
    added = "なお、消火器リサイクル推進センターのウェブサイトで、お近くの特定窓口と指定引取場所を検索できます。" * 2
    page.fill("#id_answer", faq.answer + added)
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    page.goto(f"/admin/faq/faq/{faq.pk}/history/")
    inserted = page.locator("#faq-history tbody ins").first.inner_text()
    assert added in inserted and "chars]" not in page.content()
    with translation.override("ja"):
        labels = [translation.gettext(m) for m in ("Saved at", "What happened", "Changed by", "Changes")]
    header = page.text_content("#faq-history thead")
    assert all(label in header for label in labels)
    assert "Choose a date" not in page.content() and page.locator("#faq-history tbody tr").count() == 3
    shot(page, "history", size)

    # Import: every problem of a row, each with its line and field.
    page.goto("/admin/faq/faq/import/")
    csv_file = tmp_path / "faq.csv"
    csv_file.write_text(BAD_CSV, encoding="utf-8")
    page.set_input_files("#id_file", str(csv_file))
    page.click(".submit-row input[type=submit]")
    page.wait_for_selector("#import-errors")
    problems = page.locator("#import-errors tbody tr").evaluate_all(
        "rows => rows.map(r => [r.dataset.line, r.dataset.field])"
    )
    assert sorted(problems) == [["2", "external_id"], ["2", "question"], ["2", "status"], ["2", "valid_until"]]
    shot(page, "import", size)

    # Content freshness: the FAQ and the homepage disagree on the drop-off site and its days.
    page.goto(f"/dashboard/{city.slug}/content/")
    flagged = page.locator("#content-contradicting_facts tbody tr")
    assert flagged.count() == 2, page.inner_text("#content-contradicting_facts")
    text = page.inner_text("#content-contradicting_facts")
    assert "みほん市北町5-2" in text and "みほん市西町5-20-1" in text and "月曜日〜土曜日" in text
    assert "令和7年度の医療分" in page.inner_text("#content-passed_dates tbody")  # and a date that has passed
    flagged.first.scroll_into_view_if_needed()
    shot(page, "freshness", size)

    context.close()
    assert errors == []
