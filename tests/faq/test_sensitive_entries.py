"""An entry about abuse, violence or suicide comes up only for a question about that topic."""

from __future__ import annotations

import pytest

from faq import retrieval
from faq.search import sensitive

pytestmark = pytest.mark.usefixtures("fresh_index")


@pytest.fixture
def city(municipality, make_faq):
    make_faq(
        municipality,
        "子どもが虐待を受けているかもしれないと思ったら、どうすればよいですか。",
        "子どもへの虐待が疑われるときは、子ども家庭支援センターか児童相談所に連絡してください。",
        external_id="abuse",
    )
    make_faq(
        municipality,
        "児童手当を受け取るには、どうすればよいですか。",
        "子どもが生まれたら、子育て支援課に児童手当の認定請求書を出してください。",
        external_id="teate",
    )
    make_faq(municipality, "住民票の写しはどこで取れますか。", "市民課の窓口で取れます。", external_id="juminhyo")
    return municipality


def test_a_parent_asking_about_child_allowance_is_not_offered_the_abuse_entry(city):
    found = [c.external_id for c in retrieval.search(city, "こどものてあて しんせい したいです", language="ja")]
    assert "teate" in found and "abuse" not in found


def test_a_question_about_abuse_finds_the_abuse_entry(city):
    found = [c.external_id for c in retrieval.search(city, "近所の子どもが虐待されているみたい", language="ja")]
    assert found[0] == "abuse"


def test_topics_are_read_in_several_languages():
    assert sensitive.topics("ＤＶの相談をしたい") == {"violence"}
    assert sensitive.topics("my husband beats me") == {"violence"}
    assert sensitive.topics("tôi muốn tự tử") == {"suicide"}
    assert sensitive.topics("児童手当の申請") == set()
    assert not sensitive.allowed("しつけのつもりでも、体罰は虐待にあたるのですか。", set())
    assert sensitive.allowed("しつけのつもりでも、体罰は虐待にあたるのですか。", {"abuse"})
