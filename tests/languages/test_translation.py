"""Machine translation: the real deep-translator client against a fake LibreTranslate on loopback,
the LLM backend against a fake OpenAI-compatible server, placeholders, the cache, curated-first."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache

from conversations.models import AnswerLog
from faq.models import FAQTranslation
from languages import translation
from languages.models import CachedTranslation
from languages.translation import backends, placeholders, service
from llm import usage
from tests.fakes.libretranslate import OLD_LANGUAGES, FakeLibreTranslate, configure, pseudo_translation
from tests.fakes.openai_api import FakeOpenAI, Reply
from tests.fakes.openai_api import configure as configure_openai

ANSWER = (
    "住民票の写しは市民課の窓口で請求できます。手数料は1通300円です。"
    "2026年4月1日から受付時間は8:30〜17:15になります。"
    "問い合わせ：市民課 電話 042-000-1201。"
    "詳しくは https://www.city.mihon.example.jp/kurashi/juminhyo.html をご覧ください。"
)
MUST_SURVIVE = [
    "042-000-1201",
    "https://www.city.mihon.example.jp/kurashi/juminhyo.html",
    "300円",
    "2026年4月1日",
    "市民課",
]


@pytest.fixture(autouse=True)
def clean_state():
    cache.clear()
    service.reset_failures()
    yield
    service.reset_failures()


@pytest.fixture
def libre(settings, db):
    with FakeLibreTranslate() as api:
        configure(settings, api, timeout=2.0)
        yield api


@pytest.fixture
def faq(municipality, make_faq):
    return make_faq(
        municipality,
        "住民票の写しを取りたい",
        ANSWER,
        department="市民課",
        contact="市民課 電話 042-000-1201",
        url="kurashi/juminhyo.html",
    )


# --- the real client against the fake server ---------------------------------------------------------


def test_real_libretranslate_client_talks_to_the_fake(libre):
    result = translation.translate("粗大ごみの出し方", "ja", "en")
    assert result is not None
    assert result.text == pseudo_translation("粗大ごみの出し方", "en")
    assert result.machine and not result.cached and result.backend == "libre"
    [call] = libre.requests
    assert (call.path, call.source, call.target, call.format) == ("/translate", "ja", "en", "text")


@pytest.mark.parametrize(
    ("ours", "new_server", "old_server"),
    [("zh-hans", "zh-Hans", "zh"), ("zh-hant", "zh-Hant", "zt"), ("pt", "pt-BR", "pt"), ("en", "en", "en")],
)
def test_codes_follow_what_the_server_offers(settings, db, ours, new_server, old_server):
    for languages, expected in ((None, new_server), (OLD_LANGUAGES, old_server)):
        CachedTranslation.objects.all().delete()
        backends._build.cache_clear()  # a new server may get the old one's port: never reuse its language list
        with FakeLibreTranslate(languages=languages) as api:
            configure(settings, api)
            result = translation.translate("住民票", "ja", ours)
            assert result is not None
            assert api.requests[-1].target == expected


def test_filipino_goes_as_tl_and_unknown_targets_are_not_sent(libre):
    assert translation.translate("住民票", "ja", "fil").text == pseudo_translation("住民票", "tl")
    assert translation.translate("住民票", "ja", "my") is None  # this server has no Burmese
    assert translation.translate("住民票", "ja", "xx") is None
    assert [c.target for c in libre.requests] == ["tl"]


def test_easy_japanese_is_a_rewrite_not_a_translation(libre):
    assert translation.translate("住民票の写しを取りたい", "ja", "ja-easy") is None
    same = translation.translate("住民票の写しを取りたい", "ja-easy", "ja")
    assert same.text == "住民票の写しを取りたい" and not same.machine
    assert libre.calls == 0


def test_api_key_is_sent(settings, db):
    with FakeLibreTranslate(api_key="secret") as api:
        configure(settings, api)
        assert translation.translate("住民票", "ja", "en") is None  # no key: 403, falls back
        service.reset_failures()
        settings.TRANSLATOR_API_KEY = "secret"
        assert translation.translate("住民票", "ja", "en").text == pseudo_translation("住民票", "en")
        assert api.requests[-1].api_key == "secret"


# --- placeholders ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["tag", "mangle"])
def test_phone_url_amount_date_department_survive(libre, mode):
    libre.mode = mode
    result = translation.translate(ANSWER, "ja", "en")
    assert result is not None
    for value in MUST_SURVIVE:
        assert value in result.text, (mode, value, result.text)
    sent = libre.requests[0].q
    for value in MUST_SURVIVE:
        assert value not in sent  # the translator never saw them


def test_protect_finds_what_matters_and_leaves_the_rest():
    text = (
        "保険年金課年金係（042-000-1301、内線）へ。03-1234-5678 や 0120-123-456、(042)000-1202 も可。"
        "手数料は1,000円〜2,000円、¥500。令和8年4月1日(水)から、11月30日まで、2026/4/1。"
        "平日8:30〜17:00。粗大ごみ受付センターまたは多文化共生推進室。日本語教室と会議室、人間関係の相談。"
        "mail: help@city.example.jp"
    )
    protected = placeholders.protect(text, "ja")
    values = set(protected.values.values())
    for expected in [
        "保険年金課年金係",
        "042-000-1301",
        "03-1234-5678",
        "0120-123-456",
        "(042)000-1202",
        "1,000円〜2,000円",
        "¥500",
        "令和8年4月1日(水)",
        "11月30日",
        "2026/4/1",
        "8:30〜17:00",
        "粗大ごみ受付センター",
        "多文化共生推進室",
        "help@city.example.jp",
    ]:
        assert expected in values, expected
    assert not any(v.endswith(("教室", "会議室", "関係")) for v in values)
    assert placeholders.restore(protected.text, protected) == text


def test_restore_tolerates_rewritten_tokens_and_appends_lost_ones():
    protected = placeholders.protect("電話は042-000-1201、締切は2026年4月1日、費用は300円です。", "ja")
    assert len(protected.values) == 3
    mangled = "Deadline [[ 2 ]], phone ［1］. Fee:"
    restored = placeholders.restore(mangled, protected)
    assert "042-000-1201" in restored and "2026年4月1日" in restored
    assert restored.endswith("(300円)")  # the translator dropped it: it is appended, not lost


def test_foreign_text_keeps_links_and_phone_numbers_only():
    protected = placeholders.protect("Call 042-000-1201 or see https://example.jp/x before April 1, 300 yen", "en")
    assert set(protected.values.values()) == {"042-000-1201", "https://example.jp/x"}


def test_personal_numbers_never_reach_the_translator(libre):
    text = "My number is 1234 5678 9012, I live at 〒190-0012, mail me at taro@example.com"
    translation.to_japanese(text, "en")
    sent = libre.requests[0].q
    for secret in ("1234 5678 9012", "190-0012", "taro@example.com"):
        assert secret not in sent


def test_extra_terms_are_protected(libre):
    libre.mode = "mangle"
    result = translation.translate("ごみ減量推進課にご連絡ください。", "ja", "en", protect=["ごみ減量推進課"])
    assert "ごみ減量推進課" in result.text
    assert "ごみ減量推進課" not in libre.requests[0].q


# --- cache, curated first --------------------------------------------------------------------------


def test_second_request_is_a_cache_hit(libre, municipality):
    first = translation.translate(ANSWER, "ja", "vi", municipality=municipality)
    second = translation.translate(ANSWER, "ja", "vi", municipality=municipality)
    assert libre.calls == 1
    assert not first.cached and second.cached and second.machine
    assert second.text == first.text
    row = CachedTranslation.objects.get()
    assert (row.municipality, row.source_language, row.target_language, row.backend) == (
        municipality,
        "ja",
        "vi",
        "libre",
    )
    assert row.source_text == ANSWER and not row.is_curated


def test_cache_is_per_municipality_with_shared_rows_for_all(libre, municipality, make_municipality):
    other = make_municipality("tonari")
    translation.translate("住民票", "ja", "en", municipality=municipality)
    translation.translate("住民票", "ja", "en", municipality=other)
    assert libre.calls == 2  # a city's cached (and correctable) text is its own
    translation.translate("図書館", "ja", "en")  # no city: a shared row
    assert translation.translate("図書館", "ja", "en", municipality=other).cached
    assert libre.calls == 3


def test_localise_answer_prefers_curated_faq_translation(libre, faq):
    FAQTranslation.objects.create(faq=faq, language="en", answer="Curated answer.")
    assert translation.localise_answer(faq, "en") == ("Curated answer.", False, False)
    assert libre.calls == 0


def test_localise_answer_machine_translates_with_notice_and_caches(libre, faq):
    text, machine, notice = translation.localise_answer(faq, "vi")
    assert machine and notice
    assert text.startswith("văn phòng thành phố")
    for value in MUST_SURVIVE:
        assert value in text
    assert translation.localise_answer(faq, "vi") == (text, True, True)
    assert libre.calls == 1
    assert CachedTranslation.objects.get().municipality == faq.municipality


def test_japanese_reader_gets_the_answer_as_is(libre, faq):
    assert translation.localise_answer(faq, "ja") == (faq.answer, False, False)
    assert translation.localise_answer(faq, "") == (faq.answer, False, False)
    assert translation.localise_answer(faq, "ja-easy") == (faq.answer, False, False)
    assert libre.calls == 0


def test_editor_correction_becomes_curated_and_wins(libre, faq, staff_user):
    translation.localise_answer(faq, "en")
    row = CachedTranslation.objects.get()
    editor = staff_user(faq.municipality, role="editor")
    translation.correct(row, "Corrected by the city.", editor)
    assert translation.localise_answer(faq, "en") == ("Corrected by the city.", False, False)
    row.refresh_from_db()
    assert row.is_curated and row.corrected_by == editor
    assert libre.calls == 1


def test_curated_cache_is_used_even_without_a_translator(settings, faq):
    settings.TRANSLATOR = "none"
    CachedTranslation.objects.create(
        municipality=faq.municipality, source_language="ja", target_language="ko", source_text=ANSWER, text="한국어"
    )
    assert translation.localise_answer(faq, "ko") == (ANSWER, False, True)  # a machine row is not used
    CachedTranslation.objects.update(is_curated=True)
    assert translation.localise_answer(faq, "ko") == ("한국어", False, False)


def test_curated_faq_translation_beats_curated_cache(libre, faq):
    CachedTranslation.objects.create(
        municipality=faq.municipality,
        source_language="ja",
        target_language="en",
        source_text=ANSWER,
        text="cache",
        is_curated=True,
    )
    assert translation.localise_answer(faq, "en")[0] == "cache"
    FAQTranslation.objects.create(faq=faq, language="en", answer="faq translation")
    assert translation.localise_answer(faq, "en")[0] == "faq translation"


def test_changed_source_text_is_translated_again(libre, faq):
    translation.localise_answer(faq, "en")
    faq.answer = ANSWER + "（改訂）"
    faq.save()
    translation.localise_answer(faq, "en")
    assert libre.calls == 2


def test_localise_question_for_ask_back_choices(libre, faq):
    FAQTranslation.objects.create(faq=faq, language="en", question="Getting a residence certificate", answer="x")
    assert translation.localise_question(faq, "en") == ("Getting a residence certificate", False)
    text, machine = translation.localise_question(faq, "th")
    assert machine and text == pseudo_translation("住民票の写しを取りたい", "th")


# --- errors and timeouts never raise ---------------------------------------------------------------


def test_server_error_falls_back_to_japanese_with_notice(libre, faq):
    libre.fail(1, status=500)
    assert translation.translate("住民票", "ja", "en") is None
    assert translation.localise_answer(faq, "en") == (ANSWER, False, True)
    assert not CachedTranslation.objects.exists()


def test_a_failing_translator_is_left_alone_for_a_while(libre):
    libre.fail(1)
    assert translation.translate("住民票", "ja", "en") is None
    assert translation.translate("戸籍", "ja", "en") is None
    assert libre.calls == 1  # paused: residents do not wait for a translator that is down
    service.reset_failures()
    assert translation.translate("戸籍", "ja", "en").text == pseudo_translation("戸籍", "en")


def test_timeout_falls_back_quickly(libre, settings):
    settings.TRANSLATOR_TIMEOUT = 0.5
    libre.delay = 5
    started = time.monotonic()
    assert translation.translate("住民票", "ja", "en") is None
    assert time.monotonic() - started < 2


def test_unreachable_server_falls_back(settings, db):
    api = FakeLibreTranslate().start()
    configure(settings, api)
    api.stop()
    assert translation.translate("住民票", "ja", "en") is None


def test_empty_answer_falls_back(libre):
    libre.mode = "empty"
    assert translation.translate("住民票", "ja", "en") is None


def test_backend_exception_is_logged_not_raised(libre, monkeypatch, caplog):
    def boom(*args, **kwargs):
        raise RuntimeError("kaput")

    monkeypatch.setattr(service, "_translate", boom)
    assert translation.translate("住民票", "ja", "en") is None
    assert "failed" in caplog.text


# --- no translator -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["none", "", "libre", "deepl", "llm", "nonsense"])
def test_without_a_usable_translator_nothing_is_machine_translated(settings, faq, name):
    settings.TRANSLATOR, settings.TRANSLATOR_URL, settings.TRANSLATOR_API_KEY = name, "", ""
    settings.OPENAI_BASE_URL = settings.OPENAI_API_KEY = settings.OPENAI_MODEL = ""
    assert not backends.get_backend().enabled
    assert translation.translate("住民票", "ja", "en") is None
    assert translation.localise_answer(faq, "en") == (ANSWER, False, True)
    FAQTranslation.objects.create(faq=faq, language="en", answer="Curated.")
    assert translation.localise_answer(faq, "en") == ("Curated.", False, False)


def test_notices_in_the_residents_language():
    assert "machine" in translation.notice_for("en", True)
    assert "Japanese" in translation.notice_for("en", False)


# --- residents' and staff messages ---------------------------------------------------------------------


def test_to_japanese_is_not_kept_in_the_database(libre):
    libre.learn({("vi", "ja", "Tôi muốn lấy giấy chứng nhận cư trú"): "住民票を取りたいです"})
    first = translation.to_japanese("Tôi muốn lấy giấy chứng nhận cư trú", "vi")
    second = translation.to_japanese("Tôi muốn lấy giấy chứng nhận cư trú", "vi")
    assert first.text == second.text == "住民票を取りたいです"
    assert first.machine and second.cached
    assert libre.calls == 1
    assert not CachedTranslation.objects.exists()  # what residents write is personal


def test_to_japanese_of_japanese_is_the_text(libre):
    assert translation.to_japanese("住民票", "ja").text == "住民票"
    assert libre.calls == 0


def test_japanese_for_search_combines_translation_and_glossary(libre):
    libre.learn({("en", "ja", "How do I throw away bulky garbage?"): "粗大ごみの捨て方は？"})
    words = translation.japanese_for_search("How do I throw away bulky garbage?", "en")
    assert words.startswith("粗大ごみの捨て方は？")
    assert translation.japanese_for_search("粗大ごみ", "ja") == ""


def test_japanese_for_search_without_translator_uses_the_glossary(settings, db):
    settings.TRANSLATOR = "none"
    assert translation.japanese_for_search("How do I throw away bulky garbage?", "en") == "粗大ごみ"
    assert translation.japanese_for_search("Tôi muốn xin giấy chứng nhận cư trú", "vi") == "住民票 住民票の写し"


def test_staff_reply_preview_shows_a_back_translation(libre):
    reply = translation.for_resident("明日までに書類を送ってください。", "en", preview=True)
    assert reply.translated and reply.machine and reply.needs_notice
    assert reply.text == pseudo_translation("明日までに書類を送ってください。", "en")
    assert reply.back_translation == pseudo_translation(reply.text, "ja")
    again = translation.for_resident("明日までに書類を送ってください。", "en")
    assert again.text == reply.text
    assert libre.calls == 2  # the send after the preview reuses the translation
    assert not CachedTranslation.objects.exists()


def test_staff_reply_without_translator_goes_as_written(settings, db):
    settings.TRANSLATOR = "none"
    reply = translation.for_resident("少々お待ちください。", "vi", preview=True)
    assert (reply.text, reply.translated, reply.machine, reply.back_translation) == (
        "少々お待ちください。",
        False,
        False,
        "",
    )
    assert not translation.for_resident("少々お待ちください。", "ja").translated


# --- other backends' request shapes, offline -----------------------------------------------------------


def test_deepl_backend(settings, db):
    with FakeLibreTranslate() as api:
        settings.TRANSLATOR, settings.TRANSLATOR_API_KEY = "deepl", "key:fx"
        settings.TRANSLATOR_URL = api.url + "deepl/v2/"
        assert translation.translate("住民票", "ja", "pt").text == pseudo_translation("住民票", "pt")
        assert translation.translate("住民票", "ja", "zh-hant").text == pseudo_translation("住民票", "zh-hant")
        assert translation.translate("住民票", "ja", "ne") is None  # DeepL has no Nepali
        assert [(c.source, c.api_key) for c in api.requests] == [("JA", "key:fx")] * 2


def test_microsoft_backend(settings, db):
    with FakeLibreTranslate() as api:
        settings.TRANSLATOR, settings.TRANSLATOR_API_KEY = "microsoft", "ms-key"
        settings.TRANSLATOR_URL = api.url + "microsoft/translate?api-version=3.0"
        assert translation.translate("住民票", "ja", "tl").text == pseudo_translation("住民票", "tl")
        assert translation.translate("住民票", "ja", "zh-hans").text == pseudo_translation("住民票", "zh-hans")
        assert api.requests[0].api_key == "ms-key"


def test_google_codes():
    google = backends.GoogleBackend()
    assert [google.code(c, target=True) for c in ("zh-hans", "zh-hant", "tl", "my", "ja-easy")] == [
        "zh-CN",
        "zh-TW",
        "tl",
        "my",
        None,
    ]


# --- LLM backend against a fake OpenAI-compatible server ---------------------------------------------


LLM_CODES = {"Vietnamese": "vi", "English": "en", "Japanese": "ja", "Brazilian Portuguese": "pt"}


def _fake_llm(body):
    system, user = body["messages"][0]["content"], body["messages"][1]["content"]
    target = system.split(" into ")[1].split(".")[0]
    # A model that translates (the fake's stand-in in the target language) and keeps the tokens.
    return pseudo_translation(user, LLM_CODES[target])


@pytest.fixture
def llm(settings, db):
    with FakeOpenAI(default=_fake_llm) as api:
        configure_openai(settings, api)
        settings.TRANSLATOR = "llm"
        yield api


def test_llm_backend_with_the_real_openai_client(llm):
    result = translation.translate(ANSWER, "ja", "vi")
    assert result is not None and result.machine and result.backend == "llm"
    assert result.text.startswith("văn phòng thành phố")
    for value in MUST_SURVIVE:
        assert value in result.text
    [call] = llm.calls
    assert call.body["model"] == "fake-model" and call.body["temperature"] == 0
    assert "⟦1⟧" in call.body["messages"][0]["content"]  # told to keep the tokens
    assert "042-000-1201" not in call.text  # placeholders: the number never left


def test_llm_tokens_are_counted_and_the_budget_respected(llm, settings, municipality):
    with usage.metered() as meter:
        assert translation.translate("住民票の写しを取りたい", "ja", "en", municipality=municipality) is not None
    assert meter.calls == 1 and meter.total > 0
    settings.LLM_MONTHLY_TOKEN_BUDGET = 100
    AnswerLog.objects.create(municipality=municipality, query="x", decision="answer", tokens=150)
    assert translation.translate("戸籍謄本", "ja", "en", municipality=municipality) is None
    assert len(llm.calls) == 1  # no call once the month's budget is spent
    assert translation.translate("住民票の写しを取りたい", "ja", "en", municipality=municipality).cached


def test_llm_errors_and_timeouts_fall_back(llm, settings):
    llm.script(Reply.server_error())
    assert translation.translate("住民票", "ja", "en") is None
    service.reset_failures()
    settings.TRANSLATOR_TIMEOUT = 0.5
    llm.script(Reply.slow("too late", delay=3))
    started = time.monotonic()
    assert translation.translate("戸籍", "ja", "en") is None
    assert time.monotonic() - started < 2.5


def test_the_llm_translator_waits_translator_timeout_not_openai_timeout(llm, settings):
    settings.OPENAI_TIMEOUT, settings.TRANSLATOR_TIMEOUT = 0.3, 5.0
    llm.script(Reply.slow(pseudo_translation("戸籍", "en"), delay=1))
    assert translation.translate("戸籍", "ja", "en").text == pseudo_translation("戸籍", "en")
