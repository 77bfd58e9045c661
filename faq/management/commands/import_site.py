import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from conversations.commands import municipality_from_slug
from faq import sitecrawl


class Command(BaseCommand):
    help = (
        "Index the municipality's homepage: follow the sitemap and the site's links (robots.txt obeyed), "
        "extract the main content of HTML pages and the text of PDFs, and store passages by heading. "
        "Unchanged pages are skipped; pages that disappeared stop answering. The source is an http(s) URL "
        "or a directory holding a copy of the site (with its sitemap.xml and robots.txt)."
    )

    def add_arguments(self, parser):
        parser.add_argument("municipality", help="The municipality's slug.")
        parser.add_argument("source", help="The site's address (https://...) or a directory with a copy of it.")
        parser.add_argument(
            "--max-pages",
            type=int,
            default=sitecrawl.DEFAULT_MAX_PAGES,
            help=f"Fetch at most this many pages (default {sitecrawl.DEFAULT_MAX_PAGES}).",
        )
        parser.add_argument(
            "--base-url",
            help="The site root that page URLs are stored relative to. Default: the source URL, or for a "
            "directory the root named by its sitemap.",
        )
        parser.add_argument(
            "--delay",
            type=float,
            default=None,
            help=f"Seconds between requests to a live site (default {sitecrawl.DEFAULT_DELAY}; "
            "a larger robots.txt Crawl-delay wins).",
        )
        parser.add_argument("--timeout", type=float, default=sitecrawl.DEFAULT_TIMEOUT, help="Seconds per request.")
        parser.add_argument(
            "--sitemap-only",
            action="store_true",
            help="Take only the pages the sitemap lists (and the PDFs they link to); do not follow other links.",
        )
        parser.add_argument(
            "--allow-private",
            action="store_true",
            help="Also fetch from private, loopback and link-local addresses (a copy of the site on this machine "
            "or network). Without it only public addresses of the site's own host are ever requested.",
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not show the progress bar.")

    def handle(self, *args, **opts):
        municipality = municipality_from_slug(opts["municipality"])
        if opts["max_pages"] < 1:
            raise CommandError("--max-pages must be at least 1.")
        show = not opts["no_progress"] and sys.stderr.isatty()

        def progress(total):
            return tqdm(total=total, desc="pages", unit="page", file=sys.stderr, disable=not show)

        try:
            importer = sitecrawl.SiteImporter(
                municipality,
                opts["source"],
                base_url=opts["base_url"],
                max_pages=opts["max_pages"],
                delay=opts["delay"],
                timeout=opts["timeout"],
                follow_links=not opts["sitemap_only"],
                progress=progress,
                allow_private=opts["allow_private"],
            )
            summary = importer.run()
        except sitecrawl.SiteImportError as exc:
            raise CommandError(str(exc)) from None
        for problem in summary.problems:
            self.stderr.write(f"  {problem}")
        self.stdout.write(f"Site root: {summary.site_root}")
        line = (
            f"Pages: {summary.new} new, {summary.changed} changed, {summary.unchanged} unchanged, "
            f"{summary.gone} gone, {summary.robots} skipped by robots.txt, {summary.missing} not found, "
            f"{summary.failed} failed, {summary.skipped} skipped (type or size), {summary.duplicates} duplicates; "
            f"{summary.passages} passages written"
        )
        self.stdout.write(self.style.SUCCESS(line) if not summary.failed else self.style.WARNING(line))
        if summary.bound_reached:
            self.stdout.write(
                self.style.WARNING(
                    f"Stopped at --max-pages {opts['max_pages']}: pages not visited were left as they are."
                )
            )
