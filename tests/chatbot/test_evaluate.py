"""manage.py evaluate / calibrate: the metric maths on a hand-computed example, files, command output."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from chatbot import evaluation
from chatbot.decision import Thresholds
from chatbot.evaluation import Outcome, Query
from faq import retrieval

KEYS = {
    "hit@1",
    "hit@3",
    "recall@10",
    "mrr@10",
    "answered_share",
    "answered_precision",
    "handoff_on_unanswerable",
    "latency_ms_p50",
    "latency_ms_p95",
    "answered_wrong_rate",
    "self_resolved",
}


def outcome(qid, relevant, top, decision, scores=None, latency=10.0, reason=None):
    reasons = {"answer": "confident", "ask_back": "close_candidates", "handoff": "low_confidence"}
    return Outcome(
        query=Query(qid, f"query {qid}", relevant),
        language="ja",
        top=top,
        scores=scores or [0.5] * len(top),
        decision=decision,
        reason=reason or reasons[decision],
        answered=top[0] if decision == "answer" else None,
        latency_ms=latency,
    )


def test_metrics_on_a_hand_computed_example():
    outcomes = [
        outcome("q1", {"a": 2, "b": 1}, ["a", "c", "x"], "answer", latency=10),  # right answer; b missed
        outcome("q2", {"d": 2}, ["c", "e", "d"], "ask_back", latency=20),  # grade-2 at rank 3
        outcome("q3", {"e": 1}, ["e", "a"], "answer", latency=30),  # only a related entry: a wrong answer
        outcome("q4", {}, ["a"], "handoff", latency=40),  # unanswerable, handed off
        outcome("q5", {}, ["b"], "answer", latency=50),  # unanswerable, answered anyway
    ]
    result = evaluation.summarise(outcomes)
    assert result["queries"] == 5
    assert result["hit@1"] == 0.5  # q1 yes, q2 no (q3 has no grade-2 entry)
    assert result["hit@3"] == 1.0
    assert result["mrr@10"] == round((1 + 1 / 3) / 2, 4)
    assert result["recall@10"] == round((0.5 + 1 + 1) / 3, 4)
    assert result["answered_share"] == 0.6
    assert result["answered_precision"] == round(1 / 3, 4)
    assert result["handoff_on_unanswerable"] == 0.5
    assert result["latency_ms_p50"] == 30.0
    assert result["latency_ms_p95"] == 48.0
    assert result.keys() >= KEYS


def test_what_residents_with_an_answerable_question_live_through():
    outcomes = [
        outcome("q1", {"a": 2}, ["a", "b"], "answer"),  # right answer
        outcome("q2", {"a": 2}, ["b", "a"], "answer"),  # wrong answer given with confidence
        outcome("q3", {"a": 2}, ["b", "c", "a", "d"], "ask_back"),  # the right one among the three choices
        outcome("q4", {"a": 2}, ["b", "c", "d", "a"], "ask_back"),  # not among the choices
        outcome("q5", {"a": 2}, ["a"], "handoff"),  # handed off
        outcome("q6", {"e": 1}, ["e"], "answer"),  # no right answer exists: not counted in either
        outcome("q7", {}, ["e"], "answer"),
    ]
    result = evaluation.summarise(outcomes)
    assert result["answered_wrong_rate"] == round(1 / 5, 4)
    assert result["self_resolved"] == round(2 / 5, 4)


def test_no_answers_and_no_unanswerable_queries_give_null_not_zero():
    result = evaluation.summarise([outcome("q1", {"a": 2}, ["b", "a"], "handoff")])
    assert result["answered_precision"] is None
    assert result["handoff_on_unanswerable"] is None
    assert result["answered_share"] == 0.0
    assert result["mrr@10"] == 0.5


def test_ungraded_ordinary_questions_count_only_as_false_alarms_not_as_wrong_answers():
    ungraded = outcome("o1", {}, ["a"], "answer")
    ungraded.query.expect = "ordinary"
    result = evaluation.summarise([outcome("q1", {"a": 2}, ["a"], "answer"), ungraded])
    assert result["queries"] == 2
    assert result["answered_precision"] == 1.0  # the ungraded answer is neither right nor wrong
    assert result["answered_share"] == 1.0
    assert result["handoff_on_unanswerable"] is None


def test_choose_thresholds_maximises_answers_at_the_target_precision():
    outcomes = [
        outcome("o1", {"a": 2}, ["a", "b"], "answer", scores=[0.9, 0.1]),
        outcome("o2", {"a": 2}, ["a", "b"], "answer", scores=[0.72, 0.6]),
        outcome("o3", {"a": 2}, ["b", "a"], "answer", scores=[0.65, 0.2]),
        outcome("o4", {"a": 2}, ["a", "b"], "answer", scores=[0.5, 0.1]),
        outcome("o5", {}, ["b", "a"], "answer", scores=[0.3, 0.25]),
    ]
    grid = {"thresholds": [0.3, 0.5, 0.6, 0.7, 0.8], "margins": [0.0, 0.05, 0.2]}
    strict = evaluation.choose_thresholds(outcomes, 1.0, **grid)
    assert (strict.threshold, strict.margin, strict.met) == (0.7, 0.05, True)
    assert (strict.answered_share, strict.answered_precision) == (0.4, 1.0)
    loose = evaluation.choose_thresholds(outcomes, 0.75, **grid)
    assert (loose.threshold, loose.margin, loose.answered_share, loose.answered_precision) == (0.5, 0.05, 0.8, 0.75)
    # the chosen values reproduce the figures through the real decision rule
    decisions = evaluation.redecide(outcomes, Thresholds.for_values(loose.threshold, loose.margin))
    assert decisions == ["answer", "answer", "answer", "answer", "ask_back"]


def test_unreachable_target_is_reported():
    outcomes = [outcome("o1", {"a": 2}, ["b", "a"], "answer", scores=[0.9, 0.1])]
    choice = evaluation.choose_thresholds(outcomes, 0.9)
    assert choice.met is False


def test_handoff_triggers_keep_their_decision_when_redeciding():
    outcomes = [outcome("o1", {}, [], "handoff", scores=[], reason="sensitive")]
    assert evaluation.redecide(outcomes, Thresholds.for_values(0.0, 0.0)) == ["handoff"]


def test_query_files_globs_and_errors(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"id": "1", "query": "x", "relevant": {"f": 2}}\n\n', encoding="utf-8")
    (tmp_path / "b.jsonl").write_text('{"id": "1", "query": "y", "relevant": {}, "language": "en"}\n', encoding="utf-8")
    queries = evaluation.load_queries([str(tmp_path / "*.jsonl")])
    assert [(q.id, q.text, q.relevant, q.language) for q in queries] == [
        ("1", "x", {"f": 2}, None),
        ("b.jsonl:1", "y", {}, "en"),
    ]
    assert len(evaluation.load_queries([str(tmp_path)])) == 2
    (tmp_path / "bad.jsonl").write_text('{"id": "1", "query": "x", "relevant": {}}\n{oops\n', encoding="utf-8")
    with pytest.raises(evaluation.QueryFileError, match=r"bad\.jsonl:2"):
        evaluation.load_queries([str(tmp_path / "bad.jsonl")])
    with pytest.raises(evaluation.QueryFileError):
        evaluation.load_queries([str(tmp_path / "missing-*.jsonl")])


# --- the commands, on a small city ------------------------------------------------------------------


@pytest.fixture
def city(municipality, make_faq, settings):
    settings.FAQ_INDEX_CHECK_SECONDS = 0
    retrieval.registry.forget()
    make_faq(
        municipality,
        "粗大ごみの出し方を教えてください。",
        "粗大ごみは事前申込制です。受付センターに電話で申し込んでください。",
        external_id="gomi-001",
    )
    make_faq(
        municipality,
        "住民票の写しはどこで取れますか。",
        "市民課の窓口で請求できます。手数料は300円です。",
        external_id="koseki-001",
    )
    make_faq(
        municipality,
        "保育園の入園申込みはいつまでですか。",
        "4月入園の一次申込は11月30日までです。",
        external_id="kosodate-001",
    )
    yield municipality
    retrieval.registry.forget()


@pytest.fixture
def query_file(tmp_path):
    rows = [
        {"id": "q1", "query": "ソファを捨てたい 粗大ごみ", "relevant": {"gomi-001": 2}},
        {"id": "q2", "query": "住民票ほしい", "relevant": {"koseki-001": 2, "gomi-001": 1}},
        {
            "id": "q3",
            "query": "How do I apply for a nursery school?",
            "relevant": {"kosodate-001": 2},
            "language": "en",
        },
        {"id": "q4", "query": "今日の天気は？", "relevant": {}},
    ]
    path = tmp_path / "queries.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_evaluate_prints_one_json_object_and_writes_results(city, query_file, tmp_path):
    out = io.StringIO()
    results = tmp_path / "results.jsonl"
    call_command("evaluate", "--municipality", "mihon", str(query_file), "--output", str(results), stdout=out)
    figures = json.loads(out.getvalue())
    assert figures.keys() >= KEYS
    assert figures["queries"] == 4
    assert figures["hit@1"] == 1.0  # three clear questions in a three-entry city
    assert set(figures["by_language"]) == {"en", "ja"}
    lines = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["q1", "q2", "q3", "q4"]
    for line in lines:
        assert set(line) == {"id", "top", "decision", "reason", "answered"}
        assert line["reason"]  # why: confident, close_candidates, low_confidence, a trigger ...
        assert line["decision"] in {"answer", "ask_back", "handoff", "replied"}  # replied: the weather is not ours
        assert line["answered"] is None or line["answered"] == line["top"][0]
    assert lines[0]["top"][0] == "gomi-001"
    assert len(lines[0]["top"]) == 3


def test_evaluate_rejects_an_unknown_municipality(query_file, db):
    with pytest.raises(CommandError, match="no municipality"):
        call_command("evaluate", "--municipality", "nowhere", str(query_file), stdout=io.StringIO())


def test_calibrate_prints_and_saves_thresholds(city, query_file):
    out = io.StringIO()
    call_command("calibrate", "--municipality", "mihon", str(query_file), "--target-precision", "0.9", stdout=out)
    result = json.loads(out.getvalue())
    assert result["met"] is True and result["saved"] is False
    assert 0 < result["answer_threshold"] < 1 and 0 <= result["answer_margin"] <= 0.5
    assert result["answered_precision"] >= 0.9
    city.refresh_from_db()
    assert city.answer_threshold is None

    call_command(
        "calibrate", "--municipality", "mihon", str(query_file), "--target-precision", "0.9", "--save", stdout=out
    )
    city.refresh_from_db()
    assert city.answer_threshold == result["answer_threshold"]
    assert city.answer_margin == result["answer_margin"]
