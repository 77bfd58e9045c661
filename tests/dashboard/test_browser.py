"""The dashboard in headless Chromium: every chart is drawn (pixels where its data is), nothing is
fetched from outside, and screenshots land in test-artifacts/ (dashboard*.png).

Chromium is driven from a thread of its own: Playwright's sync API refuses to start on a thread where
an event loop runs (another test module may keep a session-wide Playwright on the main thread), and
the test's database work stays on the main thread.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from conversations.models import Membership

from .test_seed import END, START, build_seed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def seeded(make_municipality, make_faq):
    return build_seed(make_municipality, make_faq)


from tests.conftest import CHROMIUM  # noqa: E402
from tests.conftest import CHROMIUM_ARGS as ARGS  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# For every chart: is a Chart.js instance attached, how many pixels are painted, and is there paint
# at the centre of each element (bar, point, arc) whose value is above zero.
INSPECT = """
() => Array.from(document.querySelectorAll("canvas[data-chart]")).map((canvas) => {
  const chart = Chart.getChart(canvas);
  const ctx = canvas.getContext("2d");
  const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
  let samples = 0, hits = 0;
  if (chart) {
    const ratio = chart.currentDevicePixelRatio || 1;
    chart.data.datasets.forEach((ds, d) => {
      chart.getDatasetMeta(d).data.forEach((el, i) => {
        if (!(ds.data[i] > 0)) return;
        const p = el.getCenterPoint();
        const px = ctx.getImageData(Math.round(p.x * ratio), Math.round(p.y * ratio), 1, 1).data;
        samples++;
        if (px[3] > 0) hits++;
      });
    });
  }
  return {key: canvas.dataset.chart, chart: !!chart, painted, area: canvas.width * canvas.height, samples, hits};
})
"""


def in_chromium(drive, timeout: float = 240):
    """Run ``drive(browser)`` in headless Chromium on a fresh thread and return what it returns."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail("Chromium is not installed at /usr/bin/chromium: run `make test`, which installs it")

    def run():
        from playwright.sync_api import sync_playwright  # noqa: PLC0415 (browser tests only)

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                return drive(browser)
            finally:
                browser.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result(timeout=timeout)


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_dashboard_draws_every_chart(live_server, seeded, staff_user):
    cookie = session_cookie(staff_user(seeded.city, Membership.Role.CITY_ADMIN))
    base = live_server.url
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "dashboard.png"

    def drive(browser) -> dict:
        context = browser.new_context(viewport={"width": 1360, "height": 900}, reduced_motion="reduce", locale="ja-JP")
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}])
        seen = {"outside": [], "errors": []}

        def only_local(route):
            if route.request.url.startswith(base):
                route.continue_()
            else:
                seen["outside"].append(route.request.url)
                route.abort()

        context.route("**/*", only_local)
        page = context.new_page()
        page.on("pageerror", lambda exc: seen["errors"].append(str(exc)))
        page.on("console", lambda msg: seen["errors"].append(msg.text) if msg.type == "error" else None)
        page.goto(f"{base}/dashboard/mihon/?start={START}&end={END}")
        page.wait_for_function("window.dashboardChartsDrawn !== undefined", timeout=20_000)
        page.wait_for_selector("#unanswered[data-loaded='1']", timeout=60_000)
        seen["charts"] = page.evaluate(INSPECT)
        page.screenshot(path=str(shot), full_page=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard-top.png"))  # what staff see first
        seen["drafts"] = page.locator("#unanswered a", has_text="FAQ").count()
        page.goto(f"{base}/dashboard/mihon/content/")
        page.screenshot(path=str(ARTIFACTS / "dashboard-content.png"), full_page=True)
        seen["review_due"] = page.locator("#content-review_due tbody tr").count()
        page.goto(f"{base}/dashboard/mihon/erase/?q=U-C3")
        page.screenshot(path=str(ARTIFACTS / "dashboard-erase.png"), full_page=True)
        seen["erase_cards"] = page.locator("[data-resident]").count()
        context.close()
        return seen

    seen = in_chromium(drive)

    assert seen["errors"] == [] and seen["outside"] == []
    charts = seen["charts"]
    keys = {c["key"] for c in charts}
    assert {"daily", "hourly", "resolution", "handoff_reasons", "first_response", "satisfaction"} <= keys
    assert {"languages", "channels", "top_faq", "tokens", "translated_characters"} <= keys
    for chart in charts:
        assert chart["chart"], chart
        assert chart["painted"] > chart["area"] * 0.01, chart  # more than axes: bars, arcs, lines
        assert chart["samples"] > 0 and chart["hits"] == chart["samples"], chart
    assert seen["drafts"] == 5  # one "create FAQ draft" per group of unanswered questions
    assert seen["review_due"] == 6 and seen["erase_cards"] == 1
    assert shot.stat().st_size > 20_000
    print(f"screenshot: {shot}")
