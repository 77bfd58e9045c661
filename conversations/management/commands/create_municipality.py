from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from conversations.models import Municipality


class Command(BaseCommand):
    help = "Create or update a municipality (a tenant)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name-ja", required=True)
        parser.add_argument("--name-en", default=None)
        parser.add_argument("--website-url", default=None)
        parser.add_argument("--line-channel-secret", default=None)
        parser.add_argument("--line-access-token", default=None)
        parser.add_argument(
            "--allowed-origin",
            action="append",
            default=None,
            help="An origin allowed to embed the web chat (repeatable).",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        slug = opts["slug"]
        if slugify(slug) != slug:
            raise CommandError(f"{slug!r} is not a valid slug (lowercase letters, digits and hyphens).")
        if bool(opts["line_channel_secret"]) != bool(opts["line_access_token"]):
            raise CommandError("Give --line-channel-secret and --line-access-token together.")
        fields = {"name_ja": opts["name_ja"]}
        for option, field in [
            ("name_en", "name_en"),
            ("website_url", "website_url"),
            ("line_channel_secret", "line_channel_secret"),
            ("line_access_token", "line_access_token"),
        ]:
            if opts[option] is not None:
                fields[field] = opts[option]
        if opts["allowed_origin"]:
            fields["allowed_web_origins"] = "\n".join(o.rstrip("/") for o in opts["allowed_origin"])
        municipality, created = Municipality.objects.update_or_create(slug=slug, defaults=fields)
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} municipality {municipality.slug} ({municipality.name_ja})"))
