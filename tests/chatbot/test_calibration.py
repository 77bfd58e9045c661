"""calibrate --from-logs: a city's thresholds from its residents' and staff's labels, reviewed before they apply."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from chatbot import calibration
from conversations.models import AnswerLog, Conversation, Membership, Resident


def candidates(first: int, first_score: float, second_score: float) -> list[dict]:
    return [
        {"kind": "faq", "id": first, "external_id": f"e{first}", "title": "t", "score": first_score},
        {"kind": "faq", "id": first + 1000, "external_id": "other", "title": "t", "score": second_score},
    ]


@pytest.fixture
def labelled(municipality, make_faq):
    """40 labels: confident answers rated helpful (high scores), weak ones rated unhelpful, and picks."""
    entries = [make_faq(municipality, f"質問{i}", "答え", external_id=f"e{i}") for i in range(4)]
    resident = Resident.objects.create(municipality=municipality, channel="web", channel_user_id="r")
    for n in range(15):
        faq = entries[n % 4]
        AnswerLog.objects.create(
            municipality=municipality, query=f"q{n}", decision="answer", reason="confident", answered_faq=faq,
            candidates=candidates(faq.pk, 0.9, 0.1), feedback="helpful",
        )  # fmt: skip
    for n in range(15):
        faq = entries[n % 4]
        AnswerLog.objects.create(
            municipality=municipality, query=f"w{n}", decision="answer", reason="confident", answered_faq=faq,
            candidates=candidates(faq.pk, 0.55, 0.3), feedback="unhelpful",
        )  # fmt: skip
    for n in range(10):  # asked back, then the resident picked the second candidate
        conversation = Conversation.objects.create(municipality=municipality, resident=resident)
        faq = entries[n % 4]
        AnswerLog.objects.create(
            municipality=municipality, conversation=conversation, query=f"a{n}", decision="ask_back",
            reason="close_candidates", candidates=[*candidates(9999, 0.45, 0.4)[:1], *candidates(faq.pk, 0.4, 0)[:1]],
        )  # fmt: skip
        AnswerLog.objects.create(
            municipality=municipality, conversation=conversation, query=f"a{n}", decision="answer",
            reason="picked", answered_faq=faq, candidates=candidates(faq.pk, 1.0, 0)[:1],
        )  # fmt: skip
    return municipality


def test_labels_come_from_picks_and_ratings(labelled):
    labels = calibration.labels_from_logs(labelled)
    assert (labels.picks, labels.ratings, len(labels.outcomes)) == (10, 30, 40)


def test_calibrate_from_logs_prints_and_saves_the_thresholds_the_labels_support(labelled):
    out = io.StringIO()
    call_command("calibrate", "--municipality", "mihon", "--from-logs", "--save", stdout=out)
    result = json.loads(out.getvalue())
    assert result["met"] and result["saved"] and result["labelled"] == 40
    assert 0.55 < result["answer_threshold"] <= 0.9  # above the unhelpful answers, at or below the helpful ones
    assert result["answered_precision"] == 1.0
    labelled.refresh_from_db()
    assert labelled.answer_threshold == result["answer_threshold"]


def test_too_few_labels_change_nothing(municipality):
    with pytest.raises(CommandError, match="fewer than 30 labels"):
        call_command("calibrate", "--municipality", "mihon", "--from-logs", stdout=io.StringIO())


def test_a_city_admin_sees_the_proposal_before_applying_it(labelled, client, staff_user):
    client.force_login(staff_user(labelled, Membership.Role.CITY_ADMIN))
    url = f"/admin/conversations/municipality/{labelled.pk}/calibrate/"
    assert "/calibrate/" in client.get(f"/admin/conversations/municipality/{labelled.pk}/change/").content.decode()
    page = client.get(url)
    assert page.status_code == 200 and page.context["proposal"]["labelled"] == 40
    labelled.refresh_from_db()
    assert labelled.answer_threshold is None  # looking changes nothing
    client.post(url)
    labelled.refresh_from_db()
    assert labelled.answer_threshold == page.context["proposal"]["answer_threshold"]


def test_staff_may_not_calibrate(labelled, client, staff_user):
    client.force_login(staff_user(labelled, Membership.Role.STAFF))
    assert client.post(f"/admin/conversations/municipality/{labelled.pk}/calibrate/").status_code in (302, 403)
    labelled.refresh_from_db()
    assert labelled.answer_threshold is None
