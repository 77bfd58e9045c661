"""Raw LINE events -> neutral inbound messages: every type, and nothing raises on odd input."""

from __future__ import annotations

import pytest

from channels.line.parsing import parse_event
from conversations.content import Kind
from tests.fakes.line_api import event, media_event, postback_event, text_event

USER = "U" + "a" * 32


def test_text_message():
    item = parse_event(text_event("粗大ごみ", user=USER, message_id="m1", reply_token="rt"))
    assert (item.kind, item.user_id, item.text, item.message_id, item.reply_token) == (
        Kind.TEXT,
        USER,
        "粗大ごみ",
        "m1",
        "rt",
    )


@pytest.mark.parametrize("media", ["sticker", "image", "video", "audio", "file", "location"])
def test_media_messages(media):
    item = parse_event(media_event(media, user=USER))
    assert (item.kind, item.media_type, item.user_id) == (Kind.MEDIA, media, USER)
    assert item.message_id and item.reply_token


@pytest.mark.parametrize(("etype", "kind"), [("follow", Kind.FOLLOW), ("unfollow", Kind.UNFOLLOW)])
def test_follow_and_unfollow(etype, kind):
    item = parse_event(event(etype, user=USER, reply_token=None if etype == "unfollow" else "rt"))
    assert (item.kind, item.user_id) == (kind, USER)


def test_postback_json_and_query_string():
    assert parse_event(postback_event({"action": "lang", "value": "en"})).postback == {"action": "lang", "value": "en"}
    assert parse_event(postback_event("action=person")).postback == {"action": "person"}


def test_unsend_names_the_message():
    item = parse_event(event("unsend", user=USER, reply_token=None, unsend={"messageId": "325708"}))
    assert (item.kind, item.user_id, item.message_id) == (Kind.UNSEND, USER, "325708")


@pytest.mark.parametrize(
    ("raw", "kind", "group"),
    [
        (event("join", source={"type": "group", "groupId": "Cg1"}), Kind.JOIN, "group:Cg1"),
        (event("join", source={"type": "room", "roomId": "Rr1"}), Kind.JOIN, "room:Rr1"),
        (event("leave", source={"type": "group", "groupId": "Cg1"}, reply_token=None), Kind.LEAVE, "group:Cg1"),
        (text_event("hi", source={"type": "group", "groupId": "Cg1", "userId": USER}), Kind.JOIN, "group:Cg1"),
        (event("memberJoined", source={"type": "group", "groupId": "Cg1"}), Kind.JOIN, "group:Cg1"),
    ],
)
def test_group_and_room_events_have_no_resident(raw, kind, group):
    item = parse_event(raw)
    assert (item.kind, item.group_id, item.user_id, item.text) == (kind, group, "", "")


@pytest.mark.parametrize(
    "raw",
    [
        event("videoPlayComplete", videoPlayComplete={"trackingId": "t"}),
        event("beacon", beacon={"hwid": "d41d8cd98f", "type": "enter"}),
        event("accountLink", link={"result": "ok", "nonce": "n"}),
        event("somethingLineAddsNextYear"),
        event("message", message={"type": "somethingNew", "id": "1"}),
        text_event("hello", mode="standby"),
        {},
        {"type": "message"},
        {"type": "message", "message": "not a dict", "source": []},
        {"type": "postback", "postback": None, "source": {"type": "user", "userId": USER}},
    ],
)
def test_unknown_or_malformed_events_are_unknown_or_harmless(raw):
    item = parse_event(raw)
    assert item.kind in (Kind.UNKNOWN, Kind.POSTBACK)
    assert item.text == ""


@pytest.mark.parametrize(
    "data",
    [
        {"action": "pick", "id": "abc"},
        {"action": "lang", "value": ["en"]},
        {"action": "feedback", "value": "yes", "log": "x"},
        {"action": "rating", "value": "meh", "ticket": 1},
        {"action": "self-destruct"},
        "not json {",
        '{"action": "pick", "id": 1e999}',
    ],
)
def test_a_postback_that_does_not_fit_becomes_the_invalid_action_and_is_logged(data, caplog):
    item = parse_event(postback_event(data, user=USER))
    assert (item.kind, item.postback) == (Kind.POSTBACK, {"action": "invalid"})
    assert "not understood" in caplog.text


def test_a_valid_postback_gets_the_types_the_bot_reads():
    item = parse_event(postback_event("action=pick&id=12&kind=faq"))
    assert item.postback == {"action": "pick", "id": 12, "kind": "faq"}


@pytest.mark.parametrize("text", [None, "", 5])
def test_a_text_message_without_text_is_unknown_not_the_string_none(text):
    raw = text_event("x", user=USER)
    raw["message"]["text"] = text
    assert parse_event(raw).kind == Kind.UNKNOWN


def test_a_source_without_a_user_id_is_nobody():
    raw = text_event("hi")
    raw["source"] = {"type": "user", "userId": None}
    item = parse_event(raw)
    assert (item.kind, item.user_id) == (Kind.UNKNOWN, "")
