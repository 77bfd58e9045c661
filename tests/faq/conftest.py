"""Fixtures of the knowledge tests."""

from __future__ import annotations

import pytest
from django.utils import translation


@pytest.fixture
def english_admin(client):
    """Assertions read English texts: the test process and every admin request of ``client`` use English."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield client
