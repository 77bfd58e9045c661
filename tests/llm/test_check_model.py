"""manage.py check_model and the model's line in /readyz, against the fake OpenAI-compatible server."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from chatbot.generation import probes
from llm import health
from llm.models import ModelReport
from tests.fakes.openai_api import FakeOpenAI, Reply, configure

CITED = "住民票の写しの手数料は1通300円です[2]。"


@pytest.fixture
def api(settings, db):
    with FakeOpenAI() as fake:
        configure(settings, fake, timeout=5.0)
        yield fake


def run(capsys) -> tuple[str, bool]:
    try:
        call_command("check_model")
        ok = True
    except CommandError:
        ok = False
    return capsys.readouterr().out, ok


def test_a_fit_model_passes_every_check(api, capsys, client):
    api.script(Reply("はい"), Reply("見出し1"), Reply(CITED))
    out, ok = run(capsys)
    assert ok, out
    assert "ok   answers" in out and "ok   context" in out and "ok   citations" in out
    largest = api.calls[1]
    assert largest.body["max_tokens"] == 700  # the real cap goes with the largest request
    assert sum(len(m["content"]) for m in largest.messages) > 5 * 1500  # every passage at full length
    assert "資料 5" in largest.text and "資料 6" not in largest.text
    report = ModelReport.objects.get()
    assert (
        report.source == "check"
        and report.ok
        and [s["name"] for s in report.details["steps"]]
        == [
            "answers",
            "context",
            "citations",
        ]
    )
    assert client.get("/readyz").json()["checks"]["model"].startswith("ok (checked ")


def test_a_context_too_small_fails_with_the_servers_sizes(api, capsys, client):
    api.script(Reply("はい"), Reply.context_error(2048, 19421), Reply(CITED))
    out, ok = run(capsys)
    assert not ok
    assert "FAIL context" in out and "19,421" in out and "-c 32768" in out and "LLM_MAX_PASSAGES" in out
    line = client.get("/readyz").json()["checks"]["model"]
    assert line.startswith("error: context_length:") and "2,048" in line


def test_a_smaller_prompt_is_a_setting(api, capsys, settings):
    settings.LLM_MAX_PASSAGES, settings.LLM_PASSAGE_CHARS, settings.MESSAGE_MAX_CHARS = 2, 300, 200
    api.script(Reply("はい"), Reply("見出し1"), Reply(CITED))
    run(capsys)
    largest = api.calls[1]
    assert "資料 2" in largest.text and "資料 3" not in largest.text
    assert sum(len(m["content"]) for m in largest.messages) < 3000


@pytest.mark.parametrize(
    ("reply", "detail"),
    [
        (Reply("住民票の写しの手数料は1通300円です。"), "invalid_citation"),  # no citation
        (Reply("住民票の写しの手数料は1通500円です[2]。"), "refused"),  # a wrong amount
        (Reply("粗大ごみは予約制です[1]。"), "cites the wrong passage"),
        (Reply.unanswerable(), "unanswerable"),
        (Reply.cut_off("住民票の写しの手数料は"), "cut_off"),
    ],
)
def test_a_model_that_cannot_cite_fails_the_probe(api, capsys, reply, detail):
    api.script(Reply("はい"), Reply("見出し1"), reply)
    out, ok = run(capsys)
    assert not ok and "FAIL citations" in out
    step = ModelReport.objects.get().details["steps"][-1]
    assert step["name"] == "citations" and not step["ok"]
    assert detail in step["detail"]


def test_a_server_that_does_not_answer_stops_the_check(api, capsys, settings):
    api.api_key = "another-key"
    out, ok = run(capsys)
    assert not ok and "FAIL answers" in out and "OPENAI_API_KEY" in out
    assert len(api.calls) == 1  # nothing more is asked of a server that refuses us


def test_a_slow_largest_request_is_a_failure(api, capsys, settings):
    settings.OPENAI_TIMEOUT = 0.5
    api.script(Reply("はい"), Reply.slow("見出し1", delay=3), Reply(CITED))
    out, ok = run(capsys)
    assert not ok and "FAIL context" in out and "OPENAI_TIMEOUT" in out


def test_readyz_reports_failed_calls_since_the_last_check(api, capsys, client):
    api.script(Reply("はい"), Reply("見出し1"), Reply(CITED))
    run(capsys)
    body = client.get("/readyz")
    assert body.status_code == 200 and body.json()["checks"]["model"].startswith("ok")
    api.script(Reply.context_error())  # a resident's question fails later
    from llm import client as llm_client  # noqa: PLC0415 (the module, not the test client fixture)

    with pytest.raises(llm_client.LLMError):
        llm_client.complete([{"role": "user", "content": "x"}])
    response = client.get("/readyz")
    assert response.status_code == 200  # the bot still answers from curated content
    assert response.json()["checks"]["model"].startswith("error: context_length (1x since the last check)")


def test_readyz_without_a_model_or_a_check(settings, db, client, api):
    assert client.get("/readyz").json()["checks"]["model"] == "not checked: run manage.py check_model"
    settings.OPENAI_MODEL = ""
    assert client.get("/readyz").json()["checks"]["model"].startswith("not configured")
    with pytest.raises(CommandError):
        call_command("check_model")


def test_the_bot_registers_its_probes():
    assert health._largest_prompt is probes.largest_prompt and health._citation_probe is probes.citation_probe
