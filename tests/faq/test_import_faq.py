"""FAQ import/export: line-numbered errors, good rows kept, nothing half-written, round trips."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from conversations.models import Municipality
from faq import importing
from faq.models import FAQ, FAQTranslation


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def run_import(tmp_path, municipality, name: str, content: str | bytes, *extra) -> tuple[str, str]:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("import_faq", str(path), "--municipality", municipality.slug, *extra, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


CSV_WITH_ERRORS = (
    "external_id,question,answer,category,alt_questions,status,valid_until\n"  # line 1
    "gomi-1,粗大ごみの出し方は？,受付センターに申し込みます。,ごみ,大きい家具を捨てたい|ソファを捨てたい,,\n"  # 2
    'gomi-2,"複数行の\n質問",答え,ごみ,,draft,\n'  # 3-4: a quoted value over two lines
    "gomi-3,,答えだけ,ごみ,,,\n"  # 5: no question
    "\n"  # 6: blank
    "gomi-4,質問,答え,ごみ,,maybe,\n"  # 7: bad status
    "gomi-5,質問,答え,ごみ,,,2026-13-40\n"  # 8: bad date
    "gomi-1,重複,答え,ごみ,,,\n"  # 9: repeats line 2
    "gomi-6,質問,答え,ごみ,,,,extra\n"  # 10: too many values
)


def test_csv_bad_rows_reported_by_line_and_good_rows_imported(tmp_path, municipality):
    out, err = run_import(tmp_path, municipality, "faq.csv", CSV_WITH_ERRORS)
    assert "2 created" in out and "5 rejected" in out
    lines = [line for line in err.splitlines() if line.strip()]
    assert any("line 5, question:" in line and "question is missing" in line for line in lines)
    assert any("line 7, status:" in line for line in lines)
    assert any("line 8, valid_until:" in line and "date" in line for line in lines)
    assert any("line 9, external_id:" in line and "repeats line 2" in line for line in lines)
    assert any("line 10:" in line and "columns" in line for line in lines)
    entries = {f.external_id: f for f in FAQ.objects.filter(municipality=municipality)}
    assert set(entries) == {"gomi-1", "gomi-2"}
    assert entries["gomi-1"].alt_questions == ["大きい家具を捨てたい", "ソファを捨てたい"]
    assert entries["gomi-1"].status == FAQ.Status.PUBLISHED
    assert entries["gomi-2"].question == "複数行の\n質問"
    assert entries["gomi-2"].status == FAQ.Status.DRAFT


def test_jsonl_bad_rows_reported_by_line(tmp_path, municipality):
    content = "\n".join(
        [
            json.dumps({"external_id": "a", "question": "q", "answer": "x", "alt_questions": ["p1", "p2"]}),
            "{not json",
            json.dumps(["a", "list"]),
            json.dumps({"external_id": "b", "question": "q", "answer": "x", "status": 1}),
            json.dumps({"external_id": "c", "question": "q", "answer": "x", "alt_questions": "one|two"}),
            json.dumps({"external_id": "d", "question": "q", "answer": "x", "url": "javascript:alert(1)"}),
            json.dumps({"external_id": "e", "question": "q", "answer": "x", "alt_questions": [1]}),
        ]
    )
    out, err = run_import(tmp_path, municipality, "faq.jsonl", content)
    assert "2 created" in out
    assert "line 2: not valid JSON" in err
    assert "line 3: not a JSON object" in err
    assert "line 4, status: status" in err
    assert "line 6, url: url" in err
    assert "line 7, alt_questions: alt_questions" in err
    assert FAQ.objects.get(external_id="c").alt_questions == ["one", "two"]


def test_reimport_updates_in_place_and_counts_unchanged(tmp_path, municipality):
    first = "external_id,question,answer\nx-1,旧い質問,旧い答え\nx-2,質問2,答え2\n"
    run_import(tmp_path, municipality, "a.csv", first)
    original = FAQ.objects.get(external_id="x-1")
    out, _err = run_import(
        tmp_path, municipality, "b.csv", "external_id,question,answer\nx-1,新しい質問,新しい答え\nx-2,質問2,答え2\n"
    )
    assert "0 created, 1 updated, 1 unchanged" in out
    updated = FAQ.objects.get(external_id="x-1")
    assert updated.pk == original.pk
    assert (updated.question, updated.answer) == ("新しい質問", "新しい答え")
    assert updated.history.count() == 2  # the edit history keeps the old text
    assert FAQ.objects.count() == 2


def test_nothing_half_written_when_the_database_refuses(tmp_path, municipality, monkeypatch):
    """A failure while writing rolls back the rows written before it."""
    calls = {"n": 0}
    real_create = FAQ.objects.create

    def failing_create(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return real_create(**kwargs)

    monkeypatch.setattr(FAQ.objects, "create", failing_create)
    with pytest.raises(RuntimeError):
        run_import(tmp_path, municipality, "c.csv", "external_id,question,answer\nk1,q,a\nk2,q,a\n")
    assert not FAQ.objects.filter(municipality=municipality).exists()


def test_strict_and_dry_run_write_nothing(tmp_path, municipality):
    content = "external_id,question,answer\ns1,q,a\ns2,,a\n"
    with pytest.raises(CommandError):
        run_import(tmp_path, municipality, "s.csv", content, "--strict")
    assert not FAQ.objects.exists()
    out, _err = run_import(tmp_path, municipality, "d.csv", "external_id,question,answer\nd1,q,a\n", "--dry-run")
    assert "1 created" in out and "dry run" in out
    assert not FAQ.objects.exists()


def test_missing_header_column_and_non_utf8_are_reported(tmp_path, municipality):
    with pytest.raises(CommandError, match="Nothing was imported"):
        run_import(tmp_path, municipality, "h.csv", "id,question,answer\n1,q,a\n")
    rows = list(importing.read_rows("x.csv", text="id,question\n1,q\n"))
    result = importing.import_faqs(municipality, rows)
    assert [str(e) for e in result.errors] == ["line 1: the header lacks the column(s): external_id, answer"]

    sjis = "external_id,question,answer\nj1,質問,答え\n".encode("cp932")
    result = importing.import_faqs(municipality, importing.read_rows("x.csv", text=sjis))
    assert result.errors[0].line == 2 and "UTF-8" in result.errors[0].reason
    assert not FAQ.objects.exists()


def test_unknown_columns_are_warned_not_fatal(municipality):
    rows = importing.read_rows("x.csv", text="external_id,question,answer,catgory\nu1,q,a,ごみ\n")
    result = importing.import_faqs(municipality, rows)
    assert result.created == 1
    assert result.warnings == ["line 2: unknown field “catgory” ignored"]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_round_trips(tmp_path, municipality, make_faq, fmt):
    make_faq(
        municipality,
        "粗大ごみの出し方は？",
        '受付センターへ。\n電話: 042-000-1202, "予約制"',
        external_id="gomi-001",
        alt_questions=["ソファを捨てたい", "大型ごみ"],
        category="ごみ",
        department="ごみ減量推進課",
        contact="平日 8:30〜17:15",
        url="kurashi/gomi/sodai.html",
        status=FAQ.Status.DRAFT,
        valid_from="2026-04-01",
        valid_until="2027-03-31",
    )
    make_faq(municipality, "住民票は？", "市民課で。", external_id="koseki-001")
    # Texts a spreadsheet would run as formulas: defused in CSV, restored on import.
    make_faq(municipality, "=何が必要？", "- 本人確認書類\n- 印鑑", external_id="zz-calc", alt_questions=["@持ち物"])
    path = tmp_path / f"export.{fmt}"
    call_command("export_faq", "--municipality", municipality.slug, "--output", str(path), stderr=io.StringIO())
    text = path.read_text(encoding="utf-8")
    if fmt == "csv":
        header = next(csv.reader(io.StringIO(text)))
        assert header == importing.FIELDS
    else:
        first = json.loads(text.splitlines()[0])
        assert first["alt_questions"] == ["ソファを捨てたい", "大型ごみ"]
    before = list(importing.export_rows(municipality))
    # Into another municipality: identical entries; back into the same: all unchanged.

    other = Municipality.objects.create(slug="other", name_ja="他市")
    result = importing.import_faqs(other, importing.read_rows(path))
    assert result.created == 3 and not result.errors
    assert list(importing.export_rows(other)) == before
    again = importing.import_faqs(municipality, importing.read_rows(path))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    if fmt == "csv":
        assert "'=何が必要？" in text and "'- 本人確認書類" in text and "'@持ち物" in text


def test_translations_import_and_export(tmp_path, municipality, make_faq):
    make_faq(municipality, "粗大ごみ", "答え", external_id="gomi-001")
    content = "\n".join(
        [
            json.dumps({"external_id": "gomi-001", "language": "en", "question": "Bulky waste?", "answer": "Call."}),
            json.dumps({"external_id": "nope", "language": "en", "answer": "x"}),
            json.dumps({"external_id": "gomi-001", "language": "xx", "answer": "x"}),
        ]
    )
    out, err = run_import(tmp_path, municipality, "tr.jsonl", content, "--translations")
    assert "1 created" in out
    assert "line 2, external_id: no FAQ" in err and "line 3, language: language" in err
    assert FAQTranslation.objects.get().answer == "Call."
    buffer = io.StringIO()
    call_command(
        "export_faq",
        "--municipality",
        municipality.slug,
        "--translations",
        "--format",
        "jsonl",
        stdout=buffer,
        stderr=io.StringIO(),
    )
    assert json.loads(buffer.getvalue()) == {
        "external_id": "gomi-001",
        "language": "en",
        "question": "Bulky waste?",
        "answer": "Call.",
        "contact": "",
    }


def test_translation_contact_imported_exported_and_kept_by_files_without_it(tmp_path, municipality, make_faq):
    make_faq(municipality, "粗大ごみ", "答え", external_id="gomi-001", contact="ごみ減量推進課 電話 042-000-1201")
    with_contact = json.dumps(
        {
            "external_id": "gomi-001",
            "language": "vi",
            "question": "Rác cồng kềnh?",
            "answer": "Gọi điện.",
            "contact": "Phòng Giảm thiểu Rác (ごみ減量推進課) ĐT 042-000-1201",
        },
        ensure_ascii=False,
    )
    out, _err = run_import(tmp_path, municipality, "vi_part_a.jsonl", with_contact, "--translations")
    assert "1 created" in out
    assert FAQTranslation.objects.get().contact == "Phòng Giảm thiểu Rác (ごみ減量推進課) ĐT 042-000-1201"

    # An older file (no contact field, CSV without the column) updates the text and keeps the contact.
    older = "external_id,language,question,answer\ngomi-001,vi,Rác cồng kềnh?,Hãy gọi điện.\n"
    result = importing.import_translations(municipality, importing.read_rows("older.csv", older))
    assert (result.updated, result.errors, result.warnings) == (1, [], [])
    tr = FAQTranslation.objects.get()
    assert (tr.answer, tr.contact) == ("Hãy gọi điện.", "Phòng Giảm thiểu Rác (ごみ減量推進課) ĐT 042-000-1201")

    # CSV export carries the contact, and re-importing the export changes nothing.
    buffer = io.StringIO()
    assert importing.write_translations(municipality, buffer, "csv") == 1
    row = next(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert row["contact"] == tr.contact
    again = importing.import_translations(municipality, importing.read_rows("tr.csv", buffer.getvalue()))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)

    # A blank contact in a file that has the field clears it: the Japanese line is shown again.
    blank = json.dumps({"external_id": "gomi-001", "language": "vi", "answer": "Hãy gọi điện.", "contact": ""})
    importing.import_translations(municipality, importing.read_rows("x.jsonl", blank))
    assert FAQTranslation.objects.get().contact == ""
