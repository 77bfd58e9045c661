"""Import reports every problem of a row, each with its line and field (issue 16), not only the first."""

from __future__ import annotations

import json

import pytest
from django.utils import translation

from faq import importing
from faq.models import FAQ


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def rows(text: str, name: str = "faq.csv") -> list[importing.Row]:
    return list(importing.read_rows(name, text=text))


def test_a_row_with_four_problems_reports_four_each_with_line_and_field(municipality):
    csv_text = (
        "external_id,question,answer,status,valid_from,valid_until,url\n"
        "gomi-1,粗大ごみ,受付センターへ。,,,,\n"
        ",,答え,maybe,2026-13-01,,javascript:alert(1)\n"  # line 3: no id, no question, bad status, date, url
        "gomi-2,質問,答え,,2026-05-01,2026-04-01,\n"  # line 4: validity ends before it starts
    )
    result = importing.import_faqs(municipality, rows(csv_text))

    problems = {(e.line, e.field) for e in result.errors}
    assert problems == {
        (3, "external_id"),
        (3, "question"),
        (3, "status"),
        (3, "valid_from"),
        (3, "url"),
        (4, "valid_until"),
    }
    assert result.rejected == 2 and result.created == 1
    assert "line 3, status: status must be one of draft, published, not “maybe”" in [str(e) for e in result.errors]
    assert set(FAQ.objects.values_list("external_id", flat=True)) == {"gomi-1"}


def test_jsonl_rows_name_the_fields_too(municipality):
    bad = {"external_id": "x" * 70, "question": "質問", "answer": "", "alt_questions": "ok|", "category": ["ごみ"]}
    result = importing.import_faqs(municipality, rows(json.dumps(bad, ensure_ascii=False), "faq.jsonl"))
    assert {(e.line, e.field) for e in result.errors} == {(1, "external_id"), (1, "answer"), (1, "category")}


def test_a_good_row_still_cleans_to_model_values():
    values = importing.clean_row(
        {"external_id": "a-1", "question": "質問", "answer": "答え", "alt_questions": "甲|乙|甲", "status": "Draft"}
    )
    assert values["alt_questions"] == ["甲", "乙"] and values["status"] == "draft"
    assert values["valid_from"] is None and values["url"] == ""


def test_translation_rows_report_every_problem_too(municipality, make_faq):
    make_faq(municipality, "粗大ごみ", "答え", external_id="gomi-001")
    csv_text = "external_id,language,question,answer\n,xx,Bulky?,\ngomi-001,en,Bulky?,Call.\nnone-9,en,Q,A\n"
    result = importing.import_translations(municipality, rows(csv_text))
    assert {(e.line, e.field) for e in result.errors} == {
        (2, "external_id"),
        (2, "answer"),
        (2, "language"),
        (4, "external_id"),
    }
    assert result.rejected == 2 and result.created == 1
