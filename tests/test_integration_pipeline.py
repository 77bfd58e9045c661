"""The whole path with real parts: web API -> Redis broker -> a real Celery worker -> reply stored."""

import json

import pytest

from chatbot.tasks import process_event
from conversations.models import InboundEvent, Message
from tests.conftest import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def faq(municipality, make_faq):
    return make_faq(municipality, "粗大ごみの出し方", "粗大ごみは予約制です。", alt_questions=["ソファを捨てたい"])


def test_web_message_answered_by_a_real_worker(client, faq, celery_worker):
    celery_worker()
    token = client.post("/api/web/mihon/session").json()["token"]
    response = client.post(
        "/api/web/mihon/messages",
        json.dumps({"token": token, "text": "ソファを捨てたい"}),
        content_type="application/json",
    )
    assert response.status_code == 202
    reply = wait_until(lambda: Message.objects.filter(direction="out", delivery="sent").first())
    assert reply.text == "粗大ごみは予約制です。"
    event = InboundEvent.objects.get()
    assert wait_until(lambda: InboundEvent.objects.filter(pk=event.pk, processed_at__isnull=False).exists())


def test_same_event_queued_twice_replies_once(faq, celery_worker):
    worker = celery_worker()
    event = InboundEvent.objects.create(
        municipality=faq.municipality,
        channel="web",
        channel_event_id="dup",
        payload={"user": "u" * 40, "text": "ソファを捨てたい", "postback": None, "language": ""},
    )
    for _ in range(3):
        process_event.delay(event.pk)
    wait_until(lambda: InboundEvent.objects.filter(pk=event.pk, processed_at__isnull=False).exists())
    # all three deliveries of the task have run (one processed it, the others found it done or leased)
    wait_until(lambda: worker.output().count("succeeded in") >= 3)
    assert Message.objects.filter(direction="out").count() == 1
