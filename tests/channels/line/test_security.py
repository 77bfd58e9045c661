"""Security of the LINE webhook: every request is checked with the secret of the municipality in its URL.

Each test fails if the protection it names is removed.
"""

from __future__ import annotations

import logging

import pytest

from channels.line import views
from conversations.models import InboundEvent
from tests.fakes.line_api import sign, text_event, webhook_body

A_SECRET, B_SECRET = "city-a-channel-secret", "city-b-channel-secret"


@pytest.fixture(autouse=True)
def _fresh_channels():
    views.forget_channels()
    yield
    views.forget_channels()


@pytest.fixture
def queued(monkeypatch):
    ids: list[int] = []
    monkeypatch.setattr(views, "enqueue", ids.append)
    return ids


@pytest.fixture
def cities(make_municipality):
    return (
        make_municipality("city-a", line_channel_secret=A_SECRET, line_access_token="a-token"),
        make_municipality("city-b", line_channel_secret=B_SECRET, line_access_token="b-token"),
    )


def post(client, slug: str, body: bytes, secret: str):
    return client.post(
        f"/line/{slug}/webhook", body, content_type="application/json", HTTP_X_LINE_SIGNATURE=sign(body, secret)
    )


def test_a_valid_signature_of_one_city_is_refused_at_another(client, cities, queued, caplog):
    caplog.set_level(logging.INFO)
    body = webhook_body(text_event("私の電話番号は090-1234-5678です"))
    assert post(client, "city-b", body, A_SECRET).status_code == 400
    assert post(client, "city-a", body, B_SECRET).status_code == 400
    assert not InboundEvent.objects.exists() and queued == []
    assert "090-1234-5678" not in caplog.text and A_SECRET not in caplog.text and B_SECRET not in caplog.text
    assert post(client, "city-b", body, B_SECRET).status_code == 200
    assert InboundEvent.objects.get().municipality == cities[1]


def test_the_cached_secret_is_per_city(client, cities, queued):
    body = webhook_body(text_event("こんにちは"))
    assert post(client, "city-a", body, A_SECRET).status_code == 200  # city A's secret is now cached
    assert post(client, "city-b", webhook_body(text_event("別の")), A_SECRET).status_code == 400
    assert InboundEvent.objects.filter(municipality=cities[1]).count() == 0


def test_an_inactive_city_accepts_nothing(client, cities, queued):
    city_a = cities[0]
    city_a.is_active = False
    city_a.save()
    assert post(client, "city-a", webhook_body(text_event("こんにちは")), A_SECRET).status_code == 404
    assert not InboundEvent.objects.exists()


def test_an_unsigned_or_empty_secret_city_accepts_nothing(client, make_municipality, queued):
    make_municipality("no-line")
    body = webhook_body(text_event("こんにちは"))
    assert post(client, "no-line", body, "").status_code == 404  # an empty secret never validates anything
    response = client.post("/line/no-line/webhook", body, content_type="application/json")
    assert response.status_code == 404
    assert not InboundEvent.objects.exists()
