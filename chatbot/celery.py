"""The Celery application of the workers that run the bot: ``celery -A chatbot worker`` / ``beat``.

It reads its settings (``CELERY_*``) from the project's settings and finds the tasks of every app.
``config`` imports it so that web processes queue tasks on the same app.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("madoguchi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
