"""The search index sees every change to what it reads (bulk updates and deletions included), and
``build_index`` prunes the embedding cache of vectors no current text needs."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from faq import retrieval
from faq.models import FAQ, Chunk, EmbeddingCache, Page
from faq.search import embed
from faq.search.index import build
from faq.search.loader import load_entries, needed_hashes, prune_embedding_cache, version_stamp

LIBRARY = "図書館の開館時間は午前9時から午後8時までです。月曜日は休館日です。"
POOL = "市民プールの利用料金は大人400円、子ども200円です。"


pytestmark = pytest.mark.usefixtures("fresh_index")


@pytest.fixture
def page(municipality):
    page = Page.objects.create(municipality=municipality, url="kurashi/library.html", title="図書館", content_hash="a")
    Chunk.objects.create(page=page, municipality=municipality, position=0, heading_path=["開館時間"], text=LIBRARY)
    Chunk.objects.create(
        page=page, municipality=municipality, position=1, heading_path=["休館日"], text="年末年始は休館。"
    )
    return page


def search(municipality, text):
    return retrieval.search(municipality, text)


# --- freshness --------------------------------------------------------------------------------------


def test_a_bulk_update_of_passages_is_searched(municipality, page):
    assert search(municipality, "図書館の開館時間")[0].text == LIBRARY
    Chunk.objects.filter(page=page, position=0).update(text=POOL)
    top = search(municipality, "プールの利用料金")[0]
    assert top.kind == "chunk" and top.text == POOL


def test_bulk_update_and_save_with_update_fields_are_searched(municipality, page):
    search(municipality, "図書館")
    chunk = page.chunks.get(position=0)
    chunk.text = POOL
    Chunk.objects.bulk_update([chunk], ["text"])
    assert search(municipality, "プールの利用料金")[0].text == POOL
    chunk.text = LIBRARY
    chunk.save(update_fields=["text"])
    assert search(municipality, "図書館の開館時間")[0].text == LIBRARY


def test_a_bulk_update_of_page_titles_is_searched(municipality, page):
    assert search(municipality, "図書館の開館時間")[0].title == "図書館"
    Page.objects.filter(pk=page.pk).update(title="中央図書館")
    assert search(municipality, "図書館の開館時間")[0].title == "中央図書館"


def test_a_bulk_update_of_faq_entries_is_searched(municipality, make_faq):
    faq = make_faq(municipality, "図書館は何時まで開いていますか。", "午後8時までです。")
    assert search(municipality, "図書館は何時まで")[0].text == "午後8時までです。"
    FAQ.objects.filter(pk=faq.pk).update(answer="午後9時までです。")
    assert search(municipality, "図書館は何時まで")[0].text == "午後9時までです。"
    FAQ.objects.filter(pk=faq.pk).update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    assert search(municipality, "図書館は何時まで") == []


def test_deleting_passages_is_searched(municipality, page):
    assert {c.text for c in search(municipality, "図書館")} == {LIBRARY, "年末年始は休館。"}
    page.chunks.filter(position=1).delete()
    # one passage deleted and another created: the count is the same, the stamp still moves
    Chunk.objects.create(page=page, municipality=municipality, position=1, text=POOL)
    assert {c.text for c in search(municipality, "図書館")} == {LIBRARY, POOL}
    page.chunks.all().delete()
    assert search(municipality, "図書館") == []


def test_the_admin_withdraw_action_is_searched(municipality, page, admin_client):
    assert search(municipality, "図書館の開館時間")
    response = admin_client.post(
        reverse("admin:faq_page_changelist"), {"action": "withdraw", "_selected_action": [page.pk]}
    )
    assert response.status_code == 302
    assert search(municipality, "図書館の開館時間") == []


def test_what_the_index_does_not_read_leaves_the_stamp_alone(municipality, page, make_municipality, make_faq):
    stamp = version_stamp(municipality)
    Page.objects.filter(pk=page.pk).update(fetched_at=timezone.now())  # an unchanged re-import
    other = make_municipality("other")
    make_faq(other, "よその質問", "よその答え")
    Chunk.objects.create(page=Page.objects.create(municipality=other, url="x", content_hash="x"), municipality=other)
    assert version_stamp(municipality) == stamp
    page.save(update_fields=["gone_at"])
    assert version_stamp(municipality) != stamp


def test_the_stamp_is_one_query(municipality, page, make_faq, django_assert_num_queries):
    make_faq(municipality, "質問", "答え")
    with django_assert_num_queries(1):
        version_stamp(municipality)


# --- pruning the embedding cache --------------------------------------------------------------------


def build_index(*args) -> tuple[int, int]:
    """Run build_index; return (texts embedded in total, unused vectors removed)."""
    out = io.StringIO()
    call_command("build_index", "--no-progress", *args, stdout=out)
    text = out.getvalue()
    embedded = sum(int(n) for n in re.findall(r"(\d+) texts embedded", text))
    removed = re.search(r"(\d+) unused vectors removed", text)
    return embedded, int(removed.group(1)) if removed else -1


def age_cache() -> None:
    """Every cached vector so far was written a day ago (pruning spares rows written during its run)."""
    EmbeddingCache.objects.update(created_at=timezone.now() - dt.timedelta(days=1))


def query_hash(text: str) -> str:
    return embed.content_hash("query", text)


def test_build_index_removes_unused_vectors_and_keeps_needed_ones(municipality, make_municipality, make_faq):
    other = make_municipality("other")
    edited = make_faq(municipality, "ごみの出し方を教えてください。", "分別して朝8時までに出してください。")
    make_faq(municipality, "住民票はどこで取れますか。", "市民課の窓口です。")
    draft = make_faq(municipality, "花火大会はいつですか。", "8月1日です。")
    theirs = make_faq(other, "犬の登録はどうしますか。", "保健所で登録します。")
    shared = "住民票はどこで取れますか。"
    make_faq(other, shared, "戸籍住民課の窓口です。")
    embedded, removed = build_index()
    assert embedded == 9 and removed == 0  # 5 questions (one shared by both cities) + 5 answer heads

    old_question = edited.question
    edited.question = "粗大ごみの出し方を教えてください。"
    edited.save()
    FAQ.objects.filter(pk=draft.pk).update(status=FAQ.Status.DRAFT)  # unpublished, may come back
    FAQ.objects.filter(municipality=other, question=shared).delete()  # the text is still needed here
    other_model = EmbeddingCache.objects.create(
        content_hash=EmbeddingCache.hash_text(old_question, "another-model:query"), model="another-model", vector=b""
    )
    age_cache()

    embedded, removed = build_index("--municipality", municipality.slug)  # one city built, all considered
    assert embedded == 1
    assert removed == 3  # the old question, the deleted entry's answer, the other model's row
    hashes = set(EmbeddingCache.objects.values_list("content_hash", flat=True))
    assert query_hash(old_question) not in hashes and other_model.content_hash not in hashes
    for text in [edited.question, shared, draft.question, theirs.question]:
        assert query_hash(text) in hashes
    assert hashes == needed_hashes()

    assert build_index() == (0, 0)  # a second build embeds nothing new and removes nothing
    _index, store = build(load_entries(other))  # a new process: everything from the cache
    assert store.embedded == 0 and store.from_db > 0


def test_an_edited_text_that_comes_back_is_embedded_again(municipality, make_faq):
    faq = make_faq(municipality, "ごみの出し方を教えてください。", "分別して出してください。")
    assert build_index() == (2, 0)
    question = faq.question
    FAQ.objects.filter(pk=faq.pk).update(question="粗大ごみの出し方を教えてください。")
    age_cache()
    assert build_index() == (1, 1)
    FAQ.objects.filter(pk=faq.pk).update(question=question)
    age_cache()
    assert build_index() == (1, 1)


def test_vectors_written_while_pruning_runs_are_kept(municipality, make_faq):
    began = timezone.now()
    faq = make_faq(municipality, "ごみの出し方を教えてください。", "分別して出してください。")
    build(load_entries(municipality))  # another process, after the run began
    faq.delete()
    assert prune_embedding_cache(before=began) == 0
    assert EmbeddingCache.objects.count() == 2
    assert prune_embedding_cache(before=timezone.now()) == 2


def test_keep_cache_skips_pruning(municipality, make_faq):
    make_faq(municipality, "ごみの出し方を教えてください。", "分別して出してください。")
    EmbeddingCache.objects.create(content_hash="0" * 64, model=embed.MODEL, vector=b"")
    age_cache()
    assert build_index("--keep-cache") == (2, -1)
    assert EmbeddingCache.objects.filter(content_hash="0" * 64).exists()
