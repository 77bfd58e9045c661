"""Content freshness flags FAQ answers whose facts differ from the homepage on the same topic (issue 16).

The demo city once said 「みほん市クリーンセンター（北町5-2）、月曜日〜土曜日」 in its FAQ and
「みほん市清掃センター（西町5-20-1）、月曜日〜金曜日と第2日曜日」 on its homepage. The homepage now
agrees; the old passage, put back, is flagged again.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from chatbot.generation import facts
from conversations.models import Municipality
from dashboard import contradictions, freshness
from faq import retrieval
from faq.models import Chunk

OLD_DROP_OFF = (
    "ご自分で運べる場合は、みほん市清掃センター（みほん市西町5-20-1）へ直接持ち込むことができます。"
    "持ち込みの場合も前日までの電話予約が必要です。\n"
    "・受付時間：月曜日〜金曜日と第2日曜日の9:00〜11:30、13:00〜16:00\n"
    "・料金：10kgごとに200円（計量後に現金でお支払いください）\n"
    "・持ち物：運転免許証など、市内在住を確認できるもの"
)
FAQ_DROP_OFF = (
    "市内にお住まいの方が家庭から出した粗大ごみは、みほん市クリーンセンター（みほん市北町5-2）へ直接持ち込む"
    "ことができます。持ち込みも予約制で、前日までに粗大ごみ受付センター（042-000-1202）へお申し込みください。"
    "受入日時は月曜日〜土曜日の9:00〜11:30と13:00〜16:00（祝日・年末年始を除く）で、手数料は10kgごとに200円です。"
)


def test_days_are_read_as_sets_of_weekdays():
    def read(text: str) -> list[str]:
        return [f.fact for f in facts.days(text)]

    assert read("受入日時は月曜日〜土曜日の9:00") == ["days mon,tue,wed,thu,fri,sat"]
    assert read("月曜日〜金曜日と毎月第2日曜日") == ["days mon,tue,wed,thu,fri,2sun"]
    assert read("平日 8:30〜17:15、第2・第4土曜日 9:00〜12:00") == ["days mon,tue,wed,thu,fri", "days 2sat,4sat"]
    assert read("月〜金") == ["days mon,tue,wed,thu,fri"] and read("火曜日〜日曜日") == ["days tue,wed,thu,fri,sat,sun"]
    assert read("4月〜6月、3日（月）、日本") == []


def test_the_old_drop_off_passage_contradicts_the_faq_on_address_and_days():
    found = {(c.kind, c.faq_says, c.page_says) for c in contradictions.conflicts(FAQ_DROP_OFF, OLD_DROP_OFF)}
    assert found == {
        ("address", "みほん市北町5-2", "みほん市西町5-20-1"),
        ("days", "受入日時は月曜日〜土曜日", "受付時間:月曜日〜金曜日と第2日曜日"),
    }


def test_added_facts_and_narrower_days_are_not_contradictions():
    faq = "受付は第2・第4土曜日の9:00〜12:00です。電話 042-000-1105。"
    page = "受付は土曜日の9:00〜12:00です。電話 042-000-1105。市民課の電話 042-000-1101（平日8:30〜17:15）。"
    assert contradictions.conflicts(faq, page) == []
    # The same label with another figure is one.
    assert [(c.kind, c.page_says) for c in contradictions.conflicts(faq, page.replace("1105", "1109"))] == [
        ("phone", "電話 042-000-1109")
    ]


@pytest.fixture
def demo(db, settings) -> Municipality:
    settings.FAQ_INDEX_CHECK_SECONDS = 0
    retrieval.registry.forget()
    call_command("load_demo", "--no-users", stdout=io.StringIO(), stderr=io.StringIO())
    yield Municipality.objects.get(slug="mihon")
    retrieval.registry.forget()


def test_the_demo_homepage_agrees_with_its_faq_and_the_old_page_is_flagged(demo):
    table = freshness.CONTENT_TABLES["contradicting_facts"](demo)
    assert table.rows == [], table.rows

    drop_off = Chunk.objects.get(page__url="kurashi/gomi/sodai.html", text__contains="北町5-2")
    Chunk.objects.filter(pk=drop_off.pk).update(text=OLD_DROP_OFF)  # the homepage as it was

    table = contradictions.contradicting_facts(demo)
    flagged = {(row[0], row[3], row[4]) for row in table.rows}
    assert ("gomi-003", "みほん市北町5-2", "みほん市西町5-20-1") in flagged
    assert ("gomi-003", "受入日時は月曜日〜土曜日", "受付時間:月曜日〜金曜日と第2日曜日") in flagged
    assert {row[6] for row in table.rows} == {drop_off.source_url}
    assert len(table.extra["ids"]) == len(table.rows)
