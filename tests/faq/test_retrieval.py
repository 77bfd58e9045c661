"""Hybrid retrieval: Sudachi terms, what is indexed, cross-lingual search, freshness, the embedding cache."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.utils import timezone

from faq import retrieval
from faq.models import FAQ, Chunk, EmbeddingCache, Page
from faq.search import embed
from faq.search.index import build
from faq.search.loader import load_entries, version_stamp
from faq.search.service import Registry, is_foreign
from faq.search.text import analyzer, strip_fillers
from tests.fakes.libretranslate import FakeLibreTranslate

pytestmark = pytest.mark.usefixtures("fresh_index")


@pytest.fixture
def city(municipality, make_faq):
    faqs = {
        "gomi": make_faq(
            municipality,
            "粗大ごみの出し方を教えてください。",
            "粗大ごみは事前申込制です。粗大ごみ受付センターに電話で申し込み、処理券を貼って出してください。",
            external_id="gomi-001",
        ),
        "juminhyo": make_faq(
            municipality,
            "住民票の写しはどこで取れますか。",
            "住民票の写しは市民課の窓口で請求できます。本人確認書類をお持ちください。手数料は1通300円です。",
            external_id="koseki-001",
        ),
        "hoiku": make_faq(
            municipality,
            "保育園の入園申込みはいつまでですか。",
            "4月入園の一次申込は11月1日から30日までです。保育課の窓口で受け付けます。",
            external_id="kosodate-001",
        ),
        "inu": make_faq(
            municipality,
            "犬を飼い始めたときの登録について知りたいです。",
            "生後91日以上の犬は、飼い始めてから30日以内に登録と狂犬病予防注射が必要です。",
            external_id="kurashi-001",
        ),
        "tenkyo": make_faq(
            municipality,
            "転居届の出し方を教えてください。",
            "市内で引っ越したときは、引っ越した日から14日以内に市民課へ転居届を出してください。",
            external_id="koseki-002",
        ),
    }
    return faqs


def ids(candidates) -> list[str]:
    return [c.external_id for c in candidates]


# --- text ------------------------------------------------------------------------------------------


def test_terms_are_normalised_content_words():
    terms = analyzer.terms("子どもの予防接種について教えてください")
    assert "子供" in terms.words  # 子ども -> 子供 (Sudachi normalised form)
    assert "予防接種" in terms.words and "予防" in terms.words and "接種" in terms.words  # C-mode + A-mode parts
    assert not {"教える", "下さる", "の", "て"} & set(terms.words)  # request verbs and particles dropped


def test_kana_spellings_and_synonyms_meet():
    assert analyzer.terms("ごみ").words == analyzer.terms("ゴミ").words
    assert set(analyzer.terms("引っ越し").synonyms) & set(analyzer.terms("転居").synonyms)
    assert set(analyzer.terms("がくどう").phonetic) & set(analyzer.terms("学童").phonetic)
    assert analyzer.terms("How do I dispose of bulky waste?").words == ["dispose", "bulky", "waste"]


def test_polite_fillers_are_stripped_but_never_everything():
    assert strip_fillers("粗大ごみの出し方を教えてください") == "粗大ごみの出し方"
    assert strip_fillers("保育園に入りたいんですけど") == "保育園に入りたい"
    assert strip_fillers("教えてください") == "教えてください"


# --- search -----------------------------------------------------------------------------------------


def test_scores_are_confidences_best_first(city, municipality):
    candidates = retrieval.search(municipality, "粗大ごみを出したい", k=5)
    assert ids(candidates)[0] == "gomi-001"
    scores = [c.score for c in candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert len(candidates) == 5
    assert retrieval.search(municipality, "   ") == []


def test_a_city_without_content_finds_nothing(make_municipality):
    empty = make_municipality("empty")
    assert retrieval.search(empty, "粗大ごみを出したい") == []


def test_alternative_phrasings_count(city, municipality):
    query = "ソファを処分したいです"
    before = {c.external_id: c.score for c in retrieval.search(municipality, query)}
    faq = city["gomi"]
    faq.alt_questions = ["ソファやタンスを処分したい"]
    faq.save()
    after = retrieval.search(municipality, query)
    assert ids(after)[0] == "gomi-001"
    assert after[0].score > before["gomi-001"]


def test_drafts_and_expired_entries_are_never_returned(city, municipality, make_faq):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    make_faq(
        municipality,
        "粗大ごみの出し方を教えてください。",
        "古い案内です。",
        external_id="old",
        valid_until=yesterday,
    )
    make_faq(
        municipality, "粗大ごみの出し方を教えてください。", "下書きです。", external_id="draft", status=FAQ.Status.DRAFT
    )
    make_faq(
        municipality,
        "粗大ごみの出し方を教えてください。",
        "来月からの案内です。",
        external_id="future",
        valid_from=timezone.localdate() + dt.timedelta(days=30),
    )
    found = ids(retrieval.search(municipality, "粗大ごみの出し方を教えてください", k=10))
    assert "gomi-001" in found
    assert not {"old", "draft", "future"} & set(found)


def test_other_municipalities_are_invisible(city, municipality, make_municipality, make_faq):
    other = make_municipality("other")
    make_faq(other, "パスポートの申請はどこでできますか。", "旅券窓口で申請できます。", external_id="other-001")
    assert "other-001" not in ids(retrieval.search(municipality, "パスポートの申請"))
    assert ids(retrieval.search(other, "パスポートの申請")) == ["other-001"]


def test_an_english_question_finds_the_japanese_entry(city, municipality):
    candidates = retrieval.search(municipality, "Where can I get a copy of my residence certificate?", language="en")
    assert ids(candidates)[0] == "koseki-001"
    candidates = retrieval.search(municipality, "I want to register my dog", language="en")
    assert ids(candidates)[0] == "kurashi-001"


def test_which_questions_are_searched_as_foreign():
    assert is_foreign("How do I register my dog?", "en")
    assert is_foreign("沙发想扔掉，该怎么办", "zh-hans")
    assert not is_foreign("犬の登録をしたい", "en")  # kana: Japanese whatever the chosen language
    assert not is_foreign("住民票 手数料", None)
    assert is_foreign("dog registration", None)
    assert not is_foreign("がっこう", "ja-easy")


def test_homepage_passages_are_found_and_faq_preferred_when_comparable(city, municipality):
    page = Page.objects.create(municipality=municipality, url="kurashi/pet.html", title="ペット", content_hash="x")
    Chunk.objects.create(
        page=page,
        municipality=municipality,
        heading_path=["ペット", "猫の不妊手術の助成"],
        text="猫の不妊・去勢手術の費用の一部を助成します。申請は手術の前に環境課へ。",
    )
    Chunk.objects.create(
        page=page,
        municipality=municipality,
        position=1,
        heading_path=["ペット", "犬の登録"],
        text=city["inu"].answer,
    )
    cat = retrieval.search(municipality, "猫の去勢手術の補助はありますか")[0]
    assert cat.kind == "chunk"
    assert cat.heading_path == ["ペット", "猫の不妊手術の助成"]
    assert cat.url.endswith("kurashi/pet.html")
    dog = retrieval.search(municipality, "犬を飼い始めたときの登録について知りたい")
    assert dog[0].kind == "faq" and dog[0].external_id == "kurashi-001"
    assert dog[1].kind == "chunk"


# --- freshness --------------------------------------------------------------------------------------


def test_an_edit_is_searchable_without_restart(city, municipality):
    query = "パスポートの申請はどこでできますか"
    before = retrieval.search(municipality, query)
    assert ids(before)[0] != "gomi-001"
    faq = city["gomi"]
    faq.question = "パスポート（旅券）の申請はどこでできますか。"
    faq.answer = "パスポートの申請は市民課の旅券窓口で受け付けます。"
    faq.save()
    after = retrieval.search(municipality, query)
    assert ids(after)[0] == "gomi-001"
    assert after[0].title.startswith("パスポート")
    faq.status = FAQ.Status.DRAFT
    faq.save()
    assert "gomi-001" not in ids(retrieval.search(municipality, query))


def test_two_processes_each_see_the_edit(city, municipality):
    """Two registries stand for two worker processes with their own in-memory index."""
    web, worker = Registry(), Registry()
    query = "狂犬病の注射"
    assert web.index(municipality) is not worker.index(municipality)
    first_web, first_worker = web.index(municipality), worker.index(municipality)
    FAQ.objects.create(
        municipality=municipality,
        external_id="kurashi-002",
        question="狂犬病の予防注射はいつ受けられますか。",
        answer="毎年4月に市内各地で集合注射を行います。",
    )
    for registry in (web, worker):
        index = registry.index(municipality)
        assert index is not (first_web if registry is web else first_worker)
        assert index.search(query, k=1)[0][0].external_id == "kurashi-002"


def test_within_the_check_interval_the_index_is_reused(city, municipality, settings):
    settings.FAQ_INDEX_CHECK_SECONDS = 3600
    registry = Registry()
    first = registry.index(municipality)
    city["gomi"].save()
    assert registry.index(municipality) is first
    settings.FAQ_INDEX_CHECK_SECONDS = 0
    assert registry.index(municipality) is not first


def test_version_stamp_follows_every_kind_of_change(city, municipality):
    stamps = [version_stamp(municipality)]
    faq = city["hoiku"]
    faq.answer += " 追記。"
    faq.save()
    stamps.append(version_stamp(municipality))
    FAQ.objects.filter(pk=faq.pk).update(status=FAQ.Status.DRAFT)  # a bulk action that skips save()
    stamps.append(version_stamp(municipality))
    page = Page.objects.create(municipality=municipality, url="a.html", title="A", content_hash="x")
    stamps.append(version_stamp(municipality))
    Chunk.objects.create(page=page, municipality=municipality, text="本文")
    stamps.append(version_stamp(municipality))
    Page.objects.filter(pk=page.pk).update(gone_at=timezone.now())
    stamps.append(version_stamp(municipality))
    assert len(set(stamps)) == len(stamps)
    assert version_stamp(municipality) == stamps[-1]  # and nothing else moves it


# --- embedding cache --------------------------------------------------------------------------------


def test_a_rebuild_embeds_only_what_changed(city, municipality):
    entries = load_entries(municipality)
    _index, first = build(entries)
    assert first.embedded > 0 and first.from_db == 0
    cached = EmbeddingCache.objects.count()
    assert cached == first.embedded

    _index, again = build(load_entries(municipality))  # a new process: nothing in memory
    assert again.embedded == 0
    assert again.from_db == cached

    faq = city["inu"]
    faq.alt_questions = ["犬の登録の手続き"]
    faq.save()
    _index, changed = build(load_entries(municipality))
    assert changed.embedded == 1
    assert EmbeddingCache.objects.count() == cached + 1


def test_a_rebuild_in_the_same_process_reuses_vectors_and_terms(city, municipality):
    index, _store = build(load_entries(municipality))
    EmbeddingCache.objects.all().delete()
    again, store = build(load_entries(municipality), previous=index)
    assert store.embedded == 0 and store.reused > 0
    assert again.terms_cache.keys() == index.terms_cache.keys()


def test_a_search_embeds_a_bounded_number_of_texts_and_finishes_later(city, municipality, settings):
    """A bulk import without build_index: searches stay fast, words still find, vectors follow."""
    settings.FAQ_INDEX_EMBED_BUDGET = 4
    registry = Registry()
    index = registry.index(municipality)
    assert not index.complete
    assert EmbeddingCache.objects.count() == 4
    assert index.search("粗大ごみの出し方", k=1)[0][0].external_id == "gomi-001"  # lexical side works meanwhile
    for _ in range(5):
        index = registry.index(municipality)
    assert index.complete
    assert EmbeddingCache.objects.count() == 10  # 5 questions + 5 answer heads


def test_cached_vectors_are_the_models_vectors(city, municipality):
    build(load_entries(municipality))
    row = EmbeddingCache.objects.get(content_hash=embed.content_hash("query", city["gomi"].question))

    stored = np.frombuffer(bytes(row.vector), dtype=np.float32)
    assert stored.shape == (embed.DIM,)
    assert np.allclose(stored, embed.embed_texts("query", [city["gomi"].question])[0], atol=1e-5)


def test_ready():
    assert retrieval.ready() is True


def test_a_machine_translation_is_searched_as_a_japanese_question(city, municipality, settings):
    """With a translator (the fake LibreTranslate on loopback, the real client), a question the
    multilingual embedding alone misreads is found through its Japanese translation."""

    question = "कुकुर पालेपछि के गर्नुपर्छ?"  # Nepali: what must I do after getting a dog?
    without = ids(retrieval.search(municipality, question, language="ne"))
    with FakeLibreTranslate() as api:
        api.learn({("ne", "ja", question): "犬を飼い始めたら何をすればいいですか"})
        settings.TRANSLATOR, settings.TRANSLATOR_URL = "libre", api.url
        found = retrieval.search(municipality, question, language="ne")
        assert api.calls >= 1
    assert found[0].external_id == "kurashi-001"
    assert found[0].score >= retrieval.search(municipality, "犬を飼い始めたら何をすればいいですか")[0].score - 1e-9
    assert without  # without a translator the question is still searched (by the multilingual side)
