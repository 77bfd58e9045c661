"""Reply -> LINE message objects: LINE's limits honoured, every choice reachable, postbacks round-trip."""

from __future__ import annotations

import pytest

from channels.line import rendering
from channels.line.parsing import parse_event
from chatbot.handlers import LANGUAGE_CHOICES
from conversations.content import Choice, Link, Reply
from tests.fakes.line_api import check_message, check_messages, postback_event


def actions(objects: list[dict]) -> list[dict]:
    """Every action in the objects: quick reply items and Flex buttons, in order."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "button":
                found.append(node["action"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for obj in objects:
        walk(obj.get("contents", {}))
        for item in obj.get("quickReply", {}).get("items", []):
            found.append(item["action"])
    return found


def decoded(action: dict) -> dict:
    """What the handler receives when the resident taps this action."""
    return parse_event(postback_event(action["data"])).postback


def answer(**fields) -> Reply:
    base = dict(
        kind="answer",
        title="粗大ごみの出し方",
        text="粗大ごみは予約制です。受付センターに電話してください。",
        contact="ごみ減量推進課 電話 042-000-1202",
        links=[Link("Open the source page", "https://www.city.example.jp/kurashi/gomi/sodai.html")],
        feedback_ref=42,
        offer_person=True,
        notice="Answers may be wrong.",
    )
    base.update(fields)
    return Reply(**base)


def test_answer_is_one_flex_bubble_with_source_person_and_feedback_buttons():
    [bubble] = rendering.render(answer())
    assert check_message(bubble) == []
    assert bubble["type"] == "flex"
    texts = [c["text"] for c in bubble["contents"]["body"]["contents"]]
    assert texts[:3] == [
        "粗大ごみの出し方",
        "粗大ごみは予約制です。受付センターに電話してください。",
        "ごみ減量推進課 電話 042-000-1202",
    ]
    found = actions([bubble])
    assert found[0] == {
        "type": "uri",
        "label": "Open the source page",
        "uri": "https://www.city.example.jp/kurashi/gomi/sodai.html",
    }
    payloads = [decoded(a) for a in found[1:]]
    assert [p["action"] for p in payloads] == ["person", "feedback", "feedback"]
    assert {(p["value"], p["log"]) for p in payloads[1:]} == {("yes", 42), ("no", 42)}
    assert "粗大ごみは予約制です" in bubble["altText"]


def test_relative_or_odd_links_are_left_out_rather_than_rejected_by_line():
    reply = answer(links=[Link("page", "kurashi/gomi.html"), Link("x", "javascript:alert(1)")])
    [bubble] = rendering.render(reply)
    assert check_message(bubble) == []
    assert all(a["type"] == "postback" for a in actions([bubble]))


def test_a_long_answer_goes_as_text_then_a_card_with_its_buttons():
    reply = answer(text=("長い説明です。" * 40 + "\n") * 30)  # about 8,400 characters
    objects = rendering.render(reply)
    assert check_messages(objects) == []
    assert [o["type"] for o in objects] == ["text", "text", "flex"]
    sent = "".join(o["text"] for o in objects[:2]).replace("\n", "")
    for part in (reply.title, reply.text, reply.contact, reply.notice):
        assert part.replace("\n", "") in sent  # nothing lost, the contact and notice included
    assert {decoded(a)["action"] for a in actions(objects) if a["type"] == "postback"} == {"person", "feedback"}


def test_a_long_disclaimer_does_not_make_an_oversized_bubble():
    objects = rendering.render(answer(notice="注意事項。" * 600))
    assert check_messages(objects) == []
    assert objects[-1]["type"] == "flex" and all(o["type"] == "text" for o in objects[:-1])


@pytest.mark.parametrize("size", [4_999, 5_000, 5_001, 12_345, 40_000])
def test_text_is_split_within_5000_characters_and_5_messages(size):
    objects = rendering.render(Reply(text="あ" * size))
    assert 1 <= len(objects) <= 5
    assert check_messages(objects) == []
    assert all(rendering.units(o["text"]) <= 5000 for o in objects)
    if size <= 25_000:
        assert sum(len(o["text"]) for o in objects) == size  # nothing lost below the 5-message cap


def test_split_counts_emoji_as_line_does():
    text = "😀" * 3000  # 6,000 UTF-16 units
    pieces = rendering.split_text(text)
    assert "".join(pieces) == text
    assert all(rendering.units(p) <= 5000 for p in pieces)


def test_greeting_offers_every_language_with_at_most_13_quick_replies():
    choices = [Choice(label, {"action": "lang", "value": code}) for code, label in LANGUAGE_CHOICES]
    objects = rendering.render(Reply(kind="greeting", text="Welcome", choices=choices))
    assert check_messages(objects) == []
    quick = objects[-1]["quickReply"]["items"]
    assert len(quick) == 13
    offered = [decoded(a)["value"] for a in actions(objects)]
    assert sorted(offered) == sorted(code for code, _ in LANGUAGE_CHOICES)  # each exactly once


def test_ask_back_choices_are_quick_replies_with_short_labels():
    long_title = "国民健康保険に加入する手続きと必要な書類について教えてください"
    reply = Reply(
        kind="ask_back",
        text="Which of these is closest to your question?",
        choices=[Choice(long_title, {"action": "pick", "kind": "faq", "id": 7}), Choice("None", {"action": "none"})],
    )
    [message] = rendering.render(reply)
    assert check_message(message) == []
    first = message["quickReply"]["items"][0]["action"]
    assert rendering.units(first["label"]) <= 20 and first["label"].endswith("…")
    assert decoded(first) == {"action": "pick", "kind": "faq", "id": 7, "label": long_title}  # stored in full


def test_labels_and_postback_data_stay_within_limits_whatever_the_label():
    reply = Reply(text="x", choices=[Choice("😀" * 400, {"action": "pick", "id": 1})])
    [message] = rendering.render(reply)
    assert check_message(message) == []
    action = message["quickReply"]["items"][0]["action"]
    assert rendering.units(action["data"]) <= 300 and rendering.units(action["label"]) <= 20


def test_postback_data_too_big_is_refused_not_truncated():
    with pytest.raises(ValueError):
        rendering.encode_postback({"action": "pick", "blob": "x" * 400})


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ('{"action":"lang","value":"en"}', {"action": "lang", "value": "en"}),
        ("action=person&label=%E4%BA%BA", {"action": "person", "label": "人"}),
        ("richmenu-1", {}),
        ("{not json", {}),
        ("[1,2]", {}),
    ],
)
def test_postback_data_decodes_json_or_query_strings(data, expected):
    assert rendering.decode_postback(data) == expected


def test_staff_reply_with_link_and_person_offer_is_plain_text():
    reply = Reply(kind="staff", text="担当です。", links=[Link("申請書", "https://www.city.example.jp/a.pdf")])
    [message] = rendering.render(reply)
    assert message == {"type": "text", "text": "担当です。\n\n申請書: https://www.city.example.jp/a.pdf"}


def test_empty_reply_renders_nothing():
    assert rendering.render(Reply(text="   ")) == []


def test_packing_keeps_each_message_whole_and_calls_within_5_objects():
    units = [("a", [{}]), ("b", [{}, {}, {}]), ("c", [{}, {}]), ("d", [{}]), ("e", [])]
    batches = rendering.pack(units)
    assert [b.keys for b in batches] == [["a", "b"], ["c", "d"]]
    assert [b.firsts for b in batches] == [[0, 1], [0, 2]]
    assert all(len(b.messages) <= 5 for b in batches)
