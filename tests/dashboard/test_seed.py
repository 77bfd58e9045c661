"""A week of conversations whose dashboard figures can be checked by hand.

The week is Monday 2026-07-06 to Sunday 2026-07-12 (no public holiday), Japan time. Office hours are
the default hand-off calendar: weekdays 8:30-17:15.

    conv  channel lang  resident wrote (JST)               bot / staff                         outcome
    C1    line    ja    Mon 10:00                          answered FAQ1, helpful               self-resolved
    C2    line    ja    Mon 20:00, Tue 21:30               answered FAQ2 twice, 2nd helpful     self-resolved
    C3    web     en    Wed 09:00                          answered FAQ3, not helpful           unhelpful
    C4    web     ja    Wed 12:00                          hand-off (low conf.), staff 12:10    handed off
    C5    line    ja    Sat 22:00                          hand-off (low conf.), staff Mon+1    handed off
    C6    line    ja    Sun 08:00                          hand-off (asked for person), none    handed off
    C7    web     ja    Thu 15:00 text, 15:01 button       asked back, "none" -> hand-off,      handed off
                                                            staff message 15:31
    C8    line    ja    Fri 18:00                          hand-off (low conf.), staff 18:03    handed off
    C9    web     ja    Fri 10:00                          answered FAQ1, not helpful           unhelpful
    C10   web     vi    Tue 11:00                          answered FAQ2                        self-resolved
    C11   line    ja    Thu 09:30                          asked back only                      not answered

Every resident message gets one bot reply a minute later (and the follow event in C1 a greeting).
Outside the week (must not count): C12 on Sun 07-05 23:58, C13 on Mon 07-13 00:00, and another
municipality's conversation on Wed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from conversations.models import AnswerLog, Conversation, Message, Resident
from handoff.models import Ticket
from languages.models import CachedTranslation

JST = ZoneInfo("Asia/Tokyo")
START, END = date(2026, 7, 6), date(2026, 7, 12)
PHONE_TEXT = "When is the bus to the city hall? call me 090-1234-5678"
C10_TEXT = "Làm thế nào để lấy giấy chứng nhận cư trú?"
CONTENT_TRANSLATION = "粗大ごみは予約制です。"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 7, day, hour, minute, tzinfo=JST)


@dataclass
class Seed:
    city: object
    other: object
    faqs: dict = field(default_factory=dict)
    conversations: dict = field(default_factory=dict)


def build_seed(make_municipality, make_faq) -> Seed:
    city = make_municipality("mihon", name_ja="みほん市", name_en="Sample City")
    other = make_municipality("tonari", name_ja="となり町")
    seed = Seed(city, other)
    seed.faqs = {
        1: make_faq(city, "粗大ごみの出し方", "予約してください。", external_id="F1", category="ごみ"),
        2: make_faq(city, "住民票の写しの取り方", "市民課で。", external_id="F2", category="戸籍"),
        3: make_faq(city, "バスの時刻", "時刻表をご覧ください。", external_id="F3", category="交通"),
        4: make_faq(city, "犬の登録", "保健所へ。", external_id="F4", category="動物"),
        5: make_faq(city, "下書き", "まだ。", external_id="F5", status="draft"),
        6: make_faq(city, "終わった制度", "終了しました。", external_id="F6", valid_until=date(2000, 1, 1)),
        7: make_faq(city, "図書館の開館時間", "9時からです。", external_id="F7", category="施設"),
    }
    faqs = seed.faqs

    def conversation(key, channel, lang, municipality=city):
        resident = Resident.objects.create(
            municipality=municipality, channel=channel, channel_user_id=f"U-{key}", language=lang
        )
        conv = Conversation.objects.create(municipality=municipality, resident=resident)
        seed.conversations[key] = conv
        return conv

    def message(conv, when, sender, text="", kind="text", **fields):
        direction = Message.Direction.INBOUND if sender == Message.Sender.RESIDENT else Message.Direction.OUTBOUND
        lang = fields.pop("language", conv.resident.language)
        return Message.objects.create(
            conversation=conv, direction=direction, sender=sender, text=text, kind=kind, created_at=when,
            language=lang, **fields,
        )  # fmt: skip

    def ask(conv, when, text, decision, reason="", faq=None, feedback="", tokens=0, kind="text", **msg_fields):
        """A resident message, its answer log and the bot's reply a minute later."""
        inbound = message(conv, when, Message.Sender.RESIDENT, text, kind=kind, **msg_fields)
        AnswerLog.objects.create(
            municipality=conv.municipality,
            conversation=conv,
            message=inbound,
            query=text,
            language=conv.resident.language,
            decision=decision,
            reason=reason,
            answered_faq=faq,
            feedback=feedback,
            tokens=tokens,
            created_at=when,
        )
        message(conv, when + timedelta(minutes=1), Message.Sender.BOT, "reply", kind=decision)
        return inbound

    def ticket(conv, when, reason, **fields):
        return Ticket.objects.create(
            municipality=conv.municipality, conversation=conv, reason=reason, created_at=when, **fields
        )

    staff = Message.Sender.STAFF
    c1 = conversation("C1", "line", "ja")
    message(c1, at(6, 9, 59), Message.Sender.RESIDENT, "", kind="follow")
    message(c1, at(6, 9, 59), Message.Sender.BOT, "greeting", kind="greeting")
    ask(c1, at(6, 10), "粗大ごみの出し方", "answer", "confident", faqs[1], "helpful", tokens=120)

    c2 = conversation("C2", "line", "ja")
    ask(c2, at(6, 20), "住民票はどこで取れますか", "answer", "confident", faqs[2])
    ask(c2, at(7, 21, 30), "住民票の写しを取りたい", "answer", "confident", faqs[2], "helpful", tokens=80)

    c3 = conversation("C3", "web", "en")
    ask(c3, at(8, 9), PHONE_TEXT, "answer", "confident", faqs[3], "unhelpful")

    c4 = conversation("C4", "web", "ja")
    ask(c4, at(8, 12), "粗大ごみの出し方を教えて", "handoff", "low_confidence")
    ticket(c4, at(8, 12), "low_confidence", first_response_at=at(8, 12, 10), rating="good", rated_at=at(8, 13))
    message(c4, at(8, 12, 10), staff, "お待たせしました")

    c5 = conversation("C5", "line", "ja")
    ask(c5, at(11, 22), "ペットの犬を登録したい", "handoff", "low_confidence")
    ticket(c5, at(11, 22), "low_confidence", first_response_at=at(13, 9), rating="good", rated_at=at(13, 10))
    message(c5, at(13, 9), staff, "ご連絡ありがとうございます")

    c6 = conversation("C6", "line", "ja")
    ask(c6, at(12, 8), "人と話したい", "handoff", "asked_for_person")
    ticket(c6, at(12, 8), "asked_for_person")

    c7 = conversation("C7", "web", "ja")
    ask(c7, at(9, 15), "マイナンバーカードをなくした", "ask_back", "close_candidates")
    ask(c7, at(9, 15, 1), "どれでもない", "handoff", "low_confidence", kind="postback")
    ticket(c7, at(9, 15, 1), "low_confidence", rating="bad", rated_at=at(9, 16))
    message(c7, at(9, 15, 31), staff, "再発行の手続きをご案内します")

    c8 = conversation("C8", "line", "ja")
    ask(c8, at(10, 18), "犬の登録", "handoff", "low_confidence")
    ticket(c8, at(10, 18), "low_confidence", first_response_at=at(10, 18, 3), rating="5", rated_at=at(10, 19))
    message(c8, at(10, 18, 3), staff, "保健所です")

    c9 = conversation("C9", "web", "ja")
    ask(c9, at(10, 10), "粗大ごみはどうやって出すの？", "answer", "confident", faqs[1], "unhelpful")

    c10 = conversation("C10", "web", "vi")
    ask(
        c10, at(7, 11), C10_TEXT, "answer", "confident", faqs[2],
        machine_translated=True, translation="住民票の取り方は？", translation_language="ja",
    )  # fmt: skip

    c11 = conversation("C11", "line", "ja")
    ask(c11, at(9, 9, 30), "税金について", "ask_back", "close_candidates")

    # Outside the week, or another municipality: none of this may count.
    c12 = conversation("C12", "line", "ja")
    ask(c12, at(5, 23, 58), "図書館は何時から", "answer", "confident", faqs[7], "helpful", tokens=999)
    ticket(c12, at(5, 23, 58), "sensitive")
    c13 = conversation("C13", "web", "ja")
    ask(c13, datetime(2026, 7, 13, 0, 0, tzinfo=JST), "図書館は何時から", "answer", "confident", faqs[7])
    c14 = conversation("C14", "line", "ja", municipality=other)
    ask(c14, at(8, 12), "ごみの日", "handoff", "low_confidence")
    ticket(c14, at(8, 12), "low_confidence")

    # Translation cost: one city-content translation on Wednesday (and one written by an editor: not billed).
    made = CachedTranslation.objects.create(
        municipality=city, source_language="ja", target_language="en", source_text=CONTENT_TRANSLATION,
        text="Large garbage needs a reservation.", backend="deepl",
    )  # fmt: skip
    by_hand = CachedTranslation.objects.create(
        municipality=city, source_language="ja", target_language="vi", source_text=CONTENT_TRANSLATION,
        text="...", backend="", is_curated=True,
    )  # fmt: skip
    CachedTranslation.objects.filter(pk__in=[made.pk, by_hand.pk]).update(created_at=at(8, 3))
    return seed


@pytest.fixture
def seeded(make_municipality, make_faq) -> Seed:
    return build_seed(make_municipality, make_faq)


def test_the_seed_is_what_the_table_above_says(seeded):
    inbound = Message.objects.filter(conversation__municipality=seeded.city, direction="in").exclude(kind="follow")
    assert inbound.count() == 13 + 2  # the week, plus C12 and C13 outside it
