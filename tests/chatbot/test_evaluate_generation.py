"""evaluate scores a generated answer by the passages it cites, and reports the model apart from retrieval.

The real engine and client against the fake OpenAI-compatible server on loopback.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import call_command

from chatbot import evaluation
from chatbot.evaluation import Outcome, Query
from tests.fakes.openai_api import FakeOpenAI, Reply, configure

GOMI = (
    "粗大ごみは予約制です。粗大ごみ受付センターに電話で申し込んでください。"
    "受付時間は平日8時30分から17時15分までです。手数料は1点300円です。"
)
JUMIN = "市民課の窓口で1通300円です。"
GOMI_QUESTION = "粗大ごみの出し方を教えてください"


@pytest.fixture
def city(municipality, make_faq):
    make_faq(
        municipality, "粗大ごみの出し方を教えてください", GOMI, external_id="gomi", alt_questions=["家具を捨てたい"]
    )
    make_faq(municipality, "住民票の写しはどこで取れますか", JUMIN, external_id="jumin")
    make_faq(municipality, "犬の登録はどこでできますか", "犬の登録は保健所で行います。", external_id="inu")
    municipality.answer_threshold = 0.999  # nothing is confident: the model answers or nobody does
    municipality.answer_margin = 0.99
    municipality.save()
    return municipality


@pytest.fixture
def api(settings):
    with FakeOpenAI() as fake:
        configure(settings, fake)
        yield fake


PASSAGE = re.compile(r"<<<資料 (\d+) \w+>>>\n見出し: (.*?)\n(.*?)。", re.S)


def cite(right: bool):
    """A model that answers with the first sentence of a passage, citing it: the right entry's, or another's."""

    def reply(body):
        passages = PASSAGE.findall(body["messages"][1]["content"])
        number, _heading, sentence = next(p for p in passages if (p[1] == GOMI_QUESTION) == right)
        return f"{sentence}。[{number}]"

    return reply


def test_a_generated_answer_is_scored_by_the_passage_it_cites(city, api, tmp_path, settings):
    settings.LLM_PASSAGE_FLOOR = 0.0  # every candidate goes to the model, the wrong entries too
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        "\n".join(
            json.dumps(row, ensure_ascii=False)
            for row in [
                {"id": "right", "query": "大きな家具を処分したいのですが受付時間は？", "relevant": {"gomi": 2}},
                {"id": "wrong", "query": "古い家具を処分したいのですが受付時間は？", "relevant": {"gomi": 2}},
                {"id": "slow", "query": "家具を処分したいのですが受付時間は？", "relevant": {"gomi": 2}},
            ]
        ),
        encoding="utf-8",
    )
    api.script(
        cite(right=True),
        # the top hit is the right entry, but the answer comes from (and cites) the other one
        cite(right=False),
        Reply.unanswerable(),
    )
    out = io.StringIO()
    output = tmp_path / "lines.jsonl"
    call_command("evaluate", "--municipality", city.slug, str(queries), "--output", str(output), stdout=out)
    result = json.loads(out.getvalue())
    lines = {line["id"]: line for line in map(json.loads, output.read_text(encoding="utf-8").splitlines())}
    assert lines["right"]["cited"] == ["gomi"] and lines["right"]["model_outcome"] == "accepted"
    assert lines["wrong"]["cited"] in (["jumin"], ["inu"]) and lines["wrong"]["top"][0] == "gomi"
    assert lines["slow"]["model_outcome"] == "unanswerable" and "cited" not in lines["slow"]
    assert result["answered_share"] == round(2 / 3, 4)
    assert result["answered_precision"] == 0.5  # the wrong citation counts against it, whatever the top hit
    assert result["model"]["calls"] == 3 and result["model"]["accepted"] == 2
    assert result["model"]["acceptance"] == round(2 / 3, 4)
    assert result["model"]["outcomes"] == {"accepted": 2, "unanswerable": 1}
    assert result["model"]["generated_precision"] == 0.5
    assert result["model"]["latency_ms_p50"] > 0


def test_retrieval_latency_leaves_the_models_time_out():
    query = Query("q", "x", {"a": 2})
    slow = Outcome(
        query,
        "ja",
        ["a"],
        [0.5],
        "answer",
        "generated",
        "a",
        latency_ms=5000.0,
        cited=["a"],
        model_outcome="accepted",
        model_latency_ms=4900.0,
    )
    result = evaluation.summarise([slow])
    assert result["latency_ms_p50"] == 100.0
    assert evaluation.model_summary([slow])["latency_ms_p50"] == 4900.0


def test_without_a_model_there_is_no_model_section(city, tmp_path):
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        json.dumps({"query": "大きな家具を処分したいのですが", "relevant": {"gomi": 2}}), encoding="utf-8"
    )
    out = io.StringIO()
    call_command("evaluate", "--municipality", city.slug, str(queries), stdout=out)
    assert "model" not in json.loads(out.getvalue())
