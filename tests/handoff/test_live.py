"""Server-sent events from Redis pub/sub, read over a real HTTP connection to the live server."""

from __future__ import annotations

import http.client
from urllib.parse import urlparse

import pytest
from django.conf import settings as django_settings
from django.test import Client

from conversations import live
from conversations.models import Conversation, Membership, Resident
from handoff import services
from handoff.models import Ticket

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def open_stream(live_server, user) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    url = urlparse(live_server.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=20)
    connection.request(
        "GET",
        "/console/events",
        headers={"Cookie": f"{django_settings.SESSION_COOKIE_NAME}={cookie}", "Accept": "text/event-stream"},
    )
    return connection, connection.getresponse()


def read_until(response, predicate, limit: int = 200) -> list[str]:
    lines = []
    for _ in range(limit):
        line = response.readline().decode().rstrip("\n")
        lines.append(line)
        if predicate(line):
            return lines
    pytest.fail(f"not found in the stream: {lines}")


def test_new_ticket_is_pushed_to_staff_of_that_municipality_only(
    live_server, redis_client, redis_url, settings, municipality, make_municipality, staff_user
):
    settings.REDIS_URL = redis_url
    settings.HANDOFF_SSE_HEARTBEAT_SECONDS = 1
    staff = staff_user(municipality, Membership.Role.STAFF)
    other_city = make_municipality("tonari")
    connection, response = open_stream(live_server, staff)
    try:
        assert response.status == 200
        assert response.getheader("Content-Type").startswith("text/event-stream")
        read_until(response, lambda line: line == ": connected")

        # Another city's ticket is published on another channel and never reaches this stream.
        live.publish(other_city.pk, {"type": "ticket.new", "ticket": 999999})
        resident = Resident.objects.create(municipality=municipality, channel="web", channel_user_id="sse")
        conversation = Conversation.objects.create(municipality=municipality, resident=resident)
        ticket = services.open_ticket(conversation, Ticket.Reason.ASKED_FOR_PERSON, question="人と話したい")

        lines = read_until(response, lambda line: line.startswith("data:"))
        assert "event: update" in lines
        assert f'"ticket": {ticket.pk}' in lines[-1] and '"type": "ticket.new"' in lines[-1]
        assert "999999" not in "".join(lines)
        read_until(response, lambda line: line == ": keepalive")  # heartbeats keep proxies from closing it
    finally:
        connection.close()
