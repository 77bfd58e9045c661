"""The dashboard shows how many messages are stuck or could not be processed (stored means answered)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from conversations.models import InboundEvent


def event(municipality, event_id: str, **fields) -> InboundEvent:
    payload = {"user": "u" * 40, "text": "質問", "postback": None, "language": "ja"}
    return InboundEvent.objects.create(
        municipality=municipality, channel="web", channel_event_id=event_id, payload=payload, **fields
    )


def test_stuck_and_given_up_events_are_shown_with_a_link_for_admins(client, municipality, settings):
    settings.EVENT_REQUEUE_AFTER_SECONDS = 60
    admin = get_user_model().objects.create_superuser("root", "root@example.jp", "pw")
    client.force_login(admin)
    url = reverse("dashboard:overview", args=[municipality.slug])
    assert 'class="events-stuck"' not in client.get(url).content.decode()  # nothing stuck: nothing shown
    old = timezone.now() - timedelta(minutes=10)
    event(municipality, "a", received_at=old)
    event(municipality, "b", received_at=old)
    event(municipality, "c", received_at=old, given_up_at=timezone.now(), last_error="ValueError: x")
    event(municipality, "d")  # just arrived: not stuck
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-stuck="2"' in page and 'data-given-up="1"' in page
    assert reverse("admin:conversations_inboundevent_changelist") + "?status=given_up" in page
