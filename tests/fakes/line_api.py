"""A fake LINE Messaging API on loopback, for tests and the ``benchmark_line`` command.

It is a real HTTP server (threaded, HTTP/1.1 keep-alive), so the real line-bot-sdk talks to it
through ``LINE_API_BASE_URL``. It records every request, checks the bearer token and the JSON shape
of reply, push, loading, profile and leave calls against LINE's documented limits, and can be
scripted to answer 429 (with ``Retry-After``), 500, or ``400 Invalid reply token``.

    with FakeLineAPI(tokens={"token"}) as api:
        api.script("/v2/bot/message/reply", Scripted(429, headers={"Retry-After": "1"}))
        ...
        assert len(api.calls("/v2/bot/message/reply", status=200)) == 1

Also here: helpers that build signed webhook bodies the way LINE does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from .server import FakeServer, JSONHandler, Request, parse_json

REPLY = "/v2/bot/message/reply"
PUSH = "/v2/bot/message/push"
LOADING = "/v2/bot/chat/loading/start"
PROFILE = "/v2/bot/profile/"
BOT_INFO = "/v2/bot/info"
BOT_USER_ID = "Ubot0000000000000000000000000000"  # the destination webhook_body sends by default
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MESSAGE_TYPES = {"text", "sticker", "image", "video", "audio", "location", "imagemap", "template", "flex"}


@dataclass
class Scripted:
    """A canned answer, used once, before the normal handling of a path."""

    status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def invalid_reply_token(cls) -> Scripted:
        return cls(400, {"message": "Invalid reply token"})

    @classmethod
    def too_many(cls, retry_after: int | None = 1) -> Scripted:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        return cls(429, {"message": "The API rate limit has been exceeded. Try again later."}, headers)

    @classmethod
    def server_error(cls) -> Scripted:
        return cls(500, {"message": "An error occurred in the server."})


Call = Request  # with the status LINE would have answered


# --- shape checks (LINE's documented limits) ---------------------------------------------------------


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _check_str(errors: list[str], where: str, value: Any, limit: int, *, required: bool = True) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or (required and not value):
        errors.append(f"{where}: must be a non-empty string")
    elif units(value) > limit:
        errors.append(f"{where}: {units(value)} characters > {limit}")


def check_action(action: Any, where: str, errors: list[str], *, label_required: bool = True) -> None:
    if not isinstance(action, dict):
        errors.append(f"{where}: action must be an object")
        return
    kind = action.get("type")
    _check_str(errors, f"{where}.label", action.get("label"), 20, required=label_required)
    if kind == "postback":
        _check_str(errors, f"{where}.data", action.get("data"), 300)
        _check_str(errors, f"{where}.displayText", action.get("displayText"), 300, required=False)
    elif kind == "uri":
        uri = action.get("uri")
        _check_str(errors, f"{where}.uri", uri, 1000)
        if isinstance(uri, str) and not re.match(r"^(https?://[^/\s]+|tel:|line://)", uri):
            errors.append(f"{where}.uri: not an absolute http(s), tel or line URI: {uri!r}")
    elif kind == "message":
        _check_str(errors, f"{where}.text", action.get("text"), 300)
    else:
        errors.append(f"{where}: unexpected action type {kind!r}")


def _check_flex_component(node: Any, where: str, errors: list[str]) -> None:
    if not isinstance(node, dict):
        errors.append(f"{where}: component must be an object")
        return
    kind = node.get("type")
    if kind == "box":
        if node.get("layout") not in ("vertical", "horizontal", "baseline"):
            errors.append(f"{where}.layout: invalid")
        contents = node.get("contents")
        if not isinstance(contents, list):
            errors.append(f"{where}.contents: must be a list")
            return
        for i, child in enumerate(contents):
            _check_flex_component(child, f"{where}.contents[{i}]", errors)
    elif kind == "text":
        if not isinstance(node.get("text"), str) or not node["text"]:
            errors.append(f"{where}.text: must be a non-empty string")
    elif kind == "button":
        check_action(node.get("action"), f"{where}.action", errors)
    elif kind not in ("separator", "filler", "image", "icon", "span", "video"):
        errors.append(f"{where}: unknown component {kind!r}")
    if "action" in node and kind != "button":
        check_action(node["action"], f"{where}.action", errors, label_required=False)


def check_message(message: Any, where: str = "message") -> list[str]:
    """Problems LINE would answer 400 for (a useful subset), as readable strings."""
    errors: list[str] = []
    if not isinstance(message, dict):
        return [f"{where}: must be an object"]
    kind = message.get("type")
    if kind not in MESSAGE_TYPES:
        errors.append(f"{where}.type: {kind!r} is not a message type")
    if kind == "text":
        _check_str(errors, f"{where}.text", message.get("text"), 5000)
    elif kind == "flex":
        _check_str(errors, f"{where}.altText", message.get("altText"), 400)
        contents = message.get("contents")
        if not isinstance(contents, dict) or contents.get("type") not in ("bubble", "carousel"):
            errors.append(f"{where}.contents: must be a bubble or carousel")
        else:
            bubbles = contents.get("contents", []) if contents["type"] == "carousel" else [contents]
            for b, bubble in enumerate(bubbles):
                for block in ("header", "hero", "body", "footer"):
                    if block in bubble:
                        _check_flex_component(bubble[block], f"{where}.contents[{b}].{block}", errors)
            if len(json.dumps(contents, ensure_ascii=False).encode()) > 30_000:
                errors.append(f"{where}.contents: larger than 30 KB")
    quick = message.get("quickReply")
    if quick is not None:
        items = quick.get("items") if isinstance(quick, dict) else None
        if not isinstance(items, list) or not 1 <= len(items) <= 13:
            errors.append(f"{where}.quickReply.items: 1 to 13 items")
        else:
            for i, item in enumerate(items):
                if not isinstance(item, dict) or item.get("type") != "action":
                    errors.append(f"{where}.quickReply.items[{i}]: type must be 'action'")
                    continue
                check_action(item.get("action"), f"{where}.quickReply.items[{i}].action", errors)
    return errors


def check_messages(messages: Any) -> list[str]:
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
        return ["messages: 1 to 5 message objects"]
    errors: list[str] = []
    for i, message in enumerate(messages):
        errors += check_message(message, f"messages[{i}]")
    return errors


# --- the server ----------------------------------------------------------------------------------------


class FakeLineAPI(FakeServer):
    requests: list[Call]

    def __init__(self, tokens: set[str] | None = None, profiles: dict[str, dict] | None = None):
        super().__init__(_Handler, name="fake-line-api")
        self.tokens = set(tokens or {"test-access-token"})
        self.profiles: dict[str, dict] = dict(profiles or {})
        self.default_profile_language: str | None = "ja"  # None: unknown users get 404
        self.bot_user_id = BOT_USER_ID
        self.latency = 0.0  # seconds each reply or push takes (LINE under load; a window for a crash to land in)
        # Reply and push calls with a latency: (started, ended or None while open, body).
        self.spans: list[list] = []
        self.shape_errors: list[str] = []
        self.used_reply_tokens: set[str] = set()
        self.invalid_reply_tokens: set[str] = set()
        # Reply tokens expire: with a TTL set, a token issued (``issued[token] = time.time()``)
        # longer ago than that is refused as LINE refuses it.
        self.reply_token_ttl: float | None = None
        self.issued: dict[str, float] = {}
        self.retry_keys: dict[str, dict] = {}
        self.left: list[tuple[str, str]] = []
        self._scripts: dict[str, deque[Scripted]] = defaultdict(deque)
        self._ids = itertools.count(100_000_000_000_000)

    # --- control ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.root

    def script(self, path: str, *answers: Scripted) -> None:
        """Answer the next calls to ``path`` with these, in order, then behave normally again."""
        with self._lock:
            self._scripts[path].extend(answers)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.shape_errors.clear()
            self._scripts.clear()

    def calls(self, path: str | None = None, *, status: int | None = None) -> list[Call]:
        with self._lock:
            found = list(self.requests)
        if path is not None:
            found = [c for c in found if c.path == path or (path.endswith("/") and c.path.startswith(path))]
        if status is not None:
            found = [c for c in found if c.status == status]
        return found

    def in_flight(self) -> list[dict]:
        """The bodies of the reply and push calls LINE is answering at this moment."""
        with self._lock:
            return [body for _started, ended, body in self.spans if ended is None]

    def answered_after(self, moment: float) -> list[dict]:
        """The bodies of the reply and push calls LINE was still answering at ``moment`` or later."""
        with self._lock:
            return [body for started, ended, body in self.spans if ended is None or ended >= moment]

    def delivered(self) -> list[Call]:
        """Reply and push calls that LINE would have delivered (200)."""
        return [c for c in self.calls(status=200) if c.path in (REPLY, PUSH)]

    # --- handling --------------------------------------------------------------------------------

    def handle(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict, dict]:
        if self.latency and path in (REPLY, PUSH):
            body = parse_json(raw)[0]
            span = [time.time(), None, body if isinstance(body, dict) else {}]  # {}: no body, or cut short
            with self._lock:
                self.spans.append(span)
            try:
                time.sleep(self.latency)  # this server thread only: the slow LINE being simulated
            finally:
                span[1] = time.time()
        call = Call(method, path, headers, parse_json(raw)[0], at=time.time())
        status, answer, extra = self._answer(call)
        call.status = status
        self.record(call)
        return status, answer, extra

    def _answer(self, call: Call) -> tuple[int, dict, dict]:
        auth = call.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return 401, {"message": "Authentication failed. Confirm that the access token in the header is valid."}, {}
        with self._lock:
            scripted = self._scripts[call.path].popleft() if self._scripts.get(call.path) else None
        if scripted is not None:
            return scripted.status, scripted.body or {}, scripted.headers
        if call.method == "POST" and call.path == REPLY:
            return self._reply(call)
        if call.method == "POST" and call.path == PUSH:
            return self._push(call)
        if call.method == "POST" and call.path == LOADING:
            return self._loading(call)
        if call.method == "GET" and call.path == BOT_INFO:
            return (
                200,
                {
                    "userId": self.bot_user_id,
                    "basicId": "@000fake",
                    "displayName": "Fake",
                    "chatMode": "bot",
                    "markAsReadMode": "auto",
                },
                {},
            )
        if call.method == "GET" and call.path.startswith(PROFILE):
            return self._profile(call.path[len(PROFILE) :])
        match = re.fullmatch(r"/v2/bot/(group|room)/([^/]+)/leave", call.path)
        if call.method == "POST" and match:
            with self._lock:
                self.left.append((match.group(1), match.group(2)))
            return 200, {}, {}
        return 404, {"message": "Not found"}, {}

    def _bad(self, call: Call, errors: list[str]) -> tuple[int, dict, dict]:
        with self._lock:
            self.shape_errors.extend(f"{call.path}: {e}" for e in errors)
        return 400, {"message": "The request body has error(s)", "details": [{"message": e} for e in errors]}, {}

    def _sent(self, messages: list) -> dict:
        with self._lock:
            return {"sentMessages": [{"id": str(next(self._ids)), "quoteToken": uuid.uuid4().hex} for _ in messages]}

    def _reply(self, call: Call) -> tuple[int, dict, dict]:
        body = call.body if isinstance(call.body, dict) else {}
        token = body.get("replyToken")
        errors = [] if isinstance(token, str) and token else ["replyToken: required"]
        errors += check_messages(body.get("messages"))
        if errors:
            return self._bad(call, errors)
        with self._lock:
            issued, ttl = self.issued.get(token), self.reply_token_ttl
            expired = ttl is not None and issued is not None and call.at - issued > ttl
            if token in self.used_reply_tokens or token in self.invalid_reply_tokens or expired:
                return 400, {"message": "Invalid reply token"}, {}
            self.used_reply_tokens.add(token)
        return 200, self._sent(body["messages"]), {}

    def _push(self, call: Call) -> tuple[int, dict, dict]:
        body = call.body if isinstance(call.body, dict) else {}
        errors = [] if isinstance(body.get("to"), str) and body.get("to") else ["to: required"]
        errors += check_messages(body.get("messages"))
        key = call.headers.get("x-line-retry-key")
        if key is not None and not UUID_RE.match(key):
            errors.append("X-Line-Retry-Key: must be a UUID")
        if errors:
            return self._bad(call, errors)
        with self._lock:
            if key and key in self.retry_keys:
                return 409, {"message": "The retry key is already accepted", **self.retry_keys[key]}, {}
        sent = self._sent(body["messages"])
        if key:
            with self._lock:
                self.retry_keys[key] = sent
        return 200, sent, {}

    def _loading(self, call: Call) -> tuple[int, dict, dict]:
        body = call.body if isinstance(call.body, dict) else {}
        errors = [] if isinstance(body.get("chatId"), str) and body.get("chatId") else ["chatId: required"]
        seconds = body.get("loadingSeconds", 20)
        if not isinstance(seconds, int) or seconds % 5 or not 5 <= seconds <= 60:
            errors.append("loadingSeconds: a multiple of 5 from 5 to 60")
        if errors:
            return self._bad(call, errors)
        return 202, {}, {}

    def _profile(self, user_id: str) -> tuple[int, dict, dict]:
        profile = self.profiles.get(user_id)
        if profile is None and self.default_profile_language is None:
            return 404, {"message": "Not found"}, {}
        profile = profile or {"language": self.default_profile_language}
        return 200, {"userId": user_id, "displayName": "テスト", **profile}, {}


class _Handler(JSONHandler):
    owner: FakeLineAPI

    def _serve(self) -> None:
        path = self.path.split("?")[0]
        status, answer, extra = self.owner.handle(self.command, path, self.header_dict(), self.read_body())
        self.send_json(status, answer, {"x-line-request-id": uuid.uuid4().hex, **extra})

    do_GET = do_POST = do_DELETE = do_PUT = _serve


# --- webhook bodies, as LINE sends them ----------------------------------------------------------------


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def webhook_body(*events: dict, destination: str = BOT_USER_ID) -> bytes:
    return json.dumps({"destination": destination, "events": list(events)}, ensure_ascii=False).encode()


_counter = itertools.count(1)


def event(
    etype: str,
    *,
    user: str = "U" + "1" * 32,
    source: dict | None = None,
    reply_token: str | None = "auto",
    redelivery: bool = False,
    event_id: str | None = None,
    **fields,
) -> dict:
    n = next(_counter)
    data: dict[str, Any] = {
        "type": etype,
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": source or {"type": "user", "userId": user},
        "webhookEventId": event_id or f"01TESTEVENT{n:015d}{uuid.uuid4().hex[:6].upper()}",
        "deliveryContext": {"isRedelivery": redelivery},
    }
    if reply_token == "auto":
        reply_token = uuid.uuid4().hex
    if reply_token:
        data["replyToken"] = reply_token
    data.update(fields)
    return data


def text_event(text: str, **kw) -> dict:
    message_id = kw.pop("message_id", str(next(_counter) + 500_000_000_000_000))
    return event("message", message={"type": "text", "id": message_id, "quoteToken": "q", "text": text}, **kw)


def media_event(media_type: str, **kw) -> dict:
    message = {"type": media_type, "id": str(next(_counter) + 600_000_000_000_000)}
    if media_type == "sticker":
        message.update(packageId="446", stickerId="1988", stickerResourceType="STATIC")
    if media_type == "location":
        message.update(title="市役所", address="東京都", latitude=35.6, longitude=139.4)
    if media_type == "file":
        message.update(fileName="a.pdf", fileSize=1024)
    return event("message", message=message, **kw)


def postback_event(data: dict | str, **kw) -> dict:
    raw = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return event("postback", postback={"data": raw}, **kw)
