"""Application logs never carry resident text in the clear (conversations.logmask)."""

from __future__ import annotations

import io
import logging
import subprocess
import sys

from celery.signals import after_setup_logger

from chatbot import celery as celery_app  # noqa: F401 (its import connects the log receivers)
from conversations import logmask
from conversations.masking import mask
from tests.processes import ROOT

SECRET = "山田太郎と申します。電話は090-1234-5678、在留カードはAB12345678CDです"


def test_every_record_and_its_traceback_is_masked():
    stream = io.StringIO()
    logger = logging.getLogger("tests.logmask")
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    logger.propagate = False
    logmask.install(logger)
    try:
        logger.warning("resident wrote %r", SECRET)
        try:
            raise ValueError(SECRET)
        except ValueError:
            logger.exception("processing failed")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    for piece in ("山田太郎", "090-1234-5678", "AB12345678CD"):
        assert piece not in out
    assert "[NAME]" in out and "[PHONE]" in out and "ValueError" in out


def test_the_settings_install_it_on_the_console_handler_of_every_process():
    script = f"import django, logging; django.setup(); logging.getLogger('chatbot').warning({SECRET!r})"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "[PHONE]" in result.stderr, result.stderr
    assert "090-1234-5678" not in result.stderr and "山田太郎" not in result.stderr


def test_celery_workers_mask_their_logs_too():
    logger = logging.getLogger("tests.celery-like")
    handler = logging.StreamHandler(io.StringIO())
    logger.addHandler(handler)
    try:
        after_setup_logger.send(
            sender=None, logger=logger, loglevel=logging.INFO, logfile=None, format="", colorize=False
        )
        assert any(isinstance(f, logmask.MaskPersonalData) for f in handler.filters)
    finally:
        logger.removeHandler(handler)


def test_identifiers_in_logs_stay_readable():
    for line in (
        "LINE webhook mihon: event 01TESTEVENT000000000000035EBB4FE ignored",
        "event 01FZ74A0TDDPYRVKNK77XKC3ZR of type 'message' ignored",
        "older than 2026-12-07 17:36:47.454484+00:00",
        "Task chatbot.process_event[6f1c2d9e-94b7-4a8e-9a59-1f0e2b8c3d4a] succeeded in 0.12s: 'processed'",
    ):
        assert mask(line) == line
