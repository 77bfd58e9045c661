"""An existing database migrates to the new layout without losing a row (docs/adr/0007-layout.md).

The models of the old ``chatbot`` app moved to ``conversations`` and ``languages`` with state-only
migrations: the tables stay, other apps' foreign keys follow, and content types (so permissions
and admin history) change app instead of being made anew.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from conversations.models import AnswerLog, Conversation, InboundEvent, Membership, Message, Municipality, Resident
from faq.models import FAQ
from handoff.models import Ticket
from languages.models import CachedTranslation, GlossaryTerm

# The schema just before the move.
BEFORE = [
    ("chatbot", "0003_multilingual"),
    ("faq", "0003_chunk_page_updated_at_embeddingcache_created_at"),
    ("handoff", "0002_console_hours_canned_notes_audit"),
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def before_the_move():
    """Every app at its newest migration, but the moved models' apps as they were."""
    apps_before = dict(BEFORE)
    targets = []
    for app, name in latest():
        if app in ("conversations", "languages"):
            targets.append((app, None))  # did not exist
        else:
            targets.append((app, apps_before.get(app, name)))
    return targets


@pytest.mark.django_db(transaction=True)
def test_rows_of_every_moved_table_survive_the_move():
    old = migrate(before_the_move())
    city = old.get_model("chatbot", "Municipality").objects.create(slug="old-city", name_ja="旧市")
    user = old.get_model("auth", "User").objects.create(username="old-staff")
    old.get_model("chatbot", "Membership").objects.create(user_id=user.pk, municipality=city, role="staff")
    resident = old.get_model("chatbot", "Resident").objects.create(
        municipality=city, channel="web", channel_user_id="resident-1", language="vi"
    )
    conversation = old.get_model("chatbot", "Conversation").objects.create(municipality=city, resident=resident)
    event = old.get_model("chatbot", "InboundEvent").objects.create(
        municipality=city, channel="web", channel_event_id="ev-1", payload={"text": "xin chào"}
    )
    message = old.get_model("chatbot", "Message").objects.create(
        conversation=conversation, direction="in", sender="resident", text="xin chào", event=event
    )
    faq = old.get_model("faq", "FAQ").objects.create(
        municipality=city, external_id="old-1", question="粗大ごみは？", answer="予約制です。"
    )
    old.get_model("chatbot", "AnswerLog").objects.create(
        municipality=city, conversation=conversation, message=message, query="xin chào", decision="answer",
        answered_faq=faq,
    )  # fmt: skip
    old.get_model("chatbot", "CachedTranslation").objects.create(
        municipality=city, source_hash="h", source_language="ja", target_language="vi", source_text="住民票", text="x"
    )
    old.get_model("chatbot", "GlossaryTerm").objects.create(
        municipality=city, japanese="住民票", language="vi", term="giấy cư trú"
    )
    old.get_model("handoff", "Ticket").objects.create(
        municipality=city, conversation=conversation, reason="low_confidence", question="xin chào"
    )
    content_type = old.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="chatbot", model="municipality"
    )[0]
    old.get_model("auth", "Permission").objects.create(
        content_type=content_type, codename="audit_municipality", name="Can audit"
    )

    migrate(latest())

    city = Municipality.objects.get(slug="old-city")
    assert Membership.objects.get(municipality=city).user.username == "old-staff"
    resident = Resident.objects.get(municipality=city, channel_user_id="resident-1")
    conversation = Conversation.objects.get(resident=resident)
    message = Message.objects.get(conversation=conversation)
    assert message.text == "xin chào" and message.event == InboundEvent.objects.get(channel_event_id="ev-1")
    log = AnswerLog.objects.get(conversation=conversation)
    assert log.message == message and log.answered_faq == FAQ.objects.get(external_id="old-1", municipality=city)
    assert CachedTranslation.objects.get(municipality=city).source_text == "住民票"
    assert GlossaryTerm.objects.get(municipality=city).term == "giấy cư trú"
    assert Ticket.objects.get(conversation=conversation).municipality == city
    permission = content_type.permission_set.model.objects.get(codename="audit_municipality")
    assert (permission.content_type.app_label, permission.content_type.model) == ("conversations", "municipality")
