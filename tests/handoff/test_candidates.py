"""Which of the bot's candidates staff see, and where a hand-off is routed (issue 16)."""

from __future__ import annotations

import pytest

from conversations.models import AnswerLog, Conversation, Resident
from faq.retrieval import PLAUSIBLE
from handoff import candidates, services
from handoff.models import Ticket

from .conftest import conversation_of, jst


def guess(title: str, score: float, *, id: int = 1, kind: str = "faq") -> dict:
    return {"kind": kind, "id": id, "external_id": f"f-{id}", "title": title, "score": score}


def conversation(municipality, user: str = "r1") -> Conversation:
    resident = Resident.objects.create(municipality=municipality, channel="web", channel_user_id=user, language="ja")
    return Conversation.objects.create(municipality=municipality, resident=resident)


def test_staff_see_only_plausible_candidates_each_question_once(municipality):
    found = [
        guess("住民票の写しの請求", 0.62, id=1),
        guess("住民票の写しの請求。", 0.55, id=2),  # the same question, another department's entry
        guess("住民票の写しの請求", 0.50, id=7, kind="chunk"),  # and the homepage's passage of it
        guess("印鑑登録証明書", 0.31, id=3),
        guess("戸籍謄本", PLAUSIBLE, id=4),
        guess("釣り場の案内", 0.04, id=5),
        guess("市民課の窓口", 0.01, id=6),
    ]
    shown = candidates.plausible(found, municipality)
    assert [c["id"] for c in shown] == [1, 3, 4]
    assert candidates.plausible(found, municipality, limit=2) == shown[:2]
    assert candidates.plausible([guess("x", 0.04), "not a dict", None], municipality) == []


def test_a_city_calibrated_below_the_floor_shows_what_it_would_answer_with(municipality):
    municipality.answer_threshold = 0.2  # manage.py calibrate: answers from 0.2
    found = [guess("住民票", 0.21, id=1), guess("戸籍", 0.12, id=2)]
    assert [c["id"] for c in candidates.plausible(found, municipality)] == [1]


@pytest.mark.parametrize(
    ("best", "department"),
    [(0.04, ""), (PLAUSIBLE - 0.001, ""), (PLAUSIBLE, "市民課"), (0.9, "市民課")],
)
def test_a_ticket_is_routed_only_on_a_plausible_best_candidate(municipality, best, department):
    ticket = services.open_ticket(
        conversation(municipality),
        Ticket.Reason.LOW_CONFIDENCE,
        question="川で釣りをしてもいいですか",
        candidates=[guess("住民票の写しの請求", best), guess("釣り", 0.01, id=2)],
        department="市民課",
    )
    assert ticket.department == department
    assert len(ticket.candidates) == 2  # every candidate is kept for calibration; only the display is filtered


def test_a_department_chosen_without_candidates_is_kept(municipality):
    ticket = services.open_ticket(conversation(municipality), Ticket.Reason.ASKED_FOR_PERSON, department="税務課")
    assert ticket.department == "税務課"


@pytest.fixture
def city(municipality, make_faq, settings):
    settings.FAQ_INDEX_CHECK_SECONDS = 0  # tests reuse ids: the index must see each test's entries
    make_faq(
        municipality,
        "住民票の写しを取りたい。",
        "市民課の窓口で1通300円で取れます。",
        department="市民課",
        alt_questions=["住民票がほしい"],
    )
    make_faq(municipality, "粗大ごみの出し方を教えてください。", "予約制です。", department="ごみ減量推進課")
    make_faq(municipality, "児童手当はいつ支給されますか。", "偶数月です。", department="子育て支援課")
    return municipality


def test_through_the_engine_a_fishing_question_is_not_routed_to_the_best_weak_candidates_department(
    city, send, fixed_now
):
    fixed_now(jst(2026, 7, 15, 10, 0))
    send("川で魚釣りをしてもいいですか。釣り竿の許可はいりますか。", user="fisher")
    ticket = Ticket.objects.get(conversation=conversation_of("fisher"))
    [log] = AnswerLog.objects.filter(conversation=ticket.conversation)
    best = log.candidates[0]
    assert best["title"] == "住民票の写しを取りたい。" and best["score"] < PLAUSIBLE  # 市民課's entry, weakly
    assert ticket.department == ""
    assert candidates.plausible(ticket.candidates, city) == []
