"""A fake LibreTranslate server on loopback, for tests and offline evaluation.

A real HTTP server (threaded), so deep-translator's real ``LibreTranslator`` talks to it through
``TRANSLATOR_URL``. It speaks LibreTranslate's API:

    POST /translate   q, source, target, format, api_key   (query string, form or JSON)
                      -> {"translatedText": "..."}
    GET  /languages   -> [{"code": "en", "name": "English", "targets": [...]}, ...]

and, so the DeepL and Microsoft backends can be exercised offline too, their request shapes:

    GET  /deepl/v2/translate?auth_key=&source_lang=&target_lang=&text=  -> {"translations": [{"text": ...}]}
    POST /microsoft/translate?from=&to=  [{"text": ...}]                 -> [{"translations": [{"text": ...}]}]

What it "translates" to: a known pair taught with ``learn()`` (exact source text), else a stand-in
written in the target language (``"the city office can help you ⟦1⟧."``): one
stand-in phrase per language, as long as the source (``pseudo_translation``), with every
``⟦n⟧`` token kept in place, so it passes the translation check as a real translation would.
``mode`` makes it misbehave the way real translators do: ``"mangle"`` reverses the sentence order
and rewrites every ``⟦n⟧`` token with spaces or other brackets; ``"drop"`` loses the last token;
``"echo"`` sends the source back tagged but untranslated (``"[en] 住民票..."``). ``fail(n)``
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

# One stand-in phrase per target (the server's codes): words in the language, so detection agrees.
PHRASES = {
    "en": "the city office can help you with this request",
    "ja": "市役所がこの件についてご案内します",
    "zh-hans": "市政府可以帮助您办理这件事情",
    "zh": "市政府可以帮助您办理这件事情",
    "zh-hant": "市政府可以幫助您辦理這件事情",
    "zt": "市政府可以幫助您辦理這件事情",
    "ko": "시청에서 이 일을 도와 드릴 수 있습니다",
    "vi": "văn phòng thành phố có thể giúp bạn việc này",
    "pt": "a prefeitura pode ajudar você com este pedido",
    "es": "la oficina de la ciudad puede ayudarle con esta solicitud",
    "tl": "matutulungan ka ng opisina ng lungsod sa kahilingang ito",
    "fil": "matutulungan ka ng opisina ng lungsod sa kahilingang ito",
    "ne": "नगर कार्यालयले तपाईंलाई यो काममा मद्दत गर्न सक्छ",
    "id": "kantor kota dapat membantu anda dengan permintaan ini",
    "th": "สำนักงานเทศบาลสามารถช่วยคุณเรื่องนี้ได้",
    "my": "မြို့တော်ရုံးက ဒီကိစ္စကို ကူညီပေးနိုင်ပါတယ်",
    "fr": "la mairie peut vous aider pour cette demande",
}
_BY_CHARACTER = {"ja", "zh-hans", "zh", "zh-hant", "zt", "th"}


def _code(target: str) -> str:
    """The phrase book's key for a server's code: zh-Hans, ZH-HANS, PT-BR, EN-US, fil."""
    code = target.lower()
    return code if code in PHRASES else code.split("-")[0] if code.split("-")[0] in PHRASES else "en"


_WIDE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def _size(text: str) -> float:
    """How much a text says, in Latin letters (a kanji or kana counts for about two and a half)."""
    wide = len(_WIDE.findall(text))
    return wide * 2.5 + len(re.findall(r"\w", text)) - wide


def _stand_in(target: str, size: float) -> str:
    phrase = PHRASES[_code(target)]
    if _code(target) in _BY_CHARACTER:
        count = max(2, round(size / 2.5))
        return (phrase * (count // len(phrase) + 1))[:count]
    words = phrase.split()
    out: list[str] = []
    while _size(" ".join(out)) < size * 0.9 or not out:
        out.append(words[len(out) % len(words)])
    return " ".join(out)


def pseudo_translation(q: str, target: str) -> str:
    """What the fake answers by default: the target language's stand-in, sentence by sentence, tokens kept."""
    end = "。" if _code(target) in _BY_CHARACTER and _code(target) != "th" else "."
    sentences = []
    for sentence in (s for s in SENTENCE.split(q) if s.strip()):
        pieces = []
        for n, part in enumerate(TOKEN.split(sentence)):
            if n % 2:
                pieces.append(f"⟦{part}⟧")
            elif _size(part) >= 1:
                pieces.append(_stand_in(target, _size(part)))
        sentences.append(" ".join(pieces).strip() + end)
    return " ".join(sentences)


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
        self.mode = "tag"  # tag | mangle | drop | echo | empty
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
        if self.mode == "echo":
            return f"[{target}] {q}"
        text = pseudo_translation(q, target)
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
