"""The editors' admin: scoped lists and pages, filters, bulk actions, import/export, history,
translations, "try a question" and the unanswered-questions page."""

from __future__ import annotations

import csv
import datetime as dt
import io
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from chatbot import engine
from conversations.models import AnswerLog, Membership
from faq.models import FAQ, FAQTranslation
from faq.retrieval import Candidate

Role = Membership.Role
LIST = "/admin/faq/faq/"


@pytest.fixture(autouse=True)
def english(client):
    """Assertions read English texts: the test process and every admin request use English."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def cities(make_municipality):
    return make_municipality("city-a"), make_municipality("city-b")


@pytest.fixture
def entries(cities, make_faq):
    a, b = cities
    return {
        "a1": make_faq(
            a,
            "粗大ごみの出し方は？",
            "受付センターへ。",
            external_id="a-gomi",
            category="ごみ",
            alt_questions=["ソファを捨てたい"],
        ),
        "a2": make_faq(
            a,
            "住民票はどこで取れますか",
            "市民課で。",
            external_id="a-koseki",
            status=FAQ.Status.DRAFT,
            category="戸籍",
        ),
        "a3": make_faq(
            a,
            "古い制度",
            "終わりました。",
            external_id="a-old",
            valid_until=timezone.localdate() - dt.timedelta(days=1),
        ),
        "a4": make_faq(
            a,
            "もうすぐ終わる制度",
            "今月まで。",
            external_id="a-soon",
            valid_until=timezone.localdate() + dt.timedelta(days=10),
        ),
        "b1": make_faq(b, "B市だけの秘密の質問", "B市の答え。", external_id="b-only", status=FAQ.Status.DRAFT),
    }


@pytest.fixture
def editor(cities, staff_user, client):
    user = staff_user(cities[0], role=Role.EDITOR, username="editor-a")
    client.force_login(user)
    return user


def listed(response) -> set[str]:
    return {f.external_id for f in response.context["cl"].result_list}


# --- lists, filters, scoping -----------------------------------------------------------------------------


def test_editor_sees_only_own_city_and_editor_tools(editor, entries, client):
    response = client.get(LIST)
    assert response.status_code == 200
    assert listed(response) == {"a-gomi", "a-koseki", "a-old", "a-soon"}
    page = response.content.decode()
    assert "B市だけの秘密の質問" not in page
    for name in ("try/", "unanswered/", "import/", "export/"):
        assert f"{LIST}{name}" in page
    assert "city-b市" not in page  # the municipality filter lists only the editor's own cities


def test_other_citys_entry_is_out_of_reach(editor, entries, client):
    b1 = entries["b1"]
    change = client.get(f"{LIST}{b1.pk}/change/")
    assert change.status_code in (302, 403, 404)
    assert "B市だけの秘密の質問" not in change.content.decode()
    post = client.post(f"{LIST}{b1.pk}/change/", {"question": "hacked", "answer": "x"})
    assert post.status_code in (302, 403, 404)
    b1.refresh_from_db()
    assert b1.question == "B市だけの秘密の質問"
    history = client.get(f"{LIST}{b1.pk}/history/")
    assert history.status_code in (403, 404)
    own = client.get(f"{LIST}{entries['a1'].pk}/history/")
    assert own.status_code == 200


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("validity=expiring", {"a-soon"}),
        ("validity=expired", {"a-old"}),
        ("validity=current", {"a-gomi", "a-koseki", "a-soon"}),
        ("status__exact=draft", {"a-koseki"}),
        ("category=ごみ", {"a-gomi"}),
        ("hits=never", {"a-koseki", "a-old", "a-soon"}),
        ("hits=hit", {"a-gomi"}),
        ("q=ソファ", {"a-gomi"}),  # alternative phrasings are searched too
        ("q=B市", set()),
    ],
)
def test_filters_and_search(editor, entries, cities, client, query, expected):
    AnswerLog.objects.create(municipality=cities[0], query="粗大ごみ", decision="answer", answered_faq=entries["a1"])
    AnswerLog.objects.create(municipality=cities[1], query="x", decision="answer", answered_faq=entries["b1"])
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    assert listed(response) == expected


def test_bulk_publish_and_unpublish_only_touch_editable_entries(editor, entries, cities, staff_user, client):
    # The editor is also plain staff (read-only) in city B: B's entries are visible but not editable.
    Membership.objects.create(user=editor, municipality=cities[1], role=Role.STAFF)
    a2, b1 = entries["a2"], entries["b1"]
    response = client.post(LIST, {"action": "publish", "_selected_action": [a2.pk, b1.pk]}, follow=True)
    assert response.status_code == 200
    a2.refresh_from_db()
    b1.refresh_from_db()
    assert a2.status == FAQ.Status.PUBLISHED
    assert b1.status == FAQ.Status.DRAFT
    assert a2.history.first().status == FAQ.Status.PUBLISHED  # the change is in the history
    messages = [str(m) for m in response.context["messages"]]
    assert any("1 entry published" in m for m in messages)
    assert any("skipped" in m for m in messages)

    client.post(LIST, {"action": "unpublish", "_selected_action": [a2.pk]})
    a2.refresh_from_db()
    assert a2.status == FAQ.Status.DRAFT


def test_staff_can_read_but_not_edit_or_import(entries, cities, staff_user, client):
    client.force_login(staff_user(cities[0], role=Role.STAFF))
    response = client.get(LIST)
    assert response.status_code == 200
    view = client.get(f"{LIST}{entries['a1'].pk}/change/")
    assert view.status_code == 200 and "ソファを捨てたい" in view.content.decode()
    assert not view.context["has_change_permission"]
    assert client.post(f"{LIST}{entries['a1'].pk}/change/", {"question": "x"}).status_code == 403
    assert f"{LIST}import/" not in response.content.decode()
    assert client.get(f"{LIST}import/").status_code == 403
    client.post(LIST, {"action": "publish", "_selected_action": [entries["a2"].pk]})
    entries["a2"].refresh_from_db()
    assert entries["a2"].status == FAQ.Status.DRAFT


def test_edit_form_saves_phrasings_review_and_translation_inline(editor, entries, client):
    a1 = entries["a1"]
    url = f"{LIST}{a1.pk}/change/"
    form = client.get(url)
    assert form.status_code == 200
    assert "ソファを捨てたい" in form.content.decode()
    data = {
        "municipality": a1.municipality_id,
        "external_id": a1.external_id,
        "status": "published",
        "question": a1.question,
        "alt_questions": "ソファを捨てたい\nタンスを捨てたい\n",
        "answer": a1.answer,
        "category": "ごみ",
        "department": "",
        "contact": "",
        "url": "",
        "valid_from": "",
        "valid_until": "",
        "confirm_review": "on",
        "translations-TOTAL_FORMS": "1",
        "translations-INITIAL_FORMS": "0",
        "translations-MIN_NUM_FORMS": "0",
        "translations-MAX_NUM_FORMS": "1000",
        "translations-0-language": "en",
        "translations-0-question": "How do I put out bulky waste?",
        "translations-0-answer": "Apply to the reception centre.",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    a1.refresh_from_db()
    assert a1.alt_questions == ["ソファを捨てたい", "タンスを捨てたい"]
    assert a1.last_reviewed_by == editor and a1.last_reviewed_at is not None
    assert FAQTranslation.objects.get(faq=a1, language="en").answer == "Apply to the reception centre."


def test_edit_form_rejects_unsafe_url(editor, entries, client):
    a1 = entries["a1"]
    data = {
        "municipality": a1.municipality_id,
        "external_id": a1.external_id,
        "status": "published",
        "question": a1.question,
        "answer": a1.answer,
        "url": "javascript:alert(1)",
        "translations-TOTAL_FORMS": "0",
        "translations-INITIAL_FORMS": "0",
    }
    response = client.post(f"{LIST}{a1.pk}/change/", data)
    assert response.status_code == 200
    assert "url" in response.context["adminform"].form.errors


# --- import / export ------------------------------------------------------------------------------------


def test_admin_import_shows_line_numbered_errors_and_imports_good_rows(editor, cities, client):
    content = "external_id,question,answer\nn-1,新しい質問,新しい答え\nn-2,,答え\n".encode()
    check = client.post(
        f"{LIST}import/",
        {"municipality": cities[0].pk, "kind": "faq", "dry_run": "on", "file": SimpleUploadedFile("f.csv", content)},
    )
    assert check.status_code == 200
    page = check.content.decode()
    assert 'id="import-errors"' in page and "<td>3</td>" in page and "question is missing" in page
    assert not FAQ.objects.filter(external_id="n-1").exists()  # check only
    done = client.post(
        f"{LIST}import/", {"municipality": cities[0].pk, "kind": "faq", "file": SimpleUploadedFile("f.csv", content)}
    )
    assert done.status_code == 200
    assert FAQ.objects.get(external_id="n-1").municipality == cities[0]


def test_admin_import_into_another_city_is_refused(editor, cities, client):
    content = b"external_id,question,answer\nx-1,q,a\n"
    response = client.post(
        f"{LIST}import/", {"municipality": cities[1].pk, "kind": "faq", "file": SimpleUploadedFile("f.csv", content)}
    )
    assert response.status_code == 200
    assert "municipality" in response.context["form"].errors
    assert not FAQ.objects.filter(external_id="x-1").exists()


def test_admin_export_downloads_own_city_in_import_format(editor, entries, cities, client):
    assert client.get(f"{LIST}export/").status_code == 200
    response = client.get(f"{LIST}export/", {"municipality": cities[0].pk, "kind": "faq", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["external_id"] for r in rows} == {"a-gomi", "a-koseki", "a-old", "a-soon"}
    refused = client.get(f"{LIST}export/", {"municipality": cities[1].pk, "kind": "faq", "format": "csv"})
    assert "b-only" not in refused.content.decode("utf-8-sig")


# --- try a question -----------------------------------------------------------------------------------------


def test_try_a_question_shows_ranked_candidates_and_decision(editor, entries, cities, client, monkeypatch):
    seen = {}

    def fake_answer(request):
        seen["request"] = request
        candidates = [
            Candidate("faq", entries["a1"].pk, "a-gomi", entries["a1"].question, "受付センターへ。", "", 0.91),
            Candidate("faq", entries["a4"].pk, "a-soon", entries["a4"].question, "今月まで。", "", 0.42),
        ]
        return engine.Decision(engine.AnswerStatus.ANSWERED, engine.Reason.CONFIDENT, candidates, candidates[0], 0.91)

    monkeypatch.setattr(engine, "answer", fake_answer)
    response = client.get(f"{LIST}try/", {"municipality": cities[0].pk, "q": "ソファ捨てたい", "language": "en"})
    assert response.status_code == 200
    assert seen["request"].municipality == cities[0]
    assert (seen["request"].text, seen["request"].language) == ("ソファ捨てたい", "en")
    page = response.content.decode()
    assert 'id="try-candidates"' in page
    assert page.index("a-gomi") < page.index("a-soon")  # ranked
    assert "0.9100" in page and "0.4200" in page
    assert "answered" in page
    # Another city's municipality id is refused by the form.
    other = client.get(f"{LIST}try/", {"municipality": cities[1].pk, "q": "x", "language": "ja"})
    assert "municipality" in other.context["form"].errors


def test_try_a_question_with_the_real_engine(editor, entries, cities, client):
    response = client.get(f"{LIST}try/", {"municipality": cities[0].pk, "q": "粗大ごみの出し方は？", "language": "ja"})
    assert response.status_code == 200
    assert response.context.get("failure") is None
    candidates = response.context["candidates"]
    assert candidates and candidates[0].external_id == "a-gomi"
    assert "b-only" not in response.content.decode()


# --- unanswered and thumbs-down ----------------------------------------------------------------------------


def test_unanswered_questions_are_grouped_scoped_and_turn_into_draft_faqs(editor, entries, cities, client):
    a, b = cities
    top = [{"kind": "faq", "id": entries["a1"].pk, "external_id": "a-gomi", "title": "粗大ごみ", "score": 0.2}]
    for text in ["いぬの登録はどこで？", "イヌの登録は どこで", "ｲﾇの登録はどこで?"]:
        AnswerLog.objects.create(
            municipality=a, query=text, decision="handoff", reason="low_confidence", candidates=top
        )
    AnswerLog.objects.create(municipality=a, query="猫の譲渡会", decision="ask_back", reason="close_candidates")
    AnswerLog.objects.create(
        municipality=a, query="ソファの捨て方", decision="answer", feedback="unhelpful", answered_faq=entries["a1"]
    )
    AnswerLog.objects.create(municipality=a, query="人と話したい", decision="handoff", reason="asked_for_person")
    AnswerLog.objects.create(municipality=a, query="粗大ごみ", decision="answer", feedback="helpful")
    AnswerLog.objects.create(municipality=b, query="B市の未回答", decision="handoff", reason="low_confidence")
    old = AnswerLog.objects.create(municipality=a, query="昔の質問", decision="handoff", reason="low_confidence")
    AnswerLog.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=60))

    response = client.get(f"{LIST}unanswered/")
    assert response.status_code == 200
    gaps = response.context["gaps"]
    by_question = {g.question: g for g in gaps}
    dog = next(g for g in gaps if "登録" in g.question)
    assert dog.count == 3 and dog.handoff == 3  # width, kana and punctuation variants grouped
    assert set(by_question) == {dog.question, "猫の譲渡会", "ソファの捨て方"}
    assert by_question["ソファの捨て方"].unhelpful == 1
    page = response.content.decode()
    assert "B市の未回答" not in page and "人と話したい" not in page and "昔の質問" not in page

    wider = client.get(f"{LIST}unanswered/", {"days": 90})
    assert "昔の質問" in wider.content.decode()
    only_down = client.get(f"{LIST}unanswered/", {"kind": "unhelpful"})
    assert [g.question for g in only_down.context["gaps"]] == ["ソファの捨て方"]
    by_candidate = client.get(f"{LIST}unanswered/", {"by": "candidate"})
    assert any(g.count == 3 and g.top_candidate["external_id"] == "a-gomi" for g in by_candidate.context["gaps"])

    # "Create FAQ from this" opens the add form prefilled as a draft, in the closest entry's category
    # (the city numbers no ids: the fallback pattern), carrying the questions it came from.
    params = parse_qs(urlsplit(dog.create_url).query)
    assert params["municipality"] == [str(a.pk)] and len(params["log"]) == 3
    add = client.get(dog.create_url, follow=True)
    assert add.status_code == 200
    form = add.context["adminform"].form
    assert form.initial["question"] == dog.question
    assert form.initial["status"] == "draft"
    assert (form.initial["category"], form.initial["external_id"]) == ("ごみ", "faq-001")
    assert len(parse_qs(urlsplit(add.redirect_chain[-1][0]).query)["from_questions"][0].split(",")) == 3
    assert dog.question in add.content.decode()


def test_editor_pages_speak_japanese(editor, entries, client):
    page = client.get(LIST, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "質問を試す" in page and "未回答の質問" in page and "選択したFAQを公開する" in page
    unanswered = client.get(f"{LIST}unanswered/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "未回答・低評価の質問" in unanswered


def test_try_a_question_answers_a_question_written_in_another_language_as_residents_get_it(
    editor, entries, cities, client
):
    question = "Tôi muốn vứt một chiếc ghế sofa cũ thì phải làm thế nào ạ?"
    response = client.get(f"{LIST}try/", {"municipality": cities[0].pk, "q": question, "language": "ja"})
    decision = response.context["decision"]
    assert (decision.language, decision.written_in) == ("vi", "vi")  # as chatbot.handlers would answer it
    page = response.content.decode()
    assert 'id="try-language"' in page and "Vietnamese" in page
    assert "[Tiếng Việt]" in page  # the resident's one-tap offer to switch, in the preview
    short = client.get(f"{LIST}try/", {"municipality": cities[0].pk, "q": "xin chào", "language": "ja"})
    assert short.context["decision"].language == "ja" and 'id="try-language"' not in short.content.decode()
