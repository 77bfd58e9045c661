"""A fake LibreTranslate server on loopback, for tests and offline evaluation.

A real HTTP server (threaded), so deep-translator's real ``LibreTranslator`` talks to it through
``TRANSLATOR_URL``. It speaks LibreTranslate's API:

    POST /translate   q, source, target, format, api_key   (query string, form or JSON)
                      -> {"translatedText": "..."}
    GET  /languages   -> [{"code": "en", "name": "English", "targets": [...]}, ...]

and, so the DeepL and Microsoft backends can be exercised offline too, their request shapes:

    GET  /deepl/v2/translate?auth_key=&source_lang=&target_lang=&text=  -> {"translations": [{"text": ...}]}
    POST /microsoft/translate?from=&to=  [{"text": ...}]                 -> [{"translations": [{"text": ...}]}]

What it "translates" to: a known pair taught with ``learn()`` (exact source text), else the text
tagged with the target language (``"[en] 住民票..."``). ``mode`` makes it misbehave the way real
translators do with placeholder tokens: ``"mangle"`` reverses the sentence order and rewrites
every ``⟦n⟧`` token with spaces or other brackets; ``"drop"`` loses the last token. ``fail(n)``
answers the next n requests with an error; ``delay`` makes it slow. ``requests`` records every
request (a ``Call``: path, q, source, target, ...); ``calls`` counts them.

    with FakeLibreTranslate() as api:
        settings.TRANSLATOR, settings.TRANSLATOR_URL = "libre", api.url
        api.learn({("vi", "ja", "Tôi muốn lấy giấy cư trú"): "住民票を取りたい"})
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .server import FakeServer, JSONHandler

# A recent LibreTranslate: zh-Hans/zh-Hant, pt-BR; some older servers say zh/zt/pt instead.
LANGUAGES = [
    ("en", "English"),
    ("ja", "Japanese"),
    ("zh-Hans", "Chinese (Simplified)"),
    ("zh-Hant", "Chinese (Traditional)"),
    ("ko", "Korean"),
    ("vi", "Vietnamese"),
    ("pt-BR", "Portuguese (Brazil)"),
    ("pt", "Portuguese"),
    ("es", "Spanish"),
    ("tl", "Tagalog"),
    ("ne", "Nepali"),
    ("id", "Indonesian"),
    ("th", "Thai"),
    ("fr", "French"),
]
OLD_LANGUAGES = [("en", "English"), ("ja", "Japanese"), ("zh", "Chinese"), ("zt", "Chinese (traditional)"), ("pt", "")]

TOKEN = re.compile(r"⟦(\d+)⟧")
SENTENCE = re.compile(r"(?<=[。．.!?！？\n])")


@dataclass
class Call:
    path: str
    q: str
    source: str
    target: str
    format: str = ""
    api_key: str = ""


class FakeLibreTranslate(FakeServer):
    requests: list[Call]

    def __init__(self, *, languages: list[tuple[str, str]] | None = None, api_key: str | None = None):
        super().__init__(_Handler, name="fake-libre")
        self.languages = languages if languages is not None else LANGUAGES
        self.api_key = api_key  # when set, other keys get 403
        self.mode = "tag"  # tag | mangle | drop | empty
        self.delay = 0.0
        self.pairs: dict[tuple[str, str, str], str] = {}
        self._failures: deque[int] = deque()

    # --- control ---------------------------------------------------------------------------------
    def learn(self, pairs: dict[tuple[str, str, str], str]) -> FakeLibreTranslate:
        """Known translations: {(source, target, text): translation}; codes as the client sends them."""
        with self._lock:
            self.pairs.update({(s, t, q.strip()): v for (s, t, q), v in pairs.items()})
        return self

    def fail(self, times: int = 1, status: int = 500) -> FakeLibreTranslate:
        with self._lock:
            self._failures.extend([status] * times)
        return self

    @property
    def calls(self) -> int:
        return len(self.requests)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._failures.clear()
        self.mode, self.delay = "tag", 0.0

    @property
    def url(self) -> str:
        return self.root + "/"

    # --- translating -----------------------------------------------------------------------------
    def translate(self, q: str, source: str, target: str) -> str:
        known = self.pairs.get((source, target, q.strip()))
        if known is not None:
            return known
        if self.mode == "empty":
            return ""
        text = f"[{target}] {q}"
        if self.mode == "mangle":
            text = mangle(text)
        elif self.mode == "drop":
            tokens = TOKEN.findall(text)
            if tokens:
                text = text.replace(f"⟦{tokens[-1]}⟧", "")
        return text

    def _next_failure(self) -> int | None:
        with self._lock:
            return self._failures.popleft() if self._failures else None


def mangle(text: str) -> str:
    """What machine translators do around placeholders: reorder sentences, respace and rebracket tokens."""
    sentences = [s for s in SENTENCE.split(text) if s]
    text = " ".join(reversed(sentences))
    styles = ["⟦ {} ⟧", "[[{}]]", "【{}】", "［ {} ］", "⟦{}⟧"]
    count = iter(range(1000))
    return TOKEN.sub(lambda m: styles[next(count) % len(styles)].format(m.group(1)), text)


class _Handler(JSONHandler):
    owner: FakeLibreTranslate

    def _params(self) -> tuple[dict[str, str], Any]:
        """Query string, then a form or JSON body, merged (LibreTranslate accepts all three)."""
        parts = urlsplit(self.path)
        params = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        body: Any = None
        if "json" in self.headers.get("Content-Type", ""):
            body, _ = self.read_json()
            if isinstance(body, dict):
                params.update({k: str(v) for k, v in body.items()})
        else:
            raw = self.read_body()
            params.update({k: v[0] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()})
        return params, body

    def _misbehave(self) -> bool:
        """Apply a scripted failure or delay; True when the answer was already sent."""
        status = self.owner._next_failure()
        if status is not None:
            self.send_json(status, {"error": "scripted failure"})
            return True
        return bool(self.owner.delay and self.owner._stop.wait(self.owner.delay))

    def do_GET(self) -> None:
        path = urlsplit(self.path).path.rstrip("/")
        if path == "/languages":
            codes = [code for code, _ in self.owner.languages]
            self.send_json(200, [{"code": c, "name": n, "targets": codes} for c, n in self.owner.languages])
        elif path == "/deepl/v2/translate":
            params, _ = self._params()
            self._record_and_answer_deepl(params)
        else:
            self.send_json(404, {"error": "Not Found"})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path.rstrip("/")
        params, body = self._params()
        if path == "/translate":
            self._answer_libre(params)
        elif path == "/microsoft/translate":
            self._answer_microsoft(params, body)
        else:
            self.send_json(404, {"error": "Not Found"})

    def _answer_libre(self, params: dict[str, str]) -> None:
        call = Call(
            "/translate",
            params.get("q", ""),
            params.get("source", ""),
            params.get("target", ""),
            params.get("format", ""),
            params.get("api_key", ""),
        )
        self.owner.record(call)
        if self.owner.api_key is not None and call.api_key != self.owner.api_key:
            self.send_json(403, {"error": "Invalid API key"})
            return
        offered = {code for code, _ in self.owner.languages}
        if call.source not in offered | {"auto"} or call.target not in offered:
            self.send_json(400, {"error": f"{call.source}->{call.target} is not supported"})
            return
        if not call.q:
            self.send_json(400, {"error": "Invalid request: missing q parameter"})
            return
        if self._misbehave():
            return
        self.send_json(200, {"translatedText": self.owner.translate(call.q, call.source, call.target)})

    def _record_and_answer_deepl(self, params: dict[str, str]) -> None:
        call = Call(
            "/deepl/v2/translate",
            params.get("text", ""),
            params.get("source_lang", ""),
            params.get("target_lang", ""),
            api_key=params.get("auth_key", ""),
        )
        self.owner.record(call)
        if self._misbehave():
            return
        text = self.owner.translate(call.q, call.source, call.target)
        self.send_json(200, {"translations": [{"detected_source_language": call.source, "text": text}]})

    def _answer_microsoft(self, params: dict[str, str], body: Any) -> None:
        q = body[0]["text"] if isinstance(body, list) and body else ""
        call = Call(
            "/microsoft/translate",
            q,
            params.get("from", ""),
            params.get("to", ""),
            api_key=self.headers.get("Ocp-Apim-Subscription-Key", ""),
        )
        self.owner.record(call)
        if self._misbehave():
            return
        text = self.owner.translate(call.q, call.source, call.target)
        self.send_json(200, [{"translations": [{"text": text, "to": call.target}]}])


def configure(settings, api: FakeLibreTranslate, *, timeout: float = 3.0) -> FakeLibreTranslate:
    """Point the project's translator settings (pytest-django's ``settings`` fixture) at the fake."""
    settings.TRANSLATOR = "libre"
    settings.TRANSLATOR_URL = api.url
    settings.TRANSLATOR_API_KEY = ""
    settings.TRANSLATOR_TIMEOUT = timeout
    return api
