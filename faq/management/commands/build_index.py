"""Precompute the search index of a municipality: embed what changed, with a progress bar; then
delete the cached vectors no current text needs (edited or deleted texts leave one behind)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from conversations.commands import municipality_from_slug
from conversations.models import Municipality
from faq.search.index import build
from faq.search.loader import load_entries, prune_embedding_cache


class Command(BaseCommand):
    help = (
        "Embed the FAQ entries and homepage passages of a municipality (cached by content hash), "
        "then drop cached vectors that no municipality's current texts need."
    )

    def add_arguments(self, parser):
        parser.add_argument("--municipality", help="slug; default: every municipality")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument("--keep-cache", action="store_true", help="do not delete unused cached vectors")

    def handle(self, *args, **opts):
        if opts["municipality"]:
            municipalities = [municipality_from_slug(opts["municipality"])]
        else:
            municipalities = list(Municipality.objects.order_by("slug"))
        # Rows written from now on (by this run or by other processes) are never pruned by this run.
        began = timezone.now()
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
        if not opts["keep_cache"]:
            # Whatever was built: what is needed is computed over every municipality's content.
            started = time.perf_counter()
            removed = prune_embedding_cache(before=began)
            self.stdout.write(
                f"Embedding cache: {removed} unused vectors removed; {time.perf_counter() - started:.1f} s"
            )
