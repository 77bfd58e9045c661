"""The cross-lingual demo query sets stay aligned with the Japanese ones they translate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from languages.detection import detect

QUERIES = Path(__file__).resolve().parents[2] / "faq" / "demo" / "queries"
LANGUAGES = ["en", "zh-hans", "vi", "ne"]


def load(name: str) -> list[dict]:
    return [json.loads(line) for line in (QUERIES / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def japanese() -> dict[str, dict]:
    rows = {}
    for path in sorted(QUERIES.glob("ja_*.jsonl")):
        rows.update({row["id"]: row for row in load(path.name)})
    return rows


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_japanese_query_has_a_translation_with_the_same_judgements(language):
    originals = japanese()
    rows = load(f"{language}.jsonl")
    assert [row["id"] for row in rows] == [f"{language}-{qid}" for qid in originals]
    for row in rows:
        original = originals[row["id"].removeprefix(f"{language}-")]
        assert row["relevant"] == original["relevant"], row["id"]
        assert row["language"] == language
        assert row["query"].strip() and row["query"] != original["query"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_queries_are_mostly_detected_as_their_language(language):
    """Residents' texts are short and mix in Japanese words; most should still read as their language."""
    rows = load(f"{language}.jsonl")
    detected = sum(detect(row["query"])[0] == language for row in rows)
    assert detected / len(rows) >= 0.8, detected
