"""The dashboard's language-model figures: acceptance, fallbacks by reason, latency, tokens per month vs the budget."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse
from django.utils import translation

from conversations.models import AnswerLog, ModelOutcome
from dashboard import metrics
from dashboard.metrics import Filters

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def log(city, day: int, outcome: str = "", *, ms: float | None = None, tokens: int = 0, month: int = 7):
    return AnswerLog.objects.create(
        municipality=city,
        query="q",
        decision="answer" if outcome == ModelOutcome.ACCEPTED else "ask_back",
        model_outcome=outcome,
        model_latency_ms=ms,
        model_tokens=tokens,
        tokens=tokens,
        created_at=datetime(2026, month, day, 3, 0, tzinfo=UTC),  # noon in Tokyo
    )


@pytest.fixture
def city(municipality, settings):
    settings.LLM_MONTHLY_TOKEN_BUDGET = 10_000
    log(municipality, 6, ModelOutcome.ACCEPTED, ms=2000, tokens=1500)
    log(municipality, 6, ModelOutcome.ACCEPTED, ms=4000, tokens=1500)
    log(municipality, 6, ModelOutcome.CUT_OFF, ms=9000, tokens=1700)
    log(municipality, 7, ModelOutcome.TIMEOUT, ms=15000, tokens=800)
    log(municipality, 7, ModelOutcome.INVALID_CITATION, ms=3000, tokens=1200)
    log(municipality, 7, ModelOutcome.REFUSED, ms=3000, tokens=1200)
    log(municipality, 7)  # answered from the FAQ: the model was not asked
    log(municipality, 30, ModelOutcome.ACCEPTED, ms=1000, tokens=100, month=6)  # June: another month
    return municipality


def test_outcomes_acceptance_and_fallbacks_by_reason(city):
    table = metrics.model_outcomes(Filters(city, date(2026, 7, 1), date(2026, 7, 31)))
    counts = {row[0]: row[1] for row in table.rows}
    assert counts == {
        "accepted": 2,
        "cut off at the token cap": 1,
        "missing or unknown citation": 1,
        "leaked its instructions": 0,
        "refused by an output check": 1,
        "model said unanswerable": 0,
        "timed out": 1,
        "error": 0,
    }
    assert table.extra == {"accepted": 2, "total": 6}


def test_latency_per_day_only_where_the_model_was_asked(city):
    table = metrics.model_latency(Filters(city, date(2026, 7, 5), date(2026, 7, 8)))
    assert [list(r) for r in table.rows] == [["2026-07-06", 3, 4000, 9000], ["2026-07-07", 3, 3000, 15000]]


def test_tokens_per_month_against_the_budget(city):
    table = metrics.token_spend_monthly(Filters(city, date(2026, 6, 1), date(2026, 7, 31)))
    assert [list(r) for r in table.rows] == [["2026-06", 100, 10000, 1.0], ["2026-07", 7900, 10000, 79.0]]


def test_the_page_shows_acceptance_and_the_model_charts(client, city, staff_user):
    client.force_login(staff_user(city))
    html = client.get(
        reverse("dashboard:overview", args=[city.slug]), {"start": "2026-07-01", "end": "2026-07-31"}
    ).content.decode()
    assert 'data-kpi="model_acceptance">33.3<' in html
    for key in ("model_outcomes", "model_latency", "token_spend"):
        assert f'id="chart-{key}"' in html
