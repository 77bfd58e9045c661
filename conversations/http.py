"""Request facts every app needs the same way."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: from ``CLIENT_IP_HEADER`` behind a reverse proxy, else the connection's."""
    header = settings.CLIENT_IP_HEADER
    return (header and request.META.get(header)) or request.META.get("REMOTE_ADDR") or None
