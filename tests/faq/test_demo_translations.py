"""The demo city's curated translations load completely: every file, every row, in its language."""

from __future__ import annotations

import pytest

from conversations.models import Municipality
from faq import importing
from faq.management.commands import load_demo
from faq.models import FAQ, FAQTranslation
from languages import registry


@pytest.fixture
def demo_city(db) -> Municipality:
    city = load_demo.demo_municipality("http://127.0.0.1:8000")
    assert load_demo.load_faq(city).errors == []
    return city


def test_every_demo_translation_file_loads_without_a_rejected_row(demo_city):
    files = load_demo.translation_files()
    assert {load_demo.file_language(path) for path in files} >= {"en"}
    results = load_demo.load_translations(demo_city)
    assert [(path.name, [str(e) for e in result.errors]) for path, result in results if result.errors] == []
    assert sum(result.created for _path, result in results) == FAQTranslation.objects.count()
    for path in files:
        language = load_demo.file_language(path)
        assert language in registry.CODES and language != "ja", path.name
        rows = [row for _line, row, _error in importing.read_rows(path)]
        assert {row["language"] for row in rows} == {language}, f"{path.name} holds rows of another language"
    # No entry is translated twice into one language across the parts (the later file would win silently).
    pairs = [
        (row["external_id"], row["language"]) for path in files for _line, row, _error in importing.read_rows(path)
    ]
    assert len(pairs) == len(set(pairs))
    assert set(FAQTranslation.objects.values_list("faq__municipality", flat=True)) == {demo_city.pk}
    assert FAQ.objects.filter(municipality=demo_city).count() == 194
