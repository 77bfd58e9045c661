"""Every machine translation is checked before it is shown or cached, whatever the backend.

The LLM translator against the fake OpenAI-compatible server answering as the small local
models of the demo did (prompt echoes, the wrong language, two languages at once, lost phone
numbers and dates, replies cut off at the cap), and LibreTranslate's real client against the fake
LibreTranslate: none of it reaches a resident or the cache, and each refusal is logged with its reason.
"""

from __future__ import annotations

import logging
import re

import pytest
from django.core.cache import cache
from django.core.management import call_command

from conversations.models import Membership
from languages import translation
from languages.models import CachedTranslation
from languages.translation import backends, checks, placeholders, service
from tests.fakes.libretranslate import FakeLibreTranslate, configure, pseudo_translation
from tests.fakes.openai_api import FakeOpenAI, Reply
from tests.fakes.openai_api import configure as configure_openai

ANSWER = (
    "住民票の写しは市民課の窓口で請求できます。手数料は1通300円です。"
    "受付時間は平日8:30〜17:15です。問い合わせ：市民課 電話 042-000-1201。"
)
CHOICE = "住民票の写しを取りたい"  # an ask-back button


@pytest.fixture(autouse=True)
def clean_state():
    cache.clear()
    service.reset_failures()
    yield
    service.reset_failures()


@pytest.fixture
def llm(settings, db):
    with FakeOpenAI() as api:
        configure_openai(settings, api)
        settings.TRANSLATOR = "llm"
        yield api


@pytest.fixture
def libre(settings, db):
    with FakeLibreTranslate() as api:
        configure(settings, api, timeout=3.0)
        yield api


def echo_prompt(body):
    return body["messages"][0]["content"]


# What the demo's small models sent back (issue 17), and the other ways they go wrong.
BAD_LLM = {
    "the demo's ask-back button": ('どうすればよい． The answer is: "Samei" (吉).', "vi", "prompt_echo"),
    "the demo's second button": (
        "アニン）は、税金や登記の中について専門家に相談できる窓口を見せる。"
        " A: 1. The Japanese language is not the only o…",
        "vi",
        "prompt_echo",
    ),
    "the instructions repeated": (echo_prompt, "en", "prompt_echo"),
    "Japanese back unchanged": (CHOICE, "en", "untranslated"),
    "the wrong language (English for Vietnamese)": (
        "I want to get a copy of my residence certificate",
        "vi",
        "wrong_language",
    ),
    "the wrong script (Chinese for Korean)": ("我想领取居民证明的副本", "ko", "wrong_language"),
    "Japanese left in Vietnamese": ("Tôi muốn lấy bản sao 住民票の写しです", "vi", "mixed_languages"),
    "a third language appended": (
        "Tôi muốn lấy bản sao giấy chứng nhận cư trú. This is the translation into Vietnamese that you asked for.",
        "vi",
        "mixed_languages",
    ),
    "kana in Chinese": ("我想领取居民证明的副本です", "zh-hans", "mixed_languages"),
    "Japanese left in Thai, not in brackets": ("ฉันต้องการขอสำเนาทะเบียนบ้าน 住民票の写しです", "th", "mixed_languages"),
    "far too long": ("Tôi muốn lấy bản sao giấy chứng nhận cư trú. " * 12, "vi", "length"),
    "cut off at the cap": (Reply.cut_off("Tôi muốn lấy bản sao"), "vi", "cut_off"),
}


@pytest.mark.parametrize("case", list(BAD_LLM), ids=list(BAD_LLM))
def test_bad_llm_output_is_never_shown_or_cached_and_is_logged(llm, municipality, caplog, case):
    reply, target, reason = BAD_LLM[case]
    caplog.set_level(logging.WARNING, logger="languages.translation.service")
    llm.script(reply)
    text, machine, notice = translation.localise_text(CHOICE, target, municipality=municipality)
    assert (text, machine, notice) == (CHOICE, False, True)  # the original, with the notice
    assert not CachedTranslation.objects.exists()
    assert f"refused: {reason}" in caplog.text
    assert len(llm.calls) == 1


def test_a_lost_phone_number_or_date_is_refused(llm, municipality, caplog):
    caplog.set_level(logging.WARNING)

    def loses_the_phone_number(body):  # translates and keeps every token but the last (the phone number)
        user = body["messages"][1]["content"]
        last = max(int(n) for n in re.findall(r"⟦(\d+)⟧", user))
        return pseudo_translation(user.replace(f"⟦{last}⟧", ""), "en")

    llm.script(loses_the_phone_number)
    assert translation.localise_text(ANSWER, "en", municipality=municipality) == (ANSWER, False, True)
    assert "refused: placeholder_lost: " in caplog.text  # the number itself is masked in the log
    assert not CachedTranslation.objects.exists()


def test_a_good_llm_translation_passes_and_is_cached(llm, municipality):
    llm.respond_with(lambda body: pseudo_translation(body["messages"][1]["content"], "vi"))
    text, machine, notice = translation.localise_text(ANSWER, "vi", municipality=municipality)
    assert machine and notice and text.startswith("văn phòng thành phố")
    for value in ("市民課", "300円", "8:30〜17:15", "042-000-1201"):
        assert value in text
    row = CachedTranslation.objects.get()
    assert row.check_failed == "" and row.checked_at is not None


@pytest.mark.parametrize(("mode", "reason"), [("echo", "untranslated"), ("drop", "placeholder_lost"), ("empty", "")])
def test_every_backend_is_checked(libre, municipality, caplog, mode, reason):
    caplog.set_level(logging.WARNING)
    libre.mode = mode
    assert translation.localise_text(ANSWER, "en", municipality=municipality) == (ANSWER, False, True)
    assert not CachedTranslation.objects.exists()
    assert ("refused: " + reason) in caplog.text if reason else "returned nothing" in caplog.text


def test_personal_text_is_checked_too_and_not_kept(libre, caplog):
    caplog.set_level(logging.WARNING)
    libre.mode = "echo"
    reply = translation.for_resident("少々お待ちください。", "vi", preview=True)
    assert not reply.translated and reply.text == "少々お待ちください。"
    assert "refused: untranslated" in caplog.text
    libre.mode = "tag"
    assert translation.for_resident("少々お待ちください。", "vi").translated  # nothing bad was kept in the cache


# --- what was cached before the check -----------------------------------------------------------------


def cached_row(municipality, text, target="vi", source=CHOICE, **fields):
    return CachedTranslation.objects.create(
        municipality=municipality,
        source_language="ja",
        target_language=target,
        source_text=source,
        text=text,
        backend="llm",
        **fields,
    )


def test_a_bad_row_cached_before_the_check_is_flagged_on_use_and_replaced(libre, municipality, caplog):
    caplog.set_level(logging.WARNING)
    bad = cached_row(municipality, 'どうすればよい． The answer is: "Samei" (吉).')
    result = translation.translate(CHOICE, "ja", "vi", municipality=municipality)
    assert result is not None and result.text == pseudo_translation(CHOICE, "vi")  # translated afresh
    bad.refresh_from_db()
    assert bad.text == result.text and bad.check_failed == "" and bad.backend == "libre"  # replaced in place
    assert "failed the check: prompt_echo; flagged for editors" in caplog.text


def test_a_flagged_row_is_never_served_even_without_a_translator(settings, municipality):
    settings.TRANSLATOR = "none"
    cached_row(municipality, "Tôi muốn lấy bản sao", check_failed="length")
    assert translation.translate(CHOICE, "ja", "vi", municipality=municipality) is None


def test_check_translations_flags_old_rows_for_editors(municipality, capsys):
    good = cached_row(municipality, "Tôi muốn lấy bản sao giấy chứng nhận cư trú")
    echo = cached_row(municipality, 'どうすればよい． The answer is: "Samei" (吉).', source="税金の相談")
    english = cached_row(municipality, "I want a copy of my residence certificate", source="住民票")
    curated = cached_row(municipality, "whatever an editor wrote", source="戸籍", is_curated=True)
    call_command("check_translations")
    out = capsys.readouterr().out
    assert "checked 3, failed 2" in out and "prompt_echo: 1" in out and "wrong_language: 1" in out
    for row in (good, echo, english, curated):
        row.refresh_from_db()
    assert good.check_failed == "" and good.checked_at is not None
    assert echo.check_failed == "prompt_echo" and english.check_failed.startswith("wrong_language")
    assert curated.checked_at is None  # an editor's text is not machine output
    call_command("check_translations")
    assert "checked 0, failed 0" in capsys.readouterr().out  # checked rows are not checked again
    call_command("check_translations", "--all", "--municipality", municipality.slug)
    assert "checked 3, failed 2" in capsys.readouterr().out


def test_editors_find_flagged_rows_recheck_them_and_a_correction_clears_the_flag(municipality, staff_user, client):
    bad = cached_row(municipality, 'どうすればよい． The answer is: "Samei" (吉).')
    fine = cached_row(municipality, "Tôi muốn lấy bản sao giấy chứng nhận cư trú", source="住民票")
    client.force_login(staff_user(municipality, role=Membership.Role.EDITOR))
    response = client.post(
        "/admin/languages/cachedtranslation/",
        {"action": "recheck", "_selected_action": [bad.pk, fine.pk]},
        follow=True,
    )
    assert "2件をチェックしました。1件が不合格" in response.content.decode()
    page = client.get("/admin/languages/cachedtranslation/?check=failed").content.decode()
    assert "prompt_echo" in page and CHOICE in page and page.count('class="field-short_source"') == 1
    bad.refresh_from_db()
    response = client.post(
        f"/admin/languages/cachedtranslation/{bad.pk}/change/",
        {"text": "Tôi muốn lấy bản sao giấy chứng nhận cư trú", "is_curated": "on"},
    )
    assert response.status_code == 302
    bad.refresh_from_db()
    assert bad.is_curated and bad.check_failed == ""
    assert translation.translate(CHOICE, "ja", "vi", municipality=municipality).text == bad.text


# --- the check itself --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "translated", "target"),
    [
        (CHOICE, "Tôi muốn lấy bản sao giấy chứng nhận cư trú", "vi"),
        (CHOICE, "I want a copy of my residence certificate (住民票)", "en"),  # the Japanese term in brackets
        (CHOICE, "Quero obter uma cópia do atestado de residência", "pt"),
        (CHOICE, "Gusto kong kumuha ng kopya ng residence certificate", "tl"),  # Taglish is Filipino
        (CHOICE, "Saya ingin mendapatkan salinan surat keterangan domisili", "id"),
        (CHOICE, "주민등록표 사본을 받고 싶습니다", "ko"),
        (CHOICE, "我想领取居民证明的副本", "zh-hans"),
        (CHOICE, "ฉันต้องการขอสำเนาทะเบียนบ้าน", "th"),
        # The Japanese name in brackets, to show at the counter, in any script.
        (CHOICE, "ฉันต้องการขอสำเนาทะเบียนบ้าน (住民票)", "th"),
        (CHOICE, "주민등록표(住民票) 사본을 받고 싶습니다", "ko"),
        (CHOICE, "我想领取居民证明（住民票の写し）的副本", "zh-hans"),
        (CHOICE, "म निवास प्रमाणपत्र (住民票) को प्रतिलिपि लिन चाहन्छु", "ne"),
        (CHOICE, "နေထိုင်ကြောင်းလက်မှတ် (住民票) မိတ္တူ ရယူချင်ပါတယ်", "my"),
        (CHOICE, "म निवास प्रमाणपत्रको प्रतिलिपि लिन चाहन्छु", "ne"),
        (CHOICE, "နေထိုင်ကြောင်းလက်မှတ်မိတ္တူ ရယူချင်ပါတယ်", "my"),
        ("田中太郎", "Tanaka Taro", "en"),  # names: judged by script only
        ("はい", "Yes", "en"),
        ("Xin chào, tôi muốn hỏi về thẻ cư trú", "こんにちは、在留カードについて聞きたいです", "ja"),
        (ANSWER, "STAND-IN", "en"),
    ],
)
def test_real_translations_pass(source, translated, target):
    src = "vi" if source.startswith("Xin") else "ja"
    if translated == "STAND-IN":  # the fake's stand-in keeps tokens: put the originals back as the service does
        protected = placeholders.protect(source, src)
        translated = placeholders.restore(pseudo_translation(protected.text, target), protected)
    assert checks.check(source, translated, src, target, instructions=[backends.SYSTEM_PROMPT])


def test_the_echo_check_knows_the_llm_translators_instructions():
    prompt = backends.SYSTEM_PROMPT.format(source="Japanese", target="English")
    assert checks.check(CHOICE, prompt, "ja", "en", instructions=[backends.SYSTEM_PROMPT]).reason == "prompt_echo"


def test_a_failed_llm_translation_is_logged_but_stored_by_no_helper_thread(llm, caplog):
    from llm.models import ModelReport  # noqa: PLC0415 (only this test looks at the model reports)

    caplog.set_level(logging.WARNING)
    llm.script(Reply.context_error(2048, 4281))
    assert translation.translate(CHOICE, "ja", "en") is None
    assert "model call failed (context_length" in caplog.text and "4,281" in caplog.text
    assert not ModelReport.objects.exists()  # the translator's thread opens no database connection
