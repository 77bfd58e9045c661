from django.core.management.base import BaseCommand

from conversations.commands import municipality_from_slug
from faq import importing


class Command(BaseCommand):
    help = "Export FAQ entries (or their curated translations) in the import format, CSV or JSONL."

    def add_arguments(self, parser):
        parser.add_argument("--municipality", required=True)
        parser.add_argument("--format", choices=importing.FORMATS, help="Default: from the --output name, else csv.")
        parser.add_argument("--output", help="File to write; default standard output.")
        parser.add_argument("--translations", action="store_true", help="Export the curated translations instead.")

    def handle(self, *args, **opts):
        municipality = municipality_from_slug(opts["municipality"])
        fmt = opts["format"] or (importing.format_of(opts["output"]) if opts["output"] else "csv")
        write = importing.write_translations if opts["translations"] else importing.write_export
        if opts["output"]:
            with open(opts["output"], "w", encoding="utf-8", newline="") as out:
                count = write(municipality, out, fmt)
        else:
            self.stdout.ending = ""  # the writers end their own lines
            count = write(municipality, self.stdout, fmt)
        self.stderr.write(f"{count} {'translations' if opts['translations'] else 'entries'} exported")
