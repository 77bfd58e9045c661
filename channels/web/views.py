"""The web chat: JSON endpoints under /api/web/<slug>/, the embeddable /widget.js, and the demo page.

Every endpoint checks the request's Origin against the municipality's allowed origins (plus this
server's own) and answers CORS only for those. Writes are rate limited per session and per IP,
reads per IP. The API is described in openapi.json beside this file (served at
/api/web/openapi.json).

Sessions are only those the server issued: a token is a random nonce and a keyed MAC of it (bound to
the municipality), so a token anyone invents gets 401. ``Origin: null`` (a sandboxed frame on any
site) is refused unless the municipality lists ``null`` among its origins.

The session token never travels in a URL (URLs end up in the access logs of gunicorn, proxies and
CDNs): clients send it as ``Authorization: Bearer <token>`` (or, for ``POST /messages`` only, in
the JSON body), and a ``?token=`` in any URL is refused. The event stream, which EventSource opens
without headers, takes a short-lived signed ticket from ``POST /stream-ticket`` instead.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from chatbot.tasks import enqueue
from conversations import live, postbacks
from conversations.http import client_ip
from conversations.models import Channel, InboundEvent, Message, Municipality, Resident
from conversations.text import clean
from languages.registry import normalise_code

from . import config, limits, sse
from .adapter import live_channel, resident_key

MAX_BODY = 16_384
MIN_TOKEN = 16
MAX_TOKEN = 128
TOKEN_SALT = "madoguchi.web.session"
CLIENT_SALT = "madoguchi.web.client"
CLIENT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
HERE = Path(__file__).resolve().parent

# A stream ticket opens GET /events within this many seconds of being issued; the stream then lives
# its normal lifetime. It names the municipality and the session's hash, never the token itself.
TICKET_SALT = "madoguchi.web.stream-ticket"
TICKET_SECONDS = 60
MAX_TICKET = 512

# Errors for client developers (the widget never shows them to residents), so not translated.
TOKEN_IN_URL = (
    "The session token must not be sent in the URL (URLs are written to access logs). "
    "Send it in the Authorization header: 'Authorization: Bearer <token>'."
)
TICKET_REQUIRED = "A stream ticket is required: get one from POST /api/web/<slug>/stream-ticket."
TICKET_EXPIRED = "The stream ticket has expired: get a new one from POST /api/web/<slug>/stream-ticket."
TICKET_INVALID = "The stream ticket is not valid for this chat: get one from POST /api/web/<slug>/stream-ticket."


# --- shared checks -------------------------------------------------------------------------------


def _origin_allowed(request: HttpRequest, municipality: Municipality) -> bool:
    origin = request.headers.get("Origin")
    if not origin:
        return True  # same-origin GETs and non-browser clients carry no Origin
    if origin == "null":  # a sandboxed frame or a local file, on any site: only where the city allows it
        return "null" in municipality.origins
    origin = origin.rstrip("/")
    own = f"{request.scheme}://{request.get_host()}"
    return origin == own or origin in municipality.origins


def _cors(response: HttpResponse, request: HttpRequest, municipality: Municipality) -> HttpResponse:
    # Always vary on Origin: a cached same-origin answer (no CORS headers) must not serve another site.
    patch_vary_headers(response, ["Origin"])
    origin = request.headers.get("Origin", "").rstrip("/")
    if origin and origin in municipality.origins:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Max-Age"] = "600"
    return response


def _error(message: str, status: int, **extra) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def _municipality(slug: str) -> Municipality:
    return get_object_or_404(Municipality, slug=slug, is_active=True)


def _language(code) -> str:
    """A supported language code from the request, or "" (then LocaleMiddleware's choice stands)."""
    return normalise_code(str(code)[:16]) if code else ""


def _guard(request: HttpRequest, slug: str):
    municipality = _municipality(slug)
    if not _origin_allowed(request, municipality):
        with translation.override(_language(request.GET.get("lang")) or translation.get_language()):
            return municipality, _error(_("This site is not allowed to use this chat."), 403)
    if request.method == "OPTIONS":
        return municipality, _cors(HttpResponse(status=204), request, municipality)
    if "token" in request.GET:  # refused outright, so that no client keeps leaking tokens into logs
        return municipality, _cors(_error(TOKEN_IN_URL, 400), request, municipality)
    return municipality, None


def _too_many(hit: limits.Limited) -> JsonResponse:
    if hit.name == "WEB_RATE_IP_SESSIONS":
        text = _("Too many new conversations from your network. Please wait %(seconds)d seconds and try again.")
    elif hit.name == "WEB_RATE_IP_READS":
        text = _("Too many requests from your network. Please wait %(seconds)d seconds and try again.")
    else:
        text = _("You are sending messages too quickly. Please wait %(seconds)d seconds and try again.")
    response = _error(text % {"seconds": hit.retry_after}, 429, retry_after=hit.retry_after)
    response["Retry-After"] = str(hit.retry_after)
    return response


def _valid_token(token) -> bool:
    return isinstance(token, str) and MIN_TOKEN <= len(token) <= MAX_TOKEN


def _token_mac(municipality: Municipality, nonce: str, secret: str | None = None) -> str:
    return salted_hmac(TOKEN_SALT, f"{municipality.pk}:{nonce}", secret=secret, algorithm="sha256").hexdigest()[:32]


def issue_token(municipality: Municipality) -> str:
    """A new session token: a random nonce and its MAC, so that the server knows it issued it."""
    nonce = secrets.token_urlsafe(24)
    return f"{nonce}.{_token_mac(municipality, nonce)}"


def token_issued(municipality: Municipality, token) -> bool:
    """Whether this server issued ``token`` for this municipality (SECRET_KEY or one of its fallbacks)."""
    if not _valid_token(token):
        return False
    nonce, dot, mac = token.rpartition(".")
    if not dot or not nonce:
        return False
    secrets_ = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(constant_time_compare(mac, _token_mac(municipality, nonce, secret)) for secret in secrets_)


def _unknown_session() -> JsonResponse:
    return _error(_("This chat session is not known here. Please start a new conversation."), 401)


def client_key(request: HttpRequest) -> str:
    """A keyed hash of the client's address: enough to count per address, never the address itself."""
    return salted_hmac(CLIENT_SALT, client_ip(request) or "", algorithm="sha256").hexdigest()[:24]


def _header_token(request: HttpRequest) -> str:
    """The session token from ``Authorization: Bearer <token>``, or ""."""
    scheme, _space, credentials = request.headers.get("Authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


def make_ticket(municipality: Municipality, token: str) -> str:
    """A signed, timestamped ticket that lets GET /events subscribe to this session's channel."""
    return signing.dumps({"m": municipality.pk, "u": resident_key(token)}, salt=TICKET_SALT, compress=False)


def _open_ticket(ticket: str, municipality: Municipality) -> tuple[str | None, str]:
    """The session's key from a ticket of this municipality that is still fresh, or (None, why not)."""
    if len(ticket) > MAX_TICKET:
        return None, TICKET_INVALID
    try:
        data = signing.loads(ticket, salt=TICKET_SALT, max_age=TICKET_SECONDS)
    except signing.SignatureExpired:
        return None, TICKET_EXPIRED
    except signing.BadSignature:
        return None, TICKET_INVALID
    if not isinstance(data, dict) or data.get("m") != municipality.pk or not isinstance(data.get("u"), str):
        return None, TICKET_INVALID
    return data["u"], ""


# --- endpoints -------------------------------------------------------------------------------------


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def session(request: HttpRequest, slug: str) -> HttpResponse:
    """A new anonymous session token. The server stores only its hash, as the resident's id."""
    municipality, refused = _guard(request, slug)
    if refused:
        return refused
    hit = limits.check(request, "WEB_RATE_IP_SESSIONS")
    if hit:
        return _cors(_too_many(hit), request, municipality)
    return _cors(JsonResponse({"token": issue_token(municipality)}, status=201), request, municipality)


@require_http_methods(["GET", "OPTIONS"])
def widget_config(request: HttpRequest, slug: str) -> HttpResponse:
    municipality, refused = _guard(request, slug)
    if refused:
        return refused
    hit = limits.check(request, "WEB_RATE_IP_READS")
    lang = _language(request.GET.get("lang")) or config.language_or_default(translation.get_language())
    if hit:
        with translation.override(lang):
            return _cors(_too_many(hit), request, municipality)
    response = JsonResponse(config.build(municipality, lang), json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = f"public, max-age={config.CACHE_SECONDS}"
    return _cors(response, request, municipality)


@csrf_exempt
@require_http_methods(["GET", "POST", "OPTIONS"])
def messages(request: HttpRequest, slug: str) -> HttpResponse:
    municipality, refused = _guard(request, slug)
    if refused:
        return refused
    if request.method == "GET":
        with translation.override(_language(request.GET.get("lang")) or translation.get_language()):
            hit = limits.check(request, "WEB_RATE_IP_READS")
            response = _too_many(hit) if hit else _list_messages(request, municipality)
        return _cors(response, request, municipality)
    if len(request.body) > MAX_BODY:
        return _cors(_error(_("The request is too large."), 413), request, municipality)
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return _cors(_error(_("The request is not valid JSON."), 400), request, municipality)
    if not isinstance(data, dict):
        return _cors(_error(_("The request is not valid JSON."), 400), request, municipality)
    with translation.override(_language(data.get("language")) or translation.get_language()):
        response = _post_message(request, municipality, data)
    return _cors(response, request, municipality)


def _post_message(request: HttpRequest, municipality: Municipality, data: dict) -> JsonResponse:
    token = _header_token(request) or data.get("token", "")
    text = data.get("text")
    postback = data.get("postback")
    if not _valid_token(token):
        return _error(_("A session token is required."), 400)
    if not token_issued(municipality, token):
        return _unknown_session()
    if text is not None and not isinstance(text, str):
        return _error(_("The message must be text."), 400)
    if data.get("language") is not None and not isinstance(data.get("language"), str):
        return _error(_("The language must be a language code."), 400)
    client_id = data.get("client_id")
    if client_id is not None and not (isinstance(client_id, str) and CLIENT_ID.match(client_id)):
        return _error(_("The client id must be 1 to 64 letters, digits or . _ : -"), 400)
    if postback is not None:
        try:
            postback = postbacks.validate(postback)
        except postbacks.InvalidPostback as exc:
            return _error(_("This button cannot be used. Please type your question instead."), 400, detail=str(exc))
    text = clean(text) if isinstance(text, str) else ""
    if postback is None and not text.strip():
        return _error(_("Please type a message."), 400)
    limit = settings.MESSAGE_MAX_CHARS
    if isinstance(text, str) and len(text) > limit:
        message = _("Your message is too long. Please keep it under %(limit)d characters.") % {"limit": limit}
        return _error(message, 413, limit=limit)
    user = resident_key(token)
    hit = limits.check(request, "WEB_RATE_SESSION_MESSAGES", value=f"{municipality.pk}:{user}") or limits.check(
        request, "WEB_RATE_IP_MESSAGES"
    )
    if hit:
        return _too_many(hit)
    client_id = client_id or str(uuid.uuid4())
    payload = {
        "user": user,
        "text": text,
        "postback": postback,
        "language": _language(data.get("language")),
        "client": client_key(request),  # counts tickets per address (handoff.limits); not the address
    }
    event_id = f"{user}:{client_id}"
    try:
        with transaction.atomic():
            event = InboundEvent.objects.create(
                municipality=municipality,
                channel=Channel.WEB,
                channel_event_id=event_id,
                event_type="postback" if payload["postback"] else "message",
                payload=payload,
            )
            enqueue(event.pk)  # once committed; a broker that is down is logged, and beat queues the event
    except IntegrityError:
        event = InboundEvent.objects.get(channel=Channel.WEB, channel_event_id=event_id)
        return JsonResponse({"event": event.pk, "duplicate": True}, status=200)
    return JsonResponse({"event": event.pk}, status=202)


def serialise(message: Message) -> dict:
    client_id = ""
    if message.direction == Message.Direction.INBOUND and message.event_id:
        client_id = message.event.channel_event_id.partition(":")[2]
    return {
        "id": message.pk,
        "sender": message.sender,
        "kind": message.kind,
        "text": message.text,
        "reply": message.payload or None,
        "language": message.language,
        "client_id": client_id,
        "at": message.created_at.isoformat(),
    }


def _resident(municipality: Municipality, token: str) -> Resident | None:
    if not _valid_token(token):
        return None
    return Resident.objects.filter(
        municipality=municipality, channel=Channel.WEB, channel_user_id=resident_key(token)
    ).first()


def _list_messages(request: HttpRequest, municipality: Municipality) -> JsonResponse:
    try:
        after = int(request.GET.get("after", "0"))
    except ValueError:
        return _error(_("'after' must be a message number."), 400)
    if not 0 <= after <= postbacks.MAX_ID:
        return _error(_("'after' must be a message number."), 400)
    token = _header_token(request)
    if token and not token_issued(municipality, token):
        return _unknown_session()
    resident = _resident(municipality, token)
    if resident is None:
        return _private(JsonResponse({"messages": [], "state": "bot"}))
    rows = (
        Message.objects.filter(conversation__resident=resident, id__gt=after, unsent_at__isnull=True)
        .exclude(delivery__in=[Message.Delivery.PENDING, Message.Delivery.DROPPED])
        .exclude(kind="note")
        .select_related("event")
        .order_by("id")[:200]
    )
    conversation = resident.conversations.order_by("-created_at").first()
    return _private(
        JsonResponse(
            {"messages": [serialise(m) for m in rows], "state": conversation.state if conversation else "bot"},
            json_dumps_params={"ensure_ascii": False},
        )
    )


def _private(response: HttpResponse) -> HttpResponse:
    """One session's history: no cache (a browser's, a proxy's or a CDN's) may keep it."""
    response["Cache-Control"] = "private, no-store"
    return response


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def stream_ticket(request: HttpRequest, slug: str) -> HttpResponse:
    """A ticket for opening GET /events (EventSource cannot send the token in a header)."""
    municipality, refused = _guard(request, slug)
    if refused:
        return refused
    token = _header_token(request)
    if not _valid_token(token):
        return _cors(_error(_("A session token is required."), 400), request, municipality)
    if not token_issued(municipality, token):
        return _cors(_unknown_session(), request, municipality)
    hit = limits.check(request, "WEB_RATE_IP_READS")
    if hit:
        return _cors(_too_many(hit), request, municipality)
    response = JsonResponse({"ticket": make_ticket(municipality, token), "expires_in": TICKET_SECONDS}, status=201)
    response["Cache-Control"] = "no-store"
    return _cors(response, request, municipality)


@require_http_methods(["GET", "OPTIONS"])
def events(request: HttpRequest, slug: str) -> HttpResponse:
    """Server-sent events for one session; 204 when live events are unavailable (the widget polls).

    Opened with ``?ticket=`` from POST /stream-ticket; the ticket is checked only here, at opening.
    """
    municipality, refused = _guard(request, slug)
    if refused:
        return refused
    ticket = request.GET.get("ticket", "")
    if not ticket:
        return _cors(_error(TICKET_REQUIRED, 400), request, municipality)
    user, why_not = _open_ticket(ticket, municipality)
    if user is None:
        return _cors(_error(why_not, 403), request, municipality)
    hit = limits.check(request, "WEB_RATE_IP_READS")
    if hit:
        return _cors(_too_many(hit), request, municipality)
    if not live.reachable():
        return _cors(HttpResponse(status=204), request, municipality)
    frames = sse.stream(live_channel(municipality.pk, user))
    response = StreamingHttpResponse(frames, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache, no-transform"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event through at once
    return _cors(response, request, municipality)


# --- static parts: the widget script and the API description -----------------------------------------


@lru_cache(maxsize=4)
def _widget_source(js_mtime: float, css_mtime: float) -> str:
    js = Path(finders.find("web/widget.js")).read_text(encoding="utf-8")
    css = Path(finders.find("web/widget.css")).read_text(encoding="utf-8")
    return js.replace('"__MADOGUCHI_CSS__"', json.dumps(css, ensure_ascii=False), 1)


@require_GET
def widget_script(request: HttpRequest) -> HttpResponse:
    """/widget.js: the widget with its stylesheet inlined, so one script tag is all a page needs."""
    js, css = finders.find("web/widget.js"), finders.find("web/widget.css")
    source = _widget_source(Path(js).stat().st_mtime, Path(css).stat().st_mtime)
    response = HttpResponse(source, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"  # pages with COEP may still load it
    return response


@require_GET
def openapi(request: HttpRequest) -> HttpResponse:
    response = HttpResponse((HERE / "openapi.json").read_bytes(), content_type="application/json")
    response["Access-Control-Allow-Origin"] = "*"  # a public description, no credentials involved
    return response


@require_GET
def demo_page(request: HttpRequest, slug: str) -> HttpResponse:
    """A page that looks like the city's homepage, with the widget embedded by its one script tag."""
    municipality = _municipality(slug)
    context = {
        "municipality": municipality,
        "site": "/demo-site/" if settings.DEMO_SITE_ENABLED else "#",
        # The banner names the chat button as it reads (the page is Japanese, with an English line).
        "launcher_ja": config.launcher_label("ja"),
        "launcher_en": config.launcher_label("en"),
    }
    return render(request, "web/demo.html", context)
