"""Why a model call failed, in words an operator can act on, and where that is remembered.

The server's own error text is parsed: the context-length wordings of OpenAI, vLLM, llama.cpp's
``llama-server`` (``exceed_context_size_error`` with ``n_ctx``/``n_prompt_tokens``) and
llama-cpp-python's server ("maximum context length is 2048 tokens ... you requested 4281"), a
refused key, an unknown model, a wrong path, rate limits and server errors. Each becomes a
``Problem``: a one-word ``kind`` for counting and advice that names the setting or server flag to
change. ``remember`` keeps the latest of each kind as a ``ModelReport`` row (admin: Language model
-> Model reports), which ``/readyz`` and ``check_model`` show too.
"""

from __future__ import annotations

import contextvars
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

TIMEOUT = "timeout"
CONTEXT = "context_length"
AUTH = "auth"
MODEL_NOT_FOUND = "model_not_found"
WRONG_PATH = "wrong_path"
UNREACHABLE = "unreachable"
RATE_LIMIT = "rate_limit"
SERVER_ERROR = "server_error"
BAD_REQUEST = "bad_request"
BAD_REPLY = "bad_reply"

SERVER_TEXT_CHARS = 300
REPEAT_WINDOW = timedelta(hours=1)  # the same failure again within this time counts on the same row

_CONTEXT_WORDS = re.compile(
    r"context[ _](length|size|window)|exceeds? the available context|context_length_exceeded|"
    r"exceed_context_size|maximum context|too many tokens|prompt is too long|input is too long",
    re.I,
)
_LIMIT = [
    re.compile(r"maximum context length is (\d[\d,]*)", re.I),
    re.compile(r"\bn_ctx\D{0,3}(\d+)", re.I),
    re.compile(r"context (?:size|length|window) (?:of|is) (\d[\d,]*)", re.I),
]
_REQUESTED = [
    re.compile(r"you requested (\d[\d,]*) tokens", re.I),
    re.compile(r"request has (\d[\d,]*) input tokens", re.I),
    re.compile(r"\bn_prompt_tokens\D{0,3}(\d+)", re.I),
]
_MODEL_WORDS = re.compile(r"model|deployment", re.I)
_NOT_FOUND_WORDS = re.compile(r"not found|does not exist|no such|unknown|not exist|try pulling", re.I)


@dataclass(frozen=True)
class Problem:
    kind: str
    message: str  # short, for the exception
    advice: str  # for the log and the admin


def _number(patterns: list[re.Pattern], text: str) -> int | None:
    for pattern in patterns:
        match = pattern.search(text)
        if match:
            return int(match.group(1).replace(",", ""))
    return None


def _said(text: str) -> str:
    text = " ".join((text or "").split())
    return text[:SERVER_TEXT_CHARS] + ("…" if len(text) > SERVER_TEXT_CHARS else "")


def suggested_context(needed: int) -> int:
    """The next power of two at or above ``needed`` (at least 4,096): what to start the server with."""
    size = 4096
    while size < needed:
        size *= 2
    return size


def context_advice(limit: int | None, requested: int | None, max_tokens: int, server_text: str = "") -> str:
    needed = requested or 0
    suggest = suggested_context(int(needed * 1.25) if needed else 8192)
    parts = [_("The model server's context is too small for this request.")]
    if limit and requested:
        parts.append(
            _("It holds %(limit)s tokens; the request needed %(requested)s (up to %(answer)s of them for the answer).")
            % {"limit": f"{limit:,}", "requested": f"{requested:,}", "answer": f"{max_tokens:,}"}
        )
    elif limit:
        parts.append(_("It holds %(limit)s tokens.") % {"limit": f"{limit:,}"})
    parts.append(
        _(
            "Start the server with a context of at least %(size)s tokens (llama.cpp: -c %(size)s; "
            "llama-cpp-python: --n_ctx %(size)s; Ollama: OLLAMA_CONTEXT_LENGTH=%(size)s; vLLM: --max-model-len "
            "%(size)s), or make requests smaller: LLM_MAX_PASSAGES, LLM_PASSAGE_CHARS, OPENAI_MAX_TOKENS."
        )
        % {"size": suggest}
    )
    if server_text:
        parts.append(_("The server said: %(text)s") % {"text": _said(server_text)})
    return " ".join(parts)


def timeout_advice(timeout: float) -> str:
    return _(
        "The model did not answer within %(seconds)s s (OPENAI_TIMEOUT for answers, TRANSLATOR_TIMEOUT for the "
        "llm translator); the bot fell back (asking back, handing off, or the text untranslated). A model on a CPU "
        "needs 60-120 s: raise the setting, use a smaller model, or give the server more threads."
    ) % {"seconds": f"{timeout:g}"}


def from_status(status: int, server_text: str, *, model: str = "", max_tokens: int = 0) -> Problem:
    """A Problem for an HTTP error from the server, from its status and its own words."""
    said = _said(server_text)
    if _CONTEXT_WORDS.search(server_text) or (status == 400 and _number(_LIMIT, server_text)):
        limit, requested = _number(_LIMIT, server_text), _number(_REQUESTED, server_text)
        return Problem(
            CONTEXT,
            f"HTTP {status}: context too small ({said})",
            context_advice(limit, requested, max_tokens, server_text),
        )
    if status in (401, 403):
        return Problem(
            AUTH,
            f"HTTP {status}: {said}",
            _(
                "The model server refused the API key (HTTP %(status)s: %(text)s). Check OPENAI_API_KEY "
                "(Azure: the resource's key; a local server started without a key needs none)."
            )
            % {"status": status, "text": said},
        )
    if status == 404 or (status == 400 and _MODEL_WORDS.search(server_text) and _NOT_FOUND_WORDS.search(server_text)):
        if _MODEL_WORDS.search(server_text):
            return Problem(
                MODEL_NOT_FOUND,
                f"HTTP {status}: {said}",
                _(
                    'The server has no model called "%(model)s" (HTTP %(status)s: %(text)s). Set OPENAI_MODEL to '
                    "a name the server lists at /v1/models (Azure: the deployment name; Ollama: pull the model first)."
                )
                % {"model": model, "status": status, "text": said},
            )
        return Problem(
            WRONG_PATH,
            f"HTTP {status}: {said}",
            _(
                "The server has no chat-completions endpoint at this address (HTTP %(status)s: %(text)s). "
                "OPENAI_BASE_URL must end in /v1 (Azure: /openai/v1/)."
            )
            % {"status": status, "text": said},
        )
    if status == 429:
        return Problem(
            RATE_LIMIT,
            f"HTTP 429: {said}",
            _(
                "The server is limiting requests or the account's quota is spent (HTTP 429: %(text)s). "
                "Raise the quota, or set LLM_MONTHLY_TOKEN_BUDGET so the bot stops before the provider does."
            )
            % {"text": said},
        )
    if status >= 500:
        return Problem(
            SERVER_ERROR,
            f"HTTP {status}: {said}",
            _("The model server failed (HTTP %(status)s: %(text)s). Its own log says why.")
            % {"status": status, "text": said},
        )
    return Problem(
        BAD_REQUEST,
        f"HTTP {status}: {said}",
        _(
            "The server refused the request (HTTP %(status)s: %(text)s). If it names a parameter: reasoning "
            "models want OPENAI_TOKEN_LIMIT_PARAM=max_completion_tokens and OPENAI_TEMPERATURE empty."
        )
        % {"status": status, "text": said},
    )


def from_exception(exc: Exception, *, base_url: str = "") -> Problem:
    """A Problem for a call that got no HTTP answer (connection refused, DNS, TLS)."""
    cause = exc.__cause__ or exc.__context__
    said = _said(f"{type(exc).__name__}: {exc}" + (f" ({cause})" if cause else ""))
    return Problem(
        UNREACHABLE,
        said,
        _("Could not reach the model server at %(url)s (%(text)s). Is it running, and is OPENAI_BASE_URL right?")
        % {"url": base_url or "api.openai.com", "text": said},
    )


BAD_REPLY_ADVICE = "The server answered without any choices: it may not speak the OpenAI chat-completions API."


_recording: contextvars.ContextVar[bool] = contextvars.ContextVar("madoguchi_llm_problems_recorded", default=True)


@contextmanager
def not_recorded() -> Iterator[None]:
    """Failures inside the block are logged but not stored (a helper thread with no database of its own)."""
    token = _recording.set(False)
    try:
        yield
    finally:
        _recording.reset(token)


def remember(kind: str, advice: str, *, model: str, base_url: str, source: str = "call", details=None) -> None:
    """Keep this failure for the admin and /readyz; the same failure within an hour counts on one row.

    Never raises: a database problem here must not stop an answer.
    """
    if not _recording.get():
        return
    from .models import ModelReport  # noqa: PLC0415 (models load after the app registry; the client is imported earlier)

    now = timezone.now()
    try:
        with transaction.atomic():
            updated = ModelReport.objects.filter(
                source=source, model=model, base_url=base_url, problem=kind, last_seen__gte=now - REPEAT_WINDOW
            ).update(count=F("count") + 1, last_seen=now, advice=advice)
            if not updated:
                ModelReport.objects.create(
                    source=source,
                    model=model,
                    base_url=base_url,
                    ok=False,
                    problem=kind,
                    advice=advice,
                    details=details or {},
                    first_seen=now,
                    last_seen=now,
                )
    except Exception:  # no database (a script), or it is down: the log line above has said it
        log.debug("could not record the model failure", exc_info=True)
