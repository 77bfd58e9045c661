"""What staff read on a ticket (issue 16): each message labelled with the language it is really in,
the glossary's gist of a question nobody translated, the FAQ draft in Japanese, who handled the
ticket, and each action bringing staff back to where they were."""

from __future__ import annotations

import pytest

from conversations.models import Conversation, Message, Resident
from handoff import gist, services
from handoff.models import Ticket
from handoff.written_language import language_label

VIETNAMESE = "Tôi muốn lấy giấy chứng nhận cư trú, số điện thoại 090-1234-5678"
BOT_JAPANESE = "住民票の写しは市民課の窓口で1通300円で取れます。"


def open_ticket(municipality, *, language: str, text: str, user: str = "r1") -> Ticket:
    resident = Resident.objects.create(
        municipality=municipality, channel="web", channel_user_id=user, language=language
    )
    conversation = Conversation.objects.create(municipality=municipality, resident=resident)
    Message.objects.create(conversation=conversation, direction="in", sender="resident", text=text, language=language)
    return services.open_ticket(conversation, Ticket.Reason.LOW_CONFIDENCE, question=text)


def bot_says(ticket: Ticket, text: str, *, japanese: str, language: str) -> Message:
    """As chatbot.answering stores a reply for a foreign-language resident: the Japanese original beside it."""
    return Message.objects.create(
        conversation=ticket.conversation,
        direction="out",
        sender="bot",
        text=text,
        language=language,
        translation=japanese,
        translation_language="ja",
    )


def thread_item(response, message: Message) -> dict:
    return next(i for i in response.context["thread"] if i["type"] == "message" and i["message"].pk == message.pk)


@pytest.mark.parametrize(
    ("text", "stored", "japanese", "expected"),
    [
        (BOT_JAPANESE, "vi", BOT_JAPANESE, "ja"),  # the bot's answer nothing could translate
        ("在留カードの手続きは市民課です。", "vi", "", "ja"),  # an untranslated staff reply
        (VIETNAMESE, "ja", "", "vi"),  # Vietnamese typed into a chat set to Japanese
        ("Please call ごみ減量推進課 on 042-000-1202 to book a collection.", "en", "", "en"),  # a Japanese name inside
        ("OK", "vi", "", "vi"),  # too short to judge
        ("市民課 電話 042-000-1111", "zh-hans", "", "zh-hans"),  # kanji only: Japanese or Chinese, keep
        ("わたしは ひっこし しました", "ja-easy", "", "ja-easy"),
    ],
)
def test_the_language_a_text_is_really_in(text, stored, japanese, expected):
    assert language_label(text, stored, japanese) == expected


def test_the_gist_is_the_glossarys_japanese_terms_and_nothing_for_japanese(municipality):
    assert gist.keywords(VIETNAMESE, "vi", municipality) == ["住民票"]
    assert gist.keywords("I moved here, how do I register my address?", "en", municipality) == ["住民登録"]
    assert gist.keywords("住民票がほしい", "ja", municipality) == []
    assert gist.keywords("Tôi có thể câu cá ở sông không?", "vi", municipality) == []


def test_each_message_is_labelled_with_the_language_it_is_in(console_client, municipality):
    ticket = open_ticket(municipality, language="vi", text=VIETNAMESE)
    untranslated = bot_says(ticket, BOT_JAPANESE, japanese=BOT_JAPANESE, language="vi")
    translated = bot_says(ticket, "Bạn có thể lấy tại quầy Phòng Thị dân.", japanese=BOT_JAPANESE, language="vi")
    response = console_client.get(f"/console/tickets/{ticket.pk}/")
    question = thread_item(response, ticket.conversation.messages.get(direction="in"))
    assert question["language"] == "vi" and question["gist"] == ["住民票"]  # no translator: the gist
    bot = thread_item(response, untranslated)
    assert bot["language"] == "ja" and bot["is_japanese"] and bot["japanese"] == ""  # not ベトナム語, not twice
    assert (thread_item(response, translated)["language"], thread_item(response, translated)["japanese"]) == (
        "vi",
        BOT_JAPANESE,
    )
    page = response.content.decode()
    row = page[page.index(f'data-message-id="{untranslated.pk}"') :]
    row = row[: row.index("</tr>")]
    assert 'data-language="ja"' in row and 'lang="ja"' in row and row.count(BOT_JAPANESE) == 1
    assert "住民票" in page[page.index('class="gist"') :]


def test_a_foreign_question_in_a_japanese_chat_shows_its_gist_in_the_queue(console_client, municipality):
    ticket = open_ticket(municipality, language="ja", text=VIETNAMESE)
    page = console_client.get("/console/").content.decode()
    row = page[page.index(f'data-ticket-id="{ticket.pk}"') :]
    cell = row[row.index('class="question"') : row.index("</td>", row.index('class="question"'))]
    assert 'class="gist"' in cell and "住民票" in cell and "090-1234-5678" not in cell


def test_the_faq_draft_is_prefilled_in_japanese_or_says_it_is_untranslated(console_client, municipality):
    untranslated = open_ticket(municipality, language="vi", text=VIETNAMESE, user="a")
    draft = services.draft_texts(untranslated)
    assert draft.untranslated and draft.question_language == "vi" and "[PHONE]" in draft.question
    page = console_client.get(f"/console/tickets/{untranslated.pk}/").content.decode()
    assert 'id="draft-untranslated"' in page and 'lang="vi"' in page[page.index('name="question"') - 120 :]

    translated = open_ticket(municipality, language="vi", text="Tôi muốn hỏi về thẻ cư trú", user="b")
    Ticket.objects.filter(pk=translated.pk).update(question_ja="在留カードについて聞きたい")
    draft = services.draft_texts(Ticket.objects.get(pk=translated.pk))
    assert (draft.question, draft.untranslated) == ("在留カードについて聞きたい", False)
    page = console_client.get(f"/console/tickets/{translated.pk}/").content.decode()
    assert 'id="draft-untranslated"' not in page and ">在留カードについて聞きたい</textarea>" in page

    # A translation made after the ticket opened (the resident's message translated later) counts too.
    later = open_ticket(municipality, language="vi", text="Xin hỏi về thuế cư trú", user="c")
    Message.objects.filter(conversation=later.conversation).update(
        translation="住民税について", translation_language="ja"
    )
    assert services.draft_texts(later).question == "住民税について"


def test_who_handled_a_ticket_is_still_shown_once_it_is_resolved(console_client, municipality, console_staff):
    ticket = open_ticket(municipality, language="ja", text="人と話したい")
    assert (
        ">—</dd>" in console_client.get(f"/console/tickets/{ticket.pk}/").content.decode().split('id="holder"')[1][:12]
    )
    services.claim(ticket, console_staff)
    services.resolve(ticket, outcome=Ticket.Outcome.ANSWERED, actor=console_staff)
    page = console_client.get(f"/console/tickets/{ticket.pk}/").content.decode()
    assert page.split('id="holder">')[1].startswith("tanaka</dd>")


def test_each_action_comes_back_to_where_it_was_made(console_client, municipality):
    ticket = open_ticket(municipality, language="ja", text="人と話したい")
    base = f"/console/tickets/{ticket.pk}/"
    assert console_client.post(base + "claim")["Location"] == base + "#reply-form"
    assert console_client.post(base + "reply", {"text": "市民課へどうぞ。"})["Location"] == base + "#reply-form"
    assert console_client.post(base + "note", {"text": "メモ"})["Location"] == base + "#note-form"
    assert console_client.post(base + "note", {"text": ""})["Location"] == base + "#note-form"  # an error, same place
    assert console_client.post(base + "assign", {"user": ""})["Location"] == base + "#actions"
    assert console_client.post(base + "resolve", {"outcome": ""})["Location"] == base + "#resolve-form"
    assert console_client.post(base + "resolve", {"outcome": "answered"})["Location"] == base + "#ticket-facts"
    draft = console_client.post(base + "faq-draft", {"question": "質問", "answer": "回答"})
    assert draft["Location"] == base + "#faq-draft"
