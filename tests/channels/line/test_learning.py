"""LINE: a resident's pick from an ask-back teaches the bot their wording (pending until a second resident)."""

from __future__ import annotations

from chatbot import pipeline
from conversations.models import AnswerLog, InboundEvent
from faq.models import LearnedPhrasing
from tests.fakes.line_api import postback_event, text_event


def process(city, raw: dict) -> None:
    stored = InboundEvent.objects.create(
        municipality=city, channel="line", channel_event_id=raw["webhookEventId"], event_type=raw["type"], payload=raw
    )
    pipeline.process_event(stored.pk)


def test_a_pick_on_line_is_learned_and_a_second_resident_confirms_it(line_api, line_city, make_faq):
    sodai = make_faq(line_city, "粗大ごみの出し方を教えてください。", "予約制です。", external_id="gomi-001")
    for user in ("U" + "1" * 32, "U" + "2" * 32):
        process(line_city, text_event("でっかい棚を処分したいです", user=user))
        pick = {"action": "pick", "kind": "faq", "id": sodai.pk, "label": "粗大ごみの出し方を教えてください。"}
        process(line_city, postback_event(pick, user=user))
    phrasing = LearnedPhrasing.objects.get(faq=sodai)
    assert phrasing.text == "でっかい棚を処分したいです"  # what they typed, not the button's label
    assert (phrasing.count, phrasing.residents, phrasing.status) == (2, 2, LearnedPhrasing.Status.APPROVED)
    assert set(phrasing.sightings.values_list("source", flat=True)) == {"pick"}
    assert AnswerLog.objects.filter(reason="picked", answered_faq=sodai).count() == 2
