"""Application logs never carry resident text in the clear: a logging filter that masks every record.

Installed on the console handler by ``config.settings.LOGGING`` (web processes, commands) and on the
Celery worker's and beat's handlers by ``chatbot.celery`` (Celery sets up its own logging). The
message is formatted first and masked with ``conversations.masking.mask``; so is the traceback of
an exception (its message may quote what a resident wrote).
"""

from __future__ import annotations

import logging

from .masking import mask

_formatter = logging.Formatter()


class MaskPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return True
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Add the filter to every handler of ``logger`` (the root logger by default) that lacks it."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, MaskPersonalData) for f in handler.filters):
            handler.addFilter(MaskPersonalData())
