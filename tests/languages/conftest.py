"""Fixtures for the language tests."""

from __future__ import annotations

import pytest

from languages import glossary


@pytest.fixture
def fresh_glossary():
    """The glossary is built again from the files and this test's rows (it is cached per process)."""
    glossary.invalidate()
    yield
    glossary.invalidate()
