"""A question that only names a topic is asked back with the topic's choices, not answered."""

from __future__ import annotations

import pytest

from chatbot import engine
from chatbot.vague import is_vague
from conversations.models import AnswerStatus, Reason


@pytest.mark.parametrize(
    "text",
    [
        "年金のことで聞きたいんだけどさ",
        "税金について",
        "固定資産税のことで",
        "マイナのこと",
        "ふるさと納税",
        "ひとり親です",
        "水道",
    ],
)
def test_topics_without_a_question_are_vague(text):
    assert is_vague(text)


@pytest.mark.parametrize(
    "text",
    [
        "粗大ごみの出し方を教えて",
        "国保やめたいんだけど",
        "住民票ってコンビニでとれる？",
        "はんこの登録",
        "年金の受け取りはいつから？",
        "保育料について、二人目は安くなりますか",
        "ソファ捨てたい",
    ],
)
def test_questions_are_not_vague(text):
    assert not is_vague(text)


def test_a_vague_question_gets_the_topics_choices(fresh_index, municipality, make_faq):
    make_faq(
        municipality, "国民年金に加入するには、どうすればよいですか。", "20歳になったら加入します。", external_id="n1"
    )
    make_faq(municipality, "国民年金の保険料を免除してもらえますか。", "申請で免除されます。", external_id="n2")
    make_faq(municipality, "年金を受け取るには、どうすればよいですか。", "年金事務所に請求します。", external_id="n3")
    decision = engine.answer(engine.AnswerRequest(municipality, "年金のことで聞きたいんだけどさ", "ja"))
    assert (decision.status, decision.reason) == (AnswerStatus.ASK_BACK, Reason.VAGUE)
    assert {c.external_id for c in decision.choices} == {"n1", "n2", "n3"}
