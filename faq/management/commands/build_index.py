"""Precompute the search index of a municipality: embed what changed, with a progress bar."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from chatbot.models import Municipality
from faq.search.index import build
from faq.search.loader import load_entries


class Command(BaseCommand):
    help = "Embed the FAQ entries and homepage passages of a municipality (cached by content hash)."

    def add_arguments(self, parser):
        parser.add_argument("--municipality", help="slug; default: every municipality")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **opts):
        if opts["municipality"]:
            municipalities = list(Municipality.objects.filter(slug=opts["municipality"]))
            if not municipalities:
                raise CommandError(f"no municipality with slug {opts['municipality']!r}")
        else:
            municipalities = list(Municipality.objects.order_by("slug"))
        for municipality in municipalities:
            started = time.perf_counter()
            entries = load_entries(municipality)
            index, store = build(entries, progress=not opts["no_progress"])
            faqs = sum(1 for e in entries if e.kind == "faq")
            self.stdout.write(
                f"Index {municipality.slug}: {faqs} FAQ entries, {len(entries) - faqs} passages; "
                f"{store.embedded} texts embedded, {store.from_db} from cache; "
                f"{time.perf_counter() - started:.1f} s"
            )
