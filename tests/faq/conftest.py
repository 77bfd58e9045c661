"""Fixtures of the knowledge tests."""

from __future__ import annotations

import pytest
from django.utils import translation

from faq import retrieval


@pytest.fixture
def fresh_index(settings):
    """The test starts without a cached index and checks the version stamp on every search."""
    settings.FAQ_INDEX_CHECK_SECONDS = 0
    retrieval.registry.forget()
    yield
    retrieval.registry.forget()


@pytest.fixture
def english_admin(client):
    """Assertions read English texts: the test process and every admin request of ``client`` use English."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield client
