"""Delete conversation texts past each municipality's retention period (what the daily beat task runs).

manage.py purge_expired                  # every municipality
manage.py purge_expired --dry-run        # count only
manage.py purge_expired --municipality mihon
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from conversations.commands import municipalities_from_slugs
from dashboard import retention


class Command(BaseCommand):
    help = "Delete conversation texts older than each municipality's retention period, keeping anonymous counts."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what is due; change nothing.")
        parser.add_argument("--municipality", action="append", metavar="SLUG", help="Only this municipality.")

    def handle(self, *args, dry_run: bool = False, municipality: list[str] | None = None, **options):
        cities = municipalities_from_slugs(municipality)
        result = retention.purge_expired(municipalities=cities, dry_run=dry_run)
        verb = "due" if dry_run else "purged"
        for slug, counts in result.items():
            city = next(c for c in cities if c.slug == slug)
            details = ", ".join(f"{k} {v}" for k, v in counts.as_dict().items() if v) or "nothing"
            self.stdout.write(f"{slug} (retention {retention.retention_days(city)} days): {verb} {details}")
