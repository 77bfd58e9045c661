"""The project: settings, URLs, WSGI, the admin site. It imports the apps; no app imports it.

Importing it loads the workers' Celery app (``chatbot.celery``), so that web processes queue
tasks on the same app the workers run.
"""

from chatbot.celery import app as celery_app

__all__ = ("celery_app",)
