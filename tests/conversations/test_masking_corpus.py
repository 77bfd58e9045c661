"""Masking measured on a corpus, not on single lines.

- tests/data/pii_corpus.jsonl: 331 messages in eight languages holding personal data; ``pii`` lists
  the substrings that must not survive ``mask`` (names, residence-card, passport, My Number,
  health-insurance and bank-account numbers, birth dates, phones, e-mail, addresses, postal codes,
  full-width forms). Recall: the share of those substrings gone. Required: at least 0.95.
- tests/data/pii_negatives.jsonl: 178 ordinary questions (dates of deadlines, amounts, counters,
  rooms, years, "my name", "My Number card"). At most 2% may be changed.
- The development and demo cities' resident questions (written blind, never tuned against): a
  second set of ordinary questions, held to the same 2%.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conversations.masking import mask

DATA = Path(__file__).resolve().parent.parent / "data"
ROOT = Path(__file__).resolve().parent.parent.parent


def lines(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


CORPUS = lines("pii_corpus.jsonl")
NEGATIVES = lines("pii_negatives.jsonl")


def test_the_corpus_is_what_the_tests_say_it_is():
    assert len(CORPUS) >= 200 and len({item["language"] for item in CORPUS}) >= 6
    kinds = {kind for item in CORPUS for kind in item["kinds"]}
    assert {"name", "residence_card", "passport", "my_number", "health_insurance", "bank_account"} <= kinds
    assert {"birth_date", "phone", "email", "address", "postal_code"} <= kinds
    assert all(p in item["text"] for item in CORPUS for p in item["pii"])


def test_recall_on_the_personal_data_corpus_is_at_least_95_percent():
    total, leaked = 0, []
    for item in CORPUS:
        masked = mask(item["text"])
        for piece in item["pii"]:
            total += 1
            if piece in masked:
                leaked.append((item["id"], piece, masked))
    recall = 1 - len(leaked) / total
    assert recall >= 0.95, f"recall {recall:.3f}; leaked: {leaked[:20]}"


@pytest.mark.parametrize("kind", sorted({kind for item in CORPUS for kind in item["kinds"]}))
def test_every_kind_is_mostly_masked(kind):
    items = [item for item in CORPUS if kind in item["kinds"]]
    kept = [item["id"] for item in items if any(p in mask(item["text"]) for p in item["pii"])]
    assert len(kept) <= max(1, len(items) // 10), kept


def test_at_most_2_percent_of_ordinary_questions_are_changed():
    changed = [
        (item["id"], item["text"], mask(item["text"])) for item in NEGATIVES if mask(item["text"]) != item["text"]
    ]
    assert len(changed) <= 0.02 * len(NEGATIVES), changed


def test_the_cities_resident_questions_are_left_alone():
    seen: set[str] = set()
    for path in [
        *(ROOT / "faq" / "devcity" / "queries").rglob("*.jsonl"),
        *(ROOT / "faq" / "demo" / "queries").glob("*.jsonl"),
    ]:
        for line in path.read_text(encoding="utf-8").splitlines():
            question = json.loads(line).get("query") if line.strip() else None
            if isinstance(question, str):
                seen.add(question)
    assert len(seen) > 1000
    changed = [(q, mask(q)) for q in sorted(seen) if mask(q) != q]
    assert len(changed) <= 0.02 * len(seen), changed[:20]


def test_full_width_forms_are_masked_and_the_rest_is_kept_as_written():
    text = "メールは ｔａｒｏ．ｙａｍａｄａ＠ｅｘａｍｐｌｅ．ｃｏｍ、電話は０９０ー１２３４ー５６７８　です。"
    assert mask(text) == "メールは [EMAIL]、電話は[PHONE]　です。"
