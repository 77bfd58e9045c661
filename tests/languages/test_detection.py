"""Which language a resident writes in: detection on short texts in every supported language, and
the rules that keep the conversation's language stable (choice wins, kana is Japanese, short or
unclear messages do not flip it)."""

from __future__ import annotations

import pytest
from django.conf import settings

from languages.detection import detect, resolve, written_in
from languages.registry import normalise_code

# Short messages as residents type them: questions about the counter's everyday business.
SHORT_TEXTS = {
    "ja": [
        "住民票がほしいです",
        "ゴミの日っていつ？",
        "保育園の申し込み",
        "マイナンバーカードなくした",
        "ソファ捨てたい",
    ],
    "en": [
        "How do I get a residence certificate?",
        "Where can I throw away my old sofa?",
        "When is garbage day in my area",
        "I lost my residence card",
        "Is the library open on Sunday?",
    ],
    "zh-hans": [
        "怎么办理住民票？",
        "我想申请儿童补贴",
        "我的在留卡丢了怎么办",
        "请问图书馆几点开门",
        "孩子什么时候可以打疫苗",
    ],
    "zh-hant": [
        "請問怎麼申請住民票？",
        "我想辦理國民健康保險",
        "我的在留卡不見了怎麼辦",
        "請問圖書館幾點開門",
        "小孩什麼時候可以打疫苗",
    ],
    "ko": [
        "주민표는 어디서 발급받아요?",
        "대형 쓰레기 버리는 방법",
        "아이 예방접종 언제 해요?",
        "재류카드를 잃어버렸어요",
        "도서관 일요일에 열어요?",
    ],
    "vi": [
        "Tôi muốn xin giấy chứng nhận cư trú",
        "vứt rác cỡ lớn thế nào ạ",
        "đăng ký bảo hiểm y tế ở đâu",
        "em bị mất thẻ cư trú rồi",
        "thư viện chủ nhật có mở cửa không",
    ],
    "pt": [
        "Como faço para tirar o atestado de residência?",
        "onde jogo fora o sofá velho",
        "quero fazer o seguro de saúde",
        "perdi meu cartão de residente",
        "a biblioteca abre no domingo?",
    ],
    "es": [
        "¿Dónde puedo sacar el certificado de residencia?",
        "cómo tiro un sofá viejo",
        "quiero inscribir a mi hijo en la guardería",
        "perdí mi tarjeta de residencia",
        "¿la biblioteca abre los domingos?",
    ],
    "tl": [
        "Paano kumuha ng residence certificate dito?",
        "saan po pwede magtapon ng lumang sofa",
        "kailan po ang araw ng basura sa amin",
        "nawala po ang residence card ko",
        "bukas po ba ang library sa linggo",
    ],
    "ne": [
        "निवास प्रमाणपत्र कहाँ पाइन्छ?",
        "पुरानो सोफा कसरी फाल्ने",
        "बच्चाको खोप कहिले लगाउने",
        "मेरो रेसिडेन्स कार्ड हरायो",
        "पुस्तकालय आइतबार खुल्छ?",
    ],
    "id": [
        "Bagaimana cara membuat surat keterangan domisili?",
        "di mana saya bisa buang sofa bekas",
        "saya mau daftar asuransi kesehatan",
        "kartu izin tinggal saya hilang",
        "perpustakaan buka hari minggu tidak?",
    ],
    "th": ["ขอใบรับรองถิ่นที่อยู่ได้ที่ไหน", "ทิ้งโซฟาเก่ายังไงคะ", "อยากสมัครประกันสุขภาพ", "บัตรไซริวหายค่ะ", "ห้องสมุดเปิดวันอาทิตย์ไหม"],
    "my": [
        "နေထိုင်ကြောင်းလက်မှတ် ဘယ်မှာ ယူရမလဲ",
        "ဆိုဖာအဟောင်း ဘယ်လိုပစ်ရမလဲ",
        "ကလေးကာကွယ်ဆေး ဘယ်တော့ထိုးရမလဲ",
        "နေထိုင်ခွင့်ကတ် ပျောက်သွားတယ်",
        "စာကြည့်တိုက် တနင်္ဂနွေ ဖွင့်လား",
    ],
    "fr": [
        "Où puis-je obtenir un certificat de résidence ?",
        "comment se débarrasser d'un vieux canapé",
        "je voudrais inscrire mon enfant à la crèche",
        "j'ai perdu ma carte de résident",
        "la bibliothèque est ouverte le dimanche ?",
    ],
}
CASES = [(code, text) for code, texts in SHORT_TEXTS.items() for text in texts]


def test_every_supported_language_has_examples():
    assert set(SHORT_TEXTS) == {code for code, _ in settings.LANGUAGES} - {"ja-easy"}


@pytest.mark.parametrize(("code", "text"), CASES)
def test_short_texts_are_detected(code, text):
    guess, score = detect(text)
    assert guess == code, (text, guess, score)


@pytest.mark.parametrize(("code", "text"), CASES)
def test_a_first_message_sets_the_language(code, text):
    assert resolve("", "", text) == (code, "detected")


@pytest.mark.parametrize("text", ["ゴミ", "OKです", "はい", "ｱﾘｶﾞﾄｳ", "my number card ありますか"])
def test_any_kana_means_japanese(text):
    assert detect(text) == ("ja", 1.0)


@pytest.mark.parametrize(
    "text", ["OK", "ok!", "👍", "190-0012", "042-000-1201", "Hi", "???", "住民票", "sofa", "ありがとう"]
)
@pytest.mark.parametrize("current", ["en", "vi", "pt", "ne", "zh-hans", "th"])
def test_short_or_unclear_messages_keep_the_known_language(current, text):
    assert resolve(current, "profile", text) == (current, "profile")


@pytest.mark.parametrize(
    ("current", "text"),
    [("vi", "cảm ơn"), ("tl", "salamat po"), ("pt", "obrigado!"), ("en", "thanks"), ("es", "vale, gracias")],
)
def test_thanks_does_not_flip_the_language(current, text):
    assert resolve(current, "detected", text)[0] == current


def test_an_explicit_choice_wins_over_anything_written():
    assert resolve("vi", "choice", "How do I get a residence certificate?") == ("vi", "choice")
    assert resolve("en", "choice", "住民票がほしいです") == ("en", "choice")


def test_a_clear_sentence_in_another_language_switches():
    assert resolve("en", "profile", "Tôi muốn xin giấy chứng nhận cư trú") == ("vi", "detected")
    assert resolve("vi", "detected", "住民票の写しがほしいです") == ("ja", "detected")


def test_easy_japanese_readers_stay_with_easy_japanese():
    assert resolve("ja-easy", "profile", "じゅうみんひょう が ほしい です") == ("ja-easy", "profile")
    assert resolve("ja-easy", "detected", "住民票の写しを取りたいです") == ("ja-easy", "detected")


def test_nothing_known_and_nothing_detectable_defaults_to_japanese():
    assert resolve("", "", "👍") == ("ja", "default")
    assert resolve("", "", "") == ("ja", "default")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("zh", "zh-hans"),
        ("zh-TW", "zh-hant"),
        ("zh_Hant", "zh-hant"),
        ("zh-HK", "zh-hant"),
        ("fil", "tl"),
        ("pt-BR", "pt"),
        ("es-419", "es"),
        ("in", "id"),
        ("EN-us", "en"),
        ("my", "my"),
        ("ja-easy", "ja-easy"),
        ("de", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_codes_from_profiles_and_detectors(code, expected):
    assert normalise_code(code) == expected


# Known gaps of chatbot.language, reported to the lead (language.py is not part of issue 6's files):
# a Latin-script question with a Japanese term in kanji, and Chinese written without any kana, are
# taken for Japanese by the detector and flip a known language.
def test_a_japanese_term_inside_an_english_question_keeps_english():
    assert resolve("en", "detected", "Where do I get 住民票?")[0] == "en"


def test_chinese_without_kana_keeps_chinese():
    assert resolve("zh-hans", "detected", "大件垃圾怎么扔")[0] == "zh-hans"


def test_a_long_english_message_still_switches_a_japanese_resident():
    assert resolve("ja", "detected", "Hello, where can I get a copy of my residence certificate?")[0] == "en"


# --- the language to answer one message in (issue 16): the resident's, unless clearly another ---------


@pytest.mark.parametrize(
    ("setting", "text", "expected"),
    [
        ("ja", "Tôi mới chuyển đến thành phố, tôi cần làm thủ tục gì để đăng ký cư trú?", "vi"),
        ("ja", "How do I get a copy of my residence certificate?", "en"),
        ("ja", "मलाई निवासी प्रमाणपत्र कहाँ पाउन सकिन्छ?", "ne"),  # the detector splits it over ne/hi/mr
        ("ja", "沙发想扔掉，该怎么办", "zh-hans"),  # characters Japanese does not use
        ("ja", "저는 이사를 했는데 전입신고는 어떻게 하나요?", "ko"),
        ("en", "Tôi muốn vứt tủ lạnh cũ thì phải làm sao?", "vi"),
        ("en", "粗大ごみを出したいのですが、どこに申し込めばいいのか教えてください", "ja"),  # a long Japanese sentence
        ("vi", "我现在住在大阪，可以邮寄みほん市的住民票给我吗", "zh-hans"),  # Chinese with a city's name in kana
    ],
)
def test_a_long_message_clearly_in_another_language_is_answered_in_it(setting, text, expected):
    assert written_in(text, setting) == expected


@pytest.mark.parametrize(
    ("setting", "text"),
    [
        ("ja", "xin chào"),  # short
        ("ja", "OK"),
        ("ja", "Nguyễn Thị Thu Hương"),  # a name
        ("ja", "Maria Santos"),
        ("ja", "hoikuen no moushikomi wa itsu made desu ka"),  # romaji: the detector says English
        ("ja", "sodaigomi wo dashitai n desu kedo dou sureba ii desu ka"),
        ("ja", "離婚届 不受理申出"),  # kanji only: Japanese or Chinese
        ("en", "離婚届 不受理申出"),
        ("en", "Where do I get 住民票?"),  # a Japanese term in an English question
        ("en", "ソファを捨てたい"),  # the Japanese words a learner knows
        ("vi", "Thank you so much!"),  # short
        ("ja", "Maria Santos da Silva, 090-1234-5678"),
        ("ja-easy", "じゅうみんひょうを とりたいです。どこに いけば いいですか"),
        ("zh-hant", "我想知道怎么办理住民票"),  # Chinese either way
    ],
)
def test_short_ambiguous_or_japanese_in_disguise_keeps_the_residents_language(setting, text):
    assert written_in(text, setting) == setting


def test_no_language_known_means_japanese():
    assert written_in("住民票がほしい", "") == "ja"
