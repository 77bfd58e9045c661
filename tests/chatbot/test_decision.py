"""Answer / ask back / hand off from calibrated scores, with per-municipality thresholds."""

from __future__ import annotations

from chatbot import decision
from chatbot.decision import Thresholds, decide, distinct_choices
from faq.retrieval import Candidate


def test_answer_needs_both_threshold_and_margin():
    t = Thresholds.for_values(0.6, 0.1)
    assert decide([0.8, 0.3], t) == "answer"
    assert decide([0.8], t) == "answer"
    assert decide([0.8, 0.75], t) == "ask_back"  # close candidates
    assert decide([0.5, 0.1], t) == "ask_back"  # plausible but not sure
    assert decide([0.2, 0.1], t) == "handoff"  # low confidence
    assert decide([], t) == "handoff"


def test_municipality_values_override_the_defaults(municipality):
    assert Thresholds.for_municipality(municipality) == Thresholds.for_values()
    assert Thresholds.for_values().answer == decision.DEFAULT_THRESHOLD
    municipality.answer_threshold, municipality.answer_margin = 0.9, 0.0
    t = Thresholds.for_municipality(municipality)
    assert (t.answer, t.margin) == (0.9, 0.0)
    assert decide([0.85, 0.1], t) == "ask_back"
    municipality.answer_threshold = 0.0  # zero is a value, not "empty"
    assert Thresholds.for_municipality(municipality).answer == 0.0


def test_a_low_calibrated_threshold_lowers_the_ask_back_floor():
    t = Thresholds.for_values(0.15, 0.0)
    assert t.ask_back_floor == 0.15
    assert decide([0.2, 0.1], t) == "answer"
    assert decide([0.1], t) == "handoff"


def test_ask_back_choices_are_distinct_and_never_a_bare_heading():
    def candidate(i, title, kind="faq", text="本文" * 30):
        return Candidate(kind=kind, id=i, external_id=f"e{i}", title=title, text=text, url="", score=0.5)

    candidates = [
        candidate(1, "粗大ごみの出し方を教えてください。"),
        candidate(2, "粗大ごみの出し方を教えてください"),  # the same question from another department
        candidate(3, "粗大ごみ", kind="chunk", text="粗大ごみ"),  # a page heading, nothing to read
        candidate(4, "粗大ごみの手数料はいくらですか。"),
        candidate(5, "粗大ごみを持ち込むことはできますか。"),
        candidate(6, "家電の捨て方"),
    ]
    assert [c.id for c in distinct_choices(candidates)] == [1, 4, 5]
