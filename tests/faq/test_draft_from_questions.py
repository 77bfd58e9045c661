""" "Create FAQ from this" is draft, review, publish (issue 16): a prefilled draft with the city's next id,
the residents' wording learned, the questions off the unanswered list, and the published entry answering."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from chatbot import engine
from conversations.models import AnswerLog, Conversation, Membership, Message, Resident
from faq.ids import suggest_external_id
from faq.models import FAQ, LearnedPhrasing
from tests.conftest import wait_until

LIST = "/admin/faq/faq/"
FIRE_EXTINGUISHER = "使わなくなった消火器はどうやって処分すればいいですか"


pytestmark = pytest.mark.usefixtures("english_admin")


@pytest.fixture
def gomi(municipality, make_faq):
    entries = [
        make_faq(
            municipality,
            "粗大ごみの出し方を教えてください。",
            "粗大ごみ受付センター（042-000-1202）にお申し込みください。",
            external_id="gomi-001",
            category="ごみ・リサイクル",
            department="ごみ減量推進課",
        ),
        make_faq(
            municipality,
            "ごみの収集日を知りたい。",
            "地区ごとの収集日はごみカレンダーでご確認ください。",
            external_id="gomi-007",
            category="ごみ・リサイクル",
            department="ごみ減量推進課",
        ),
        make_faq(
            municipality,
            "住民票の写しはどこで取れますか。",
            "市民課の窓口で1通300円で取れます。",
            external_id="koseki-001",
            category="戸籍・住民票",
            department="市民課",
        ),
    ]
    return entries


def test_suggested_ids_follow_the_city_pattern(municipality, make_faq, make_municipality):
    for n, category in [(1, "ごみ"), (2, "ごみ"), (19, "ごみ"), (3, "税")]:
        prefix = "gomi" if category == "ごみ" else "zei"
        make_faq(municipality, f"質問{n}{prefix}", "答え", external_id=f"{prefix}-{n:03d}", category=category)
    make_faq(municipality, "下書き", "答え", external_id="draft-7", category="ごみ")
    assert suggest_external_id(municipality, "ごみ") == "gomi-020"
    assert suggest_external_id(municipality, "税") == "zei-004"
    assert suggest_external_id(municipality, "新しい分類") == "gomi-020"  # the city's commonest pattern
    make_faq(municipality, "先取り", "答え", external_id="zei-004", category="ごみ")  # taken in another category
    assert suggest_external_id(municipality, "税") == "zei-005"
    assert suggest_external_id(make_municipality("empty-city")) == "faq-001"


def log_question(municipality, text: str, *, language: str = "ja", candidates=None, translation_ja: str = ""):
    message = None
    if translation_ja:
        resident = Resident.objects.create(municipality=municipality, channel="web", channel_user_id=text[:20])
        message = Message.objects.create(
            conversation=Conversation.objects.create(municipality=municipality, resident=resident),
            direction=Message.Direction.INBOUND,
            sender=Message.Sender.RESIDENT,
            text=text,
            translation=translation_ja,
            translation_language="ja",
        )
    return AnswerLog.objects.create(
        municipality=municipality,
        query=text,
        language=language,
        decision="handoff",
        reason="low_confidence",
        candidates=candidates or [],
        message=message,
    )


def test_draft_review_publish_learns_the_wording_and_answers_after_publishing(municipality, gomi, staff_user, client):
    editor = staff_user(municipality, Membership.Role.EDITOR, username="editor")
    client.force_login(editor)
    near = [{"kind": "faq", "id": gomi[0].pk, "external_id": "gomi-001", "title": "粗大ごみ", "score": 0.08}]
    logs = [
        log_question(municipality, FIRE_EXTINGUISHER, candidates=near),
        log_question(municipality, FIRE_EXTINGUISHER + "？", candidates=near),
        log_question(municipality, "消火器を捨てたい 090-1234-5678 に電話ください", candidates=near),
    ]

    listing = client.get(f"{LIST}unanswered/")
    gap = next(g for g in listing.context["gaps"] if g.question == FIRE_EXTINGUISHER)
    add = client.get(gap.create_url, follow=True)
    form = add.context["adminform"].form
    assert form.initial["question"] == FIRE_EXTINGUISHER
    assert (form.initial["category"], form.initial["department"]) == ("ごみ・リサイクル", "ごみ減量推進課")
    assert form.initial["external_id"] == "gomi-008" and form.initial["status"] == "draft"
    assert add.context["drafted_from"] == 2  # the two like-worded questions of the group

    # Draft: the editor writes the entry in the city's words and saves.
    add_url = add.redirect_chain[-1][0]
    data = {
        "municipality": municipality.pk,
        "external_id": "gomi-008",
        "status": "draft",
        "question": "消火器はどのように処分すればよいですか。",
        "alt_questions": "",
        "answer": "消火器は市では収集しません。販売店か消火器リサイクルの指定引取場所にお持ちください。",
        "category": "ごみ・リサイクル",
        "department": "ごみ減量推進課",
        "translations-TOTAL_FORMS": "0",
        "translations-INITIAL_FORMS": "0",
    }
    saved = client.post(add_url, data)
    faq = FAQ.objects.get(external_id="gomi-008")
    assert saved.status_code == 302 and saved["Location"] == f"{LIST}{faq.pk}/change/"
    page = client.get(saved["Location"]).content.decode()
    assert 'id="draft-notice"' in page and 'name="_publish"' in page and "Saved as a draft (gomi-008)" in page

    # The residents' wording (masked) is a phrasing the entry learned from an editor; the questions left the list.
    learned = LearnedPhrasing.objects.get(faq=faq)
    assert learned.text == FIRE_EXTINGUISHER and learned.status == LearnedPhrasing.Status.APPROVED
    assert set(learned.sightings.values_list("source", flat=True)) == {LearnedPhrasing.Source.EDITOR}
    assert AnswerLog.objects.filter(pk__in=[logs[0].pk, logs[1].pk], handled_at__isnull=False).count() == 2
    assert AnswerLog.objects.get(pk=logs[2].pk).handled_at is None  # another group: still waiting
    remaining = [g.question for g in client.get(f"{LIST}unanswered/").context["gaps"]]
    assert FIRE_EXTINGUISHER not in remaining and len(remaining) == 1

    # Review, then publish: the bot answers the residents' question with it within the index's check interval.
    published = client.post(saved["Location"], {**data, "_publish": "Publish"})
    assert published.status_code == 302
    faq.refresh_from_db()
    assert faq.status == FAQ.Status.PUBLISHED and faq.last_reviewed_by == editor
    assert "Published (gomi-008)" in client.get(published["Location"]).content.decode()

    def answered_with_it():
        decision = engine.answer(engine.AnswerRequest(municipality, FIRE_EXTINGUISHER))
        return decision.chosen is not None and decision.chosen.external_id == "gomi-008"

    wait_until(answered_with_it, timeout=15, interval=0.5)


def test_a_foreign_question_drafts_in_japanese_when_translated_else_says_so(municipality, gomi, staff_user, client):
    client.force_login(staff_user(municipality, Membership.Role.EDITOR, username="editor"))
    translated = log_question(
        municipality, "Tôi muốn vứt bình chữa cháy cũ", language="vi", translation_ja="古い消火器を捨てたい"
    )
    untranslated = log_question(municipality, "पुरानो अग्नि निभाउने यन्त्र कसरी फाल्ने?", language="ne")

    draft_url = f"{LIST}unanswered/draft/"
    add = client.get(draft_url, {"municipality": municipality.pk, "log": translated.pk}, follow=True)
    assert add.context["adminform"].form.initial["question"] == "古い消火器を捨てたい"

    add = client.get(draft_url, {"municipality": municipality.pk, "log": untranslated.pk}, follow=True)
    assert add.context["adminform"].form.initial["question"] == untranslated.query
    assert "Nepali" in add.content.decode() and "write the question in Japanese" in add.content.decode()

    # Questions already dealt with, or of another city, open nothing.
    AnswerLog.objects.filter(pk=translated.pk).update(handled_at=untranslated.created_at)
    gone = client.get(draft_url, {"municipality": municipality.pk, "log": translated.pk})
    assert gone.status_code == 302 and gone["Location"] == f"{LIST}unanswered/"
    assert parse_qs(urlsplit(gone["Location"]).query) == {}
