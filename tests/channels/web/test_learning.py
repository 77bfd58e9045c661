"""The web widget: a pick, then a thumbs-up, teach the bot; a thumbs-down takes the pick back."""

from __future__ import annotations

from conversations.models import AnswerLog
from faq.models import LearnedPhrasing

from .conftest import post_message as post


def test_pick_then_thumbs_up_then_thumbs_down(client, municipality, make_faq, django_capture_on_commit_callbacks):
    sodai = make_faq(municipality, "粗大ごみの出し方を教えてください。", "予約制です。", external_id="gomi-001")
    token = client.post("/api/web/mihon/session").json()["token"]
    with django_capture_on_commit_callbacks(execute=True):
        post(client, token, {"text": "でっかい棚を処分したいです 090-1234-5678", "client_id": "c1"})
        post(
            client,
            token,
            {"postback": {"action": "pick", "kind": "faq", "id": sodai.pk, "label": "x"}, "client_id": "c2"},
        )
    phrasing = LearnedPhrasing.objects.get(faq=sodai)
    assert "090-1234-5678" not in phrasing.text and "でっかい棚を処分したいです" in phrasing.text
    assert (phrasing.count, phrasing.status) == (1, LearnedPhrasing.Status.PENDING)  # one resident: waits

    picked = AnswerLog.objects.get(reason="picked")
    with django_capture_on_commit_callbacks(execute=True):
        post(client, token, {"postback": {"action": "feedback", "value": "yes", "log": picked.pk}, "client_id": "c3"})
    phrasing.refresh_from_db()
    assert phrasing.count == 2 and phrasing.residents == 1  # the same resident twice is still one resident
    assert set(phrasing.sightings.values_list("source", flat=True)) == {"pick", "thumbs_up"}

    with django_capture_on_commit_callbacks(execute=True):
        post(client, token, {"postback": {"action": "feedback", "value": "no", "log": picked.pk}, "client_id": "c4"})
    assert not LearnedPhrasing.objects.exists()  # the answer did not help after all: nothing learned
