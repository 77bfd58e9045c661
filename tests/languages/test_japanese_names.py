"""Contact lines and department names for foreign residents with no translator: the glossary and gettext."""

from __future__ import annotations

import json
import re

import pytest

from faq.management.commands import load_demo
from languages import glossary, japanese_names
from languages.glossary import name_in
from languages.models import GlossaryTerm
from languages.registry import GLOSSARY_COLUMNS, ROMAJI

pytestmark = pytest.mark.usefixtures("fresh_glossary")

BRACKETED = re.compile(r"[(（][^()（）]*[)）]")


KANA = re.compile(r"[\u3040-\u30ff]")


def japanese_outside_brackets(text: str, language: str) -> str:
    """The Japanese a resident cannot read: what is left after the (日本語) originals are taken out.

    Chinese readers read the Han characters; kana they cannot.
    """
    while BRACKETED.search(text):
        text = BRACKETED.sub("", text)
    unreadable = KANA if language.startswith("zh") else japanese_names.JAPANESE_LETTER
    return "".join(unreadable.findall(text))


@pytest.fixture
def city(municipality):
    return municipality  # みほん市, Sample City


def test_names_are_localised_with_the_japanese_kept_and_labels_become_gettext(city):
    line = "市民課 電話 042-000-1101(平日8:30〜17:15、土曜9:00〜12:00) 市役所本庁舎1階"
    assert japanese_names.contact_line(line, "en", municipality=city) == (
        "Citizens Division (市民課) Tel 042-000-1101 (weekdays 8:30–17:15, Saturday 9:00–12:00) "
        "City Hall Main Building (市役所本庁舎) 1F"
    )
    vietnamese = japanese_names.contact_line(line, "vi", municipality=city)
    assert vietnamese.startswith("Phòng Cư dân (市民課)") and "Thứ Bảy 9:00–12:00" in vietnamese
    assert japanese_names.contact_line(
        "中央図書館(火〜金9:30〜20:00、月曜休館) みほん市中央3-2-1", "en", municipality=city
    ) == ("Central Library (中央図書館) (Tuesday–Friday 9:30–20:00, closed on Monday) Sample City 中央3-2-1")
    # The n-th weekdays of a month; 休館 is a closed day (not a closed conversation, the same English word).
    assert japanese_names.contact_line("中央図書館(第2・第4火曜休館、祝日 休み)", "en", municipality=city) == (
        "Central Library (中央図書館) (closed on the 2nd and 4th Tuesday of the month, holidays closed)"
    )
    # A section after its division, a building with 内 ("in"), the city's name before a facility.
    assert japanese_names.contact_line("市民課 マイナンバー係", "en", municipality=city) == (
        "Citizens Division (市民課) My Number Section (マイナンバー係)"
    )
    assert japanese_names.contact_line("総合体育館内", "en", municipality=city) == "General Gymnasium (総合体育館)"
    assert japanese_names.contact_line("みほん市保健センター", "en", municipality=city) == (
        "Sample City Health center (保健センター)"
    )


def test_only_whole_names_and_words_are_replaced(city):
    # 市民課長 is a person's title, いのちの電話 a hotline's name: neither is cut apart.
    assert japanese_names.contact_line("市民課長 あて", "en", municipality=city) == "市民課長 あて"
    assert (
        japanese_names.contact_line("いのちの電話 0120-000-000", "en", municipality=city) == "いのちの電話 0120-000-000"
    )


@pytest.mark.parametrize("language", ["ja", "ja-easy", ""])
def test_japanese_readers_get_the_line_as_written(city, language):
    line = "市民課 電話 042-000-1101(平日8:30〜17:15)"
    assert japanese_names.contact_line(line, language, municipality=city) == line


def test_a_citys_own_office_comes_from_its_glossary_rows(city, make_municipality):
    other = make_municipality("other")
    GlossaryTerm.objects.create(
        municipality=city, japanese="環境政策課", language="en", term="Environmental Policy Division"
    )
    GlossaryTerm.objects.create(municipality=None, japanese="環境政策課", language="en", term="environment section")
    GlossaryTerm.objects.create(municipality=city, japanese="市民課", language="en", term="citizens counter")
    glossary.invalidate()
    line = "環境政策課 電話 042-000-3000"
    assert (
        japanese_names.contact_line(line, "en", municipality=city)
        == "Environmental Policy Division (環境政策課) Tel 042-000-3000"
    )
    assert (
        japanese_names.contact_line(line, "en", municipality=other)
        == "Environment section (環境政策課) Tel 042-000-3000"
    )
    # The shipped name of a term wins over words editors added for residents' questions.
    assert name_in("市民課", "en", municipality=city) == "Citizens Division"
    # ... and the editors' words still help the search.
    assert "市民課" in glossary.expand_to_japanese("where is the citizens counter", "en", municipality=city)


def demo_departments() -> set[str]:
    departments = set()
    for path in sorted((load_demo.DEMO_DIR / "faq").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            departments.add(json.loads(line)["department"])
    return departments - {""}


@pytest.mark.parametrize("language", [code for code in GLOSSARY_COLUMNS if code != ROMAJI])
def test_every_demo_department_has_a_name_in_every_glossary_language(city, language):
    for department in sorted(demo_departments()):
        shown = japanese_names.contact_line(department, language, municipality=city)
        assert not japanese_outside_brackets(shown, language), (language, department, shown)
        assert all(part in shown for part in department.split()), "the Japanese name stays, for the counter"


def test_the_gist_of_an_untranslated_japanese_text(city):
    assert japanese_names.gist("粗大ごみの出し方と住民票の取り方", "en", municipality=city) == [
        "bulky garbage",
        "residence certificate",
    ]
    assert japanese_names.labelled("粗大ごみの出し方は？", "vi", municipality=city).endswith("(粗大ごみの出し方は？)")
    assert japanese_names.labelled("きょうは いい てんき", "en", municipality=city) == "きょうは いい てんき"
    assert japanese_names.gist("粗大ごみの出し方", "ja-easy", municipality=city) == []
