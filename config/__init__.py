"""The project: settings, URLs, WSGI and the Celery app. It imports the apps; no app imports it."""

from .celery import app as celery_app

__all__ = ("celery_app",)
