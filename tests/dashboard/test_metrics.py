"""Dashboard figures from the seeded week (tests/dashboard/test_seed.py), checked against hand counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import translation

from conversations.models import Message
from dashboard import clusters, freshness, metrics
from dashboard.metrics import Filters
from faq.models import FAQ, Page
from handoff.models import BusinessCalendar

from .test_seed import C10_TEXT, CONTENT_TRANSLATION, END, START, at, build_seed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Labels are compared in English (the msgids), whatever locales exist."""
    with translation.override("en"):
        yield


@pytest.fixture
def seeded(make_municipality, make_faq):
    return build_seed(make_municipality, make_faq)


@pytest.fixture
def week(seeded):
    return Filters(seeded.city, START, END)


def rows(table):
    return [list(r) for r in table.rows]


def test_conversations_messages_and_replies_per_local_day(week):
    assert rows(metrics.daily(week)) == [
        ["2026-07-06", 2, 2, 3],  # C1, C2; C1's follow event is not a message; the greeting is a reply
        ["2026-07-07", 2, 2, 2],  # C2 again, C10
        ["2026-07-08", 2, 2, 3],  # C3, C4 (+ a staff reply)
        ["2026-07-09", 2, 3, 4],  # C7 typed and tapped, C11
        ["2026-07-10", 2, 2, 3],  # C8, C9
        ["2026-07-11", 1, 1, 1],  # C5
        ["2026-07-12", 1, 1, 1],  # C6 (C13 at Monday 00:00 is the next week)
    ]


def test_hour_of_day_split_by_office_hours(week):
    table = metrics.hourly(week)
    by_hour = {row[0]: (row[1], row[2]) for row in table.rows if row[3]}
    assert by_hour == {
        "08:00": (0, 1),  # Sunday
        "09:00": (2, 0),
        "10:00": (2, 0),
        "11:00": (1, 0),
        "12:00": (1, 0),
        "15:00": (2, 0),
        "18:00": (0, 1),  # after 17:15
        "20:00": (0, 1),
        "21:00": (0, 1),
        "22:00": (0, 1),
    }
    assert len(table.rows) == 24


def test_office_hours_follow_the_cities_business_calendar(week):
    BusinessCalendar.objects.create(municipality=week.municipality, always_open=True)
    table = metrics.hourly(week)
    assert sum(table.column("outside")) == 0
    assert sum(table.column("office_hours")) == 13


def test_outcomes_partition_the_asked_conversations(week):
    table = metrics.resolution(week)
    assert rows(table) == [
        ["Resolved by the bot", 3, 27.3],  # C1, C2, C10
        ["Handed to staff", 5, 45.5],  # C4, C5, C6, C7, C8
        ["Answer marked not helpful", 2, 18.2],  # C3, C9
        ["Not answered (asked back or refused)", 1, 9.1],  # C11
    ]


def test_handoff_reasons(week):
    assert rows(metrics.handoff_reasons(week)) == [
        ["bot not confident", 4, 80.0],
        ["resident asked for a person", 1, 20.0],
        ["sensitive topic", 0, 0.0],  # C12's is the week before
        ["two unhelpful answers", 0, 0.0],
        ["message could not be processed", 0, 0.0],
    ]


def test_time_to_first_staff_reply(week):
    table = metrics.first_response(week)
    assert rows(table) == [
        ["under 5 min", 0, 1],  # C8, 3 min, handed off Friday 18:00
        ["5-15 min", 1, 0],  # C4, 10 min
        ["15-60 min", 1, 0],  # C7: no first_response_at, its first staff message came 30 min later
        ["1-4 hours", 0, 0],
        ["4-24 hours", 0, 0],
        ["over 1 day", 0, 1],  # C5, Saturday night to Monday morning
        ["no staff reply yet", 0, 1],  # C6
    ]
    summary = metrics.response_summary(week)
    assert summary == {"median_minutes": 20.0, "median_office_minutes": 20.0, "answered": 4}  # 3, 10, 30, 2100


def test_satisfaction_from_feedback_and_ratings(week):
    assert rows(metrics.satisfaction(week)) == [
        ["Bot answers (helpful?)", 2, 0, 2, 50.0],  # C1, C2 / C3, C9
        ["Staff help (rating after resolution)", 2, 0, 1, 66.7],  # C4 good, C8 5 / C7 bad; C5 rated next week
    ]


def test_languages_and_channels(week):
    with translation.override("ja"):  # named as the staff reading the dashboard call them
        assert rows(metrics.languages(week)) == [["日本語 (ja)", 9, 11], ["英語 (en)", 1, 1], ["ベトナム語 (vi)", 1, 1]]
    assert rows(metrics.channels(week)) == [["LINE", 6, 7], ["web chat", 5, 6]]


def test_top_faq_and_faq_never_used(seeded, week):
    assert rows(metrics.top_faq(week)) == [
        ["F2 住民票の写しの取り方", 3, 1, 0],
        ["F1 粗大ごみの出し方", 2, 1, 1],
        ["F3 バスの時刻", 1, 0, 1],
    ]
    never = metrics.faq_never_hit(week)
    # F5 is a draft and F6 expired: the bot cannot use them. F7 was used only outside the week.
    assert [r[0] for r in never.rows] == ["F4", "F7"]  # by category (動物, 施設), then ID


def test_headline_figures(week):
    report = metrics.build(week, with_costs=True)
    h = report.headline
    assert h["conversations"] == 11
    assert h["conversation_days"] == 12
    assert h["messages"] == 13
    assert h["asked"] == 11
    assert h["self_resolution"] == 27.3
    assert h["handoff_rate"] == 45.5
    assert h["outside_hours"] == 38.5  # 5 of 13
    assert h["helpful"] == 50.0
    assert h["rating"] == 66.7
    assert h["tokens"] == 200
    assert h["characters"] == len(CONTENT_TRANSLATION) + len(C10_TEXT)


def test_channel_filter(seeded):
    web = Filters(seeded.city, START, END, channel="web")
    assert rows(metrics.resolution(web)) == [
        ["Resolved by the bot", 1, 20.0],  # C10
        ["Handed to staff", 2, 40.0],  # C4, C7
        ["Answer marked not helpful", 2, 40.0],  # C3, C9
        ["Not answered (asked back or refused)", 0, 0.0],
    ]
    assert rows(metrics.channels(web)) == [["web chat", 5, 6]]
    assert sum(metrics.daily(web).column("messages")) == 6
    assert [r[1] for r in metrics.handoff_reasons(web).rows] == [2, 0, 0, 0, 0]
    line = Filters(seeded.city, START, END, channel="line")
    assert sum(metrics.daily(line).column("messages")) == 7
    assert [r[0] for r in metrics.top_faq(line).rows] == ["F2 住民票の写しの取り方", "F1 粗大ごみの出し方"]


def test_costs_per_day(week):
    tokens = metrics.tokens_daily(week)
    assert tokens.column("tokens") == [120, 80, 0, 0, 0, 0, 0]  # C12's 999 tokens were the week before
    chars = metrics.translated_characters_daily(week)
    assert chars.column("content") == [0, 0, len(CONTENT_TRANSLATION), 0, 0, 0, 0]  # the editor's one is not billed
    assert chars.column("conversations") == [0, len(C10_TEXT), 0, 0, 0, 0, 0]


def test_outbound_translation_counts_the_staff_members_japanese(week):
    Message.objects.create(
        conversation=week.municipality.conversations.get(resident__channel_user_id="U-C10"),
        direction="out",
        sender="staff",
        text="Vui lòng mang theo thẻ cư trú.",
        translation="在留カードをお持ちください。",
        translation_language="ja",
        machine_translated=True,
        created_at=at(8, 10),
    )
    assert metrics.translated_characters_daily(week).column("conversations")[2] == len("在留カードをお持ちください。")


def test_unanswered_questions_are_masked_and_grouped(week):
    questions = metrics.unanswered_questions(week)
    texts = sorted(text for text, _lang in questions)
    assert texts == sorted(
        [
            "When is the bus to the city hall? call me [PHONE]",  # C3: answered but not helpful; masked
            "粗大ごみの出し方を教えて",  # C4
            "ペットの犬を登録したい",  # C5
            "マイナンバーカードをなくした",  # C7: the typed question behind "none of these"
            "犬の登録",  # C8
            "粗大ごみはどうやって出すの？",  # C9
            "税金について",  # C11: asked back, and no choice picked (dashboard.unanswered, as the admin counts it)
        ]
    )  # C6 asked for a person: not a gap in the content
    table = metrics.unanswered(week, method="embedding")
    assert [(r[0], r[1], r[2]) for r in table.rows] == [
        ("ペットの犬を登録したい", 2, "犬の登録 (1)"),
        ("粗大ごみの出し方を教えて", 2, "粗大ごみはどうやって出すの？ (1)"),
        ("When is the bus to the city hall? call me [PHONE]", 1, ""),
        ("マイナンバーカードをなくした", 1, ""),
        ("税金について", 1, ""),
    ]


def test_character_grouping_when_no_model():
    groups = clusters.cluster_questions(
        [("粗大ごみの出し方", "ja"), ("粗大ごみの出し方は？", "ja"), ("粗大ゴミの出し方", "ja"), ("犬の登録", "ja")],
        method="ngram",
    )
    assert [(c.label, c.count) for c in groups] == [("粗大ごみの出し方", 3), ("犬の登録", 1)]
    # Same wording apart from punctuation and width counts as one.
    same = clusters.cluster_questions([("ＡＢＣ？", "en"), ("abc", "en")], method="ngram")
    assert [(c.count, c.variants) for c in same] == [(2, [])]


def test_days_are_the_municipalitys_local_days(seeded):
    week_jst = Filters(seeded.city, date(2026, 7, 11), date(2026, 7, 11))
    assert metrics.daily(week_jst).rows == [["2026-07-11", 1, 1, 1]]  # C5 on Saturday night
    seeded.city.time_zone = "UTC"
    seeded.city.save()
    utc = Filters(seeded.city, date(2026, 7, 11), date(2026, 7, 11))
    # C6 wrote on Sunday 08:00 in Japan, which is Saturday 23:00 in UTC.
    assert metrics.daily(utc).rows == [["2026-07-11", 2, 2, 2]]


def test_content_freshness(seeded):
    now = datetime(2026, 7, 15, 12, tzinfo=UTC)
    city = seeded.city
    city.website_url = "https://www.city.mihon.example.jp/"
    city.save()
    fresh = now - timedelta(days=30)
    FAQ.objects.filter(municipality=city).update(last_reviewed_at=fresh)
    FAQ.objects.filter(external_id="F1").update(last_reviewed_at=None, url="kurashi/gomi/sodai.html")
    FAQ.objects.filter(external_id="F2").update(last_reviewed_at=now - timedelta(days=400), url="/koseki/juminhyo.html")
    FAQ.objects.filter(external_id="F3").update(
        valid_until=date(2026, 8, 1), url="https://www.city.mihon.example.jp/bus/"
    )
    FAQ.objects.filter(external_id="F4").update(valid_until=date(2026, 7, 10), url="kurashi/inu.html")
    FAQ.objects.filter(external_id="F7").update(valid_until=date(2026, 8, 30))  # more than 30 days away
    Page.objects.create(municipality=city, url="/bus", content_hash="x", changed_at=now - timedelta(days=2))
    Page.objects.create(
        municipality=city, url="kurashi/inu.html", content_hash="y", changed_at=fresh, gone_at=now - timedelta(days=1)
    )
    Page.objects.create(
        municipality=city, url="koseki/juminhyo.html", content_hash="z", changed_at=now - timedelta(days=500)
    )

    due = freshness.review_due(city, now=now)
    assert [r[0] for r in due.rows] == ["F1", "F2"]  # never reviewed first, then 400 days ago; F5 is a draft
    expiring = freshness.expiring(city, today=date(2026, 7, 15))
    ended = (date(2000, 1, 1) - date(2026, 7, 15)).days
    assert [(r[0], r[3]) for r in expiring.rows] == [("F6", ended), ("F4", -5), ("F3", 17)]
    sources = freshness.changed_sources(city)
    assert [(r[0], r[4]) for r in sources.rows] == [("F3", "changed"), ("F4", "disappeared")]
