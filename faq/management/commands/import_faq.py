import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from chatbot.models import Municipality
from faq import importing


class Command(BaseCommand):
    help = "Import FAQ entries from CSV (UTF-8 with header) or JSONL; re-import updates by external_id."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--municipality", required=True, help="The municipality's slug.")
        parser.add_argument("--dry-run", action="store_true", help="Check the file; write nothing.")

    def handle(self, *args, **opts):
        municipality = Municipality.objects.filter(slug=opts["municipality"]).first()
        if municipality is None:
            raise CommandError(f"No municipality {opts['municipality']!r}.")
        try:
            rows = list(importing.read_rows(opts["file"]))
        except FileNotFoundError:
            raise CommandError(f"No such file: {opts['file']}") from None
        with tqdm(total=len(rows), desc="import", unit="row", file=sys.stderr, disable=not sys.stderr.isatty()) as bar:
            result = importing.import_faqs(municipality, rows, dry_run=opts["dry_run"], progress=bar.update)
        for error in result.errors:
            self.stderr.write(f"{opts['file']}: {error}")
        summary = (
            f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged, "
            f"{len(result.errors)} rejected" + (" (dry run: nothing written)" if opts["dry_run"] else "")
        )
        self.stdout.write(self.style.SUCCESS(summary) if not result.errors else self.style.WARNING(summary))
        if result.errors and not result.imported:
            raise CommandError("No row could be imported.")
