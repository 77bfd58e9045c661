"""Why a model call failed, in words an operator can act on: the real client against the fake
OpenAI-compatible server on loopback, answering as llama.cpp, llama-cpp-python and Ollama do."""

from __future__ import annotations

import logging

import pytest

from llm import client, problems
from llm.models import ModelReport
from tests.fakes.openai_api import FakeOpenAI, Reply, configure

MESSAGES = [{"role": "user", "content": "粗大ごみの出し方"}]


@pytest.fixture
def api(settings, db):
    with FakeOpenAI() as fake:
        configure(settings, fake)
        yield fake


def fail(api, reply: Reply, **kwargs) -> client.LLMError:
    api.script(reply)
    with pytest.raises(client.LLMError) as raised:
        client.complete(MESSAGES, **kwargs)
    return raised.value


def test_a_context_too_small_is_named_with_its_sizes_and_the_flag_to_change(api, caplog):
    caplog.set_level(logging.WARNING, logger="llm.client")
    error = fail(api, Reply.context_error(2048, 4281), max_tokens=700)
    assert error.kind == problems.CONTEXT and error.status == 400
    assert "2,048" in error.advice and "4,281" in error.advice
    assert "-c 8192" in error.advice and "--n_ctx 8192" in error.advice and "OLLAMA_CONTEXT_LENGTH" in error.advice
    assert "maximum context length is 2048" in error.advice  # the server's own words are kept
    assert "context_length" in caplog.text and "4,281" in caplog.text  # the log line an operator reads
    report = ModelReport.objects.get()
    assert (report.source, report.problem, report.ok, report.count) == ("call", problems.CONTEXT, False, 1)
    assert report.advice == error.advice


def test_llama_server_wording_is_understood_too(api):
    error = fail(api, Reply.llama_server_context_error(n_ctx=4096, n_prompt_tokens=6100))
    assert error.kind == problems.CONTEXT
    assert "4,096" in error.advice and "6,100" in error.advice and "-c 8192" in error.advice


def test_the_same_failure_again_counts_on_one_row(api):
    for _ in range(3):
        fail(api, Reply.context_error())
    assert ModelReport.objects.get().count == 3
    fail(api, Reply.server_error())
    assert ModelReport.objects.count() == 2


def test_a_refused_key_names_the_setting(api, settings):
    api.api_key = "the-right-key"
    with pytest.raises(client.LLMError) as raised:
        client.complete(MESSAGES)
    assert raised.value.kind == problems.AUTH and "OPENAI_API_KEY" in raised.value.advice
    assert "Incorrect API key" in raised.value.advice


def test_an_unknown_model_names_the_setting(api):
    error = fail(api, Reply.model_not_found())
    assert error.kind == problems.MODEL_NOT_FOUND
    assert "OPENAI_MODEL" in error.advice and '"fake-model"' in error.advice and "pull" in error.advice


def test_a_server_that_is_not_there(settings, db):
    settings.OPENAI_BASE_URL, settings.OPENAI_MODEL, settings.OPENAI_API_KEY = "http://127.0.0.1:9/v1", "m", ""
    with pytest.raises(client.LLMError) as raised:
        client.complete(MESSAGES)
    assert raised.value.kind == problems.UNREACHABLE
    assert "127.0.0.1:9" in raised.value.advice and "OPENAI_BASE_URL" in raised.value.advice


def test_a_timeout_says_what_a_cpu_model_needs(api, settings):
    settings.OPENAI_TIMEOUT = 0.3
    error = fail(api, Reply.slow("遅い", delay=3))
    assert isinstance(error, client.LLMTimeout) and error.kind == problems.TIMEOUT
    assert "OPENAI_TIMEOUT" in error.advice and "0.3" in error.advice
    assert ModelReport.objects.get().problem == problems.TIMEOUT


def test_a_reply_cut_off_at_the_cap_is_marked_and_timed(api):
    api.script(Reply.cut_off("粗大ごみは予約制です。受付センターに"))
    completion = client.complete(MESSAGES, max_tokens=5)
    assert completion.cut_off and completion.latency_ms > 0
    assert api.calls[0].body["max_tokens"] == 5


@pytest.mark.parametrize(
    ("status", "text", "kind"),
    [
        (
            400,
            "This model's maximum context length is 8192 tokens. However, your request has 9000 input tokens.",
            "context_length",
        ),
        (400, "prompt is too long: 210000 tokens > 200000 maximum", "context_length"),
        (403, "Access denied due to invalid subscription key", "auth"),
        (404, "The API deployment for this resource does not exist.", "model_not_found"),
        (404, "Not Found", "wrong_path"),  # a base URL without /v1: no model is named
        (429, "Rate limit reached", "rate_limit"),
        (503, "Service Unavailable", "server_error"),
        (400, "Unsupported parameter: 'max_tokens' is not supported with this model.", "bad_request"),
    ],
)
def test_server_words_become_kinds(status, text, kind):
    found = problems.from_status(status, text, model="gpt-x", max_tokens=700)
    assert found.kind == kind
    assert found.advice and text[:40] in found.advice


def test_suggested_context_is_a_power_of_two_with_room():
    assert problems.suggested_context(100) == 4096
    assert problems.suggested_context(5000) == 8192
    assert problems.suggested_context(20000) == 32768


def test_operators_read_the_reason_in_the_admin(api, admin_client):
    fail(api, Reply.context_error(2048, 4281))
    fail(api, Reply.context_error(2048, 4281))
    page = admin_client.get("/admin/llm/modelreport/").content.decode()
    assert "context_length" in page and "2,048" in page and "4,281" in page
    report = ModelReport.objects.get()
    assert report.count == 2
    detail = admin_client.get(f"/admin/llm/modelreport/{report.pk}/change/")
    assert detail.status_code == 200 and "OLLAMA_CONTEXT_LENGTH" in detail.content.decode()
