"""Every model outcome is recorded on its AnswerLog and logged; only an accepted answer reaches a resident.

The real pipeline and the real OpenAI client against the fake server on loopback, which answers
with the bad output small local models give: cut-off replies, invented citations, prompt echoes,
"unanswerable", timeouts, a context-length error in llama.cpp's words, and a wrong opening time.
"""

from __future__ import annotations

import itertools
import logging

import pytest

from chatbot import pipeline
from chatbot.generation import facts
from conversations.models import AnswerLog, InboundEvent, Message, ModelOutcome
from tests.fakes.openai_api import FakeOpenAI, Reply, configure

ANSWER = (
    "粗大ごみは予約制です。粗大ごみ受付センターに電話で申し込んでください。"
    "受付時間は平日8時30分から17時15分までです。手数料は1点300円です。"
)
GOOD = "粗大ごみは予約制です[1]。受付時間は平日8時30分から17時15分までです[1]。"


@pytest.fixture
def city(municipality, make_faq):
    make_faq(
        municipality, "粗大ごみの出し方を教えてください", ANSWER, alt_questions=["ソファを捨てたい"], url="sodai.html"
    )
    make_faq(municipality, "住民票の写しはどこで取れますか", "市民課の窓口で1通300円です。", url="koseki.html")
    municipality.answer_threshold = 0.999  # nothing is confident: the model is the only way to answer
    municipality.answer_margin = 0.99
    municipality.save()
    return municipality


@pytest.fixture
def api(settings):
    with FakeOpenAI() as fake:
        configure(settings, fake)
        yield fake


_EVENTS = itertools.count(1)


def ask(city, text="大きな家具を処分したいのですが受付時間は？"):
    event = InboundEvent.objects.create(
        municipality=city,
        channel="web",
        channel_event_id=f"outcome-{next(_EVENTS)}",
        payload={"user": "u" * 40, "text": text, "postback": None, "language": ""},
    )
    pipeline.process_event(event.pk)
    return AnswerLog.objects.get(message__event=event)


def bot_text(log: AnswerLog) -> str:
    return "\n".join(m.text for m in Message.objects.filter(conversation=log.conversation, direction="out"))


def test_an_accepted_answer_records_outcome_tokens_and_latency(city, api):
    api.script(Reply(GOOD, usage={"prompt_tokens": 900, "completion_tokens": 60, "total_tokens": 960}))
    log = ask(city)
    assert (log.decision, log.reason, log.model_outcome) == ("answer", "generated", ModelOutcome.ACCEPTED)
    assert log.model_tokens == 960 and log.tokens >= 960
    assert log.model_latency_ms is not None and 0 < log.model_latency_ms < log.latency_ms
    assert "8時30分から17時15分" in bot_text(log)


BAD = [
    (Reply.cut_off("粗大ごみは予約制です[1]。受付時間は平日8時30分から"), ModelOutcome.CUT_OFF, "cut off at 700"),
    (Reply("粗大ごみは予約制です[7]。"), ModelOutcome.INVALID_CITATION, "do not exist"),
    (Reply("粗大ごみは予約制です。受付時間は平日8時30分からです。"), ModelOutcome.INVALID_CITATION, "no citation"),
    (Reply.unanswerable(), ModelOutcome.UNANSWERABLE, "unanswerable"),
    (Reply.context_error(2048, 4281), ModelOutcome.ERROR, "context_length"),
    (Reply.llama_server_context_error(), ModelOutcome.ERROR, "context_length"),
    (Reply.server_error(), ModelOutcome.ERROR, "server_error"),
    # the wrong opening time of the demo, with a valid citation: the passage says 8時30分から17時15分
    (Reply("粗大ごみの受付時間は9:00〜15:00です[1]。"), ModelOutcome.REFUSED, "unsourced_fact: 9:00, 15:00"),
    (Reply("粗大ごみの受付は平日9時から17時15分までです[1]。"), ModelOutcome.REFUSED, "unsourced_fact: 9時"),
    (Reply("粗大ごみの手数料は1点500円です[1]。"), ModelOutcome.REFUSED, "unsourced"),
    (Reply("粗大ごみは3日以内に予約してください[1]。"), ModelOutcome.REFUSED, "unsourced_fact: 3日"),
]


@pytest.mark.parametrize(("reply", "outcome", "detail"), BAD, ids=[f"{o}-{i}" for i, (_r, o, _d) in enumerate(BAD)])
def test_a_bad_reply_never_reaches_the_resident_and_is_recorded_and_logged(city, api, caplog, reply, outcome, detail):
    caplog.set_level(logging.INFO)
    api.script(reply)
    log = ask(city)
    assert log.decision in ("ask_back", "handoff") and log.reason != "generated"
    assert log.model_outcome == outcome and detail in log.model_detail, log.model_detail
    assert log.model_latency_ms is not None
    said = bot_text(log)
    assert "9:00" not in said and "500円" not in said and "[7]" not in said
    assert f"generated answer not sent: {outcome}" in caplog.text


def test_a_prompt_echo_is_recorded_as_a_leak(city, api):
    api.script(lambda body: body["messages"][0]["content"] + "\n[1]")  # a small model repeating its instructions
    log = ask(city)
    assert log.model_outcome == ModelOutcome.LEAK and log.decision != "answer"
    assert "規則" not in bot_text(log)


def test_a_timeout_is_recorded_with_what_to_do(city, api, settings, caplog):
    caplog.set_level(logging.INFO)
    settings.OPENAI_TIMEOUT = 0.3
    api.script(Reply.slow(GOOD, delay=3))
    log = ask(city)
    assert log.model_outcome == ModelOutcome.TIMEOUT and log.decision != "answer"
    assert log.model_latency_ms >= 300
    assert "OPENAI_TIMEOUT" in caplog.text


def test_no_call_no_outcome(city, settings):
    settings.OPENAI_MODEL = ""
    log = ask(city)
    assert log.model_outcome == "" and log.model_latency_ms is None and log.model_tokens == 0


def test_the_token_cap_is_a_setting(city, api, settings):
    settings.OPENAI_MAX_TOKENS = 321
    api.script(Reply(GOOD))
    ask(city)
    assert api.calls[0].body["max_tokens"] == 321


# --- facts, whatever their digit count -----------------------------------------------------------

SOURCE = (
    "粗大ごみ受付センター（電話 042-000-1202、平日8時30分から17時15分まで）。手数料は1通300円、3枚まで。"
    "令和8年4月1日から本町1丁目2番3号に移転します。燃やすごみは週2回、第2水曜日は資源ごみ。3日以内に連絡。"
)


@pytest.mark.parametrize(
    "answer",
    [
        "受付は8:30〜17:15です。",
        "受付は午前8時30分から午後5時15分まで。",
        "手数料は1通300円です。",
        "2026年4月1日から移転します。",
        "4/1から本町1-2-3です。",
        "週2回、第2水曜日。",
        "三日以内に連絡してください。",
        "電話は042-000-1202です。",
        "1. 予約する\n2. 処理券を買う",  # list numbers are layout, not facts
        "3枚までです[1]。",
    ],
)
def test_facts_from_the_passage_pass(answer):
    assert facts.unsourced(answer, SOURCE) == []


@pytest.mark.parametrize(
    ("answer", "missing"),
    [
        ("受付は9:00〜15:00です。", ["9:00", "15:00"]),
        ("受付は9時から。", ["9時"]),
        ("受付は8時から17時15分まで。", ["8時"]),
        ("手数料は1通500円です。", ["500円"]),
        ("手数料は1,000円です。", ["1000円"]),
        ("2027年4月1日から。", ["2027年4月1日"]),
        ("4月2日から。", ["4月2日"]),
        ("本町1丁目2番4号です。", ["1丁目2番4号"]),
        ("週3回です。", ["3回"]),
        ("第3水曜日です。", ["第3"]),
        ("5日以内に連絡。", ["5日"]),
        ("電話は042-000-1203です。", ["042-000-1203"]),
        ("番号は7番です。", ["7"]),
        ("50%引きです。", ["50%"]),
    ],
)
def test_facts_not_in_the_passage_are_named(answer, missing):
    assert facts.unsourced(answer, SOURCE) == missing
