"""What ``manage.py check_model`` asks a model on the bot's behalf (registered with ``llm.health`` at start-up).

- ``largest_prompt``: the grounded prompt at its longest: every passage (``LLM_MAX_PASSAGES``) at
  ``LLM_PASSAGE_CHARS``, the history at ``HISTORY_TURNS`` x ``HISTORY_TURN_CHARS``, a question of
  ``MESSAGE_MAX_CHARS``, in Japanese (the costliest script for most tokenisers).
- ``citation_probe``: a question whose answer is in passage 2 of two, answered through
  ``grounded_answer`` itself: the reply must cite, state only the passage's facts and pass every guard.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from faq.retrieval import Candidate
from llm.health import Step

from . import prompts
from .grounded import HISTORY_TURN_CHARS, HISTORY_TURNS, Status, grounded_answer

_FILLER = (
    "粗大ごみは予約制です。粗大ごみ受付センターに電話するか、インターネットで申し込んでください。"
    "処理券をコンビニエンスストアで購入し、収集日の朝8時までに指定の場所に出してください。"
    "家電リサイクル法の対象品目（エアコン、テレビ、冷蔵庫、洗濯機）は収集できません。"
)


def _fill(chars: int) -> str:
    return (_FILLER * (chars // len(_FILLER) + 1))[:chars]


def largest_prompt() -> list[dict]:
    passages = [
        prompts.Passage(
            n, f"資料の見出し{n}", _fill(int(settings.LLM_PASSAGE_CHARS)), ["くらし", "ごみ・リサイクル", f"見出し{n}"]
        )
        for n in range(1, int(settings.LLM_MAX_PASSAGES) + 1)
    ]
    history = [("resident" if n % 2 == 0 else "bot", _fill(HISTORY_TURN_CHARS)) for n in range(HISTORY_TURNS)]
    question = "資料1の見出しを一語で答えてください。" + _fill(max(0, int(settings.MESSAGE_MAX_CHARS) - 20))
    prompt = prompts.grounded(city="みほん市", question=question, passages=passages, history=history)
    return prompt.messages


PROBE_QUESTION = "住民票の写しの手数料はいくらですか？"
PROBE_PASSAGES = [
    Candidate(
        kind="chunk",
        id=-1,
        external_id="probe-1",
        title="粗大ごみの出し方",
        text="粗大ごみは予約制です。粗大ごみ受付センターに電話で申し込んでください。",
        url="https://probe.invalid/sodai",
        score=0.9,
    ),
    Candidate(
        kind="chunk",
        id=-2,
        external_id="probe-2",
        title="住民票の写し",
        text="住民票の写しは市民課の窓口で請求できます。手数料は1通300円です。受付時間は平日8時30分から17時15分までです。",
        url="https://probe.invalid/juminhyo",
        score=0.9,
    ),
]


def citation_probe() -> Step:
    result = grounded_answer(None, PROBE_QUESTION, PROBE_PASSAGES)
    if result.status == Status.ANSWERED and result.cited and result.cited[0].external_id == "probe-2":
        return Step("citations", True, f"{result.text[:80]} ({result.latency_ms or 0:,.0f} ms)")
    if result.status == Status.ANSWERED:  # grounded, but in the passage that does not answer the question
        detail = f"cites the wrong passage: {result.text[:80]}"
    else:
        detail = f"{result.outcome or result.status}: {result.reason}"[:200]
    if result.status in (Status.TIMEOUT, Status.ERROR) and result.outcome != "cut_off":
        advice = _("The model did not answer the built-in question (%(detail)s).") % {"detail": detail}
    else:
        advice = _(
            "On a built-in question the model's answer would not be sent to a resident (%(detail)s). Such a model "
            "only adds fallbacks and cost: use a larger or instruction-tuned model, or leave OPENAI_MODEL unset."
        ) % {"detail": detail}
    return Step("citations", False, detail, advice, "citations")
