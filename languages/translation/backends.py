"""Translation services behind one small interface, chosen by ``settings.TRANSLATOR``.

    none       no machine translation (curated translations and Japanese with a notice)
    google     deep-translator's GoogleTranslator (the public web endpoint, no key)
    deepl      deep-translator's DeeplTranslator (TRANSLATOR_API_KEY; a key ending ":fx" uses the free API)
    microsoft  deep-translator's MicrosoftTranslator (TRANSLATOR_API_KEY, optional TRANSLATOR_REGION)
    libre      deep-translator's LibreTranslator against a self-hosted server at TRANSLATOR_URL
    llm        any OpenAI-compatible chat-completions API (OPENAI_BASE_URL, OPENAI_API_KEY, OPENAI_MODEL)

A backend only turns text into text and may raise; timeouts, fallbacks, caching and placeholders
are the service's job (``chatbot.translation.service``).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from functools import lru_cache

import requests
from django.conf import settings

from llm import budget
from llm.client import complete, current, estimate_tokens

from . import codes

log = logging.getLogger(__name__)


class Refused(Exception):  # noqa: N818 (a refusal, not an error: the backend is not paused)
    """The backend answered, but not with a translation that may be used (the reason is the message)."""


class Backend:
    name = "none"
    # What the service says to it, if anything: a reply that repeats these words is refused (checks).
    instructions: tuple[str, ...] = ()

    def code(self, lang: str, *, target: bool) -> str | None:
        """The service's code for one of our languages, or None when it cannot do it."""
        return None

    def translate(self, text: str, source: str, target: str) -> str:
        raise NotImplementedError

    @property
    def enabled(self) -> bool:
        return self.name != "none"


class NoBackend(Backend):
    name = "none"


class GoogleBackend(Backend):
    name = "google"

    def code(self, lang, *, target):
        return codes.GOOGLE.get(lang)

    def translate(self, text, source, target):
        from deep_translator import GoogleTranslator  # noqa: PLC0415 (optional backend: imported only when configured)

        return GoogleTranslator(source=source, target=target).translate(text)


class DeeplBackend(Backend):
    name = "deepl"

    def __init__(self, api_key: str, url: str = ""):
        self.api_key = api_key
        self.url = url

    def code(self, lang, *, target):
        return (codes.DEEPL_TARGET if target else codes.DEEPL_SOURCE).get(lang)

    def translate(self, text, source, target):
        from deep_translator import DeeplTranslator  # noqa: PLC0415 (optional backend: imported only when configured)

        translator = DeeplTranslator(
            source="ja", target="en", api_key=self.api_key, use_free_api=self.api_key.endswith(":fx")
        )
        # deep-translator's list of DeepL languages is older than DeepL's: set the codes directly.
        translator.source, translator.target = source, target
        if self.url:
            translator._base_url = _with_slash(self.url)
        return translator.translate(text)


class MicrosoftBackend(Backend):
    name = "microsoft"

    def __init__(self, api_key: str, region: str = "", url: str = ""):
        self.api_key = api_key
        self.region = region
        self.url = url

    def code(self, lang, *, target):
        return codes.MICROSOFT.get(lang)

    def translate(self, text, source, target):
        from deep_translator import MicrosoftTranslator  # noqa: PLC0415 (optional backend: imported only when configured)

        class _Offline(MicrosoftTranslator):
            # The stock class downloads the language list (with no timeout) on every construction.
            def _get_supported_languages(self):
                return {code: code for code in codes.MICROSOFT.values()}

        translator = _Offline(source=source, target=target, api_key=self.api_key, region=self.region or None)
        if self.url:
            translator._base_url = self.url
        result = translator.translate(text)
        if not result:
            raise RuntimeError("empty answer from Microsoft Translator")
        return result


class LibreBackend(Backend):
    name = "libre"

    def __init__(self, url: str, api_key: str = ""):
        self.url = _with_slash(url)
        self.api_key = api_key
        self._languages: set[str] | None = None
        self._retry_at = 0.0
        self._lock = threading.Lock()

    def server_languages(self) -> set[str]:
        """The codes the server offers (GET /languages, asked once); empty when it would not say."""
        with self._lock:
            if self._languages is None and time.monotonic() >= self._retry_at:
                try:
                    response = requests.get(self.url + "languages", timeout=3)
                    response.raise_for_status()
                    self._languages = {item["code"] for item in response.json()}
                except Exception as exc:  # older servers, or down: the usual codes, ask again later
                    log.warning("LibreTranslate /languages failed: %s", exc)
                    self._retry_at = time.monotonic() + 60
            return self._languages or set()

    def code(self, lang, *, target):
        candidates = codes.LIBRE_CANDIDATES.get(lang)
        if not candidates:
            return None
        offered = self.server_languages()
        if not offered:
            return candidates[-1]
        return next((c for c in candidates if c in offered), None)

    def translate(self, text, source, target):
        from deep_translator import LibreTranslator  # noqa: PLC0415 (optional backend: imported only when configured)

        # The client insists on a key; a self-hosted server without keys ignores it.
        translator = LibreTranslator(
            source="ja", target="en", api_key=self.api_key or "-", custom_url=self.url, use_free_api=False
        )
        # Its language list is older than LibreTranslate's: set the server's codes directly.
        translator.source, translator.target = source, target
        return translator.translate(text)


SYSTEM_PROMPT = (
    "You translate messages for a Japanese city hall's help desk from {source} into {target}. "
    "Translate faithfully and plainly, in the words residents use; do not add, explain or leave out "
    "anything. Tokens like ⟦1⟧ stand for phone numbers, dates, amounts, links and office names: copy "
    "each of them unchanged, exactly once. Reply with the translation only."
)


class LLMBackend(Backend):
    """Through the project's one OpenAI-compatible client (``llm.client``): the same
    settings, no retries, and the tokens counted on the turn's meter and the monthly budget.

    Its time limit is ``TRANSLATOR_TIMEOUT`` (the service's), not ``OPENAI_TIMEOUT``: a resident
    waits for a translation as for any other. A reply cut off at its token cap is refused."""

    name = "llm"
    instructions = (SYSTEM_PROMPT,)

    def code(self, lang, *, target):
        return lang if lang in codes.LLM_NAMES else None

    def translate(self, text, source, target):
        messages = [
            {
                "role": "system",
                "content": SYSTEM_PROMPT.format(source=codes.LLM_NAMES[source], target=codes.LLM_NAMES[target]),
            },
            {"role": "user", "content": text},
        ]
        # One time limit for every translator: TRANSLATOR_TIMEOUT, here too (not OPENAI_TIMEOUT, the answers').
        config = replace(current(), timeout=float(settings.TRANSLATOR_TIMEOUT))
        result = complete(messages, max_tokens=min(4000, max(600, 3 * estimate_tokens(text) + 100)), config=config)
        log.info("llm translation %s->%s tokens=%s", source, target, result.tokens)
        content = result.text.strip()
        if not content:
            raise RuntimeError("empty answer from the LLM")
        if result.cut_off:
            raise Refused("cut_off")
        return content

    @staticmethod
    def budget_spent(municipality) -> bool:
        return budget.is_exhausted(municipality)


@dataclass(frozen=True)
class Config:
    name: str
    url: str
    api_key: str
    region: str
    openai_base_url: str
    openai_api_key: str
    openai_model: str


def current_config() -> Config:
    return Config(
        name=settings.TRANSLATOR.strip().lower(),
        url=settings.TRANSLATOR_URL,
        api_key=settings.TRANSLATOR_API_KEY,
        region=settings.TRANSLATOR_REGION,
        openai_base_url=settings.OPENAI_BASE_URL,
        openai_api_key=settings.OPENAI_API_KEY,
        openai_model=settings.OPENAI_MODEL,
    )


def get_backend() -> Backend:
    """The configured backend (built once per configuration)."""
    return _build(current_config())


@lru_cache(maxsize=8)
def _build(config: Config) -> Backend:
    name = config.name
    if name in ("", "none", "off"):
        return NoBackend()
    if name == "google":
        return GoogleBackend()
    if name == "deepl" and config.api_key:
        return DeeplBackend(config.api_key, config.url)
    if name == "microsoft" and config.api_key:
        return MicrosoftBackend(config.api_key, config.region, config.url)
    if name == "libre" and config.url:
        return LibreBackend(config.url, config.api_key)
    if name == "llm" and config.openai_model and (config.openai_base_url or config.openai_api_key):
        return LLMBackend()
    log.error("TRANSLATOR=%s is unknown or incompletely configured; machine translation is off", name)
    return NoBackend()


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"
