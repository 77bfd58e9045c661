"""Content freshness: FAQ entries due for review or expiring, cited homepage pages that changed,
answers whose facts differ from the homepage's (``contradictions``), and answers stating a deadline,
period, end or plan whose date has passed (``dated_statements``).

Each function returns a ``Table`` (``extra["ids"]`` holds the FAQ primary key of each row, for links).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from conversations.models import Municipality
from faq.models import FAQ, Page, resolve_url

from . import dated_statements
from .contradictions import contradicting_facts
from .tables import Column, Table

REVIEW_AFTER_DAYS = 365
EXPIRY_WARNING_DAYS = 30


def review_due(municipality: Municipality, now: datetime | None = None) -> Table:
    now = now or timezone.now()
    limit = now - timedelta(days=REVIEW_AFTER_DAYS)
    faqs = (
        FAQ.objects.filter(municipality=municipality, status=FAQ.Status.PUBLISHED)
        .filter(Q(last_reviewed_at__isnull=True) | Q(last_reviewed_at__lt=limit))
        .order_by(F("last_reviewed_at").asc(nulls_first=True), "external_id")
    )
    tz = ZoneInfo(municipality.time_zone or "Asia/Tokyo")
    rows = [
        [
            faq.external_id,
            faq.question,
            faq.department,
            faq.last_reviewed_at.astimezone(tz).date().isoformat() if faq.last_reviewed_at else "",
        ]
        for faq in faqs
    ]
    return Table(
        "review_due",
        _("FAQ entries due for review"),
        [
            Column("external_id", _("ID")),
            Column("question", _("Question")),
            Column("department", _("Department")),
            Column("last_reviewed", _("Last reviewed")),
        ],
        rows,
        note=_("Published entries never reviewed, or last reviewed more than %(days)s days ago.")
        % {"days": REVIEW_AFTER_DAYS},
        extra={"ids": [faq.pk for faq in faqs]},
    )


def _local_today(municipality: Municipality) -> date:
    return timezone.now().astimezone(ZoneInfo(municipality.time_zone or "Asia/Tokyo")).date()


def _expiring_soon(today: date) -> Q:
    return Q(valid_until__isnull=False, valid_until__lte=today + timedelta(days=EXPIRY_WARNING_DAYS))


def expiring(municipality: Municipality, today: date | None = None) -> Table:
    today = today or _local_today(municipality)
    faqs = (
        FAQ.objects.filter(municipality=municipality, status=FAQ.Status.PUBLISHED)
        .filter(_expiring_soon(today))
        .order_by("valid_until", "external_id")
    )
    rows = [
        [faq.external_id, faq.question, faq.valid_until.isoformat(), (faq.valid_until - today).days] for faq in faqs
    ]
    return Table(
        "expiring",
        _("FAQ entries expired or expiring soon"),
        [
            Column("external_id", _("ID")),
            Column("question", _("Question")),
            Column("valid_until", _("Valid until")),
            Column("days_left", _("Days left")),
        ],
        rows,
        note=_(
            "Published entries whose validity ends within %(days)s days. The bot no longer answers with "
            "an expired entry (negative days)."
        )
        % {"days": EXPIRY_WARNING_DAYS},
        extra={"ids": [faq.pk for faq in faqs]},
    )


def _url_key(base: str, url: str) -> str:
    full = resolve_url(base, url.strip())
    return full.split("#", 1)[0].rstrip("/").lower()


def changed_sources(municipality: Municipality) -> Table:
    """Homepage pages cited by an FAQ entry that disappeared or changed after the entry was last reviewed."""

    base = municipality.website_url
    pages: dict[str, list] = defaultdict(list)
    for page in Page.objects.filter(municipality=municipality):
        pages[_url_key(base, page.url)].append(page)
    tz = ZoneInfo(municipality.time_zone or "Asia/Tokyo")
    rows, ids = [], []
    faqs = FAQ.objects.filter(municipality=municipality, status=FAQ.Status.PUBLISHED).exclude(url="")
    for faq in faqs.order_by("external_id"):
        reviewed = faq.last_reviewed_at or faq.created_at
        for page in pages.get(_url_key(base, faq.url), []):
            if page.gone_at and page.gone_at > reviewed:
                what, when = _("disappeared"), page.gone_at
            elif page.gone_at is None and page.changed_at > reviewed:
                what, when = _("changed"), page.changed_at
            else:
                continue
            rows.append(
                [
                    faq.external_id,
                    faq.question,
                    page.url,
                    page.title,
                    str(what),
                    when.astimezone(tz).date().isoformat(),
                    faq.last_reviewed_at.astimezone(tz).date().isoformat() if faq.last_reviewed_at else "",
                ]
            )
            ids.append(faq.pk)
    return Table(
        "changed_sources",
        _("FAQ sources that changed or disappeared since the entry was reviewed"),
        [
            Column("external_id", _("ID")),
            Column("question", _("Question")),
            Column("url", _("Page")),
            Column("title", _("Page title")),
            Column("what", _("What happened")),
            Column("when", _("When")),
            Column("last_reviewed", _("FAQ last reviewed")),
        ],
        rows,
        note=_("An entry never reviewed is compared with the date it was created."),
        extra={"ids": ids},
    )


def passed_dates(municipality: Municipality, today: date | None = None) -> Table:
    """Published answers stating a deadline, the end of a period, an end or a plan dated before today, or
    figures of a fiscal year that is over. Entries ``expiring`` lists already are left out."""
    today = today or _local_today(municipality)
    faqs = (
        FAQ.objects.filter(municipality=municipality, status=FAQ.Status.PUBLISHED)
        .exclude(_expiring_soon(today))
        .order_by("external_id")
    )
    kinds = {key: str(label) for key, label in dated_statements.KINDS.items()}
    rows, ids = [], []
    for faq in faqs:
        for found in dated_statements.passed(faq.answer, today):
            rows.append([faq.external_id, faq.question, kinds[found.kind], found.phrase, found.date.label])
            ids.append(faq.pk)
    return Table(
        "passed_dates",
        _("Answers with a date that has passed"),
        [
            Column("external_id", _("ID")),
            Column("question", _("Question")),
            Column("kind", _("Stated as")),
            Column("phrase", _("Where the answer says it")),
            Column("date", _("Date")),
        ],
        rows,
        note=_(
            "Published answers stating a deadline, the end of a period, an end or a plan dated before today, "
            "or the figures of a fiscal year that is over: the bot still answers with them. Update the answer, "
            "or set “valid until” so that the entry is no longer used. Entries listed as expiring above are "
            "not repeated."
        ),
        extra={"ids": ids},
    )


CONTENT_TABLES: dict[str, Callable[[Municipality], Table]] = {
    "review_due": review_due,
    "expiring": expiring,
    "changed_sources": changed_sources,
    "contradicting_facts": contradicting_facts,
    "passed_dates": passed_dates,
}
