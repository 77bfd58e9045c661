"""A good counter clerk's first glance (``chatbot.intents``): what kind of message this is, before any FAQ search."""

from __future__ import annotations

import pytest

from chatbot import intents
from chatbot.intents import crisis, rules


@pytest.fixture
def city(municipality, make_faq):
    make_faq(municipality, "住民税の納付方法を教えてください。", "納付書で払えます。", external_id="zei-001")
    make_faq(municipality, "DV（配偶者暴力）の相談窓口はどこ？", "相談窓口があります。", external_id="dv-001")
    make_faq(municipality, "防災訓練はいつありますか。", "毎年9月です。", external_id="bousai-001")
    return municipality


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("父が急に息ができないって苦しんでる", "crisis"),  # 息が…できない, not only 息をしていない
        ("祖母の顔の片側が下がって、片方の腕に力が入らない", "crisis"),  # the signs of a stroke
        ("my dad has slurred speech and can't lift one arm", "crisis"),
        ("我爸爸说话不清楚，半边身体动不了", "crisis"),
        ("知らない男に後つけられてる、怖い", "crisis"),
        ("おはようございます、今日は寒いですね", "small_talk"),  # near a crisis example, nearer to small talk
        ("안녕하세요 좋은 아침이에요", "small_talk"),
        ("DV相談の窓口はどこですか", "question"),
        ("防災訓練はいつですか", "question"),
        ("脳卒中の予防教室はありますか", "question"),
        ("住民税の納付方法を知りたい", "question"),
    ],
)
def test_kinds(city, text, kind):
    assert intents.classify(city, text).kind == kind


@pytest.mark.parametrize(
    "text",
    [
        "固定資産税の通知書の税額がおかしいと思う",  # a record said to be wrong: one's own case, no "my" needed
        "児童手当がまだ振り込まれていないんですが",
        "転出届、先週郵送で頼んだけど、もう処理されてますか",
        "can you check whether my residence registration went through",
        "我的住民税是多少",
        "ภาษีของผมปีนี้เท่าไร",
        "tiền hoàn thuế của tôi đã chuyển chưa",
    ],
)
def test_requests_about_ones_own_records(text):
    assert rules.about_own_records(text)


@pytest.mark.parametrize(
    "text",
    [
        "do I need to tell the city when my visa status changes?",  # a status of residence, not an application's
        "住民税の通知書はいつ届きますか",
        "児童手当はいつ振り込まれますか",
    ],
)
def test_general_questions_are_not_about_ones_own_records(text):
    assert not rules.about_own_records(text)


@pytest.mark.parametrize("text", ["もう死にたい", "夫から暴力を受けています", "父が倒れて意識がない", "I want to die"])
def test_danger_said_in_so_many_words_is_sure(text):
    assert crisis.kind_of(text)


@pytest.mark.parametrize(
    "text",
    [
        "脳卒中の予防教室はありますか",
        "中风后的康复有补助吗",
        "火災報知器の補助は？",
        "道路に木が倒れています",
        "休日救急診療所はどこですか",
        "Where is the emergency shelter?",
        "罹災証明の申請",
    ],
)
def test_everyday_words_near_danger_are_not_sure_words(text):
    assert crisis.kind_of(text) == ""


@pytest.mark.parametrize(
    ("text", "other"),
    [
        ("横浜市の粗大ごみの出し方は？", "横浜市"),
        ("名古屋市に転居する予定です。転出の手続きは？", ""),  # moving away: this city's procedure
        ("名古屋市に転居するけど、向こうの保育園の申し込みは？", "名古屋市"),  # the other city's own rules
    ],
)
def test_another_municipality(text, other):
    assert rules.other_municipality(text, ("みほん市", "Mihon", "mihon")) == other
