"""Request facts every app needs the same way."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: from ``CLIENT_IP_HEADER`` behind a reverse proxy, else the connection's."""
    header = settings.CLIENT_IP_HEADER
    return (header and request.META.get(header)) or request.META.get("REMOTE_ADDR") or None


class IdConverter:
    """``<id:pk>`` in a URL: a database id (1 to 2**63-1). Longer numbers do not match (404), so they never
    reach a query that the database would refuse."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 0 < number < 2**63:
            raise ValueError("not a database id")
        return number

    def to_url(self, value: int) -> str:
        return str(value)
