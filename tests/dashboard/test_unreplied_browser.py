"""The city admin's dashboard in Chromium at phone and laptop size (issue 16): beside the median first
reply, the hand-offs nobody has replied to, how long they have waited, and a link to each in the console.
Screenshots: test-artifacts/dashboard-unreplied-{phone,laptop}.png."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from conversations.models import Membership
from handoff.models import Ticket
from tests.conftest import ROOT

from .test_seed import END, START, at, build_seed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = ROOT / "test-artifacts"
SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_city_admin_sees_who_is_still_waiting_for_staff(
    browser, live_server, make_municipality, make_faq, staff_user, size
):
    seed = build_seed(make_municipality, make_faq)
    silent = Ticket.objects.get(municipality=seed.city, created_at=at(12, 8))
    client = Client()
    client.force_login(staff_user(seed.city, Membership.Role.CITY_ADMIN))
    context = browser.new_context(viewport=SIZES[size], locale="ja-JP", base_url=live_server.url)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"/dashboard/{seed.city.slug}/?start={START}&end={END}")
    kpi = page.locator("#unreplied-kpi")
    assert kpi.locator("[data-kpi=unreplied]").inner_text().replace(" ", "").startswith("1/")
    assert page.locator("[data-kpi=response]").is_visible() and kpi.is_visible()
    waiting = page.locator("#unreplied tbody tr")
    assert waiting.count() == 1 and waiting.first.get_attribute("data-ticket") == str(silent.pk)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    ARTIFACTS.mkdir(exist_ok=True)
    kpi.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"dashboard-unreplied-{size}.png"), full_page=False)
    page.locator("#unreplied").screenshot(path=str(ARTIFACTS / f"dashboard-unreplied-list-{size}.png"))

    kpi.locator("a[href='#unreplied']").click()
    waiting.first.locator("a").click()
    page.wait_for_url(f"**/console/tickets/{silent.pk}/")
    context.close()
    assert errors == []
