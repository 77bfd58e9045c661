import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from conversations.commands import municipality_from_slug
from faq import importing


class Command(BaseCommand):
    help = (
        "Import FAQ entries from CSV (UTF-8 with header) or JSONL; re-import updates by external_id. "
        "Bad rows are reported with their line number and skipped; the good rows are written in one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--municipality", required=True, help="The municipality's slug.")
        parser.add_argument("--format", choices=importing.FORMATS, help="Default: from the file name (.jsonl or .csv).")
        parser.add_argument("--dry-run", action="store_true", help="Check the file; write nothing.")
        parser.add_argument("--strict", action="store_true", help="Write nothing if any row is bad.")
        parser.add_argument(
            "--translations",
            action="store_true",
            help="The file holds curated translations (external_id, language, question, answer).",
        )

    def handle(self, *args, **opts):
        municipality = municipality_from_slug(opts["municipality"])
        try:
            rows = list(importing.read_rows(opts["file"], fmt=opts["format"]))
        except (FileNotFoundError, IsADirectoryError):
            raise CommandError(f"No such file: {opts['file']}") from None
        if opts["translations"]:
            result = importing.import_translations(municipality, rows, dry_run=opts["dry_run"], strict=opts["strict"])
        else:
            show = sys.stderr.isatty()
            with tqdm(total=len(rows), desc="import", unit="row", file=sys.stderr, disable=not show) as bar:
                result = importing.import_faqs(
                    municipality, rows, dry_run=opts["dry_run"], strict=opts["strict"], progress=bar.update
                )
        for warning in result.warnings:
            self.stderr.write(f"{opts['file']}: {warning}")
        for error in result.errors:
            self.stderr.write(f"{opts['file']}: {error}")
        if not result.written:
            note = " (dry run: nothing written)" if opts["dry_run"] else " (--strict: nothing written)"
        else:
            note = ""
        summary = (
            f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged, "
            f"{result.rejected} rejected{note}"
        )
        self.stdout.write(self.style.SUCCESS(summary) if not result.errors else self.style.WARNING(summary))
        if result.errors and (not result.imported or (opts["strict"] and not opts["dry_run"])):
            raise CommandError("Nothing was imported." if result.written else "Nothing was written.")
