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

import logging
import threading
import unicodedata
from dataclasses import dataclass

import openai
from django.conf import settings

from . import usage

log = logging.getLogger(__name__)


class LLMError(Exception):
    """The server answered with an error, an unusable reply, or could not be reached."""


class LLMTimeout(LLMError):
    """No reply within ``OPENAI_TIMEOUT`` seconds."""


class LLMDisabled(LLMError):
    """No model is configured."""


@dataclass(frozen=True)
class LLMSettings:
    base_url: str
    api_key: str
    model: str
    timeout: float
    max_retries: int = 0
    token_limit_param: str = "max_tokens"  # "max_completion_tokens" for OpenAI reasoning models
    temperature: float | None = 0.0  # None: do not send (models that accept only their default)

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

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def estimate_tokens(text: str) -> int:
    """A rough count for servers that report no usage: one token per CJK character, four Latin characters per token."""
    wide = sum(1 for ch in text if unicodedata.east_asian_width(ch) in ("W", "F"))
    return wide + (len(text) - wide + 3) // 4


def complete(messages: list[dict], *, max_tokens: int = 600, config: LLMSettings | None = None) -> Completion:
    """One chat completion. Raises LLMDisabled, LLMTimeout or LLMError; records the tokens used."""
    config = config or current()
    if not config.enabled:
        raise LLMDisabled("no model configured")
    params: dict = {"model": config.model, "messages": messages, config.token_limit_param: max_tokens}
    if config.temperature is not None:
        params["temperature"] = config.temperature
    try:
        response = client_for(config).chat.completions.create(**params)
    except openai.APITimeoutError as exc:
        # The server may still bill the prompt; count it so a slow server cannot spend the budget unseen.
        usage.record(sum(estimate_tokens(str(m.get("content", ""))) for m in messages))
        raise LLMTimeout(str(exc)) from exc
    except openai.APIStatusError as exc:
        raise LLMError(f"HTTP {exc.status_code}") from exc
    except openai.OpenAIError as exc:
        raise LLMError(f"{type(exc).__name__}: {exc}") from exc
    choices = getattr(response, "choices", None) or []
    if not choices or choices[0].message is None:
        raise LLMError("no choices in the reply")
    text = choices[0].message.content or ""
    finish = choices[0].finish_reason or ""
    reported = getattr(response, "usage", None)
    if reported is not None and (reported.prompt_tokens or reported.completion_tokens):
        prompt_tokens, completion_tokens = reported.prompt_tokens or 0, reported.completion_tokens or 0
    else:
        prompt_tokens = sum(estimate_tokens(str(m.get("content", ""))) for m in messages)
        completion_tokens = estimate_tokens(text)
    result = Completion(text, prompt_tokens, completion_tokens, finish)
    usage.record(result.tokens)
    return result
