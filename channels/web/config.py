"""What the widget needs before the first message: greeting, disclaimer, languages, suggestions, UI text.

Everything a resident reads is chosen here in the resident's language (gettext, English msgids),
so the widget itself carries no translations.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Prefetch
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chatbot import compose
from faq.models import FAQ, FAQTranslation
from languages import registry
from languages.registry import normalise_code

CACHE_SECONDS = 60

# Our language codes -> BCP 47 tags for the HTML lang attribute (screen readers pick a voice by it).
HTML_LANG = {"ja-easy": "ja", "zh-hans": "zh-Hans", "zh-hant": "zh-Hant", "tl": "fil"}


# What the launcher button says; the demo page's banner names the button by the same words.
LAUNCHER_LABEL = gettext_lazy("Ask the city")


def launcher_label(lang: str) -> str:
    with translation.override(lang):
        return str(LAUNCHER_LABEL)


def html_lang(code: str) -> str:
    return HTML_LANG.get(code, code)


def language_or_default(code: str | None) -> str:
    return normalise_code(code) or settings.LANGUAGE_CODE


def suggestion_count() -> int:
    return int(settings.WEB_SUGGESTED_QUESTIONS)


def greeting(municipality, lang: str) -> str:
    if lang == "ja" and municipality.greeting_ja:
        return municipality.greeting_ja
    with translation.override(lang):
        japanese = registry.reads_japanese(lang)
        name = municipality.name_ja if japanese else (municipality.name_en or municipality.name_ja)
        return _("Welcome to the %(city)s help desk. Ask me about the city's services, day or night.") % {"city": name}


def city_name(municipality, lang: str) -> str:
    if registry.reads_japanese(lang):
        return municipality.name_ja
    return municipality.name_en or municipality.name_ja


def suggestions(municipality, lang: str, count: int) -> list[dict]:
    """A few published questions in the resident's language, one per category (largest categories first).

    Only entries with a curated translation of their question are offered to a reader of another
    language: fewer questions rather than Japanese ones. Where none is translated yet, the Japanese
    questions are offered (marked with their language, so they are read out correctly). Readers of
    Japanese and easy Japanese get the curated easy-Japanese question where there is one, else the
    Japanese one.
    """
    if count <= 0:
        return []
    faqs = FAQ.objects.answerable(municipality)
    categories = list(
        faqs.exclude(category="")
        .values("category")
        .annotate(n=Count("id"))
        .order_by("-n", "category")
        .values_list("category", flat=True)
    )
    categories.append("")  # entries without a category come last
    by_category: dict[str, list[FAQ]] = {}
    in_lang = Prefetch("translations", queryset=FAQTranslation.objects.filter(language=lang))
    for faq in faqs.order_by("external_id").prefetch_related(in_lang):
        by_category.setdefault(faq.category, []).append(faq)
    translated = {c: [f for f in by_category.get(c, []) if _curated_question(f, lang)] for c in categories}
    if registry.reads_japanese(lang) or not any(translated.values()):
        pool = {c: translated[c] + [f for f in by_category.get(c, []) if f not in translated[c]] for c in categories}
    else:
        pool = translated
    chosen = _round_robin([pool[c] for c in categories], count)
    result = []
    for faq in chosen:
        question = _curated_question(faq, lang)
        result.append(
            {
                "id": faq.pk,
                "question": question or faq.question,
                "lang": html_lang(lang) if question else "ja",
                "category": faq.category,
                "translated": bool(question),
            }
        )
    # Questions in the resident's language first (a stable sort keeps the category order).
    result.sort(key=lambda s: not s.pop("translated"))
    return result


def _round_robin(columns: list[list[FAQ]], count: int) -> list[FAQ]:
    """The first of each column in turn (one per category first, then seconds), up to ``count``."""
    out: list[FAQ] = []
    depth = 0
    while len(out) < count and any(depth < len(column) for column in columns):
        out += [column[depth] for column in columns if depth < len(column)][: count - len(out)]
        depth += 1
    return out


def _curated_question(faq: FAQ, lang: str) -> str:
    if lang == "ja":
        return faq.question
    for tr in faq.translations.all():
        if tr.language == lang and tr.question.strip():
            return tr.question
    return ""


def ui_strings(municipality, lang: str) -> dict[str, str]:
    limit = settings.MESSAGE_MAX_CHARS
    with translation.override(lang):
        return {
            "open": str(LAUNCHER_LABEL),
            "skip": _("Skip to the chat"),
            "close": _("Close the chat"),
            "title": _("%(city)s chat") % {"city": city_name(municipality, lang)},
            "language": _("Language"),
            "clear": _("New conversation"),
            "confirm_clear": _("Start a new conversation? This conversation will no longer be shown on this device."),
            "input_label": _("Your question"),
            "placeholder": _("Type your question"),
            "send": _("Send"),
            "person": _("Talk to a person"),
            "suggestions": _("Frequently asked questions"),
            "source": _("Source"),
            "contact": _("Contact"),
            "official_site": _("Official website"),
            "helpful_question": _("Was this answer useful?"),
            "helpful_yes": _("Useful"),
            "helpful_no": _("Not useful"),
            "feedback_sent": _("Thank you for your feedback."),
            "you": _("You"),
            "bot": _("Assistant"),
            "staff": _("City staff"),
            "system": _("Notice"),
            "waiting": _("Waiting for a staff member. They will reply here; you can keep this page open."),
            "with_staff": _("You are talking with city staff."),
            "thinking": _("Looking for an answer…"),
            "too_long": _("Your message is too long. Please keep it under %(limit)d characters.") % {"limit": limit},
            "chars_left": _("%(count)s characters left") % {"count": "{count}"},
            "network_error": _("The chat service cannot be reached. Please try again later."),
            "error": _("Sorry, something went wrong. Please try again in a moment."),
            "new_tab": _("(opens in a new tab)"),
            "unread": _("New message"),
            "log_label": _("Conversation"),
        }


def build(municipality, lang: str) -> dict:
    """The JSON body of GET /api/web/<slug>/config?lang=..., cached briefly per city and language."""
    key = f"web:config:{municipality.pk}:{lang}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    data = {
        "municipality": {
            "slug": municipality.slug,
            "name": city_name(municipality, lang),
            "website": municipality.website_url,
            "business_hours": municipality.business_hours,
        },
        "language": lang,
        "html_lang": html_lang(lang),
        "languages": [
            {"code": code, "name": str(name), "html_lang": html_lang(code)} for code, name in settings.LANGUAGES
        ],
        "greeting": greeting(municipality, lang),
        "disclaimer": compose.disclaimer(municipality, lang),
        "suggestions": suggestions(municipality, lang, suggestion_count()),
        "strings": ui_strings(municipality, lang),
        "max_chars": settings.MESSAGE_MAX_CHARS,
        "live": bool(settings.REDIS_URL),
    }
    cache.set(key, data, CACHE_SECONDS)
    return data
