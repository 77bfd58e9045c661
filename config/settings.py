"""Settings for Madoguchi, read once from the environment.

Every variable is documented in the README ("Settings"). Nothing secret lives in the repository:
with no environment at all, the project runs the demo on SQLite with tasks in-process.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from languages import registry

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MADOGUCHI_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    return float(value) if value.strip() else default


DEBUG = env_bool("DEBUG", False)
_INSECURE_DEV_KEY = "insecure-dev-key-only-for-local-runs-set-SECRET_KEY-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY") or _INSECURE_DEV_KEY
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1", "testserver"}
if SECRET_KEY == _INSECURE_DEV_KEY and not set(ALLOWED_HOSTS) <= _LOCAL_HOSTS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SECRET_KEY must be set when ALLOWED_HOSTS serves more than this machine")

# Behind a TLS proxy (HTTPS=true): cookies only over HTTPS, the proxy's X-Forwarded-Proto trusted,
# Strict-Transport-Security for HSTS_SECONDS.
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 0)

INSTALLED_APPS = [
    "config.apps.MadoguchiAdminConfig",  # django.contrib.admin with Madoguchi's site (config.admin)
    "config.apps.ProjectConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "simple_history",
    "axes",
    "conversations",
    "llm",
    "languages",
    "faq",
    "handoff",
    "chatbot",
    "dashboard",
    "channels.web",
    "channels.line",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",  # turns a lock-out into its response
    "config.middleware.BadParametersMiddleware",  # a bad parameter anywhere: 400 with a message, never 500
]

# Log-in throttling (django-axes) for the console and the admin: after LOGIN_FAILURE_LIMIT failed
# attempts for one user name from one address, that pair waits LOGIN_COOLOFF_MINUTES.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.views.login_locked"
AXES_CLIENT_IP_CALLABLE = "conversations.http.client_ip"  # honours CLIENT_IP_HEADER behind a proxy
AXES_VERBOSE = False

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database: DATABASE_URL, default an embedded SQLite file -------------------------------
DEFAULT_SQLITE_PATH = VAR_DIR / "madoguchi.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # its folder is made at start-up (config.apps)
    # WAL lets the web process read while a worker writes; a busy timeout instead of "locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis and Celery: REDIS_URL unset -> tasks run in-process (no server needed) ------------
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "madoguchi"
# Stored means answered (docs/adr/0008-stored-means-answered.md). The database row is the truth: a
# task lost with the broker or a dead worker is queued again from it by the beat task below.
EVENT_LEASE_SECONDS = env_float("EVENT_LEASE_SECONDS", 120.0)  # one claim of an event; longer than any run
EVENT_REQUEUE_SECONDS = env_float("EVENT_REQUEUE_SECONDS", 30.0)  # how often beat looks for unanswered events
EVENT_REQUEUE_AFTER_SECONDS = env_float("EVENT_REQUEUE_AFTER_SECONDS", 60.0)  # unprocessed this long: queued again
EVENT_MAX_ATTEMPTS = env_int("EVENT_MAX_ATTEMPTS", 7)  # then the event is given up: apology and a ticket
EVENT_RETRY_BASE_SECONDS = env_float("EVENT_RETRY_BASE_SECONDS", 2.0)  # backoff between attempts (doubling)
EVENT_RETRY_MAX_SECONDS = env_float("EVENT_RETRY_MAX_SECONDS", 120.0)
# Tasks are acknowledged late: one a dead worker held comes back after the visibility timeout. It must
# be longer than the longest retry countdown (EVENT_RETRY_MAX_SECONDS), or a waiting retry would be
# delivered twice; the lease makes a second delivery harmless anyway.
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 300)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": min(10, CELERY_VISIBILITY_TIMEOUT),  # seconds between sweeps for such tasks
    "unacked_restore_throttle": 1,
    "socket_connect_timeout": 3,  # a broker that is down fails fast (the row is stored; beat queues it)
    "socket_timeout": 10,  # a broker gone without closing the connection does not hang a publish
}
CELERY_TIMEZONE = "Asia/Tokyo"
# `celery -A chatbot beat` must run: it queues events stored but not answered (every EVENT_REQUEUE_SECONDS)
# and purges conversation texts past each municipality's retention period (nightly).
CELERY_BEAT_SCHEDULE = {
    "requeue-events": {
        "task": "chatbot.requeue_events",
        "schedule": EVENT_REQUEUE_SECONDS,
        "options": {"expires": max(EVENT_REQUEUE_SECONDS, 1.0)},  # one waiting behind a backlog is not repeated
    },
    "purge-expired": {"task": "dashboard.purge_expired", "schedule": crontab(hour=3, minute=15)},
}

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Channels ----------------------------------------------------------------------------------
LINE_API_BASE_URL = os.environ.get("LINE_API_BASE_URL", "https://api.line.me")
LINE_DATA_API_BASE_URL = os.environ.get("LINE_DATA_API_BASE_URL", "https://api-data.line.me")
MESSAGE_MAX_CHARS = env_int("MESSAGE_MAX_CHARS", 1000)
WEB_RATE_SESSION_MESSAGES = os.environ.get("WEB_RATE_SESSION_MESSAGES", "20/m")
WEB_RATE_IP_MESSAGES = os.environ.get("WEB_RATE_IP_MESSAGES", "60/m")
WEB_RATE_IP_SESSIONS = os.environ.get("WEB_RATE_IP_SESSIONS", "20/m")
WEB_RATE_IP_READS = os.environ.get("WEB_RATE_IP_READS", "600/m")
# Tickets the web chat may open per hour (handoff.limits): per session, per client address. 0 = no limit.
WEB_TICKETS_PER_SESSION_HOUR = env_int("WEB_TICKETS_PER_SESSION_HOUR", 3)
WEB_TICKETS_PER_ADDRESS_HOUR = env_int("WEB_TICKETS_PER_ADDRESS_HOUR", 10)
# Behind a reverse proxy: the header carrying the client's address, as Django names it (e.g. HTTP_X_REAL_IP,
# which nginx sets from $remote_addr). Rate limits, the log-in throttle and the audit log then count clients,
# not the proxy. Never set it without a proxy that overwrites the header: clients could claim any address.
CLIENT_IP_HEADER = os.environ.get("CLIENT_IP_HEADER", "")
RATELIMIT_IP_META_KEY = CLIENT_IP_HEADER or None
WEB_SSE_LIFETIME_SECONDS = env_int("WEB_SSE_LIFETIME_SECONDS", 55)
WEB_SSE_HEARTBEAT_SECONDS = env_int("WEB_SSE_HEARTBEAT_SECONDS", 15)
WEB_SUGGESTED_QUESTIONS = env_int("WEB_SUGGESTED_QUESTIONS", 4)
HANDOFF_POLL_SECONDS = env_int("HANDOFF_POLL_SECONDS", 5)
HANDOFF_SSE_SECONDS = env_int("HANDOFF_SSE_SECONDS", 300)
HANDOFF_SSE_HEARTBEAT_SECONDS = env_int("HANDOFF_SSE_HEARTBEAT_SECONDS", 15)
DEMO_SITE_ENABLED = env_bool("DEMO_SITE_ENABLED", True)

# --- External services (all optional, off by default) -----------------------------------------
OPENAI_BASE_URL = os.environ.get("OPENAI_BASE_URL", "")
OPENAI_API_KEY = os.environ.get("OPENAI_API_KEY", "")
OPENAI_MODEL = os.environ.get("OPENAI_MODEL", "")
# Defaults suit a hosted model; for a model on a CPU see the README ("Running a local model").
OPENAI_TIMEOUT = env_float("OPENAI_TIMEOUT", 15.0)  # seconds per call; a CPU model needs 60-120
OPENAI_MAX_TOKENS = env_int("OPENAI_MAX_TOKENS", 700)  # the longest grounded answer, in tokens
LLM_MONTHLY_TOKEN_BUDGET = env_int("LLM_MONTHLY_TOKEN_BUDGET", 0)
LLM_PASSAGE_FLOOR = env_float("LLM_PASSAGE_FLOOR", 0.2)  # passages below this confidence are not sent to the model
LLM_MAX_PASSAGES = env_int("LLM_MAX_PASSAGES", 5)  # passages in one prompt (fewer for a small context)
LLM_PASSAGE_CHARS = env_int("LLM_PASSAGE_CHARS", 1500)  # each passage cut at this length
OPENAI_MAX_RETRIES = env_int("OPENAI_MAX_RETRIES", 0)
OPENAI_TOKEN_LIMIT_PARAM = os.environ.get("OPENAI_TOKEN_LIMIT_PARAM", "max_tokens")
OPENAI_TEMPERATURE = env_float("OPENAI_TEMPERATURE", 0.0) if os.environ.get("OPENAI_TEMPERATURE") != "" else None
TRANSLATOR = os.environ.get("TRANSLATOR", "none")  # none | google | deepl | microsoft | libre | llm
TRANSLATOR_URL = os.environ.get("TRANSLATOR_URL", "")
TRANSLATOR_API_KEY = os.environ.get("TRANSLATOR_API_KEY", "")
TRANSLATOR_REGION = os.environ.get("TRANSLATOR_REGION", "")
TRANSLATOR_TIMEOUT = env_float("TRANSLATOR_TIMEOUT", 10.0)

# --- Answer engine -----------------------------------------------------------------------------
FAQ_INDEX_CHECK_SECONDS = env_float("FAQ_INDEX_CHECK_SECONDS", 2.0)
FAQ_INDEX_EMBED_BUDGET = env_int("FAQ_INDEX_EMBED_BUDGET", 64)

# --- Internationalisation ------------------------------------------------------------------------
LANGUAGE_CODE = "ja"
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locales"]
LANGUAGES = registry.choices()

# Languages Django does not describe itself.
EXTRA_LANG_INFO = {
    "ja-easy": {"bidi": False, "code": "ja-easy", "name": "Easy Japanese", "name_local": "やさしい にほんご"},
    "tl": {"bidi": False, "code": "tl", "name": "Filipino", "name_local": "Filipino"},
}
import django.conf.locale  # noqa: E402

django.conf.locale.LANG_INFO.update(EXTRA_LANG_INFO)

# --- Static files ---------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))  # made at start-up (config.apps)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGIN_URL = "admin:login"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Resident text never reaches the logs in the clear (conversations.logmask; Celery: chatbot.celery).
    "filters": {"mask_personal_data": {"()": "conversations.logmask.MaskPersonalData"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_personal_data"]}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

APP_NAME = _("Madoguchi")
