"""The multilingual glossary: its data, and expanding residents' words into Japanese terms."""

from __future__ import annotations

import json

import pytest

from languages import glossary
from languages.glossary import expand_to_japanese, find_terms
from languages.models import GlossaryTerm

EVERY_LANGUAGE = ["en", "zh-hans", "zh-hant", "ko", "vi", "pt", "es", "tl", "ne", "id", "th", "my", "fr", "romaji"]


@pytest.fixture(autouse=True)
def fresh_matchers():
    glossary.invalidate()  # a rolled-back test database sends no signals
    yield
    glossary.invalidate()


# --- the data ------------------------------------------------------------------------------------------


def test_every_line_is_valid_json_with_the_expected_shape():
    files = sorted(glossary.DATA_DIR.glob("*.jsonl"))
    assert files
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            row = json.loads(line)
            assert set(row) <= {"ja", "terms", "also"}, (path.name, number)
            assert isinstance(row["ja"], str) and row["ja"].strip()


def test_at_least_300_terms_each_in_every_language():
    entries = glossary.entries()
    assert len(entries) >= 300
    assert len({e.ja for e in entries}) == len(entries), "a Japanese term appears twice"
    for entry in entries:
        missing = [lang for lang in EVERY_LANGUAGE if not entry.terms.get(lang)]
        assert not missing, (entry.ja, missing)
        assert set(entry.terms) == set(EVERY_LANGUAGE), entry.ja


@pytest.mark.parametrize(
    "ja",
    [
        "住民票",
        "粗大ごみ",
        "マイナンバー",
        "国民健康保険",
        "転入届",
        "在留カード",
        "児童手当",
        "保育園",
        "避難所",
        "印鑑登録",
        "住民税",
        "年金",
        "ごみ収集日",
        "資源ごみ",
        "介護保険",
        "要介護認定",
        "母子手帳",
        "予防接種",
        "健康診断",
        "図書館",
        "市役所",
        "窓口",
        "証明書",
        "戸籍",
        "婚姻届",
        "出生届",
        "死亡届",
        "転出届",
        "国保",
        "減免",
        "納税証明書",
        "課税証明書",
        "軽自動車税",
        "固定資産税",
        "就学援助",
        "学童クラブ",
        "防災",
        "ハザードマップ",
        "家電リサイクル",
        "引っ越し",
    ],
)
def test_the_core_municipal_terms_are_there(ja):
    assert ja in {e.ja for e in glossary.entries()}


def test_no_term_is_too_short_to_match_safely():
    for entry in glossary.entries():
        for language, values in entry.terms.items():
            for value in values:
                folded = glossary.fold(value).strip()
                if glossary.SUBSTRING_SCRIPTS.search(folded):
                    assert len(folded.replace(" ", "")) >= 2, (entry.ja, language, value)
                else:
                    assert len(folded) >= 2, (entry.ja, language, value)


# --- expansion, one or more examples in every language ---------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "How do I throw away bulky garbage like an old sofa?", ["粗大ごみ", "ソファ"]),
        ("en", "I need a certificate of residence for my visa renewal", ["住民票", "在留期間更新"]),
        ("en", "When is garbage day in my area?", ["ごみ収集日"]),
        ("en", "I lost my My Number card", ["紛失", "マイナンバーカード"]),
        ("zh-hans", "大件垃圾怎么扔", ["粗大ごみ"]),
        ("zh-hans", "在留卡丢了怎么办", ["在留カード"]),
        ("zh-hans", "孩子的儿童补贴什么时候发", ["児童手当"]),
        ("zh-hant", "我想辦理國民健康保險", ["国民健康保険"]),
        ("zh-hant", "大型垃圾要怎麼丟", ["粗大ごみ"]),
        ("ko", "주민표는 어디서 발급받아요?", ["住民票"]),
        ("ko", "대형 쓰레기 버리는 방법", ["粗大ごみ"]),
        ("ko", "전입신고 하려면 뭐가 필요해요", ["転入届"]),
        ("vi", "Tôi muốn xin giấy chứng nhận cư trú", ["住民票"]),
        ("vi", "vứt rác cỡ lớn thế nào ạ", ["粗大ごみ"]),
        ("vi", "thẻ cư trú bị mất rồi", ["在留カード", "紛失"]),
        ("pt", "Como faço para tirar o atestado de residência?", ["住民票"]),
        ("pt", "onde jogo fora lixo grande", ["粗大ごみ"]),
        ("es", "¿Dónde puedo sacar el certificado de residencia?", ["住民票"]),
        ("es", "quiero inscribir a mi hijo en la guardería", ["保育園"]),
        ("tl", "Paano kumuha ng residence certificate dito?", ["住民票"]),
        ("tl", "kailan po ang araw ng basura sa amin", ["ごみ収集日"]),
        ("ne", "निवास प्रमाणपत्र कहाँ पाइन्छ?", ["住民票"]),
        ("ne", "ठूलो फोहोर कसरी फाल्ने", ["粗大ごみ"]),
        ("ne", "राष्ट्रिय स्वास्थ्य बीमामा कसरी जाने", ["国民健康保険", "国保"]),
        ("ne", "बाल भत्ताको लागि", ["児童手当"]),
        ("id", "Bagaimana cara membuat surat keterangan domisili?", ["住民票"]),
        ("id", "di mana saya bisa buang sampah besar", ["粗大ごみ"]),
        ("th", "ขอใบรับรองถิ่นที่อยู่ได้ที่ไหน", ["住民票"]),
        ("th", "ทิ้งขยะชิ้นใหญ่ยังไงคะ", ["粗大ごみ"]),
        ("my", "နေထိုင်ကြောင်းထောက်ခံစာ ဘယ်မှာ ယူရမလဲ", ["住民票", "住民票の写し"]),
        ("my", "အမှိုက်အကြီး ဘယ်လိုပစ်ရမလဲ", ["粗大ごみ"]),
        ("fr", "Où puis-je obtenir un certificat de résidence ?", ["住民票"]),
        ("fr", "comment jeter des encombrants", ["粗大ごみ"]),
        ("romaji", "juminhyo", ["住民票"]),
        ("romaji", "sodai gomi no dashikata", ["粗大ごみ"]),
        ("romaji", "zairyu card", ["在留カード"]),
        ("romaji", "kokuho ni kanyu shitai", ["国保", "国民健康保険", "加入"]),
    ],
)
def test_expansion_examples(db, language, text, expected):
    result = expand_to_japanese(text, language)
    for ja in expected:
        assert ja in result, (text, result)


def test_the_longest_match_wins(db):
    assert expand_to_japanese("bulky garbage", "en") == ["粗大ごみ"]  # not also ごみ
    assert expand_to_japanese("garbage", "en") == ["ごみ"]
    assert expand_to_japanese("my number card", "en") == ["マイナンバーカード", "マイナンバー"]
    assert expand_to_japanese("大件垃圾", "zh-hans") == ["粗大ごみ"]


@pytest.mark.parametrize(
    "text",
    ["juminhyo", "jūminhyō", "JUMINHYO", "juuminhyou", "jyuminhyo", "Jūminhyō no utsushi", "ｊｕｍｉｎｈｙｏ"],
)
def test_romanised_japanese_in_any_spelling(db, text):
    assert expand_to_japanese(text, "en")[0] == "住民票"


def test_romaji_with_or_without_spaces(db):
    assert expand_to_japanese("sodaigomi", "en") == expand_to_japanese("sodai gomi", "en") == ["粗大ごみ"]


def test_case_and_diacritics_do_not_matter(db):
    assert expand_to_japanese("CERTIFICADO DE RESIDÊNCIA", "es")[0] == "住民票"
    assert expand_to_japanese("Certificat de residence", "fr")[0] == "住民票"
    assert expand_to_japanese("giay chung nhan cu tru", "vi")[0] == "住民票"  # typed without tone marks


def test_vietnamese_tone_marks_are_not_thrown_away_when_written(db):
    assert "税金" in expand_to_japanese("thuế", "vi")
    assert "税金" not in expand_to_japanese("tiền thuê nhà tháng này", "vi")  # thuê is rent, not tax


def test_whole_words_only_for_latin_scripts(db):
    assert expand_to_japanese("taxi", "en") == []
    assert expand_to_japanese("garbageman", "en") == []
    assert expand_to_japanese("certificates", "en") == ["証明書"]  # plural folded


def test_short_words_only_in_their_own_language(db):
    assert expand_to_japanese("pin", "vi") == ["乾電池", "有害ごみ"]  # pin: a battery in Vietnamese
    assert expand_to_japanese("pin", "en") == ["暗証番号", "マイナンバーカード"]


def test_nepali_postpositions(db):
    assert expand_to_japanese("नागरिकताको लागि", "ne") == ["帰化"]
    assert expand_to_japanese("पुस्तकालयमा", "ne") == ["図書館"]
    assert expand_to_japanese("पुस्तकालयभित्रको", "ne") == []  # not a postposition we know


def test_japanese_text_is_not_expanded(db):
    assert expand_to_japanese("粗大ごみの出し方を教えてください", "ja") == []
    assert expand_to_japanese("マイナンバーカードの my number card", "ja") == ["マイナンバーカード", "マイナンバー"]


def test_empty_and_unrelated_text(db):
    assert expand_to_japanese("", "en") == []
    assert expand_to_japanese("   ", "vi") == []
    assert expand_to_japanese("Hello, nice weather today!", "en") == []


def test_unknown_language_looks_everywhere(db):
    assert expand_to_japanese("Tôi muốn xin giấy chứng nhận cư trú", "") == ["住民票", "住民票の写し"]


def test_matches_report_what_was_found(db):
    [match] = find_terms("Where can I get a Residence Certificate?", "en")
    assert match.ja == ("住民票",) and match.term == "residence certificate"


# --- editors' terms from the database ----------------------------------------------------------------------


def test_editor_terms_are_merged_and_refreshed(municipality, make_municipality):
    other = make_municipality("tonari")
    assert expand_to_japanese("where does the fureai bus stop", "en", municipality=municipality) == []
    term = GlossaryTerm.objects.create(
        municipality=municipality, japanese="ふれあいバス", language="en", term="fureai bus"
    )
    assert expand_to_japanese("where does the fureai bus stop", "en", municipality=municipality) == ["ふれあいバス"]
    assert expand_to_japanese("where does the fureai bus stop", "en", municipality=other) == []
    term.is_active = False
    term.save()
    assert expand_to_japanese("where does the fureai bus stop", "en", municipality=municipality) == []


def test_shared_editor_terms_apply_everywhere(municipality):
    GlossaryTerm.objects.create(
        municipality=None, japanese="ごみ分別アプリ", language="vi", term="ứng dụng phân loại rác"
    )
    assert expand_to_japanese("tải ứng dụng phân loại rác ở đâu", "vi", municipality=municipality) == ["ごみ分別アプリ"]
    assert expand_to_japanese("tải ứng dụng phân loại rác ở đâu", "vi") == ["ごみ分別アプリ"]


def test_deleted_editor_terms_disappear(municipality):
    term = GlossaryTerm.objects.create(
        municipality=municipality, japanese="ゆるキャラ", language="romaji", term="yurukyara"
    )
    assert expand_to_japanese("yurukyara", "en", municipality=municipality) == ["ゆるキャラ"]
    term.delete()
    assert expand_to_japanese("yurukyara", "en", municipality=municipality) == []


def test_changes_made_elsewhere_are_seen_after_the_refresh_interval(municipality, monkeypatch):
    expand_to_japanese("warmup", "en", municipality=municipality)
    # A change another process made: no signal here, so the in-process version does not move.
    GlossaryTerm.objects.bulk_create(
        [GlossaryTerm(municipality=municipality, japanese="市民まつり", language="en", term="city festival")]
    )
    monkeypatch.setattr(glossary, "REFRESH_SECONDS", 0.0)
    assert expand_to_japanese("city festival", "en", municipality=municipality) == ["市民まつり"]
