"""Composing replies from a decision: what the resident reads, before any channel's limits."""

from channels.line import rendering
from chatbot import compose
from chatbot.engine import AnswerStatus, Decision, Reason
from faq.search.types import Candidate

LONG = "住民票の写しをコンビニエンスストアで取得するには何が必要ですか"


def candidate(n: int, title: str) -> Candidate:
    return Candidate(kind="faq", id=n, external_id=f"f-{n}", title=title, text="…", url="", score=0.4)


def test_ask_back_choices_keep_whole_questions_and_line_clips_its_own_labels(municipality):
    decision = Decision(AnswerStatus.ASK_BACK, Reason.CLOSE_CANDIDATES, [candidate(1, LONG), candidate(2, "転入届")])
    [reply] = compose.render(decision, municipality, "ja")
    assert [c.label for c in reply.choices[:2]] == [LONG, "転入届"]  # the web shows the whole question
    action = rendering.postback_action(reply.choices[0].label, reply.choices[0].payload)
    assert len(action["label"]) <= rendering.MAX_LABEL and action["displayText"] == LONG
