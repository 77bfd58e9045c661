"""Fixtures of the LINE channel tests: a fake LINE API on loopback and a municipality wired to it."""

from __future__ import annotations

import pytest

from tests.fakes.line_api import FakeLineAPI, sign, webhook_body

SECRET = "test-channel-secret"
TOKEN = "test-access-token"


@pytest.fixture
def line_api(settings):
    with FakeLineAPI(tokens={TOKEN}) as api:
        settings.LINE_API_BASE_URL = api.url
        yield api


@pytest.fixture
def line_city(municipality):
    municipality.line_channel_secret = SECRET
    municipality.line_access_token = TOKEN
    municipality.save()
    return municipality


@pytest.fixture
def post_webhook(client):
    """POST events to the webhook, signed like LINE signs them (or with the signature given)."""

    def post(*events, slug: str = "mihon", signature: str | None = None, body: bytes | None = None):
        body = webhook_body(*events) if body is None else body
        headers = {} if signature == "" else {"HTTP_X_LINE_SIGNATURE": signature or sign(body, SECRET)}
        return client.post(f"/line/{slug}/webhook", body, content_type="application/json", **headers)

    return post
