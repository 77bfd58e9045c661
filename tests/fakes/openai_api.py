"""A fake OpenAI-compatible chat-completions server on loopback, for tests.

A real HTTP server (threaded), so the real ``openai`` client talks to it through ``base_url``. It
records every request and answers with scripted replies, each used once, in order; when the
script is empty it uses the default (a callable may compute a reply from the request, e.g. to echo
the system prompt back as a leaking model would).

    with FakeOpenAI() as api:
        api.script(Reply("粗大ごみは予約制です[1]。"), Reply.server_error(), Reply.slow("…", delay=2))
        settings.OPENAI_BASE_URL = api.base_url
        ...
        assert api.requests[0].messages[0]["role"] == "system"

Any path ending in ``/chat/completions`` is served (``/v1/...`` as OpenAI, vLLM, Ollama and
llama.cpp use it; ``/openai/v1/...`` as Azure does), and ``GET .../models`` lists one model.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import server
from .server import FakeServer, JSONHandler

DEFAULT_MODEL = "fake-model"


@dataclass
class Reply:
    """One scripted answer."""

    content: str | None = ""
    status: int = 200
    delay: float = 0.0  # seconds to wait before answering (a slow model)
    usage: dict[str, int] | bool | None = None  # None: computed; False: omitted (as some local servers do)
    finish_reason: str = "stop"
    body: dict[str, Any] | None = None  # sent as-is instead of a completion

    @classmethod
    def server_error(cls, status: int = 500) -> Reply:
        return cls(None, status=status, body={"error": {"message": "The server had an error", "type": "server_error"}})

    @classmethod
    def slow(cls, content: str = "", delay: float = 2.0) -> Reply:
        return cls(content, delay=delay)

    @classmethod
    def unanswerable(cls) -> Reply:
        return cls("UNANSWERABLE")

    @classmethod
    def context_error(cls, n_ctx: int = 2048, requested: int = 4281, *, completion: int = 700) -> Reply:
        """What llama-cpp-python's server (and OpenAI, vLLM) answer when the prompt does not fit."""
        message = (
            f"This model's maximum context length is {n_ctx} tokens. However, you requested {requested} tokens "
            f"({requested - completion} in the messages, {completion} in the completion). Please reduce the length "
            "of the messages or completion."
        )
        return cls(
            None,
            status=400,
            body={
                "error": {
                    "message": message,
                    "type": "invalid_request_error",
                    "param": "messages",
                    "code": "context_length_exceeded",
                }
            },
        )

    @classmethod
    def llama_server_context_error(cls, n_ctx: int = 2048, n_prompt_tokens: int = 3581) -> Reply:
        """What llama.cpp's own ``llama-server`` answers when the prompt does not fit its context."""
        return cls(
            None,
            status=400,
            body={
                "error": {
                    "code": 400,
                    "message": "the request exceeds the available context size, try increasing it",
                    "type": "exceed_context_size_error",
                    "n_prompt_tokens": n_prompt_tokens,
                    "n_ctx": n_ctx,
                }
            },
        )

    @classmethod
    def model_not_found(cls, model: str = "fake-model") -> Reply:
        """Ollama's answer for a model that was never pulled."""
        return cls(None, status=404, body={"error": {"message": f'model "{model}" not found, try pulling it first'}})

    @classmethod
    def cut_off(cls, content: str) -> Reply:
        """A reply stopped at the token cap."""
        return cls(content, finish_reason="length")


Responder = Callable[[dict[str, Any]], "Reply | str"]


class Request(server.Request):
    @property
    def text(self) -> str:
        """Everything the model was shown, joined (for "this never left the server" assertions)."""
        return "\n".join(str(m.get("content", "")) for m in self.messages)


class FakeOpenAI(FakeServer):
    requests: list[Request]

    def __init__(
        self,
        *replies: Reply | str,
        default: Reply | Responder | str | None = None,
        api_key: str | None = None,
    ):
        super().__init__(_Handler, name="fake-openai")
        self.api_key = api_key  # when set, other bearer tokens get 401
        self.default: Reply | Responder | str = default if default is not None else Reply.unanswerable()
        self._script: deque[Reply | Responder | str] = deque(replies)
        self._ids = itertools.count(1)

    # --- scripting -------------------------------------------------------------------------------
    def script(self, *replies: Reply | Responder | str) -> FakeOpenAI:
        with self._lock:
            self._script.extend(replies)
        return self

    def respond_with(self, responder: Reply | Responder | str) -> FakeOpenAI:
        """The reply for every request once the script is used up."""
        self.default = responder
        return self

    def reset(self) -> None:
        with self._lock:
            self._script.clear()
            self.requests.clear()

    @property
    def calls(self) -> list[Request]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def base_url(self) -> str:
        return self.root + "/v1"

    # --- answering -------------------------------------------------------------------------------
    def _next(self) -> Reply | Responder | str:
        with self._lock:
            return self._script.popleft() if self._script else self.default

    def _reply_for(self, body: dict[str, Any]) -> Reply:
        item = self._next()
        if callable(item) and not isinstance(item, Reply):
            item = item(body)
        return Reply(item) if isinstance(item, str) else item

    def completion(self, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        content = reply.content or ""
        payload: dict[str, Any] = {
            "id": f"chatcmpl-fake-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or DEFAULT_MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply.content},
                    "finish_reason": reply.finish_reason,
                }
            ],
        }
        if reply.usage is not False:
            usage = reply.usage or {
                "prompt_tokens": sum(len(str(m.get("content", ""))) for m in body.get("messages", [])) // 2 + 1,
                "completion_tokens": len(content) // 2 + 1,
            }
            usage = dict(usage)
            usage.setdefault("total_tokens", usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0))
            payload["usage"] = usage
        return payload


class _Handler(JSONHandler):
    owner: FakeOpenAI

    def _record(self, body: Any) -> Request:
        request = Request(self.command, self.path, self.header_dict(), body, time.time())
        self.owner.record(request)
        return request

    def _authorised(self) -> bool:
        if self.owner.api_key is None:
            return True
        return self.headers.get("Authorization", "") == f"Bearer {self.owner.api_key}"

    def do_GET(self) -> None:
        self._record(None)
        if self.path.rstrip("/").endswith("/models"):
            self.send_json(
                200, {"object": "list", "data": [{"id": DEFAULT_MODEL, "object": "model", "owned_by": "fake"}]}
            )
        else:
            self.send_json(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        body, ok = self.read_json()
        if not ok:
            self._record(body)
            self.send_json(400, {"error": {"message": "invalid JSON"}})
            return
        body = {} if body is None else body
        self._record(body)
        if not self._authorised():
            self.send_json(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}})
            return
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self.send_json(404, {"error": {"message": "not found"}})
            return
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list) or not body.get("model"):
            self.send_json(400, {"error": {"message": "model and messages are required"}})
            return
        reply = self.owner._reply_for(body)
        if reply.delay and self.owner._stop.wait(reply.delay):
            return
        if reply.body is not None:
            self.send_json(reply.status, reply.body)
        elif reply.status != 200:
            self.send_json(reply.status, {"error": {"message": "scripted error", "type": "server_error"}})
        else:
            self.send_json(200, self.owner.completion(body, reply))


def configure(settings, api: FakeOpenAI, *, api_key: str = "test-key", model: str = "fake-model", timeout: float = 5.0):
    """Point the project's OpenAI settings (pytest-django's ``settings`` fixture) at the fake."""
    settings.OPENAI_BASE_URL = api.base_url
    settings.OPENAI_API_KEY = api_key
    settings.OPENAI_MODEL = model
    settings.OPENAI_TIMEOUT = timeout
    return api
