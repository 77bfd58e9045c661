"""Health endpoints: /healthz (the process is up) and /readyz (it can serve; and how many events are
stuck); the home page and /favicon.ico."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import redis
from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from chatbot import pipeline
from conversations.models import Municipality
from faq import retrieval
from llm import health


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    if settings.REDIS_URL:
        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    else:
        checks["redis"] = "not configured (tasks run in-process)"

    checks["index"] = "ok" if retrieval.ready() else "error: not loaded"
    healthy = all(v == "ok" or v.startswith("not configured") for v in checks.values())
    body: dict = {"status": "ok" if healthy else "unavailable", "checks": checks}
    if checks["database"] == "ok":
        # Shown, not judged: the bot answers from curated content without a model. "ok (checked …)",
        # "not checked: run manage.py check_model", or "error: <what to do>" (llm.health.readiness).
        checks["model"] = health.readiness()
    if checks["database"] == "ok":
        # Shown, not judged: stuck events mean the workers or beat are behind or down (this process can
        # still serve). "stuck": stored longer than EVENT_REQUEUE_AFTER_SECONDS and not answered;
        # "given_up": every attempt failed (the admin lists them and can retry).
        body["events"] = pipeline.backlog().as_dict()
    return JsonResponse(body, status=200 if healthy else 503)


@lru_cache(maxsize=1)
def _favicon() -> bytes:
    return Path(finders.find("favicon.ico")).read_bytes()


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for on every page without being told (the mark is config/static)."""
    response = HttpResponse(_favicon(), content_type="image/vnd.microsoft.icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response


def home(request: HttpRequest):
    first = Municipality.objects.filter(is_active=True).order_by("pk").first()
    if first is None:
        return redirect("admin:index")
    return redirect("web:demo", slug=first.slug)


def login_locked(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """What django-axes answers when a user name has failed to log in too often from one address."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    return render(request, "login_locked.html", {"minutes": minutes}, status=429)
