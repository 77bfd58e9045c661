"""One definition of "unanswered": the dashboard and the editors' admin page count the same questions."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.models import AnswerLog, Conversation, Membership, Message, Resident
from dashboard import metrics
from dashboard.metrics import Filters
from faq.models import LearnedPhrasing

pytestmark = pytest.mark.django_db


def log(city, query, decision, reason="", *, conversation=None, feedback="", kind="text", minutes=0):
    message = None
    if conversation is not None:
        message = Message.objects.create(
            conversation=conversation, direction="in", sender="resident", text=query, kind=kind
        )
    entry = AnswerLog.objects.create(
        municipality=city,
        conversation=conversation,
        message=message,
        query=query,
        decision=decision,
        reason=reason,
        feedback=feedback,
        language="ja",
    )
    AnswerLog.objects.filter(pk=entry.pk).update(created_at=timezone.now() - timedelta(minutes=60 - minutes))
    return entry


@pytest.fixture
def mixed(municipality):
    city = municipality
    resident = Resident.objects.create(municipality=city, channel="web", channel_user_id="r1")
    picked = Conversation.objects.create(municipality=city, resident=resident)
    abandoned = Conversation.objects.create(municipality=city, resident=resident)
    none_of_these = Conversation.objects.create(municipality=city, resident=resident)
    log(city, "犬の登録はどこで", "handoff", "low_confidence", minutes=1)
    log(city, "電話番号は090-1234-5678です", "handoff", "low_confidence", minutes=2)  # masked
    log(city, "人と話したい", "handoff", "asked_for_person", minutes=3)  # not a content gap
    log(city, "", "ask_back", "empty", minutes=4)  # empty
    log(city, "ソファの捨て方", "answer", "confident", feedback="unhelpful", minutes=5)
    log(city, "粗大ごみの日", "answer", "confident", feedback="helpful", minutes=6)
    log(city, "税金について", "ask_back", "close_candidates", conversation=abandoned, minutes=7)
    log(city, "保育園の申し込み", "ask_back", "close_candidates", conversation=picked, minutes=8)
    log(city, "保育園の申込方法", "answer", "picked", conversation=picked, kind="postback", minutes=9)
    log(city, "マイナンバーカードをなくした", "ask_back", "close_candidates", conversation=none_of_these, minutes=10)
    log(city, "どれでもない", "handoff", "low_confidence", conversation=none_of_these, kind="postback", minutes=11)
    return city


def test_the_dashboard_and_the_admin_page_count_the_same_questions(mixed, client, staff_user):
    today = timezone.localdate()
    on_dashboard = Counter(
        text for text, _lang in metrics.unanswered_questions(Filters(mixed, today - timedelta(days=1), today))
    )
    client.force_login(staff_user(mixed, Membership.Role.EDITOR))
    gaps = client.get("/admin/faq/faq/unanswered/", {"days": 7}).context["gaps"]
    on_admin_page = Counter({text: n for gap in gaps for text, n in gap.texts.items()})
    assert on_dashboard == on_admin_page
    assert on_dashboard == Counter(
        {
            "犬の登録はどこで": 1,
            "電話番号は[PHONE]です": 1,
            "ソファの捨て方": 1,
            "税金について": 1,  # asked back, nothing picked
            "マイナンバーカードをなくした": 1,  # the typed question behind "none of these", once
        }
    )


def test_an_editor_links_a_question_to_an_entry_and_it_leaves_the_list(mixed, client, staff_user, make_faq):
    dog = make_faq(mixed, "犬の登録はどうすればよいですか。", "保健所で登録します。", external_id="inu-001")
    client.force_login(staff_user(mixed, Membership.Role.EDITOR))
    [gap] = [g for g in client.get("/admin/faq/faq/unanswered/").context["gaps"] if g.question == "犬の登録はどこで"]
    response = client.post(
        "/admin/faq/faq/unanswered/link/",
        {"municipality": mixed.pk, "external_id": "inu-001", "log": gap.log_ids},
    )
    assert response.status_code == 302
    phrasing = LearnedPhrasing.objects.get(faq=dog)
    assert phrasing.text == "犬の登録はどこで" and phrasing.status == LearnedPhrasing.Status.APPROVED
    assert list(phrasing.sightings.values_list("source", flat=True)) == ["editor"]
    questions = [g.question for g in client.get("/admin/faq/faq/unanswered/").context["gaps"]]
    assert "犬の登録はどこで" not in questions
    today = timezone.localdate()
    on_dashboard = [
        text for text, _lang in metrics.unanswered_questions(Filters(mixed, today - timedelta(days=1), today))
    ]
    assert "犬の登録はどこで" not in on_dashboard


def test_staff_may_not_link_and_an_unknown_entry_changes_nothing(mixed, client, staff_user):
    client.force_login(staff_user(mixed, Membership.Role.STAFF))
    ids = list(AnswerLog.objects.values_list("pk", flat=True))
    assert (
        client.post(
            "/admin/faq/faq/unanswered/link/", {"municipality": mixed.pk, "external_id": "x", "log": ids}
        ).status_code
        == 403
    )
    client.force_login(staff_user(mixed, Membership.Role.EDITOR, username="editor2"))
    client.post("/admin/faq/faq/unanswered/link/", {"municipality": mixed.pk, "external_id": "nope", "log": ids})
    assert not AnswerLog.objects.filter(handled_at__isnull=False).exists()
    assert not LearnedPhrasing.objects.exists()
