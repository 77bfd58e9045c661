"""One client for every OpenAI-compatible chat-completions server.

OpenAI, Azure OpenAI (its ``/openai/v1/`` endpoint), vLLM, Ollama (``http://host:11434/v1``) and the
llama.cpp server (``http://host:8080/v1``) all speak the same API, so one ``openai.OpenAI`` with a
``base_url`` serves them all. Settings are read on each call (cheap) so that a changed setting, or a
test's ``settings`` fixture, takes effect at once; clients are cached per configuration.

Generation is off unless ``OPENAI_MODEL`` is set together with ``OPENAI_BASE_URL`` or
``OPENAI_API_KEY``. Nothing here retries by default: a resident is waiting, and a failed or slow
call falls back to the extractive path.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import unicodedata
from dataclasses import dataclass

import openai
from django.conf import settings

from . import problems, usage

log = logging.getLogger(__name__)


class LLMError(Exception):
    """The server answered with an error, an unusable reply, or could not be reached.

    ``kind`` says what went wrong in one word (``problems.Kind``) and ``advice`` says it in words an
    operator can act on, built from the server's own error text (``problems.explain``).
    """

    def __init__(self, message: str, *, kind: str = "error", advice: str = "", status: int = 0):
        super().__init__(message)
        self.kind = kind
        self.advice = advice or message
        self.status = status


class LLMTimeout(LLMError):
    """No reply within ``OPENAI_TIMEOUT`` seconds."""

    def __init__(self, message: str, *, advice: str = ""):
        super().__init__(message, kind="timeout", advice=advice)


class LLMDisabled(LLMError):
    """No model is configured."""

    def __init__(self, message: str = "no model configured"):
        super().__init__(message, kind="disabled")


@dataclass(frozen=True)
class LLMSettings:
    base_url: str
    api_key: str
    model: str
    timeout: float
    max_retries: int = 0
    token_limit_param: str = "max_tokens"  # "max_completion_tokens" for OpenAI reasoning models
    temperature: float | None = 0.0  # None: do not send (models that accept only their default)
    max_tokens: int = 700  # the longest grounded answer (OPENAI_MAX_TOKENS)

    @property
    def enabled(self) -> bool:
        return bool(self.model) and bool(self.base_url or self.api_key)


def current() -> LLMSettings:
    temperature = settings.OPENAI_TEMPERATURE
    return LLMSettings(
        base_url=settings.OPENAI_BASE_URL,
        api_key=settings.OPENAI_API_KEY,
        model=settings.OPENAI_MODEL,
        timeout=float(settings.OPENAI_TIMEOUT),
        max_retries=int(settings.OPENAI_MAX_RETRIES),
        token_limit_param=settings.OPENAI_TOKEN_LIMIT_PARAM,
        temperature=None if temperature in (None, "") else float(temperature),
        max_tokens=int(settings.OPENAI_MAX_TOKENS),
    )


def enabled() -> bool:
    return current().enabled


_clients: dict[LLMSettings, openai.OpenAI] = {}
_lock = threading.Lock()


def client_for(config: LLMSettings) -> openai.OpenAI:
    with _lock:
        client = _clients.get(config)
        if client is None:
            client = openai.OpenAI(
                base_url=config.base_url or None,
                # Local servers (Ollama, llama.cpp, vLLM without --api-key) need no key, but the client wants one.
                api_key=config.api_key or "not-needed",
                timeout=config.timeout,
                max_retries=config.max_retries,
            )
            _clients[config] = client
        return client


@dataclass
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str = ""
    latency_ms: float = 0.0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def cut_off(self) -> bool:
        """The reply stopped at the token cap (or the server's context), not where the model ended it."""
        return self.finish_reason == "length"


def estimate_tokens(text: str) -> int:
    """A rough count for servers that report no usage: one token per CJK character, four Latin characters per token."""
    wide = sum(1 for ch in text if unicodedata.east_asian_width(ch) in ("W", "F"))
    return wide + (len(text) - wide + 3) // 4


def complete(messages: list[dict], *, max_tokens: int = 600, config: LLMSettings | None = None) -> Completion:
    """One chat completion. Raises LLMDisabled, LLMTimeout or LLMError; records the tokens used.

    An error's ``kind`` and ``advice`` come from the server's own words (context too small, wrong
    key, unknown model, ...); they are logged here, once per call, so no failure goes unseen.
    """
    config = config or current()
    if not config.enabled:
        raise LLMDisabled()
    params: dict = {"model": config.model, "messages": messages, config.token_limit_param: max_tokens}
    if config.temperature is not None:
        params["temperature"] = config.temperature
    started = time.perf_counter()
    try:
        response = client_for(config).chat.completions.create(**params)
    except openai.APITimeoutError as exc:
        # The server may still bill the prompt; count it so a slow server cannot spend the budget unseen.
        usage.record(sum(estimate_tokens(str(m.get("content", ""))) for m in messages))
        error: LLMError = LLMTimeout(
            f"no reply within {config.timeout:g}s", advice=problems.timeout_advice(config.timeout)
        )
        _log_failure(error, config)
        raise error from exc
    except openai.APIStatusError as exc:
        found = problems.from_status(exc.status_code, _error_text(exc), model=config.model, max_tokens=max_tokens)
        error = LLMError(found.message, kind=found.kind, advice=found.advice, status=exc.status_code)
        _log_failure(error, config)
        raise error from exc
    except openai.OpenAIError as exc:
        found = problems.from_exception(exc, base_url=config.base_url)
        error = LLMError(found.message, kind=found.kind, advice=found.advice)
        _log_failure(error, config)
        raise error from exc
    latency_ms = (time.perf_counter() - started) * 1000
    choices = getattr(response, "choices", None) or []
    if not choices or choices[0].message is None:
        error = LLMError("no choices in the reply", kind="bad_reply", advice=problems.BAD_REPLY_ADVICE)
        _log_failure(error, config)
        raise error
    text = choices[0].message.content or ""
    finish = choices[0].finish_reason or ""
    reported = getattr(response, "usage", None)
    if reported is not None and (reported.prompt_tokens or reported.completion_tokens):
        prompt_tokens, completion_tokens = reported.prompt_tokens or 0, reported.completion_tokens or 0
    else:
        prompt_tokens = sum(estimate_tokens(str(m.get("content", ""))) for m in messages)
        completion_tokens = estimate_tokens(text)
    result = Completion(text, prompt_tokens, completion_tokens, finish, latency_ms)
    usage.record(result.tokens)
    return result


def _error_text(exc: openai.APIStatusError) -> str:
    """The server's own error message: OpenAI's {"error": {"message"}}, llama.cpp's, vLLM's, Ollama's."""
    body = exc.body
    parts: list[str] = []
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            parts.append(str(inner.get("message") or ""))
            for key in ("n_prompt_tokens", "n_ctx"):  # llama.cpp's exceed_context_size_error
                if key in inner:
                    parts.append(f"{key}={inner[key]}")
        elif inner:
            parts.append(str(inner))
        if body.get("detail"):
            parts.append(str(body["detail"]))
        if body.get("message") and not parts[0]:
            parts.append(str(body["message"]))
    elif body:
        parts.append(body if isinstance(body, str) else json.dumps(body, ensure_ascii=False))
    text = " ".join(p for p in parts if p).strip()
    return text or str(getattr(exc, "message", "") or exc)


def _log_failure(error: LLMError, config: LLMSettings) -> None:
    log.warning("model call failed (%s, model %s): %s", error.kind, config.model, error.advice)
    problems.remember(error.kind, error.advice, model=config.model, base_url=config.base_url)
