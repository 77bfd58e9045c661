"""Staff see how the bot's reply came into the resident's language: a curated translation or a machine one."""

from __future__ import annotations

from conversations import outbox
from conversations.content import Reply
from conversations.models import Conversation, Message, Resident
from handoff import services
from handoff.models import Ticket


def test_the_console_marks_curated_and_machine_translated_bot_replies(console_client, municipality):
    resident = Resident.objects.create(municipality=municipality, channel="web", channel_user_id="r1", language="en")
    conversation = Conversation.objects.create(municipality=municipality, resident=resident)
    Message.objects.create(conversation=conversation, direction="in", sender="resident", text="Bulky waste?")
    ticket = services.open_ticket(conversation, Ticket.Reason.LOW_CONFIDENCE, question="Bulky waste?")
    curated, machine, untranslated = outbox.send(
        conversation,
        [
            Reply("Bulky waste is collected by reservation.", kind="answer", japanese="粗大ごみは予約制です。",
                  translated="curated"),
            Reply("Garbage day is Monday.", kind="answer", japanese="収集日は月曜です。", translated="machine"),
            Reply("粗大ごみは予約制です。", kind="answer"),
        ],
    )  # fmt: skip
    assert (curated.machine_translated, machine.machine_translated, untranslated.machine_translated) == (
        False,
        True,
        False,
    )
    page = console_client.get(f"/console/tickets/{ticket.pk}/").content.decode()

    def row(message: Message) -> str:
        start = page.index(f'data-message-id="{message.pk}"')
        return page[start : page.index("</tr>", start)]

    assert 'class="badge curated"' in row(curated) and 'class="badge mt"' not in row(curated)
    assert 'class="badge mt"' in row(machine) and 'class="badge curated"' not in row(machine)
    assert "badge curated" not in row(untranslated) and "badge mt" not in row(untranslated)
