"""Beside the median first reply, the dashboard shows the hand-offs no one has replied to and how long
they have waited (issue 16): a quick median over the few answered must not hide the many left waiting."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from conversations.models import Membership
from dashboard import metrics
from dashboard.metrics import Filters
from handoff.models import Ticket

from .test_seed import END, START, at, build_seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(make_municipality, make_faq):
    return build_seed(make_municipality, make_faq)


def test_unreplied_hand_offs_are_counted_with_their_wait(seeded):
    week = Filters(seeded.city, START, END)
    answered = metrics.response_summary(week)["answered"]
    now = at(13, 8)
    found = metrics.unreplied(week, now=now)
    assert found.handoffs == answered + found.count == len(metrics.response_times(week))
    silent = Ticket.objects.get(municipality=seeded.city, created_at=at(12, 8))  # C6: asked for a person, no reply
    assert (found.count, found.waiting) == (1, 1)
    assert found.longest == [(silent, 24 * 60.0)] and found.oldest_minutes == 24 * 60.0

    # Closed without a reply: still unreplied, no longer waiting.
    Ticket.objects.filter(pk=silent.pk).update(status=Ticket.Status.RESOLVED)
    found = metrics.unreplied(week, now=now)
    assert (found.count, found.waiting, found.longest, found.oldest_minutes) == (1, 0, [], None)


def test_the_overview_lists_the_waiting_hand_offs_with_console_links(seeded, staff_user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(staff_user(seeded.city, Membership.Role.CITY_ADMIN))
    silent = Ticket.objects.get(municipality=seeded.city, created_at=at(12, 8))
    with translation.override("en"):
        page = client.get(f"/dashboard/{seeded.city.slug}/", {"start": START, "end": END}).content.decode()
    assert 'data-kpi="unreplied">1<small> / ' in page
    assert f'href="/console/tickets/{silent.pk}/"' in page and 'id="unreplied"' in page
    assert "1 still open, waiting for" in page
