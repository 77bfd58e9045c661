"""Check cached machine translations again and flag those that fail (editors find them under the "check" filter).

manage.py check_translations                     every machine row not yet checked
manage.py check_translations --all               every machine row, flagged ones too (a fixed check clears them)
manage.py check_translations --municipality SLUG
"""

from __future__ import annotations

from collections import Counter

from django.core.management.base import BaseCommand

from conversations.commands import municipality_from_slug
from languages.models import CachedTranslation
from languages.translation import service


class Command(BaseCommand):
    help = "Check cached machine translations (language, length, placeholders, echoes) and flag those that fail."

    def add_arguments(self, parser):
        parser.add_argument("--municipality", help="only this municipality's rows (slug); default: all")
        parser.add_argument("--all", action="store_true", help="check rows already checked too")

    def handle(self, *args, **options):
        rows = CachedTranslation.objects.filter(is_curated=False).order_by("pk")
        if options["municipality"]:
            rows = rows.filter(municipality=municipality_from_slug(options["municipality"]))
        if not options["all"]:
            rows = rows.filter(checked_at__isnull=True)
        reasons: Counter[str] = Counter()
        checked = 0
        for row in rows.iterator():
            checked += 1
            verdict = service.recheck(row)
            if not verdict:
                reasons[verdict.reason.split(":")[0]] += 1
        failed = sum(reasons.values())
        self.stdout.write(f"checked {checked}, failed {failed}")
        for reason, count in reasons.most_common():
            self.stdout.write(f"  {reason}: {count}")
