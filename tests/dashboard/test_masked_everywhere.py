"""Personal data stays masked wherever a person reads resident text outside the conversation.

A resident writes their name, residence-card number, birth date, account number and a full-width
e-mail address. The bot cannot answer and hands off. Then every place staff, editors and admins
read that question is checked: the answer log (and its admin), the dashboard's unanswered list,
clusters and CSV, the editors' unanswered page, the FAQ draft made from the ticket, the inbound
event admin. (Application logs: tests/conversations/test_logmask.py.)
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from chatbot import pipeline
from conversations.models import AnswerLog, InboundEvent
from handoff import services
from handoff.models import Ticket

QUESTION = (
    "グエン・ヴァン・アンです。在留カード番号はAB12345678CD、生年月日は1990年4月5日、"
    "口座番号は3810472、メールは an＠example．com です。よく分からない件で相談したいです"
)
PERSONAL = ["グエン・ヴァン・アン", "AB12345678CD", "1990年4月5日", "3810472", "an＠example．com"]


@pytest.fixture
def handed_off(municipality, staff_user, django_capture_on_commit_callbacks):
    event = InboundEvent.objects.create(
        municipality=municipality,
        channel="web",
        channel_event_id="u:1",
        event_type="message",
        payload={"user": "u" * 40, "text": QUESTION, "postback": None, "language": "ja"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.process_event(event.pk)
    staff = staff_user(municipality)
    ticket = Ticket.objects.get()
    services.reply(ticket, staff, "グエン・ヴァン・アン様、窓口でご相談ください。")
    return ticket


def clean(text: str) -> bool:
    return not any(piece in text for piece in PERSONAL)


def test_the_answer_log_keeps_the_question_masked(handed_off):
    log = AnswerLog.objects.get()
    assert clean(log.query) and "[NAME]" in log.query and "[RESIDENCE_CARD]" in log.query


def test_the_dashboard_and_the_editors_page_show_it_masked(client, handed_off, municipality):
    cache.clear()
    admin = get_user_model().objects.create_superuser("root", "root@example.jp", "pw")
    client.force_login(admin)
    today = timezone.localdate()
    period = {"start": (today - timedelta(days=1)).isoformat(), "end": today.isoformat()}
    pages = [
        client.get(reverse("dashboard:unanswered", args=[municipality.slug]), period),
        client.get(reverse("dashboard:export", args=[municipality.slug, "unanswered"]), period),
        client.get(reverse("admin:conversations_answerlog_changelist")),
        client.get(reverse("admin:conversations_answerlog_change", args=[AnswerLog.objects.get().pk])),
        client.get(reverse("admin:conversations_inboundevent_changelist")),
        client.get(reverse("admin:conversations_inboundevent_change", args=[InboundEvent.objects.get().pk])),
    ]
    for page in pages:
        assert page.status_code == 200
        body = page.content.decode("utf-8")
        assert clean(body), page.request["PATH_INFO"]
    assert "よく分からない件で相談したいです" in pages[0].content.decode()  # the question itself is shown
    assert "[NAME]" in pages[5].content.decode() or "[NAME]" in json.dumps(pages[5].content.decode())


def test_the_faq_draft_made_from_the_ticket_is_masked(handed_off, staff_user, municipality):
    staff = get_user_model().objects.get(username=f"staff-{municipality.slug}")
    faq = services.make_faq_draft(handed_off, staff)
    assert clean(faq.question) and clean(faq.answer)
    assert "窓口でご相談ください" in faq.answer  # staff's words kept, the resident's name not
