"""JSON endpoints of the web chat under /api/web/<slug>/, and the demo page."""

from __future__ import annotations

import json
import secrets
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from chatbot.models import Channel, InboundEvent, Message, Municipality, Resident
from chatbot.tasks import enqueue

from .adapter import resident_key

MAX_BODY = 16_384


def _origin_allowed(request: HttpRequest, municipality: Municipality) -> bool:
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return True  # same-origin GETs and non-browser clients carry no Origin
    own = f"{request.scheme}://{request.get_host()}"
    return origin.rstrip("/") == own or origin.rstrip("/") in municipality.origins


def _cors(response: HttpResponse, request: HttpRequest, municipality: Municipality) -> HttpResponse:
    origin = request.headers.get("Origin", "").rstrip("/")
    if origin and origin in municipality.origins:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Vary"] = "Origin"
    return response


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _municipality(slug: str) -> Municipality:
    return get_object_or_404(Municipality, slug=slug, is_active=True)


def _guard(request: HttpRequest, slug: str):
    municipality = _municipality(slug)
    if not _origin_allowed(request, municipality):
        return municipality, _error(_("This site is not allowed to use this chat."), 403)
    if request.method == "OPTIONS":
        return municipality, _cors(HttpResponse(status=204), request, municipality)
    return municipality, None


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def session(request: HttpRequest, slug: str) -> HttpResponse:
    municipality, refused = _guard(request, slug)
    if refused:
        return refused
    return _cors(JsonResponse({"token": secrets.token_urlsafe(24)}, status=201), request, municipality)


@csrf_exempt
@require_http_methods(["GET", "POST", "OPTIONS"])
def messages(request: HttpRequest, slug: str) -> HttpResponse:
    municipality, refused = _guard(request, slug)
    if refused:
        return refused
    if request.method == "GET":
        return _cors(_list_messages(request, municipality), request, municipality)
    if len(request.body) > MAX_BODY:
        return _cors(_error(_("The request is too large."), 413), request, municipality)
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return _cors(_error(_("The request is not valid JSON."), 400), request, municipality)
    if not isinstance(data, dict):
        return _cors(_error(_("The request is not valid JSON."), 400), request, municipality)
    token = str(data.get("token", ""))
    text = data.get("text")
    postback = data.get("postback")
    if len(token) < 16:
        return _cors(_error(_("A session token is required."), 400), request, municipality)
    if postback is None and (not isinstance(text, str) or not text.strip()):
        return _cors(_error(_("Please type a message."), 400), request, municipality)
    if isinstance(text, str) and len(text) > settings.MESSAGE_MAX_CHARS:
        return _cors(
            _error(
                _("Your message is too long. Please keep it under %(limit)d characters.")
                % {"limit": settings.MESSAGE_MAX_CHARS},
                413,
            ),
            request,
            municipality,
        )
    client_id = str(data.get("client_id") or uuid.uuid4())[:64]
    payload = {
        "user": resident_key(token),
        "text": text if isinstance(text, str) else "",
        "postback": postback if isinstance(postback, dict) else None,
        "language": str(data.get("language", ""))[:16],
    }
    try:
        with transaction.atomic():
            event = InboundEvent.objects.create(
                municipality=municipality,
                channel=Channel.WEB,
                channel_event_id=f"{payload['user']}:{client_id}",
                event_type="postback" if payload["postback"] else "message",
                payload=payload,
            )
            enqueue(event.pk)
    except IntegrityError:
        event = InboundEvent.objects.get(channel=Channel.WEB, channel_event_id=f"{payload['user']}:{client_id}")
        return _cors(JsonResponse({"event": event.pk, "duplicate": True}, status=200), request, municipality)
    return _cors(JsonResponse({"event": event.pk}, status=202), request, municipality)


def serialise(message: Message) -> dict:
    return {
        "id": message.pk,
        "sender": message.sender,
        "kind": message.kind,
        "text": message.text,
        "reply": message.payload or None,
        "at": message.created_at.isoformat(),
    }


def _list_messages(request: HttpRequest, municipality: Municipality) -> JsonResponse:
    token = request.GET.get("token", "")
    try:
        after = int(request.GET.get("after", "0"))
    except ValueError:
        after = 0
    resident = Resident.objects.filter(
        municipality=municipality, channel=Channel.WEB, channel_user_id=resident_key(token)
    ).first()
    if resident is None or len(token) < 16:
        return JsonResponse({"messages": [], "state": "bot"})
    rows = (
        Message.objects.filter(conversation__resident=resident, id__gt=after, unsent_at__isnull=True)
        .exclude(delivery__in=[Message.Delivery.PENDING, Message.Delivery.DROPPED])
        .exclude(kind="note")
        .order_by("id")[:200]
    )
    conversation = resident.conversations.order_by("-created_at").first()
    return JsonResponse(
        {"messages": [serialise(m) for m in rows], "state": conversation.state if conversation else "bot"}
    )


@require_GET
def demo_page(request: HttpRequest, slug: str) -> HttpResponse:
    municipality = _municipality(slug)
    return render(request, "web/demo.html", {"municipality": municipality, "languages": settings.LANGUAGES})
