"""Every figure of the operations dashboard, computed from the live tables.

One function per chart returns a ``Table`` (``tables``): the chart is drawn from it
(``Table.chart_data``) and the CSV export writes it (``Table.csv_rows``), so the two can never
disagree. Similar unanswered questions are grouped by ``clusters``; content freshness is in
``freshness``.

    f = Filters(municipality, date(2026, 7, 1), date(2026, 7, 31), channel="line")
    report = build(f)                      # every table and headline figure of the page
    daily(f).rows                          # [[date, conversations, messages, replies], ...]

Definitions (the page says them in words too):
- A *message from a resident* is an inbound message that a resident typed or tapped (text, button,
  sticker/image); follow, unfollow and unsend events are not messages.
- A *conversation* counts once per day (or period) in which the resident wrote in it.
- *Asked*: a conversation with at least one question to the bot (an answer log) or a ticket in the
  period. Each asked conversation falls into exactly one outcome: handed off (a ticket was opened)
  > marked unhelpful > self-resolved (answered) > not answered (only asked back / refused).
- *Office hours* are the hand-off business hours (``handoff.hours``: the city's calendar, else
  weekdays 8:30-17:15, Japanese public holidays and 12/29-1/3 closed).
- Days and hours are the municipality's local time.
"""

from __future__ import annotations

import statistics
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from conversations.models import (
    HANDOFF_REASONS,
    AnswerLog,
    AnswerStatus,
    Channel,
    Message,
    ModelOutcome,
    Municipality,
)
from faq.models import FAQ
from handoff.hours import schedule_for
from handoff.models import Ticket
from languages import registry
from languages.models import CachedTranslation
from llm.budget import budget_status

from . import unanswered as unanswered_rule
from .clusters import cluster_questions
from .freshness import CONTENT_TABLES
from .tables import ChartSpec, Column, Table, pct

NOT_MESSAGES = ("follow", "unfollow", "join", "leave", "unsend")
TOP_FAQ_LIMIT = 15
MAX_RANGE_DAYS = 400

ANSWERED = AnswerStatus.ANSWERED
HANDOFF = AnswerStatus.HANDOFF


# --- filters ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    municipality: Municipality
    start: date
    end: date  # inclusive
    channel: str = ""  # "" (all), "line" or "web"

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.municipality.time_zone or "Asia/Tokyo")

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, self.tz)

    @property
    def end_before(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, self.tz)

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def day(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def period(self, field_name: str) -> Q:
        return Q(**{f"{field_name}__gte": self.start_at, f"{field_name}__lt": self.end_before})

    def channel_q(self, resident_path: str) -> Q:
        """Filter on the resident's channel, e.g. ``channel_q("conversation__resident")``."""
        return Q(**{f"{resident_path}__channel": self.channel}) if self.channel else Q()


# --- office hours ---------------------------------------------------------------------------------------


class OfficeHours:
    """``is_open(moment)`` from the hand-off business calendar, cached per local day."""

    def __init__(self, municipality: Municipality):
        self.schedule = schedule_for(municipality)
        self._periods: dict[date, list[tuple[datetime, datetime]]] = {}

    def is_open(self, moment: datetime) -> bool:
        s = self.schedule
        if s.always_open:
            return True
        local = moment.astimezone(s.tz)
        day = local.date()
        if day not in self._periods:
            self._periods[day] = s.periods(day)
        return any(start <= local < end for start, end in self._periods[day])


# --- base querysets -------------------------------------------------------------------------------------


def resident_messages(f: Filters):
    return Message.objects.filter(
        f.period("created_at"),
        f.channel_q("conversation__resident"),
        conversation__municipality=f.municipality,
        direction=Message.Direction.INBOUND,
        sender=Message.Sender.RESIDENT,
    ).exclude(kind__in=NOT_MESSAGES)


def answer_logs(f: Filters):
    return AnswerLog.objects.filter(
        f.period("created_at"), f.channel_q("conversation__resident"), municipality=f.municipality
    )


def tickets(f: Filters):
    return Ticket.objects.filter(
        f.period("created_at"), f.channel_q("conversation__resident"), municipality=f.municipality
    )


# --- usage ------------------------------------------------------------------------------------------------


def daily(f: Filters) -> Table:
    conversations: dict[date, set[int]] = defaultdict(set)
    messages: Counter[date] = Counter()
    for conversation_id, created_at in resident_messages(f).values_list("conversation_id", "created_at"):
        day = f.day(created_at)
        conversations[day].add(conversation_id)
        messages[day] += 1
    replies: Counter[date] = Counter()
    outbound = Message.objects.filter(
        f.period("created_at"),
        f.channel_q("conversation__resident"),
        conversation__municipality=f.municipality,
        direction=Message.Direction.OUTBOUND,
    ).exclude(delivery=Message.Delivery.DROPPED)
    for created_at in outbound.values_list("created_at", flat=True):
        replies[f.day(created_at)] += 1
    rows = [[d.isoformat(), len(conversations[d]), messages[d], replies[d]] for d in f.days]
    return Table(
        "daily",
        _("Conversations and messages per day"),
        [
            Column("date", _("Date")),
            Column("conversations", _("Conversations")),
            Column("messages", _("Messages from residents")),
            Column("replies", _("Replies (bot and staff)")),
        ],
        rows,
        ChartSpec("line", ("conversations", "messages")),
        note=_("A conversation counts once on each day the resident wrote in it."),
    )


def hourly(f: Filters) -> Table:
    hours = OfficeHours(f.municipality)
    inside: Counter[int] = Counter()
    outside: Counter[int] = Counter()
    for created_at in resident_messages(f).values_list("created_at", flat=True):
        hour = f.local(created_at).hour
        (inside if hours.is_open(created_at) else outside)[hour] += 1
    rows = [[f"{h:02d}:00", inside[h], outside[h], inside[h] + outside[h]] for h in range(24)]
    return Table(
        "hourly",
        _("Messages by hour of day"),
        [
            Column("hour", _("Hour")),
            Column("office_hours", _("During office hours")),
            Column("outside", _("Outside office hours")),
            Column("total", _("All messages")),
        ],
        rows,
        ChartSpec("bar", ("office_hours", "outside"), stacked=True),
        note=_("Office hours are the hand-off business hours: weekdays 8:30-17:15 unless the city set its own."),
    )


def channels(f: Filters) -> Table:
    conversations: dict[str, set[int]] = defaultdict(set)
    messages: Counter[str] = Counter()
    for channel, conversation_id in resident_messages(f).values_list(
        "conversation__resident__channel", "conversation_id"
    ):
        conversations[channel].add(conversation_id)
        messages[channel] += 1
    shown = [f.channel] if f.channel else [c for c, _label in Channel.choices]
    names = dict(Channel.choices)
    rows = [[str(names.get(c, c)), len(conversations[c]), messages[c]] for c in shown]
    return Table(
        "channels",
        _("Channels"),
        [
            Column("channel", _("Channel")),
            Column("conversations", _("Conversations")),
            Column("messages", _("Messages from residents")),
        ],
        rows,
        ChartSpec("doughnut", ("conversations",)),
    )


def language_name(code: str) -> str:
    if not code:
        return str(_("unknown"))
    name = registry.staff_name(code)
    if name:
        return f"{name} ({code})"
    try:
        info = get_language_info(code)
    except KeyError:
        return code
    return unicodedata.normalize("NFC", f"{info['name_local']} ({code})")


def languages(f: Filters) -> Table:
    conversations: dict[str, set[int]] = defaultdict(set)
    messages: Counter[str] = Counter()
    for lang, conversation_id in resident_messages(f).values_list("language", "conversation_id"):
        conversations[lang or ""].add(conversation_id)
        messages[lang or ""] += 1
    order = sorted(conversations, key=lambda code: (-len(conversations[code]), -messages[code], code))
    rows = [[language_name(code), len(conversations[code]), messages[code]] for code in order]
    return Table(
        "languages",
        _("Languages"),
        [
            Column("language", _("Language")),
            Column("conversations", _("Conversations")),
            Column("messages", _("Messages from residents")),
        ],
        rows,
        ChartSpec("bar", ("conversations",), horizontal=True),
        note=_("A conversation held in two languages counts in both."),
    )


# --- outcomes ---------------------------------------------------------------------------------------------

OUTCOMES = ("self_resolved", "handed_off", "unhelpful", "not_answered")


def conversation_outcomes(f: Filters) -> dict[int, str]:
    """Each asked conversation of the period and its one outcome."""
    answered: set[int] = set()
    unhelpful: set[int] = set()
    handed_off: set[int] = set()
    asked: set[int] = set()
    for conversation_id, decision, feedback in (
        answer_logs(f).filter(conversation__isnull=False).values_list("conversation_id", "decision", "feedback")
    ):
        asked.add(conversation_id)
        if decision == ANSWERED:
            answered.add(conversation_id)
        elif decision == HANDOFF:
            handed_off.add(conversation_id)
        if feedback == AnswerLog.Feedback.UNHELPFUL:
            unhelpful.add(conversation_id)
    for conversation_id in tickets(f).values_list("conversation_id", flat=True):
        asked.add(conversation_id)
        handed_off.add(conversation_id)
    outcomes = {}
    for conversation_id in asked:
        if conversation_id in handed_off:
            outcomes[conversation_id] = "handed_off"
        elif conversation_id in unhelpful:
            outcomes[conversation_id] = "unhelpful"
        elif conversation_id in answered:
            outcomes[conversation_id] = "self_resolved"
        else:
            outcomes[conversation_id] = "not_answered"
    return outcomes


def resolution(f: Filters) -> Table:
    counts = Counter(conversation_outcomes(f).values())
    total = sum(counts.values())
    labels = {
        "self_resolved": _("Resolved by the bot"),
        "handed_off": _("Handed to staff"),
        "unhelpful": _("Answer marked not helpful"),
        "not_answered": _("Not answered (asked back or refused)"),
    }
    rows = [[str(labels[o]), counts[o], pct(counts[o], total)] for o in OUTCOMES]
    return Table(
        "resolution",
        _("How conversations ended"),
        [Column("outcome", _("Outcome")), Column("conversations", _("Conversations")), Column("share", _("Share (%)"))],
        rows,
        ChartSpec("doughnut", ("conversations",)),
        note=_(
            "Self-resolved: the bot answered, nobody was handed the conversation and no answer was marked not helpful."
        ),
        extra={"counts": dict(counts), "total": total},
    )


def handoff_reasons(f: Filters) -> Table:
    counts = Counter(tickets(f).values_list("reason", flat=True))
    names = {r.value: r.label for r in HANDOFF_REASONS}
    order = [r.value for r in HANDOFF_REASONS] + sorted(set(counts) - set(names))
    total = sum(counts.values())
    rows = [[str(names.get(r, r)), counts[r], pct(counts[r], total)] for r in order]
    return Table(
        "handoff_reasons",
        _("Why conversations were handed to staff"),
        [Column("reason", _("Reason")), Column("tickets", _("Hand-offs")), Column("share", _("Share (%)"))],
        rows,
        ChartSpec("bar", ("tickets",), horizontal=True),
    )


RESPONSE_BUCKETS: list[tuple[str, timedelta | None]] = [
    ("under_5m", timedelta(minutes=5)),
    ("under_15m", timedelta(minutes=15)),
    ("under_1h", timedelta(hours=1)),
    ("under_4h", timedelta(hours=4)),
    ("under_1d", timedelta(days=1)),
    ("over_1d", None),
]


def _bucket_labels() -> dict[str, str]:
    return {
        "under_5m": str(_("under 5 min")),
        "under_15m": str(_("5-15 min")),
        "under_1h": str(_("15-60 min")),
        "under_4h": str(_("1-4 hours")),
        "under_1d": str(_("4-24 hours")),
        "over_1d": str(_("over 1 day")),
        "none": str(_("no staff reply yet")),
    }


def response_times(f: Filters) -> list[tuple[datetime, timedelta | None]]:
    """(opened at, time to the first staff reply or None) for each ticket opened in the period."""
    return [(opened, waited) for _pk, opened, waited in first_replies(f)]


def first_replies(f: Filters) -> list[tuple[int, datetime, timedelta | None]]:
    """(ticket, opened at, time to the first staff reply or None) for each ticket opened in the period.

    The ticket's ``first_response_at`` when the console recorded it, else the first staff message in
    the conversation after the ticket was opened.
    """
    rows = list(tickets(f).values_list("pk", "conversation_id", "created_at", "first_response_at"))
    missing = {conversation_id for _pk, conversation_id, _c, first in rows if first is None}
    staff_replies: dict[int, list[datetime]] = defaultdict(list)
    if missing:
        for conversation_id, created_at in (
            Message.objects.filter(conversation_id__in=missing, sender=Message.Sender.STAFF)
            .order_by("created_at")
            .values_list("conversation_id", "created_at")
        ):
            staff_replies[conversation_id].append(created_at)
    out = []
    for pk, conversation_id, opened, first in rows:
        if first is None:
            first = next((t for t in staff_replies[conversation_id] if t >= opened), None)
        out.append((pk, opened, first - opened if first else None))
    return out


UNREPLIED_SHOWN = 10


@dataclass
class Unreplied:
    """Hand-offs opened in the period that no staff member has replied to: beside the median reply time,
    which only the replied ones make, so that a quick median cannot hide many residents left waiting."""

    count: int  # opened in the period, no staff reply yet (open or closed)
    handoffs: int  # opened in the period
    waiting: int  # of ``count``, still open
    oldest_minutes: float | None  # the longest wait of the open ones, until now
    longest: list[tuple[Ticket, float]]  # the open ones waiting longest, with their wait in minutes

    @property
    def share(self) -> float | None:
        return pct(self.count, self.handoffs)


def unreplied(f: Filters, now: datetime | None = None) -> Unreplied:
    now = now or timezone.now()
    replies = first_replies(f)
    silent = [pk for pk, _opened, waited in replies if waited is None]
    still_open = Ticket.objects.filter(pk__in=silent, status=Ticket.Status.OPEN).order_by("created_at", "pk")
    waits = [(ticket, (now - ticket.created_at).total_seconds() / 60) for ticket in still_open]
    return Unreplied(
        count=len(silent),
        handoffs=len(replies),
        waiting=len(waits),
        oldest_minutes=round(waits[0][1], 1) if waits else None,
        longest=waits[:UNREPLIED_SHOWN],
    )


def first_response(f: Filters) -> Table:
    hours = OfficeHours(f.municipality)
    inside: Counter[str] = Counter()
    outside: Counter[str] = Counter()
    for opened, waited in response_times(f):
        bucket = "none"
        if waited is not None:
            bucket = next(key for key, limit in RESPONSE_BUCKETS if limit is None or waited < limit)
        (inside if hours.is_open(opened) else outside)[bucket] += 1
    labels = _bucket_labels()
    keys = [k for k, _limit in RESPONSE_BUCKETS] + ["none"]
    rows = [[labels[k], inside[k], outside[k]] for k in keys]
    return Table(
        "first_response",
        _("Time to the first staff reply"),
        [
            Column("wait", _("Waited")),
            Column("office_hours", _("Handed off during office hours")),
            Column("outside", _("Handed off outside office hours")),
        ],
        rows,
        ChartSpec("bar", ("office_hours", "outside"), stacked=True),
    )


def response_summary(f: Filters) -> dict:
    hours = OfficeHours(f.municipality)
    waits = [(opened, w) for opened, w in response_times(f) if w is not None]
    minutes = [w.total_seconds() / 60 for _o, w in waits]
    office = [w.total_seconds() / 60 for o, w in waits if hours.is_open(o)]
    return {
        "median_minutes": round(statistics.median(minutes), 1) if minutes else None,
        "median_office_minutes": round(statistics.median(office), 1) if office else None,
        "answered": len(minutes),
    }


POSITIVE_RATINGS = ("good", "4", "5")
NEUTRAL_RATINGS = ("3",)
NEGATIVE_RATINGS = ("bad", "1", "2")


def satisfaction(f: Filters) -> Table:
    feedback = Counter(answer_logs(f).exclude(feedback="").values_list("feedback", flat=True))
    rows = [
        [
            str(_("Bot answers (helpful?)")),
            feedback[AnswerLog.Feedback.HELPFUL],
            0,
            feedback[AnswerLog.Feedback.UNHELPFUL],
        ]
    ]
    ratings = _ratings(f)
    if ratings is not None:
        rows.append(
            [
                str(_("Staff help (rating after resolution)")),
                sum(ratings[v] for v in POSITIVE_RATINGS),
                sum(ratings[v] for v in NEUTRAL_RATINGS),
                sum(ratings[v] for v in NEGATIVE_RATINGS),
            ]
        )
    for row in rows:
        row.append(pct(row[1], row[1] + row[2] + row[3]))
    return Table(
        "satisfaction",
        _("Satisfaction"),
        [
            Column("source", _("Asked about")),
            Column("positive", _("Satisfied / helpful")),
            Column("neutral", _("Neutral")),
            Column("negative", _("Not satisfied / not helpful")),
            Column("share", _("Satisfied (%)")),
        ],
        rows,
        ChartSpec("bar", ("positive", "neutral", "negative"), stacked=True, horizontal=True),
        note=_("Residents answer a yes/no question after a bot answer, and rate staff help after a resolution."),
    )


def _ratings(f: Filters) -> Counter | None:
    """Ratings of resolved tickets, by the day they were given (None when hand-off keeps no ratings)."""

    names = {fl.name for fl in Ticket._meta.get_fields()}
    if not {"rating", "rated_at"} <= names:
        return None
    qs = Ticket.objects.filter(
        f.period("rated_at"), f.channel_q("conversation__resident"), municipality=f.municipality
    ).exclude(rating="")
    return Counter(qs.values_list("rating", flat=True))


# --- the FAQ ---------------------------------------------------------------------------------------------


def faq_hits(f: Filters) -> Counter:
    return Counter(
        answer_logs(f).filter(decision=ANSWERED, answered_faq__isnull=False).values_list("answered_faq_id", flat=True)
    )


def top_faq(f: Filters) -> Table:
    hits = faq_hits(f)
    top = sorted(hits.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_FAQ_LIMIT]
    faqs = FAQ.objects.in_bulk([pk for pk, _n in top])
    feedback: dict[int, Counter] = defaultdict(Counter)
    for pk, value in (
        answer_logs(f)
        .filter(decision=ANSWERED, answered_faq_id__in=[pk for pk, _n in top])
        .exclude(feedback="")
        .values_list("answered_faq_id", "feedback")
    ):
        feedback[pk][value] += 1
    rows = []
    for pk, n in top:
        faq = faqs.get(pk)
        label = f"{faq.external_id} {_shorten(faq.question, 40)}" if faq else f"#{pk}"
        rows.append([label, n, feedback[pk][AnswerLog.Feedback.HELPFUL], feedback[pk][AnswerLog.Feedback.UNHELPFUL]])
    return Table(
        "top_faq",
        _("Most used FAQ entries"),
        [
            Column("faq", _("FAQ entry")),
            Column("answers", _("Answers given")),
            Column("helpful", _("Marked helpful")),
            Column("unhelpful", _("Marked not helpful")),
        ],
        rows,
        ChartSpec("bar", ("answers",), horizontal=True),
        extra={"ids": [pk for pk, _n in top]},
    )


def faq_never_hit(f: Filters) -> Table:
    hit = set(faq_hits(f))
    faqs = [
        faq for faq in FAQ.objects.answerable(f.municipality).order_by("category", "external_id") if faq.pk not in hit
    ]
    rows = [[faq.external_id, faq.question, faq.category, faq.department] for faq in faqs]
    return Table(
        "faq_never_hit",
        _("FAQ entries never used in this period"),
        [
            Column("external_id", _("ID")),
            Column("question", _("Question")),
            Column("category", _("Category")),
            Column("department", _("Department")),
        ],
        rows,
        note=_("Published entries the bot did not answer with once. Check their wording, or retire them."),
        extra={"ids": [faq.pk for faq in faqs]},
    )


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- unanswered questions ---------------------------------------------------------------------------------


def unanswered_questions(f: Filters) -> list[tuple[str, str]]:
    """(masked question, language) for each question the bot could not answer in the period (``unanswered``)."""
    return [(q.text, q.language) for q in unanswered_rule.questions(answer_logs(f))]


def unanswered(f: Filters, *, method: str = "auto") -> Table:
    clusters = cluster_questions(unanswered_questions(f), method=method)
    rows = [
        [
            c.label,
            c.count,
            " / ".join(f"{text} ({n})" for text, n in c.variants),
            ", ".join(code or "?" for code in c.languages),
        ]
        for c in clusters
    ]
    return Table(
        "unanswered",
        _("Questions the bot could not answer, grouped"),
        [
            Column("question", _("Question (most frequent wording)")),
            Column("count", _("Times asked")),
            Column("variants", _("Other wordings")),
            Column("languages", _("Languages")),
        ],
        rows,
        note=_(
            "Hand-offs because the bot was unsure, questions asked back without a choice picked, and answers "
            "marked not helpful. Personal data is masked."
        ),
        extra={"clusters": clusters},
    )


# --- costs -------------------------------------------------------------------------------------------------


def costs_configured() -> bool:
    llm = bool(settings.OPENAI_API_KEY or settings.OPENAI_BASE_URL)
    translator = settings.TRANSLATOR not in ("", "none")
    return llm or translator


def tokens_daily(f: Filters) -> Table:
    tokens: Counter[date] = Counter()
    calls: Counter[date] = Counter()
    for created_at, n in answer_logs(f).filter(tokens__gt=0).values_list("created_at", "tokens"):
        day = f.day(created_at)
        tokens[day] += n
        calls[day] += 1
    rows = [[d.isoformat(), tokens[d], calls[d]] for d in f.days]
    return Table(
        "tokens",
        _("Language model tokens per day"),
        [Column("date", _("Date")), Column("tokens", _("Tokens")), Column("answers", _("Answers using the model"))],
        rows,
        ChartSpec("bar", ("tokens",)),
    )


def translated_characters_daily(f: Filters) -> Table:
    """Characters sent to the machine translator: city content (cached once) and conversation messages."""
    content: Counter[date] = Counter()
    if not f.channel:
        for created_at, text in (
            CachedTranslation.objects.filter(f.period("created_at"), municipality=f.municipality)
            .exclude(backend__in=("", "none"))
            .values_list("created_at", "source_text")
        ):
            content[f.day(created_at)] += len(text)
    talk: Counter[date] = Counter()
    for created_at, direction, text, translation, translation_language in Message.objects.filter(
        f.period("created_at"),
        f.channel_q("conversation__resident"),
        conversation__municipality=f.municipality,
        machine_translated=True,
    ).values_list("created_at", "direction", "text", "translation", "translation_language"):
        # Inbound: the resident's text was translated; outbound: the staff member's Japanese was.
        source = text if direction == Message.Direction.INBOUND or translation_language != "ja" else translation
        talk[f.day(created_at)] += len(source)
    rows = [[d.isoformat(), content[d], talk[d]] for d in f.days]
    return Table(
        "translated_characters",
        _("Machine-translated characters per day"),
        [
            Column("date", _("Date")),
            Column("content", _("City content (FAQ, pages)")),
            Column("conversations", _("Conversation messages")),
        ],
        rows,
        ChartSpec("bar", ("content", "conversations"), stacked=True),
        note=_(
            "City content is translated once and cached (not split by channel). Messages older than the "
            "retention period no longer have text, so they count as zero."
        ),
    )


def model_outcomes(f: Filters) -> Table:
    """Each language-model answer's outcome (AnswerLog.model_outcome): accepted, or why it fell back."""
    counts = Counter(answer_logs(f).exclude(model_outcome="").values_list("model_outcome", flat=True))
    total = sum(counts.values())
    rows = [[str(o.label), counts[o.value], pct(counts[o.value], total)] for o in ModelOutcome]
    return Table(
        "model_outcomes",
        _("Language model answers: accepted, or why the bot fell back"),
        [Column("outcome", _("Outcome")), Column("answers", _("Answers")), Column("share", _("Share (%)"))],
        rows,
        ChartSpec("bar", ("answers",), horizontal=True),
        note=_(
            "Only accepted answers reach residents; the others fell back to asking back or handing off. "
            "Many cut off, timed out or refused answers mean the model or its settings need attention "
            "(manage.py check_model)."
        ),
        extra={"accepted": counts[ModelOutcome.ACCEPTED.value], "total": total},
    )


def model_latency(f: Filters) -> Table:
    """The model's own time per answer, per day (median and 95th percentile)."""
    per_day: defaultdict[date, list[float]] = defaultdict(list)
    for created_at, ms in (answer_logs(f).exclude(model_outcome="").filter(model_latency_ms__isnull=False)).values_list(
        "created_at", "model_latency_ms"
    ):
        per_day[f.day(created_at)].append(ms)
    rows = []
    for d in f.days:  # days the model was asked (a day without calls has no latency, not a latency of 0)
        values = sorted(per_day[d])
        if values:
            p95 = values[min(len(values) - 1, int(0.95 * len(values)))]
            rows.append([d.isoformat(), len(values), round(statistics.median(values)), round(p95)])
    return Table(
        "model_latency",
        _("Language model latency per day"),
        [
            Column("date", _("Date")),
            Column("calls", _("Model answers")),
            Column("p50", _("Median (ms)")),
            Column("p95", _("95th percentile (ms)")),
        ],
        rows,
        ChartSpec("line", ("p50", "p95")),
    )


def token_spend_monthly(f: Filters) -> Table:
    """Tokens per calendar month (the municipality's time) against the monthly budget."""
    months: Counter[str] = Counter()
    for created_at, n in answer_logs(f).filter(tokens__gt=0).values_list("created_at", "tokens"):
        months[f.day(created_at).strftime("%Y-%m")] += n
    budget = budget_status(f.municipality).budget
    labels = sorted({d.strftime("%Y-%m") for d in f.days})
    rows = [[m, months[m], budget or None, pct(months[m], budget)] for m in labels]
    return Table(
        "token_spend",
        _("Language model tokens per month against the budget"),
        [
            Column("month", _("Month")),
            Column("tokens", _("Tokens")),
            Column("budget", _("Monthly budget")),
            Column("used", _("Budget used (%)")),
        ],
        rows,
        ChartSpec("bar", ("tokens", "budget") if budget else ("tokens",)),
        note=_("Generation, follow-up rewrites, easy-Japanese rewrites and the llm translator all count."),
    )


def token_budget(municipality: Municipality) -> tuple[int, int]:
    """(tokens used this month, monthly budget or 0), as the generation budget counts them."""

    status = budget_status(municipality)
    return status.used, status.budget


def _median(values: list) -> float | None:
    return round(statistics.median(values)) if values else None


# --- the page ----------------------------------------------------------------------------------------------

CHART_TABLES: dict[str, Callable[[Filters], Table]] = {
    "daily": daily,
    "hourly": hourly,
    "resolution": resolution,
    "handoff_reasons": handoff_reasons,
    "first_response": first_response,
    "satisfaction": satisfaction,
    "languages": languages,
    "channels": channels,
    "top_faq": top_faq,
}
COST_TABLES: dict[str, Callable[[Filters], Table]] = {
    "tokens": tokens_daily,
    "translated_characters": translated_characters_daily,
    "model_outcomes": model_outcomes,
    "model_latency": model_latency,
    "token_spend": token_spend_monthly,
}
LIST_TABLES: dict[str, Callable[[Filters], Table]] = {
    "faq_never_hit": faq_never_hit,
    "unanswered": unanswered,
}


def table(key: str, f: Filters) -> Table:
    """One table by its key (what the CSV export asks for)."""
    for group in (CHART_TABLES, COST_TABLES, LIST_TABLES):
        if key in group:
            return group[key](f)
    if key in CONTENT_TABLES:
        return CONTENT_TABLES[key](f.municipality)
    raise KeyError(key)


@dataclass
class Report:
    filters: Filters
    charts: list[Table]
    costs: list[Table]
    never_hit: Table
    headline: dict


def build(f: Filters, *, with_costs: bool | None = None) -> Report:
    charts = {key: fn(f) for key, fn in CHART_TABLES.items()}
    costs = [fn(f) for fn in COST_TABLES.values()]
    show_costs = with_costs if with_costs is not None else (costs_configured() or any(not t.is_empty for t in costs))
    outcome = charts["resolution"].extra
    counts, asked = outcome["counts"], outcome["total"]
    hourly_table = charts["hourly"]
    total_messages = sum(hourly_table.column("total"))
    sat = charts["satisfaction"].rows
    daily_table = charts["daily"]
    all_conversations = resident_messages(f).values("conversation_id").distinct().count()
    headline = {
        "conversations": all_conversations,
        "conversation_days": sum(daily_table.column("conversations")),
        "messages": total_messages,
        "asked": asked,
        "self_resolution": pct(counts.get("self_resolved", 0), asked),
        "handoff_rate": pct(counts.get("handed_off", 0), asked),
        "outside_hours": pct(sum(hourly_table.column("outside")), total_messages),
        "helpful": sat[0][4],
        "rating": sat[1][4] if len(sat) > 1 else None,
        "ratings_kept": len(sat) > 1,
        **{f"response_{k}": v for k, v in response_summary(f).items()},
    }
    if show_costs:
        used, budget = token_budget(f.municipality)
        headline.update(
            {
                "tokens": sum(costs[0].column("tokens")),
                "characters": sum(costs[1].column("content")) + sum(costs[1].column("conversations")),
                "month_tokens": used,
                "token_budget": budget,
                "token_budget_used": pct(used, budget),
                "model_answers": costs[2].extra["total"],
                "model_acceptance": pct(costs[2].extra["accepted"], costs[2].extra["total"]),
                "model_latency_p50": _median([v for v in costs[3].column("p50") if v is not None]),
            }
        )
    return Report(
        filters=f,
        charts=list(charts.values()),
        costs=costs if show_costs else [],
        never_hit=faq_never_hit(f),
        headline=headline,
    )
