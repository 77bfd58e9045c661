"""A resident in danger: emergency numbers at once, in their language, and an urgent ticket on top of the queue."""

from __future__ import annotations

import pytest

from conversations.models import AnswerLog, Membership
from handoff.models import Ticket

from .conftest import conversation_of, jst, replies


@pytest.fixture
def city(municipality, make_faq):
    municipality.emergency_contacts = "いのちの電話 0120-000-000\n救急相談 #7119"
    municipality.save()
    make_faq(municipality, "粗大ごみの出し方を教えてください。", "予約制です。", external_id="gomi-001")
    make_faq(
        municipality,
        "死にたいと思うほどつらい気持ちを、誰かに相談したいのですが。",
        "こころの相談窓口があります。",
        external_id="kokoro-001",
    )
    return municipality


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("もう消えてしまいたい。生きてる意味がわからない", "ja", "0120-000-000"),
        ("薬を一度に全部飲んでしまった、気持ち悪い", "ja", "119"),
        ("台所から煙が出てる！", "ja", "119"),
        ("my husband is hitting me right now", "en", "110"),
        ("Tôi muốn chết, không muốn sống nữa", "vi", "0120-000-000"),
        ("我奶奶突然昏迷了，没有呼吸", "zh-hans", "119"),
    ],
)
def test_a_crisis_gets_emergency_numbers_and_an_urgent_ticket(city, send, fixed_now, text, language, expected):
    fixed_now(jst(2026, 7, 15, 10, 0))  # a Wednesday morning, staff are in
    user = f"r-{language}-{len(text)}"
    event = send(text, user=user, language=language)
    [reply] = replies(event)
    assert expected in reply.text and "110" in reply.text and "119" in reply.text
    ticket = Ticket.objects.get(conversation=conversation_of(user))
    assert (ticket.reason, ticket.priority) == (Ticket.Reason.SENSITIVE, Ticket.Priority.URGENT)
    assert AnswerLog.objects.get(conversation=ticket.conversation).reason == "sensitive"
    assert "kokoro-001" not in reply.text  # no FAQ answer, not even the counselling entry


def test_outside_hours_the_resident_is_told_whom_to_call_now_in_their_language(city, send, fixed_now):
    fixed_now(jst(2026, 7, 17, 23, 0))  # Friday night
    event = send("There is a fire in my kitchen and smoke everywhere", user="night", language="en")
    [reply] = replies(event)
    assert reply.text.startswith("If there is fire, smoke or a smell of gas, get out now and call 119.")
    assert "Police: 110" in reply.text and "いのちの電話 0120-000-000" in reply.text
    assert "do not wait: call the numbers above" in reply.text
    ticket = Ticket.objects.get(conversation=conversation_of("night"))
    assert ticket.out_of_hours and ticket.priority == Ticket.Priority.URGENT


def test_urgent_tickets_come_first_in_the_queue(city, send, fixed_now, client, staff_user):
    fixed_now(jst(2026, 7, 15, 10, 0))
    send("人と話したい", user="first")
    send("父が倒れて意識がない", user="second")
    client.force_login(staff_user(city, Membership.Role.STAFF))
    page = client.get("/console/").content.decode()
    assert page.index("父が倒れて意識がない") < page.index("人と話したい")
    assert 'class="badge urgent"' in page


def test_the_citys_own_emergency_lines_are_named_in_the_residents_language(city, send, fixed_now):
    city.emergency_contacts = "みほん市 こころの相談 042-000-1050\nいのちの電話 0120-000-000"
    city.save()
    fixed_now(jst(2026, 7, 15, 10, 0))
    [english] = replies(send("I want to die, I can't go on", user="en-crisis", language="en"))
    assert "Sample City Mental health consultation (こころの相談) 042-000-1050" in english.text
    assert "いのちの電話 0120-000-000" in english.text  # a name the glossary does not know stays as written
    [japanese] = replies(send("もう消えてしまいたい", user="ja-crisis", language="ja"))
    assert "みほん市 こころの相談 042-000-1050" in japanese.text
