"""Stored means answered, in-process: queueing never fails a request, beat queues again what was lost,
and an event that fails every attempt is given up with a word to the resident and a ticket for staff.

The whole path with a real Redis killed and a real worker killed is tests/chatbot/test_faults.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.utils import timezone

from chatbot import pipeline, tasks
from chatbot.tasks import process_event
from conversations.admin import InboundEventAdmin, retry_events
from conversations.models import InboundEvent, Message, Reason
from handoff.models import InternalNote, Ticket


def web_event(municipality, *, text: str = "", postback: dict | None = None, event_id: str = "e1", **fields):
    payload = {"user": "u" * 40, "text": text, "postback": postback, "language": "en"}
    return InboundEvent.objects.create(
        municipality=municipality,
        channel="web",
        channel_event_id=event_id,
        event_type="postback" if postback else "message",
        payload=payload,
        **fields,
    )


# A postback stored before postbacks were checked at the edge: the handler fails on it every time.
POISON = {"action": "pick", "kind": "faq", "id": "abc", "label": "粗大ごみ"}


@pytest.fixture
def sent(monkeypatch):
    ids: list[int] = []
    monkeypatch.setattr(tasks, "send", lambda pk: ids.append(pk) or True)
    return ids


# --- queueing again what was lost ----------------------------------------------------------------


def test_beat_queues_again_only_events_stored_unanswered_unleased_and_not_given_up(municipality, settings, sent):
    settings.EVENT_REQUEUE_AFTER_SECONDS = 60
    now = timezone.now()
    old = now - timedelta(minutes=5)
    lost = web_event(municipality, text="a", event_id="lost", received_at=old)
    web_event(municipality, text="b", event_id="fresh", received_at=now)  # its task is surely still queued
    web_event(municipality, text="c", event_id="leased", received_at=old, lease_until=now + timedelta(minutes=1))
    expired = web_event(
        municipality, text="d", event_id="expired", received_at=old, lease_until=now - timedelta(seconds=1)
    )
    web_event(municipality, text="e", event_id="done", received_at=old, processed_at=now)
    web_event(municipality, text="f", event_id="given-up", received_at=old, given_up_at=now)
    web_event(municipality, text="g", event_id="requeued", received_at=old, requeued_at=now - timedelta(seconds=5))
    assert tasks.requeue_events() == {"events": 2, "deliveries": 0}
    assert sorted(sent) == sorted([lost.pk, expired.pk])
    assert tasks.requeue_events() == {"events": 0, "deliveries": 0}  # queued a moment ago: not again yet
    InboundEvent.objects.filter(pk__in=[lost.pk, expired.pk]).update(requeued_at=now - timedelta(minutes=2))
    assert tasks.requeue_events()["events"] == 2  # still unanswered a while after: queued once more


def test_the_backlog_counts_stuck_and_given_up_events(municipality, make_municipality, settings, client):
    settings.EVENT_REQUEUE_AFTER_SECONDS = 60
    old = timezone.now() - timedelta(minutes=5)
    web_event(municipality, text="a", event_id="stuck", received_at=old)
    web_event(municipality, text="b", event_id="fresh")
    web_event(municipality, text="c", event_id="given-up", received_at=old, given_up_at=timezone.now())
    web_event(make_municipality("other"), text="d", event_id="other", received_at=old)
    assert pipeline.backlog(municipality.pk).as_dict() == {"stuck": 1, "given_up": 1}
    assert client.get("/readyz").json()["events"] == {"stuck": 2, "given_up": 1}


def test_a_broker_that_is_down_fails_no_request_and_beat_queues_the_event_later(
    client, municipality, broker_down, django_capture_on_commit_callbacks, settings, caplog
):
    token = client.post("/api/web/mihon/session").json()["token"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/web/mihon/messages",
            {"text": "ソファを捨てたい", "client_id": "c1"},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    assert response.status_code == 202  # stored: the broker's state does not matter to the resident
    event = InboundEvent.objects.get()
    assert "stored but not queued" in caplog.text
    settings.EVENT_REQUEUE_AFTER_SECONDS = 0
    assert tasks.requeue() == 0  # still down: nothing marked as queued, the next run tries again
    assert InboundEvent.objects.get(pk=event.pk).requeued_at is None


# --- poison events ----------------------------------------------------------------------------------


def test_an_event_failing_every_attempt_is_given_up_the_resident_told_and_staff_get_a_ticket(
    municipality, settings, django_capture_on_commit_callbacks
):
    settings.EVENT_MAX_ATTEMPTS = 3
    event = web_event(municipality, postback=POISON)
    for _ in range(2):
        with pytest.raises(pipeline.RetryLater):
            pipeline.process_event(event.pk, retry_delay=0)
    with django_capture_on_commit_callbacks(execute=True):
        assert pipeline.process_event(event.pk, retry_delay=0) == "given up"
    event.refresh_from_db()
    assert event.given_up_at is not None and event.processed_at is None and event.attempts == 3
    assert "ValueError" in event.last_error or "ValidationError" in event.last_error
    [apology] = Message.objects.filter(direction="out")
    assert apology.kind == "notice" and apology.language == "en"
    assert "could not process your message" in apology.text and "staff" in apology.text
    assert apology.delivery == Message.Delivery.SENT  # delivered (tasks run in-process here)
    ticket = Ticket.objects.get()
    assert ticket.reason == Reason.FAILED and ticket.conversation == apology.conversation
    [note] = InternalNote.objects.filter(ticket=ticket)
    assert note.author is None and event.last_error[:40] in note.text and "3" in note.text
    # Given up is final: neither a late task nor beat picks it up again.
    assert pipeline.process_event(event.pk) == "skipped"
    assert not pipeline.due_for_requeue(timezone.now() + timedelta(hours=1)).exists()


def test_the_celery_task_gives_up_after_the_last_attempt_instead_of_failing(municipality, settings):
    settings.EVENT_MAX_ATTEMPTS = 2
    event = web_event(municipality, postback=POISON)
    result = process_event.apply(args=[event.pk])  # in-process: the retries run at once
    assert result.successful(), result.traceback
    assert result.get() == "given up"
    assert InboundEvent.objects.get(pk=event.pk).attempts == 2
    assert Ticket.objects.filter(reason=Reason.FAILED).count() == 1


def test_a_given_up_event_is_told_once_even_if_given_up_twice(municipality):
    event = web_event(municipality, postback=POISON)
    assert pipeline.give_up(event, "ValueError: x") is True
    assert pipeline.give_up(event, "ValueError: x") is False
    assert Message.objects.filter(direction="out").count() == 1 and Ticket.objects.count() == 1


def test_admins_see_failed_events_masked_and_can_process_them_again(municipality, settings, sent, admin_user):
    settings.EVENT_MAX_ATTEMPTS = 1
    event = web_event(municipality, text="山田太郎と申します。電話は090-1234-5678です", event_id="e9")
    InboundEvent.objects.filter(pk=event.pk).update(
        given_up_at=timezone.now(), attempts=7, last_error="DataError: value 090-1234-5678 too long"
    )
    event.refresh_from_db()
    model_admin = InboundEventAdmin(InboundEvent, site)
    shown = model_admin.masked_payload(event) + model_admin.error(event)
    assert "090-1234-5678" not in shown and "山田太郎" not in shown and "[PHONE]" in shown
    request = RequestFactory().post("/admin/conversations/inboundevent/")
    request.user = admin_user
    request._messages = _Messages()
    retry_events(model_admin, request, InboundEvent.objects.filter(pk=event.pk))
    event.refresh_from_db()
    assert (event.given_up_at, event.attempts, event.lease_until) == (None, 0, None)
    assert sent == [event.pk]  # queued at once (and beat would find it too)


class _Messages(list):
    def add(self, level, message, extra_tags=""):
        self.append(message)
