"""The Celery application of the workers that run the bot: ``celery -A chatbot worker`` / ``beat``.

It reads its settings (``CELERY_*``) from the project's settings and finds the tasks of every app.
``config`` imports it so that web processes queue tasks on the same app.
"""

import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("madoguchi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@after_setup_logger.connect
@after_setup_task_logger.connect
def _mask_logs(logger, **_kwargs) -> None:
    """Celery sets up its own log handlers: resident text is masked in them too (conversations.logmask)."""
    from conversations import logmask  # noqa: PLC0415 (once Django's settings are loaded)

    logmask.install(logger)
