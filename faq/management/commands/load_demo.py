"""Load the demo city みほん市 (Sample City): tenant, FAQ, translations, homepage, demo logins."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand

from conversations.models import Membership, Municipality
from faq import importing
from faq.search import embed

DEMO_DIR = Path(settings.BASE_DIR) / "faq" / "demo"
SLUG = "mihon"
# Vectors of the demo texts by content hash, so a fresh `make run` need not embed them (texts that
# changed since the file was written are embedded as usual). Refresh: load_demo --save-embeddings.
EMBEDDINGS = DEMO_DIR / "embeddings.npz"
DEMO_USERS = [
    # username, password, role, superuser
    ("admin", "madoguchi-admin", None, True),
    ("editor", "madoguchi-editor", Membership.Role.EDITOR, False),
    ("staff", "madoguchi-staff", Membership.Role.STAFF, False),
]


class Command(BaseCommand):
    help = "Create the demo municipality with its FAQ, translations, homepage index and demo logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Where this server runs; the demo homepage is served under it.",
        )
        parser.add_argument("--no-users", action="store_true", help="Do not create the demo logins.")
        parser.add_argument(
            "--save-embeddings",
            action="store_true",
            help="After indexing, write the embedding cache to faq/demo/embeddings.npz (run on a fresh database).",
        )

    def handle(self, *args, **opts):
        municipality = demo_municipality(opts["base_url"])
        result = load_faq(municipality)
        self.stdout.write(
            f"FAQ: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.rejected} rejected"
        )
        for error in result.errors:
            self.stderr.write(f"  {error}")
        for path, tr in load_translations(municipality):
            self.stdout.write(f"Translations {path.name}: {tr.created + tr.updated} loaded, {tr.rejected} rejected")
            for error in tr.errors:
                self.stderr.write(f"  {error}")
        site = DEMO_DIR / "site"
        if site.is_dir() and "import_site" in _commands():
            call_command("import_site", SLUG, str(site), stdout=self.stdout, stderr=self.stderr)
        if "build_index" in _commands():
            if EMBEDDINGS.exists() and not opts["save_embeddings"]:
                offered = embed.import_cache(EMBEDDINGS)
                self.stdout.write(f"Embedding cache: {offered} precomputed vectors offered from {EMBEDDINGS.name}")
            call_command("build_index", "--municipality", SLUG, stdout=self.stdout, stderr=self.stderr)
            if opts["save_embeddings"]:
                self.stdout.write(f"Embedding cache: {embed.export_cache(EMBEDDINGS)} vectors written")
        if not opts["no_users"]:
            self._users(municipality)

    def _users(self, municipality):
        User = get_user_model()
        for username, password, role, superuser in DEMO_USERS:
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_password(password)
            user.is_staff = True
            user.is_superuser = superuser
            user.save()
            if role:
                Membership.objects.update_or_create(user=user, municipality=municipality, defaults={"role": role})
            note = f"password {password}" if created else "existing account, password unchanged"
            self.stdout.write(f"Demo login: {username} ({note})")


def demo_municipality(base_url: str) -> Municipality:
    """The demo tenant みほん市, its widget allowed on ``base_url`` and its homepage served under it."""
    base = base_url.rstrip("/")
    municipality, _ = Municipality.objects.update_or_create(
        slug=SLUG,
        defaults={
            "name_ja": "みほん市",
            "name_en": "Sample City",
            "website_url": f"{base}/demo-site/",
            "business_hours": "平日 8:30〜17:15",
            "emergency_contacts": "みほん市 こころの相談 042-000-1050\nDV相談ナビ #8008",
            "allowed_web_origins": base,
        },
    )
    return municipality


def load_faq(municipality) -> importing.ImportResult:
    rows = [r for path in sorted((DEMO_DIR / "faq").glob("*.jsonl")) for r in importing.read_rows(path)]
    return importing.import_faqs(municipality, rows)


def translation_files() -> list[Path]:
    """The demo's curated translations: every JSONL file in faq/demo/translations (en_part_a.jsonl,
    zh-hans_part_b.jsonl ...). The language is in each row; the file name only groups them."""
    return sorted((DEMO_DIR / "translations").glob("*.jsonl"))


def file_language(path: Path) -> str:
    """The language a translation file is named for: en_part_a.jsonl -> en, zh-hans_part_b.jsonl -> zh-hans."""
    return path.stem.rsplit("_part_", 1)[0]


def load_translations(municipality, languages: set[str] | None = None) -> list[tuple[Path, importing.ImportResult]]:
    """Import the demo's translation files (``languages``: only the files of these, by their name)."""
    paths = [p for p in translation_files() if languages is None or file_language(p) in languages]
    return [(path, importing.import_translations(municipality, importing.read_rows(path))) for path in paths]


def _commands() -> set[str]:
    return set(get_commands())
