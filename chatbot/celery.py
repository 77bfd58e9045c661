"""``celery -A chatbot worker`` / ``beat`` keep working: the app itself is ``config.celery``."""

from config.celery import app  # noqa: F401  (the one import that points up: Celery's -A looks here)
