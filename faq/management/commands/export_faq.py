import sys

from django.core.management.base import BaseCommand, CommandError

from chatbot.models import Municipality
from faq import importing


class Command(BaseCommand):
    help = "Export FAQ entries in the import format (CSV or JSONL)."

    def add_arguments(self, parser):
        parser.add_argument("--municipality", required=True)
        parser.add_argument("--format", choices=["csv", "jsonl"], default="csv")
        parser.add_argument("--output", help="File to write; default standard output.")

    def handle(self, *args, **opts):
        municipality = Municipality.objects.filter(slug=opts["municipality"]).first()
        if municipality is None:
            raise CommandError(f"No municipality {opts['municipality']!r}.")
        if opts["output"]:
            with open(opts["output"], "w", encoding="utf-8", newline="") as out:
                count = importing.write_export(municipality, out, opts["format"])
        else:
            count = importing.write_export(municipality, sys.stdout, opts["format"])
        self.stderr.write(f"{count} entries exported")
