"""An FAQ entry's history shows every change whole, as an inline diff, with the page's own labels (issue 16)."""

from __future__ import annotations

from django.utils import translation

from conversations.models import Membership
from faq.history import as_text, inline_diff
from faq.models import FAQ

LONG = "粗大ごみは事前申込制の戸別収集です。" * 8  # 152 characters: simple-history cut such texts to "[… chars]"


def test_inline_diff_marks_removed_and_added_characters_and_escapes():
    assert inline_diff("北町5-2へ", "北町5-20-1へ") == "北町5-2<ins>0-1</ins>へ"
    assert inline_diff("<b>旧</b>", "<b>新</b>") == "&lt;b&gt;<del>旧</del><ins>新</ins>&lt;/b&gt;"
    assert inline_diff("", "") == ""
    status = FAQ._meta.get_field("status")
    with translation.override("en"):
        assert as_text(status, "draft") == "draft"
    assert as_text(None, ["甲", "乙"]) == "甲\n乙" and as_text(None, None) == ""


def test_history_page_shows_every_change_in_full(municipality, make_faq, staff_user, client):
    faq = make_faq(municipality, "粗大ごみの出し方", LONG, external_id="gomi-001")
    faq.answer = LONG.replace("戸別収集", "戸別収集（有料）", 1) + "受付センターへ。"
    faq.alt_questions = ["ソファを捨てたい"]
    faq.save()
    client.force_login(staff_user(municipality, Membership.Role.EDITOR, username="editor"))

    with translation.override("en"):
        page = client.get(f"/admin/faq/faq/{faq.pk}/history/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "chars]" not in page
    assert "戸別収集<ins>（有料）</ins>です。" in page and "<ins>受付センターへ。</ins>" in page
    assert page.count("粗大ごみは事前申込制の") == 8  # the unchanged text is there whole too
    assert "<ins>ソファを捨てたい</ins>" in page
    for label in ["Saved at", "What happened", "Changed by", "Changes", "not recorded (an import or the system)"]:
        assert label in page
    for simple_history_label in ["Choose a date from the list below", "Change reason", ">Object<", ">None<"]:
        assert simple_history_label not in page
