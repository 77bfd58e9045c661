from pathlib import Path

from django.apps import AppConfig
from django.conf import settings
from django.contrib.admin.apps import AdminConfig


class ProjectConfig(AppConfig):
    """The project itself: its templates (the log-in lock-out page), and the folders it writes to."""

    name = "config"
    verbose_name = "Madoguchi"

    def ready(self) -> None:
        # Made at start-up, not when the settings are imported: the SQLite file's folder and STATIC_ROOT.
        database = settings.DATABASES["default"]
        if database["ENGINE"] == "django.db.backends.sqlite3" and str(database["NAME"]) != ":memory:":
            Path(database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


class MadoguchiAdminConfig(AdminConfig):
    default_site = "config.admin.MadoguchiAdminSite"
