"""Settings defaults, read in a fresh interpreter with an empty environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, django
from django.conf import settings
django.setup()
from chatbot.celery import app
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "celery_eager": app.conf.task_always_eager,
    "broker": settings.CELERY_BROKER_URL,
    "debug": settings.DEBUG,
    "hosts": settings.ALLOWED_HOSTS,
    "line": settings.LINE_API_BASE_URL,
    "openai": settings.OPENAI_BASE_URL,
    "translator": settings.TRANSLATOR,
    "acks_late": settings.CELERY_TASK_ACKS_LATE,
    "languages": [c for c, _ in settings.LANGUAGES],
    "secure_cookies": [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE],
    "proxy_ssl": settings.SECURE_PROXY_SSL_HEADER,
}))
"""


def run_probe(**env) -> subprocess.CompletedProcess:
    base = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings", "MADOGUCHI_VAR_DIR": "/tmp/md"}
    return subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env={**base, **env}, capture_output=True, text=True)


def probe(**env) -> dict:
    out = run_probe(**env)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_defaults_need_no_server():
    s = probe()
    assert s["engine"] == "django.db.backends.sqlite3"
    assert s["db_name"] == "/tmp/md/madoguchi.sqlite3"
    assert s["eager"] is True and s["celery_eager"] is True
    assert s["broker"] == "memory://"
    assert s["debug"] is False
    assert s["line"] == "https://api.line.me"
    assert s["openai"] == "" and s["translator"] == "none"
    assert s["acks_late"] is True
    assert "127.0.0.1" in s["hosts"]


def test_environment_overrides():
    s = probe(
        DATABASE_URL="postgres://u:p@db.internal:5432/madoguchi",
        REDIS_URL="redis://cache:6379/1",
        ALLOWED_HOSTS="chat.city.example.jp",
        SECRET_KEY="a-real-secret",
        LINE_API_BASE_URL="http://127.0.0.1:9999",
        HTTPS="true",
    )
    assert s["engine"] == "django.db.backends.postgresql"
    assert s["db_name"] == "madoguchi"
    assert s["eager"] is False and s["broker"] == "redis://cache:6379/1"
    assert s["hosts"] == ["chat.city.example.jp"]
    assert s["line"] == "http://127.0.0.1:9999"
    assert s["secure_cookies"] == [True, True] and s["proxy_ssl"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_serving_a_real_host_without_a_secret_key_refuses_to_start():
    out = run_probe(ALLOWED_HOSTS="chat.city.example.jp")
    assert out.returncode != 0 and "SECRET_KEY must be set" in out.stderr
    assert probe()["secure_cookies"] == [False, False]  # the local quick start needs neither


def test_fourteen_languages_and_easy_japanese():
    languages = probe()["languages"]
    for code in [
        "ja",
        "ja-easy",
        "en",
        "zh-hans",
        "zh-hant",
        "ko",
        "vi",
        "pt",
        "es",
        "tl",
        "ne",
        "id",
        "th",
        "my",
        "fr",
    ]:
        assert code in languages
