"""The bot learns residents' wordings: masked, once per wording and entry, approved by the city's rules."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from conversations.models import AnswerLog, Resident
from faq import learning, retrieval
from faq.models import LearnedPhrasing

Source = LearnedPhrasing.Source
Status = LearnedPhrasing.Status


@pytest.fixture
def sodai(municipality, make_faq):
    return make_faq(municipality, "粗大ごみの出し方を教えてください。", "事前申込制です。", external_id="gomi-001")


def resident(city, n: int) -> Resident:
    return Resident.objects.create(municipality=city, channel="web", channel_user_id=f"r{n}")


def test_one_resident_alone_never_teaches_the_bot(sodai):
    someone = resident(sodai.municipality, 1)
    for _ in range(5):
        phrasing = learning.learn(sodai, "でかい家具すてたい", source=Source.PICK, resident=someone)
    phrasing.refresh_from_db()
    assert (phrasing.count, phrasing.residents, phrasing.status) == (5, 1, Status.PENDING)


def test_two_different_residents_confirm_a_wording(sodai):
    learning.learn(sodai, "でかい家具すてたい", source=Source.PICK, resident=resident(sodai.municipality, 1))
    phrasing = learning.learn(
        sodai, "でかい家具 すてたい！", source=Source.THUMBS_UP, resident=resident(sodai.municipality, 2)
    )
    assert LearnedPhrasing.objects.count() == 1  # the same wording (spaces and punctuation aside) is one row
    assert (phrasing.count, phrasing.residents, phrasing.status) == (2, 2, Status.APPROVED)


def test_the_city_decides_what_is_learned_without_review(sodai):
    city = sodai.municipality
    city.learn_from_residents = city.learn_from_staff = False
    city.save()
    learning.learn(sodai, "大きいごみ", source=Source.PICK, resident=resident(city, 1))
    phrasing = learning.learn(sodai, "大きいごみ", source=Source.PICK, resident=resident(city, 2))
    assert phrasing.status == Status.PENDING
    assert learning.learn(sodai, "ベッド捨てたい", source=Source.STAFF).status == Status.PENDING
    assert learning.learn(sodai, "タンス捨てたい", source=Source.EDITOR).status == Status.APPROVED


def test_personal_data_is_masked_before_it_is_stored(sodai):
    phrasing = learning.learn(
        sodai, "090-1234-5678かtaro@example.jpに連絡ください。ソファを捨てたい", source=Source.STAFF
    )
    assert "090-1234-5678" not in phrasing.text and "taro@example.jp" not in phrasing.text
    assert "ソファを捨てたい" in phrasing.text


def test_nothing_is_learned_from_empty_text_or_what_the_entry_already_says(sodai):
    assert learning.learn(sodai, "  ", source=Source.STAFF) is None
    assert learning.learn(sodai, "粗大ごみの出し方を教えてください", source=Source.STAFF) is None
    assert not LearnedPhrasing.objects.exists()


def test_a_thumbs_down_takes_the_residents_pick_back(sodai):
    log = AnswerLog.objects.create(municipality=sodai.municipality, query="x", decision="answer", answered_faq=sodai)
    learning.learn(
        sodai, "でかい家具すてたい", source=Source.PICK, resident=resident(sodai.municipality, 1), answer_log=log
    )
    assert learning.retract(log) == 1
    assert not LearnedPhrasing.objects.exists()


def test_an_approved_wording_is_searched_at_once(fresh_index, sodai, make_faq):
    make_faq(sodai.municipality, "住民票の写しはどこで取れますか。", "市民課で取れます。", external_id="koseki-001")
    before = retrieval.search(sodai.municipality, "ベッドを処分したい", language="ja")
    learning.learn(sodai, "ベッドを処分したい", source=Source.STAFF)
    after = retrieval.search(sodai.municipality, "ベッドを処分したい", language="ja")
    assert after[0].external_id == "gomi-001"
    assert after[0].score > (before[0].score if before and before[0].external_id == "gomi-001" else 0.0)
    # a pending wording is not searched; nor is one of a withdrawn entry
    sodai.status = "draft"
    sodai.save()
    assert all(c.external_id != "gomi-001" for c in retrieval.search(sodai.municipality, "ベッドを処分したい"))


def test_the_learn_command_imports_approved_wordings_reports_bad_lines_and_adds_nothing_twice(sodai, tmp_path):
    path = tmp_path / "log.jsonl"
    lines = [
        {"query": "ソファ捨てたい 090-1111-2222", "external_id": "gomi-001"},
        {"query": "タンスを処分したい", "external_id": "gomi-001"},
        {"query": "粗大ごみの出し方を教えてください", "external_id": "gomi-001"},  # the entry says it already
        {"query": "住民票", "external_id": "nope"},
        {"external_id": "gomi-001"},
    ]
    path.write_text("\n".join([*(json.dumps(x, ensure_ascii=False) for x in lines), "not json"]), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("learn", str(path), municipality="mihon", stdout=out, stderr=err)
    assert "2 new wordings learned, 0 already known, 1 already in their entry, 3 lines skipped" in out.getvalue()
    assert f"{path}:4: no FAQ entry 'nope'" in err.getvalue()
    assert f'{path}:5: no "query" text' in err.getvalue()
    assert f"{path}:6: not valid JSON" in err.getvalue()
    learned = LearnedPhrasing.objects.order_by("pk")
    assert [p.status for p in learned] == [Status.APPROVED, Status.APPROVED]
    assert "090-1111-2222" not in learned[0].text
    again = io.StringIO()
    call_command("learn", str(path), municipality="mihon", stdout=again, stderr=io.StringIO())
    assert "0 new wordings learned, 2 already known" in again.getvalue()
    assert [p.count for p in LearnedPhrasing.objects.order_by("pk")] == [1, 1]
