"""Resolving a hand-off with the FAQ entry that answered it teaches the bot the resident's wording."""

from __future__ import annotations

import pytest

from conversations.models import Membership
from faq.models import LearnedPhrasing

from .test_console import ticket_for


@pytest.fixture
def console(client, municipality, staff_user):
    client.force_login(staff_user(municipality, Membership.Role.STAFF, username="tanaka"))
    return client


def test_resolving_with_an_faq_entry_teaches_the_bot(console, municipality, make_faq):
    sodai = make_faq(municipality, "粗大ごみの出し方を教えてください。", "予約制です。", external_id="gomi-001")
    ticket = ticket_for(municipality, question="マットレスって普通ごみで出せる？ 090-1234-5678")
    console.post(f"/console/tickets/{ticket.pk}/claim")

    found = console.get(f"/console/tickets/{ticket.pk}/faqs", {"q": "粗大ごみ"}).json()["entries"]
    assert found[0]["external_id"] == "gomi-001"
    page = console.get(f"/console/tickets/{ticket.pk}/").content.decode()
    assert 'id="resolve-faq-search"' in page and 'name="faq"' in page

    console.post(f"/console/tickets/{ticket.pk}/resolve", {"outcome": "answered", "faq": str(sodai.pk)})
    phrasing = LearnedPhrasing.objects.get(faq=sodai)
    assert "090-1234-5678" not in phrasing.text and phrasing.text.startswith("マットレスって普通ごみで出せる")
    assert phrasing.status == LearnedPhrasing.Status.APPROVED  # the city lets staff teach without review
    assert list(phrasing.sightings.values_list("source", flat=True)) == ["staff"]


def test_an_entry_of_another_city_is_ignored(console, municipality, make_municipality, make_faq):
    elsewhere = make_faq(make_municipality("other"), "粗大ごみの出し方", "x", external_id="gomi-001")
    ticket = ticket_for(municipality, question="マットレス捨てたい")
    console.post(f"/console/tickets/{ticket.pk}/claim")
    console.post(f"/console/tickets/{ticket.pk}/resolve", {"outcome": "answered", "faq": str(elsewhere.pk)})
    ticket.refresh_from_db()
    assert not ticket.is_open and not LearnedPhrasing.objects.exists()
