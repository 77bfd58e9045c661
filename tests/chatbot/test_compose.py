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


def test_who_can_see_ones_records_is_named_in_the_residents_language(municipality):
    """A personal-record question names the best entry's department: localised, the Japanese kept for the counter."""
    municipality.general_contact = "市役所代表 042-000-1000"
    best = Candidate(
        kind="faq", id=1, external_id="zei-001", title="住民税", text="…", url="", score=0.9,
        department="納税課", contact="納税課 電話 042-000-1521(平日8:30〜17:15)",
    )  # fmt: skip
    decision = Decision(AnswerStatus.REPLIED, Reason.PERSONAL_RECORD, [best])
    [english] = compose.render(decision, municipality, "en")
    assert "Please contact: Tax Collection Division (納税課) Tel 042-000-1521 (weekdays 8:30–17:15)" in english.text
    [japanese] = compose.render(decision, municipality, "ja")
    assert "納税課 電話 042-000-1521(平日8:30〜17:15)" in japanese.text
    # An editor's contact line in the resident's language is used as written.
    [curated] = compose.render(
        decision, municipality, "en", localised=compose.Localised(contact="Tax Collection Division, ext. 1521")
    )
    assert "Please contact: Tax Collection Division, ext. 1521" in curated.text
    # No plausible entry: the city's general contact, localised the same way.
    unsure = Decision(AnswerStatus.REPLIED, Reason.PERSONAL_RECORD, [])
    [general] = compose.render(unsure, municipality, "en")
    assert "Please contact: City Hall main number (市役所代表) 042-000-1000" in general.text


def test_an_untranslated_choice_says_what_it_is_about_in_the_residents_language(municipality):
    passage = Candidate(
        kind="chunk", id=7, external_id="", title="ごみ", text="粗大ごみは申し込み制です。" * 10, url="", score=0.4,
        heading_path=["ごみの出し方", "粗大ごみ"],
    )  # fmt: skip
    decision = Decision(AnswerStatus.ASK_BACK, Reason.CLOSE_CANDIDATES, [candidate(1, "粗大ごみの出し方は？"), passage])
    [english] = compose.render(decision, municipality, "en", choice_titles={})
    assert [c.label for c in english.choices[:2]] == [
        "Bulky garbage (粗大ごみの出し方は？)",
        "Bulky garbage (粗大ごみ)",
    ]
    [translated] = compose.render(decision, municipality, "en", choice_titles={1: "How do I put out bulky waste?"})
    assert translated.choices[0].label == "How do I put out bulky waste?"
    [easy] = compose.render(decision, municipality, "ja-easy")  # easy-Japanese readers read it as it is
    assert [c.label for c in easy.choices[:2]] == ["粗大ごみの出し方は？", "粗大ごみ"]
