"""Retention: texts older than the municipality's period are deleted, exactly those, and counts survive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from chatbot.celery import app
from conversations.models import AnswerLog, Conversation, InboundEvent, Message, Resident
from dashboard import metrics, retention, tasks
from handoff.models import AuditEvent, InternalNote, Ticket
from tests.conftest import wait_until

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 7, 20, 3, 15, tzinfo=UTC)


class City:
    """One municipality with a resident per age: rows just past, exactly at and just inside the cut-off."""

    def __init__(self, municipality, days: int):
        self.municipality = municipality
        municipality.retention_days = days
        municipality.save()
        cutoff = NOW - timedelta(days=days)
        self.ages = {"old": cutoff - timedelta(seconds=1), "edge": cutoff, "new": cutoff + timedelta(days=1)}
        self.rows: dict[str, dict] = {}
        for age, when in self.ages.items():
            resident = Resident.objects.create(
                municipality=municipality,
                channel="line",
                channel_user_id=f"U{municipality.slug}{age}",
                display_name="山田花子",
                last_seen_at=when,
            )
            conversation = Conversation.objects.create(municipality=municipality, resident=resident)
            event = InboundEvent.objects.create(
                municipality=municipality,
                channel="line",
                channel_event_id=f"{municipality.slug}-{age}",
                payload={"source": {"userId": resident.channel_user_id}, "message": {"text": "電話は090-1234-5678"}},
                received_at=when,
            )
            inbound = Message.objects.create(
                conversation=conversation,
                direction="in",
                sender="resident",
                text="電話は090-1234-5678",
                translation="My phone is 090-1234-5678",
                language="ja",
                channel_message_id=f"m-{age}",
                event=event,
                created_at=when,
            )
            outbound = Message.objects.create(
                conversation=conversation,
                direction="out",
                sender="bot",
                text="お答えします",
                payload={"text": "お答えします"},
                language="ja",
                created_at=when,
            )
            log = AnswerLog.objects.create(
                municipality=municipality,
                conversation=conversation,
                message=inbound,
                query="電話は090-1234-5678",
                decision="handoff",
                created_at=when,
            )
            ticket = Ticket.objects.create(
                municipality=municipality,
                conversation=conversation,
                reason="low_confidence",
                question="電話は090-1234-5678",
                outcome_note="折り返し済み",
                created_at=when,
                status="resolved",
            )
            note = InternalNote.objects.create(ticket=ticket, text="山田さんに電話", created_at=when)
            self.rows[age] = {
                "resident": resident,
                "event": event,
                "inbound": inbound,
                "outbound": outbound,
                "log": log,
                "ticket": ticket,
                "note": note,
            }

    def state(self, age: str) -> dict:
        """Which of the age's rows still hold personal text."""

        r = self.rows[age]
        inbound = Message.objects.get(pk=r["inbound"].pk)
        outbound = Message.objects.get(pk=r["outbound"].pk)
        ticket = Ticket.objects.get(pk=r["ticket"].pk)
        resident = Resident.objects.get(pk=r["resident"].pk)
        return {
            "message": bool(inbound.text or inbound.translation or inbound.channel_message_id),
            "reply": bool(outbound.text or outbound.payload),
            "log": AnswerLog.objects.get(pk=r["log"].pk).query,
            "event": bool(InboundEvent.objects.get(pk=r["event"].pk).payload),
            "ticket": bool(ticket.question or ticket.outcome_note),
            "note": bool(InternalNote.objects.get(pk=r["note"].pk).text),
            "resident": resident.channel_user_id.startswith("U") and bool(resident.display_name),
        }


KEPT = {
    "message": True,
    "reply": True,
    "log": "電話は[PHONE]",  # kept, masked
    "event": True,
    "ticket": True,
    "note": True,
    "resident": True,
}
PURGED = {k: False for k in KEPT} | {"log": ""}


@pytest.fixture
def cities(make_municipality):
    return City(make_municipality("aaa"), 90), City(make_municipality("bbb"), 30)


def test_purge_deletes_exactly_what_is_due(cities):
    a, b = cities
    result = retention.purge_expired(now=NOW)
    for city in (a, b):
        assert city.state("old") == PURGED
        assert city.state("edge") == KEPT  # exactly at the cut-off: the next run takes it
        assert city.state("new") == KEPT
    # Each city by its own period: b's 30-day "old" rows are 30 days old, a's are 90.
    assert result["aaa"].as_dict() == {
        "messages": 2,
        "answer_logs": 1,
        "masked_queries": 2,
        "events": 1,
        "tickets": 1,
        "notes": 1,
        "residents": 1,
    }
    assert result["bbb"] == result["aaa"]


def test_each_municipality_by_its_own_period(cities):
    a, b = cities

    def message(city, days_old):
        conversation = city.rows["new"]["inbound"].conversation
        return Message.objects.create(
            conversation=conversation,
            direction="in",
            sender="resident",
            text="31日前",
            created_at=NOW - timedelta(days=days_old),
        )

    in_a, in_b = message(a, 31), message(b, 31)
    retention.purge_expired(now=NOW)
    assert Message.objects.get(pk=in_a.pk).text == "31日前"  # a keeps 90 days
    assert Message.objects.get(pk=in_b.pk).text == ""  # b keeps 30


def test_counts_survive_the_purge(cities):
    a, _b = cities
    old_day = a.ages["old"].astimezone(metrics.Filters(a.municipality, NOW.date(), NOW.date()).tz).date()
    f = metrics.Filters(a.municipality, old_day, old_day)
    before = metrics.daily(f).rows
    retention.purge_expired(now=NOW)
    assert metrics.daily(f).rows == before
    assert before[0][2] >= 1  # the purged message is still counted
    assert metrics.handoff_reasons(f).rows[0][1] >= 1


def test_dry_run_counts_and_changes_nothing_and_a_second_run_finds_nothing(cities):
    a, _b = cities
    counted = retention.purge_expired(now=NOW, dry_run=True)
    assert a.state("old") | {"log": None} == KEPT | {"log": None}
    assert Message.objects.get(pk=a.rows["old"]["inbound"].pk).text == "電話は090-1234-5678"
    done = retention.purge_expired(now=NOW)
    assert {k: v.as_dict() for k, v in counted.items()} == {k: v.as_dict() for k, v in done.items()}
    again = retention.purge_expired(now=NOW)
    assert all(c.total == 0 for c in again.values())


def test_purge_is_audited(cities):
    retention.purge_expired(now=NOW)
    events = AuditEvent.objects.filter(action=retention.PURGE_ACTION)
    assert {e.municipality.slug for e in events} == {"aaa", "bbb"}
    assert all(e.user is None and e.detail["messages"] == 2 for e in events)


def test_the_celery_task_and_its_schedule(cities, settings):
    assert settings.CELERY_BEAT_SCHEDULE["purge-expired"]["task"] == tasks.purge_expired.name
    result = tasks.purge_expired.apply().get()  # by the real clock
    assert set(result) == {"aaa", "bbb"}
    assert all(set(v) == set(retention.PurgeCounts().as_dict()) for v in result.values())


def test_the_task_purges_by_the_real_clock(make_municipality):
    city = make_municipality("ccc", retention_days=90)
    resident = Resident.objects.create(municipality=city, channel="web", channel_user_id="w1")
    conversation = Conversation.objects.create(municipality=city, resident=resident)
    long_ago = timezone.now() - timedelta(days=91)
    old = Message.objects.create(
        conversation=conversation, direction="in", sender="resident", text="古い", created_at=long_ago
    )
    recent = Message.objects.create(
        conversation=conversation, direction="in", sender="resident", text="新しい", created_at=timezone.now()
    )
    result = tasks.purge_expired.apply().get()
    assert result["ccc"]["messages"] == 1
    assert Message.objects.get(pk=old.pk).text == "" and Message.objects.get(pk=recent.pk).text == "新しい"


def test_management_command(cities, capsys):
    call_command("purge_expired", "--dry-run", "--municipality", "aaa")
    out = capsys.readouterr().out
    assert out.startswith("aaa (retention 90 days): due")
    assert "bbb" not in out
    with pytest.raises(Exception, match="no such municipality: zzz"):
        call_command("purge_expired", "--municipality", "zzz")


def test_retention_of_zero_days_means_one(make_municipality):
    city = make_municipality("ddd", retention_days=0)
    assert retention.cutoff_for(city, NOW) == NOW - timedelta(days=1)


def test_erasing_a_resident_blanks_all_their_rows_whatever_their_age(cities):
    a, b = cities
    target = a.rows["new"]
    resident = target["resident"]
    Ticket.objects.filter(pk=target["ticket"].pk).update(status="open", resolved_at=None)
    stray = InboundEvent.objects.create(  # e.g. an unfollow: no message, but the user id is in the payload
        municipality=a.municipality,
        channel="line",
        channel_event_id="unfollow-1",
        payload={"type": "unfollow", "source": {"userId": resident.channel_user_id}},
    )
    counts = retention.erase_resident(resident, reason="窓口で本人確認済み")
    assert a.state("new") == PURGED
    assert InboundEvent.objects.get(pk=stray.pk).payload == {}
    assert counts.messages == 2 and counts.answer_logs == 1 and counts.events == 2 and counts.residents == 1
    assert Conversation.objects.get(pk=target["ticket"].conversation_id).state == "closed"
    assert Ticket.objects.get(pk=target["ticket"].pk).status == "resolved"
    # Nobody else's data moved.
    assert a.state("edge") == KEPT | {"log": "電話は090-1234-5678"}
    assert b.state("new") == KEPT | {"log": "電話は090-1234-5678"}
    audit = AuditEvent.objects.get(action=retention.ERASE_ACTION)
    assert audit.detail["resident"] == resident.pk and audit.detail["messages"] == 2


def test_mask_queries_only_changes_what_holds_personal_data(make_municipality):
    city = make_municipality("eee")
    plain = AnswerLog.objects.create(municipality=city, query="ごみの日", decision="answer")
    personal = AnswerLog.objects.create(municipality=city, query="住所は本町1-2-3です", decision="answer")
    assert retention.mask_queries(city) == 1
    assert AnswerLog.objects.get(pk=plain.pk).query == "ごみの日"
    assert "1-2-3" not in AnswerLog.objects.get(pk=personal.pk).query


@pytest.mark.integration
def test_a_real_worker_runs_the_beat_task(make_municipality, celery_worker):
    """What beat sends ("dashboard.purge_expired" by name) is executed by a real worker."""

    city = make_municipality("fff", retention_days=90)
    resident = Resident.objects.create(municipality=city, channel="web", channel_user_id="w2")
    conversation = Conversation.objects.create(municipality=city, resident=resident)
    old = Message.objects.create(
        conversation=conversation,
        direction="in",
        sender="resident",
        text="古い",
        created_at=timezone.now() - timedelta(days=91),
    )
    celery_worker()
    app.send_task("dashboard.purge_expired")
    assert wait_until(lambda: Message.objects.filter(pk=old.pk, text="").exists())
