"""Reading and writing FAQ files: CSV (UTF-8, header row) or JSONL, one entry per row.

Fields: external_id, question, answer (required); category, department, contact, url,
alt_questions (a list, or ``|``-separated in CSV), status, valid_from, valid_until (optional).
Bad rows are reported with their line number and reason; good rows are imported in one
transaction, so an import is never half-written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from .models import FAQ, FAQTranslation

FIELDS = [
    "external_id",
    "question",
    "answer",
    "category",
    "department",
    "contact",
    "url",
    "alt_questions",
    "status",
    "valid_from",
    "valid_until",
]
REQUIRED = ["external_id", "question", "answer"]
LIMITS = {"external_id": 64, "category": 100, "department": 100, "url": 500}


@dataclass
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged


def read_rows(path: Path | str, text: str | None = None) -> Iterator[tuple[int, dict | None, str]]:
    """Yield (line number, row or None, error) from a CSV or JSONL file."""
    name = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            yield 0, None, f"the file is not UTF-8 ({exc.reason} at byte {exc.start})"
            return
    if name.endswith((".jsonl", ".ndjson", ".json")):
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, None, f"not valid JSON ({exc.msg})"
                continue
            if not isinstance(row, dict):
                yield number, None, "not a JSON object"
                continue
            yield number, row, ""
    else:
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or not set(REQUIRED) <= set(reader.fieldnames):
            yield 1, None, f"the header must name at least: {', '.join(REQUIRED)}"
            return
        for row in reader:
            if None in row:
                yield reader.line_num, None, "more values than header columns"
                continue
            yield reader.line_num, row, ""


def _date(value) -> dt.date | None:
    if value in (None, ""):
        return None
    return dt.date.fromisoformat(str(value))


def clean_row(row: dict) -> dict:
    """Validate one row and return model field values; raise ValueError with a reason."""
    out: dict = {}
    for name in REQUIRED:
        value = row.get(name)
        if not isinstance(value, str | int) or not str(value).strip():
            raise ValueError(f"{name} is missing")
    for name in ["external_id", "question", "answer", "category", "department", "contact", "url"]:
        value = row.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str | int | float):
            raise ValueError(f"{name} must be text")
        value = str(value).strip()
        if name in LIMITS and len(value) > LIMITS[name]:
            raise ValueError(f"{name} is longer than {LIMITS[name]} characters")
        out[name] = value
    alts = row.get("alt_questions", [])
    if isinstance(alts, str):
        alts = [a.strip() for a in alts.split("|")]
    if not isinstance(alts, list) or not all(isinstance(a, str) for a in alts):
        raise ValueError("alt_questions must be a list of texts (or |-separated in CSV)")
    out["alt_questions"] = [a.strip() for a in alts if a.strip()]
    status = (row.get("status") or FAQ.Status.PUBLISHED).strip().lower()
    if status not in FAQ.Status.values:
        raise ValueError(f"status must be one of {', '.join(FAQ.Status.values)}, not {status!r}")
    out["status"] = status
    try:
        out["valid_from"] = _date(row.get("valid_from"))
        out["valid_until"] = _date(row.get("valid_until"))
    except ValueError:
        raise ValueError("valid_from / valid_until must be dates like 2026-04-01") from None
    if out["valid_from"] and out["valid_until"] and out["valid_from"] > out["valid_until"]:
        raise ValueError("valid_from is after valid_until")
    return out


def import_faqs(
    municipality, rows: Iterable[tuple[int, dict | None, str]], *, dry_run: bool = False, progress=None
) -> ImportResult:
    result = ImportResult()
    cleaned: list[tuple[int, dict]] = []
    seen: dict[str, int] = {}
    for line, row, error in rows:
        if error:
            result.errors.append(RowError(line, error))
            continue
        try:
            values = clean_row(row)
        except ValueError as exc:
            result.errors.append(RowError(line, str(exc)))
            continue
        if values["external_id"] in seen:
            result.errors.append(
                RowError(line, f"external_id {values['external_id']!r} repeats line {seen[values['external_id']]}")
            )
            continue
        seen[values["external_id"]] = line
        cleaned.append((line, values))
    existing = {f.external_id: f for f in FAQ.objects.filter(municipality=municipality, external_id__in=list(seen))}
    with transaction.atomic():
        for _line, values in cleaned:
            faq = existing.get(values["external_id"])
            if faq is None:
                FAQ.objects.create(municipality=municipality, **values)
                result.created += 1
            elif any(getattr(faq, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(faq, k, v)
                faq.save()
                result.updated += 1
            else:
                result.unchanged += 1
            if progress:
                progress()
        if dry_run:
            transaction.set_rollback(True)
    return result


def export_rows(municipality) -> Iterator[dict]:
    for faq in FAQ.objects.filter(municipality=municipality).order_by("external_id"):
        yield {
            "external_id": faq.external_id,
            "question": faq.question,
            "answer": faq.answer,
            "category": faq.category,
            "department": faq.department,
            "contact": faq.contact,
            "url": faq.url,
            "alt_questions": faq.alt_questions,
            "status": faq.status,
            "valid_from": faq.valid_from.isoformat() if faq.valid_from else "",
            "valid_until": faq.valid_until.isoformat() if faq.valid_until else "",
        }


def write_export(municipality, out: io.TextIOBase, fmt: str) -> int:
    count = 0
    if fmt == "jsonl":
        for row in export_rows(municipality):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
        return count
    writer = csv.DictWriter(out, fieldnames=FIELDS)
    writer.writeheader()
    for row in export_rows(municipality):
        writer.writerow({**row, "alt_questions": "|".join(row["alt_questions"])})
        count += 1
    return count


def import_translations(municipality, rows: Iterable[tuple[int, dict | None, str]]) -> ImportResult:
    """Curated translations: {"external_id", "language", "question", "answer"} per row."""
    from django.conf import settings

    languages = {code for code, _ in settings.LANGUAGES}
    result = ImportResult()
    with transaction.atomic():
        for line, row, error in rows:
            if error:
                result.errors.append(RowError(line, error))
                continue
            faq = FAQ.objects.filter(municipality=municipality, external_id=row.get("external_id")).first()
            if faq is None:
                result.errors.append(RowError(line, f"no FAQ with external_id {row.get('external_id')!r}"))
                continue
            if row.get("language") not in languages or not row.get("answer"):
                result.errors.append(RowError(line, "language must be a supported code and answer is required"))
                continue
            _obj, created = FAQTranslation.objects.update_or_create(
                faq=faq,
                language=row["language"],
                defaults={"question": row.get("question", ""), "answer": row["answer"]},
            )
            result.created += int(created)
            result.updated += int(not created)
    return result
