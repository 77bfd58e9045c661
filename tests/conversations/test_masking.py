"""Personal data masked before it leaves, and restored in the reply only where needed."""

from __future__ import annotations

import pytest

from conversations import masking
from conversations.masking import Masker, is_valid_my_number, mask, mask_reversible

ALL_KINDS = {"EMAIL", "CARD", "MY_NUMBER", "NUMBER", "PHONE", "POSTCODE", "ADDRESS", "NAME"}

# (what the resident wrote, what leaves for the model)
TABLE = [
    ("電話 090-1234-5678 にお願いします", "電話 [PHONE_1] にお願いします"),
    ("自宅は03-1234-5678です", "自宅は[PHONE_1]です"),
    ("042(123)4567まで", "[PHONE_1]まで"),
    ("携帯 09012345678", "携帯 [PHONE_1]"),
    ("＋81 90-1234-5678", "[PHONE_1]"),
    ("０９０－１２３４－５６７８に電話して", "[PHONE_1]に電話して"),
    ("マイナンバーは123456789018です", "マイナンバーは[MY_NUMBER_1]です"),
    ("個人番号 9832 0567 3214", "個人番号 [MY_NUMBER_1]"),
    ("マイナンバーは123456789012です", "マイナンバーは[NUMBER_1]です"),  # wrong check digit: not a My Number
    ("〒190-0000 に送ってください", "[POSTCODE_1] に送ってください"),
    ("住所は東京都みほん市中央1-2-3です", "住所は[ADDRESS_1]です"),
    ("私の住所はみほん市中央一丁目2番3号です", "私の住所は[ADDRESS_1]です"),
    ("本町2丁目5-10に住んでいます", "[ADDRESS_1]に住んでいます"),
    ("メールは taro@example.jp です", "メールは [EMAIL_1] です"),
    ("山田太郎と申します", "[NAME_1]と申します"),
    ("私は山田です。", "私は[NAME_1]です。"),
    ("名前は佐藤 花子です", "名前は[NAME_1]です"),
    ("氏名：鈴木一郎", "氏名：[NAME_1]"),
    ("田中様あてに届きました", "[NAME_1]様あてに届きました"),
    ("グエン・ヴァン・アンさんの手続き", "[NAME_1]さんの手続き"),
    ("My name is John Smith.", "My name is [NAME_1]."),
    ("カード 4111 1111 1111 1111 で払えますか", "カード [CARD_1] で払えますか"),
    (
        "山田太郎と申します。電話は090-1234-5678、メールはtaro@example.jp、〒190-0000 東京都みほん市中央1-2-3です。",
        "[NAME_1]と申します。電話は[PHONE_1]、メールは[EMAIL_1]、[POSTCODE_1] [ADDRESS_1]です。",
    ),
]

NOT_PERSONAL = [
    "粗大ごみの出し方を教えてください",
    "2026-07-17に申請しました",
    "令和6年4月1日から受け付けます",
    "手数料は1通300円です",
    "午前8時30分から17時まで",
    "お客様窓口はどこですか",
    "担当者様へ",
    "市民の皆様",
    "皆さん",
    "私は学生です",
    "私は粗大ごみを捨てたい",
    "子ども家庭支援センター",
    "ヘルパーさんに来てもらいたい",
    "I am Vietnamese",
]


@pytest.mark.parametrize(("original", "masked"), TABLE)
def test_masked_and_restored(original, masked):
    text, masker = mask_reversible(original)
    assert text == masked
    assert masker.restore(text, kinds=ALL_KINDS) == original


@pytest.mark.parametrize("text", NOT_PERSONAL)
def test_ordinary_text_is_left_alone(text):
    assert mask(text) == text
    assert not masking.contains_personal_data(text)


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("123456789018", True),
        ("983205673214", True),
        ("９８３２０５６７３２１４", True),
        ("9832-0567-3214", True),
        ("983205673210", False),
        ("123456789012", False),
        ("12345678901", False),
        ("1234567890181", False),
    ],
)
def test_my_number_check_digit(number, valid):
    assert is_valid_my_number(number) is valid


def test_same_value_same_placeholder_across_the_question_and_earlier_turns():
    masker = Masker()
    first = masker.mask("私は山田です。電話は090-1234-5678です")
    second = masker.mask("さっきの090-1234-5678に、山田様あてで折り返してください。03-1111-2222でも可")
    assert first == "私は[NAME_1]です。電話は[PHONE_1]です"
    assert second == "さっきの[PHONE_1]に、[NAME_1]様あてで折り返してください。[PHONE_2]でも可"
    assert masker.table == {"[NAME_1]": "山田", "[PHONE_1]": "090-1234-5678", "[PHONE_2]": "03-1111-2222"}


def test_restore_only_where_needed():
    masker = Masker()
    masker.mask("山田太郎と申します。マイナンバーは123456789018、カードは4111 1111 1111 1111、電話090-1234-5678")
    reply = "[NAME_1]様、[MY_NUMBER_1] と [CARD_1] は窓口でお伺いします。折り返しは [PHONE_1] にいたします。"
    restored = masker.restore(reply)
    assert restored == "山田太郎様、＊＊＊ と ＊＊＊ は窓口でお伺いします。折り返しは 090-1234-5678 にいたします。"
    # A reply that does not use the data gets none of it.
    assert masker.restore("粗大ごみは予約制です。") == "粗大ごみは予約制です。"


def test_placeholders_never_issued_print_nothing():
    masker = Masker()
    masker.mask("電話は090-1234-5678です")
    assert masker.restore("[PHONE_2] か [EMAIL_1] へ。[PHONE_1]") == "＊＊＊ か ＊＊＊ へ。090-1234-5678"


def test_plain_mask_for_staff_lists_keeps_its_tokens():
    assert mask("電話は090-1234-5678です") == "電話は[PHONE]です"
    assert mask("taro@example.jp か 〒190-0000") == "[EMAIL] か [POSTCODE]"
    assert mask("マイナンバー 123456789018") == "マイナンバー [MY_NUMBER]"
    assert mask("山田太郎と申します") == "[NAME]と申します"
    assert mask("") == ""
