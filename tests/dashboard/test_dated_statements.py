"""Content freshness lists answers that state a deadline, a period, an end or a plan whose date has
passed, or the figures of a fiscal year that is over (issue 16).

The phrases are the demo city's (today is 7 December 2026 there): zei-003's filing period of
令和7年度, bousai-015's 「令和7年3月31日で終了します」, gomi-020's plan for 令和8年10月 and
kokuho-003's 令和7年度 rates. History and starts that still hold are not flagged.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from chatbot.generation import facts
from conversations.models import Membership
from dashboard import dated_statements, freshness
from faq.models import FAQ

TODAY = date(2026, 12, 7)
FILING = (
    "令和7年度（令和6年分所得）の市民税・都民税の申告は、令和7年2月17日（月曜日）から3月17日（月曜日）までの"
    "平日9:00〜16:00に、市役所本庁舎5階の第1・第2会議室で受け付けます。郵送での提出もご利用ください。"
)
ENDED = "【令和6年度の受付は令和7年3月31日で終了します】地震の揺れを感知する感震ブレーカーを配布しています。"
PLAN = "市では「プラスチック一括回収」を、令和8年10月から始める予定です。対象となる品目は決まり次第お知らせします。"
RATES = "例えば令和7年度の医療分は、所得割が基礎控除後の所得の7.2%、均等割が加入者1人あたり42,000円です。"


def flagged(text: str, today: date = TODAY) -> list[tuple[str, str]]:
    return [(p.kind, p.date.label) for p in dated_statements.passed(text, today)]


def test_a_ranges_end_takes_the_year_of_its_start():
    _text, found = facts.dates("令和7年2月17日（月曜日）から3月17日（月曜日）まで、令和8年12月1日〜1月8日")
    assert [(d.label, d.range_start, d.range_end) for d in found] == [
        ("2025-02-17", True, False),
        ("2025-03-17", False, True),
        ("2026-12-01", True, False),
        ("2027-01-08", False, True),  # over New Year
    ]
    _text, found = facts.dates("令和6〜8年度の基準額、令和8年10月から、2025/3/31、3月31日までに、令和7年2月30日")
    assert [(d.label, d.last_day) for d in found] == [
        ("2024-04〜2025-03", date(2025, 3, 31)),
        ("2026-04〜2027-03", date(2027, 3, 31)),
        ("2026-10", date(2026, 10, 31)),
        ("2025-03-31", date(2025, 3, 31)),
    ]  # no year: every year; 2月30日: no such day


def test_deadlines_ends_plans_and_fiscal_years_that_have_passed():
    assert flagged(FILING) == [("period_end", "2025-03-17")]
    assert flagged(ENDED) == [("end", "2025-03-31")]  # one row for the statement: the end, not the 年度
    assert flagged(PLAN) == [("plan", "2026-10")]
    assert flagged(RATES) == [("fiscal_year", "2025-04〜2026-03")]
    assert flagged("申請は令和8年11月30日必着です。") == [("deadline", "2026-11-30")]
    assert flagged("令和6〜7年度の基準額は年額74,400円です。") == [("period_end", "2025-04〜2026-03")]
    [filing] = dated_statements.passed(FILING, TODAY)
    assert filing.phrase.startswith("…令和7年2月17日(月曜日)から3月17日(月曜日)までの")
    assert len(filing.phrase) <= dated_statements.PHRASE_CHARS
    [ended] = dated_statements.passed(ENDED, TODAY)
    assert ended.phrase == "令和6年度の受付は令和7年3月31日で終了します"


def test_history_starts_that_hold_and_dates_to_come_are_not_flagged():
    assert flagged("通知カードは令和2年5月25日に廃止され、新たな発行は行っていません。") == []
    assert flagged("令和6年3月から、本籍地が他の市区町村でもみほん市の窓口で請求できます。") == []
    assert flagged("令和5年1月から、原則として納税証明書の提示は不要です。") == []
    assert flagged("令和5年度から補助額を引き上げています。") == []
    assert flagged("令和6年度の受付は令和7年3月31日で終了しました。") == []
    assert flagged("（令和7年度は9月7日に開催し、約1,800人が参加しました）") == []
    assert flagged("翌年度の課税を止めるため、3月31日までに手続きをしてください。") == []
    assert flagged("令和9年度分は令和8年12月1日〜令和9年1月8日に受け付けます。") == []
    assert flagged("令和6〜8年度の基準額は年額74,400円です。") == []
    # The same statements a day before their date.
    assert flagged("申請は令和8年11月30日必着です。", date(2026, 11, 30)) == []
    assert flagged(RATES, date(2026, 3, 31)) == []


@pytest.fixture
def city(municipality, make_faq):
    make_faq(municipality, "住民税の申告受付はいつですか。", FILING, external_id="zei-003")
    make_faq(
        municipality, "感震ブレーカーはもらえますか。", ENDED, external_id="bousai-015", valid_until=date(2025, 3, 31)
    )
    make_faq(municipality, "プラスチックの分別は変わりますか。", PLAN, external_id="gomi-020", status=FAQ.Status.DRAFT)
    make_faq(
        municipality, "国民健康保険税はいくらですか。", RATES, external_id="kokuho-003", valid_until=date(2027, 3, 31)
    )
    make_faq(municipality, "住民票はどこで取れますか。", "市民課で取れます。令和6年3月から郵送でも請求できます。")
    return municipality


def test_the_table_lists_published_entries_once(city):
    with translation.override("en"):
        table = freshness.passed_dates(city, today=TODAY)
    assert [(r[0], r[2], r[4]) for r in table.rows] == [
        ("kokuho-003", "fiscal year", "2025-04〜2026-03"),  # valid until next March: still read
        ("zei-003", "end of a period", "2025-03-17"),
    ]  # bousai-015 is in the expiring table already; gomi-020 is a draft
    assert [r[0] for r in freshness.expiring(city, today=TODAY).rows] == ["bousai-015"]
    assert table.extra["ids"] == [FAQ.objects.get(external_id=r[0]).pk for r in table.rows]
    assert "valid until" in str(table.note)


def test_the_content_page_shows_the_table_with_links(client, city, staff_user):
    client.force_login(staff_user(city, Membership.Role.EDITOR))
    html = client.get(f"/dashboard/{city.slug}/content/").content.decode()
    assert 'id="content-passed_dates"' in html
    section = html.split('id="content-passed_dates"', 1)[1].split("</section>", 1)[0]
    kokuho = FAQ.objects.get(external_id="kokuho-003").pk
    assert f'href="/admin/faq/faq/{kokuho}/change/"' in section and "令和7年度の医療分" in section
