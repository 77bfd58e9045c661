"""Reading and writing FAQ files: CSV (UTF-8, header row) or JSONL, one entry per row.

Fields: external_id, question, answer (required); category, department, contact, url,
alt_questions (a list, or ``|``-separated in CSV), status, valid_from, valid_until (optional).
Bad rows are reported with their line number, and every problem of a row with its field; good rows are imported in one
transaction, so an import is never half-written (``strict=True``: nothing is written if any row
is bad). Export writes the same format, so export -> edit -> import round-trips.

Curated translations use their own file of the same two formats: external_id, language,
answer (required); question, contact (optional: the contact line in that language, shown instead
of the Japanese one; a file without the field leaves an existing translation's contact alone).

The command line (``import_faq`` / ``export_faq``) and the admin's import/export pages both use
this module, so the rules are the same everywhere.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from faq import spreadsheet

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
TEXT_FIELDS = ["external_id", "question", "answer", "category", "department", "contact", "url"]
LIMITS = {"external_id": 64, "category": 100, "department": 100, "url": 500}
TRANSLATION_FIELDS = ["external_id", "language", "question", "answer", "contact"]
TRANSLATION_REQUIRED = ["external_id", "language", "answer"]
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
FORMATS = ("csv", "jsonl")

Row = tuple[int, dict | None, str]


@dataclass
class RowError:
    """One problem of a file: its line (0: the whole file), the field it is in ("" when not one field), why."""

    line: int
    reason: str
    field: str = ""

    def __str__(self) -> str:
        if not self.line:
            return str(self.reason)
        if self.field:
            return _("line %(line)s, %(field)s: %(reason)s") % {
                "line": self.line,
                "field": self.field,
                "reason": self.reason,
            }
        return _("line %(line)s: %(reason)s") % {"line": self.line, "reason": self.reason}


class RowProblems(ValueError):
    """Every problem found in one row, as (field, reason) pairs: a row is checked to the end, not to its first fault."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(reason for _field, reason in problems))
        self.problems = problems

    def errors(self, line: int) -> list[RowError]:
        return [RowError(line, reason, field) for field, reason in self.problems]


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    written: bool = True

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged

    @property
    def rejected(self) -> int:
        """Rows left out (a row with three problems is one row rejected)."""
        return len({e.line for e in self.errors})


def format_of(name: str) -> str:
    return "jsonl" if str(name).lower().endswith(JSONL_SUFFIXES) else "csv"


class DecodeError(ValueError):
    def __init__(self, line: int, reason: str):
        super().__init__(reason)
        self.line = line


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM); a clear error naming the line of the first bad byte otherwise."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DecodeError(
            line,
            _(
                "the file is not UTF-8 (byte %(byte)s cannot be read); "
                "in Excel, save it as “CSV UTF-8 (comma delimited)”"
            )
            % {"byte": exc.start},
        ) from None


def read_rows(path: Path | str, text: str | bytes | None = None, fmt: str | None = None) -> Iterator[Row]:
    """Yield (line number, row or None, error) from a CSV or JSONL file.

    ``text`` (str or bytes) is the file's content when it does not come from disk (an upload);
    ``path`` then only names it, and its suffix chooses the format unless ``fmt`` is given.
    """
    if text is None:
        text = Path(path).read_bytes()
    if isinstance(text, bytes):
        try:
            text = decode(text)
        except DecodeError as exc:
            yield exc.line, None, str(exc)
            return
    text = text.removeprefix("\ufeff")
    if (fmt or format_of(str(path))) == "jsonl":
        yield from _jsonl_rows(text)
    else:
        yield from _csv_rows(text)


def _jsonl_rows(text: str) -> Iterator[Row]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield (
                number,
                None,
                _("not valid JSON (%(error)s at column %(column)s)") % {"error": exc.msg, "column": exc.colno},
            )
            continue
        if not isinstance(row, dict):
            yield number, None, _("not a JSON object")
            continue
        yield number, row, ""


def _csv_rows(text: str) -> Iterator[Row]:
    """Rows numbered by the line they start on (a quoted value may span lines); blank lines skipped."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        yield 1, None, _("the file is empty")
        return
    except csv.Error as exc:
        yield 1, None, _("the header row cannot be read (%(error)s)") % {"error": exc}
        return
    header = [h.strip() for h in header]
    if len(set(header)) != len(header):
        yield 1, None, _("the header names a column twice")
        return
    yield 0, {"__header__": header}, ""
    line = reader.line_num
    while True:
        start = line + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, None, _("cannot be read as CSV (%(error)s)") % {"error": exc}
            return
        line = reader.line_num
        if not values or not any(v.strip() for v in values):
            continue
        if len(values) > len(header):
            yield (
                start,
                None,
                _("%(values)s values but the header has %(columns)s columns")
                % {
                    "values": len(values),
                    "columns": len(header),
                },
            )
            continue
        yield start, dict(zip(header, [spreadsheet.restore(v) for v in values], strict=False)), ""


def _rows_and_header(rows: Iterable[Row], required: list[str], known: list[str], result: ImportResult) -> list[Row]:
    """Drop the CSV header marker, checking its columns; note unknown keys once as a warning."""
    out: list[Row] = []
    unknown: dict[str, int] = {}
    for line, row, error in rows:
        if row is not None and "__header__" in row:
            header = row["__header__"]
            missing = [name for name in required if name not in header]
            if missing:
                result.errors.append(
                    RowError(1, _("the header lacks the column(s): %(columns)s") % {"columns": ", ".join(missing)})
                )
                return []
            continue
        if row is not None:
            for key in row:
                if key not in known:
                    unknown.setdefault(key, line)
        out.append((line, row, error))
    for key, line in unknown.items():
        result.warnings.append(str(RowError(line, _("unknown field “%(field)s” ignored") % {"field": key})))
    return out


def _date(value) -> dt.date | None:
    if value in (None, ""):
        return None
    return dt.date.fromisoformat(str(value).strip())


def _text(row: dict, name: str) -> str:
    value = row.get(name)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(_("%(field)s must be text") % {"field": name})
    return str(value).strip()


def check_url(value: str) -> None:
    lowered = value.lower()
    if ":" in lowered.split("/", 1)[0] and not lowered.startswith(("http://", "https://")):
        raise ValueError(_("url must be a page path (kurashi/gomi.html) or an http(s) address"))
    if any(ch.isspace() for ch in value):
        raise ValueError(_("url must not contain spaces"))


def clean_row(row: dict) -> dict:
    """Validate one row and return model field values; raise ``RowProblems`` naming every problem and its field."""
    out: dict = {}
    problems: list[tuple[str, str]] = []

    def check(name: str, read: Callable[[], object]) -> None:
        try:
            out[name] = read()
        except ValueError as exc:
            problems.append((name, str(exc)))

    for name in TEXT_FIELDS:
        check(name, lambda name=name: _text(row, name))
    for name in REQUIRED:
        if name in out and not out[name]:
            problems.append((name, _("%(field)s is missing") % {"field": name}))
    for name, limit in LIMITS.items():
        if len(out.get(name, "")) > limit:
            problems.append(
                (name, _("%(field)s is longer than %(limit)s characters") % {"field": name, "limit": limit})
            )
    if out.get("url"):
        check("url", lambda: check_url(out["url"]) or out["url"])
    check("alt_questions", lambda: _alt_questions(row.get("alt_questions")))
    check("status", lambda: _status(row.get("status")))
    for name in ("valid_from", "valid_until"):
        check(name, lambda name=name: _checked_date(row.get(name), name))
    if out.get("valid_from") and out.get("valid_until") and out["valid_from"] > out["valid_until"]:
        problems.append(("valid_until", _("valid_from is after valid_until")))
    if problems:
        raise RowProblems(problems)
    return out


def _alt_questions(alts) -> list[str]:
    if alts is None:
        alts = []
    if isinstance(alts, str):
        alts = alts.split("|")
    elif isinstance(alts, list) and any(isinstance(a, str) and "|" in a for a in alts):
        raise ValueError(_("an alternative phrasing must not contain | (it separates phrasings in CSV)"))
    if not isinstance(alts, list) or not all(isinstance(a, str) for a in alts):
        raise ValueError(_("alt_questions must be a list of texts (or |-separated in CSV)"))
    return list(dict.fromkeys(a.strip() for a in alts if a.strip()))


def _status(status) -> str:
    if status in (None, ""):
        return FAQ.Status.PUBLISHED
    if not isinstance(status, str) or status.strip().lower() not in FAQ.Status.values:
        raise ValueError(
            _("status must be one of %(choices)s, not “%(value)s”")
            % {"choices": ", ".join(FAQ.Status.values), "value": status}
        )
    return status.strip().lower()


def _checked_date(value, name: str) -> dt.date | None:
    try:
        return _date(value)
    except (ValueError, TypeError):
        raise ValueError(
            _("%(field)s must be a date like 2026-04-01, not “%(value)s”") % {"field": name, "value": value}
        ) from None


def import_faqs(
    municipality,
    rows: Iterable[Row],
    *,
    dry_run: bool = False,
    strict: bool = False,
    progress: Callable[[], object] | None = None,
) -> ImportResult:
    """Create or update (by external_id) the good rows in one transaction; report the bad ones.

    ``dry_run`` checks and counts but writes nothing; ``strict`` writes nothing if any row is bad.
    """
    result = ImportResult()
    cleaned: list[tuple[int, dict]] = []
    seen: dict[str, int] = {}
    for line, row, error in _rows_and_header(rows, REQUIRED, FIELDS, result):
        if error:
            result.errors.append(RowError(line, error))
            continue
        try:
            values = clean_row(row)
        except RowProblems as exc:
            result.errors.extend(exc.errors(line))
            continue
        if values["external_id"] in seen:
            result.errors.append(
                RowError(
                    line,
                    _("external_id “%(id)s” repeats line %(line)s")
                    % {"id": values["external_id"], "line": seen[values["external_id"]]},
                    "external_id",
                )
            )
            continue
        seen[values["external_id"]] = line
        cleaned.append((line, values))
    if strict and result.errors:
        result.written = False
        return result
    with transaction.atomic():
        existing = {
            f.external_id: f
            for f in FAQ.objects.select_for_update().filter(municipality=municipality, external_id__in=list(seen))
        }
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
            result.written = False
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


def translation_rows(municipality) -> Iterator[dict]:
    translations = FAQTranslation.objects.filter(faq__municipality=municipality).select_related("faq")
    for tr in translations.order_by("faq__external_id", "language"):
        yield {
            "external_id": tr.faq.external_id,
            "language": tr.language,
            "question": tr.question,
            "answer": tr.answer,
            "contact": tr.contact,
        }


def _write(rows: Iterable[dict], out: io.TextIOBase, fmt: str, fieldnames: list[str]) -> int:
    count = 0
    if fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
        return count
    writer = csv.DictWriter(out, fieldnames=fieldnames, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        if isinstance(row.get("alt_questions"), list):
            row = {**row, "alt_questions": "|".join(row["alt_questions"])}
        writer.writerow({name: spreadsheet.defuse(value) for name, value in row.items()})
        count += 1
    return count


def write_export(municipality, out: io.TextIOBase, fmt: str) -> int:
    """Write the municipality's FAQ entries in the import format; return the number written."""
    return _write(export_rows(municipality), out, fmt, FIELDS)


def write_translations(municipality, out: io.TextIOBase, fmt: str) -> int:
    return _write(translation_rows(municipality), out, fmt, TRANSLATION_FIELDS)


def clean_translation(row: dict) -> dict:
    """Model field values of one translation row; ``contact`` is None when the row has no such field.
    Raises ``RowProblems`` naming every problem and its field."""
    out: dict = {}
    problems: list[tuple[str, str]] = []
    for name in TRANSLATION_FIELDS:
        try:
            out[name] = _text(row, name)
        except ValueError as exc:
            problems.append((name, str(exc)))
    if "contact" not in row:
        out["contact"] = None
    for name in TRANSLATION_REQUIRED:
        if name in out and not out[name]:
            problems.append((name, _("%(field)s is missing") % {"field": name}))
    languages = {code for code, _name in settings.LANGUAGES}
    if out.get("language") and (out["language"] not in languages or out["language"] == settings.LANGUAGE_CODE):
        problems.append(
            (
                "language",
                _("language must be one of %(choices)s")
                % {"choices": ", ".join(sorted(languages - {settings.LANGUAGE_CODE}))},
            )
        )
    if problems:
        raise RowProblems(problems)
    return out


def import_translations(
    municipality, rows: Iterable[Row], *, dry_run: bool = False, strict: bool = False
) -> ImportResult:
    """Curated translations: {"external_id", "language", "question", "answer", "contact"} per row."""
    result = ImportResult()
    cleaned: list[tuple[int, dict]] = []
    seen: dict[tuple[str, str], int] = {}
    for line, row, error in _rows_and_header(rows, TRANSLATION_REQUIRED, TRANSLATION_FIELDS, result):
        if error:
            result.errors.append(RowError(line, error))
            continue
        try:
            values = clean_translation(row)
        except RowProblems as exc:
            result.errors.extend(exc.errors(line))
            continue
        key = (values["external_id"], values["language"])
        if key in seen:
            result.errors.append(
                RowError(
                    line,
                    _("%(id)s [%(language)s] repeats line %(line)s")
                    % {"id": key[0], "language": key[1], "line": seen[key]},
                    "external_id",
                )
            )
            continue
        seen[key] = line
        cleaned.append((line, values))
    faqs = {
        f.external_id: f
        for f in FAQ.objects.filter(municipality=municipality, external_id__in=[v["external_id"] for _, v in cleaned])
    }
    for line, values in cleaned:
        if values["external_id"] not in faqs:
            result.errors.append(
                RowError(line, _("no FAQ with external_id “%(id)s”") % {"id": values["external_id"]}, "external_id")
            )
    result.errors.sort(key=lambda e: e.line)
    if strict and result.errors:
        result.written = False
        return result
    with transaction.atomic():
        for _line, values in cleaned:
            faq = faqs.get(values["external_id"])
            if faq is None:
                continue
            obj = FAQTranslation.objects.filter(faq=faq, language=values["language"]).first()
            texts = {name: values[name] for name in ("question", "answer", "contact") if values[name] is not None}
            if obj is None:
                FAQTranslation.objects.create(faq=faq, language=values["language"], **texts)
                result.created += 1
            elif any(getattr(obj, name) != value for name, value in texts.items()):
                for name, value in texts.items():
                    setattr(obj, name, value)
                obj.save()
                result.updated += 1
            else:
                result.unchanged += 1
        if dry_run:
            result.written = False
            transaction.set_rollback(True)
    return result
