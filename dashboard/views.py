"""The operations dashboard: usage and outcomes, unanswered questions, content freshness, data deletion.

Who sees what: members of a municipality (staff, editors, city admins) see its dashboard; superusers
see every municipality; anyone else gets a 404. Editors and city admins get "create FAQ draft" links;
staff and city admins may delete a resident's data on request.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db.models import Count, Max, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from chatbot import pipeline
from conversations.http import client_ip
from conversations.models import AnswerLog, Channel, Conversation, Municipality, Resident
from conversations.tenancy import Role, municipalities_for
from faq import spreadsheet
from handoff.models import Ticket

from . import freshness, metrics, retention

VIEW_ROLES = (Role.STAFF, Role.EDITOR, Role.CITY_ADMIN)
EDIT_ROLES = (Role.EDITOR, Role.CITY_ADMIN)
ERASE_ROLES = (Role.STAFF, Role.CITY_ADMIN)
DEFAULT_DAYS = 30
# Dates the filters accept: anything else is a mistake (or a probe) and gets 400, not a 500 from date arithmetic.
FIRST_DATE = date(2000, 1, 1)
LAST_DATE = date(2099, 12, 31)
CLUSTER_CACHE_SECONDS = 600


def municipality_or_404(request: HttpRequest, slug: str, roles=VIEW_ROLES) -> Municipality:
    return get_object_or_404(municipalities_for(request.user, roles), slug=slug)


def may(request: HttpRequest, municipality: Municipality, roles) -> bool:
    return municipalities_for(request.user, roles).filter(pk=municipality.pk).exists()


# --- filters ---------------------------------------------------------------------------------------------


class FilterForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"),
        required=False,
        choices=[("", gettext_lazy("All channels")), *Channel.choices],
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        for value in (start, end):
            if value and not FIRST_DATE <= value <= LAST_DATE:
                raise forms.ValidationError(
                    _("Dates must be between %(first)s and %(last)s.")
                    % {"first": FIRST_DATE.isoformat(), "last": LAST_DATE.isoformat()}
                )
        if start and end and start > end:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data


class BadFilters(Exception):
    """The page's filters cannot be used: the view answers 400 with the form's messages."""

    def __init__(self, form: FilterForm, filters: metrics.Filters) -> None:
        super().__init__("bad filters")
        self.form = form
        self.filters = filters

    def message(self) -> str:
        errors = [str(e) for e in self.form.non_field_errors()]
        errors += [
            f"{self.form[name].label}: {e}"
            for name, field_errors in self.form.errors.items()
            if name != "__all__"
            for e in field_errors
        ]
        return "\n".join(errors)


def local_today(municipality: Municipality) -> date:
    return timezone.now().astimezone(ZoneInfo(municipality.time_zone or "Asia/Tokyo")).date()


def filters_from(request: HttpRequest, municipality: Municipality) -> tuple[metrics.Filters, FilterForm]:
    """The period and channel asked for (default: the last 30 days); ``BadFilters`` when they make no sense."""
    form = FilterForm(request.GET or None)
    today = local_today(municipality)
    start, end, channel = None, None, ""
    if form.is_bound and not form.is_valid():
        default = metrics.Filters(municipality, today - timedelta(days=DEFAULT_DAYS - 1), today, "")
        raise BadFilters(form, default)
    if form.is_bound:
        start, end, channel = form.cleaned_data["start"], form.cleaned_data["end"], form.cleaned_data["channel"]
    end = end or today
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if (end - start).days >= metrics.MAX_RANGE_DAYS:
        start = end - timedelta(days=metrics.MAX_RANGE_DAYS - 1)
    return metrics.Filters(municipality, start, end, channel or ""), form


def query_string(f: metrics.Filters, **extra) -> str:
    params = {"start": f.start.isoformat(), "end": f.end.isoformat()}
    if f.channel:
        params["channel"] = f.channel
    params.update(extra)
    return urlencode(params)


def presets(f: metrics.Filters) -> list[dict]:
    today = local_today(f.municipality)
    first = today.replace(day=1)
    last_month_end = first - timedelta(days=1)
    ranges = [
        (_("Last 7 days"), today - timedelta(days=6), today),
        (_("Last 30 days"), today - timedelta(days=29), today),
        (_("Last 90 days"), today - timedelta(days=89), today),
        (_("This month so far"), first, today),
        (_("Last month"), last_month_end.replace(day=1), last_month_end),
    ]
    out = []
    for label, start, end in ranges:
        params = {"start": start.isoformat(), "end": end.isoformat()}
        if f.channel:
            params["channel"] = f.channel
        out.append({"label": label, "query": urlencode(params), "active": (start, end) == (f.start, f.end)})
    return out


# --- pages -----------------------------------------------------------------------------------------------


@login_required
def index(request: HttpRequest):
    cities = list(municipalities_for(request.user, VIEW_ROLES).order_by("name_ja"))
    if not cities:
        raise Http404("no dashboard for this account")
    if len(cities) == 1:
        return redirect("dashboard:overview", slug=cities[0].slug)
    return render(request, "dashboard/index.html", {"cities": cities})


def _nav(request: HttpRequest, municipality: Municipality, active: str) -> dict:
    return {
        "municipality": municipality,
        "active": active,
        "may_erase": may(request, municipality, ERASE_ROLES),
        "may_edit": may(request, municipality, EDIT_ROLES),
        "other_cities": municipalities_for(request.user, VIEW_ROLES).exclude(pk=municipality.pk).count(),
    }


def _bad_filters(request: HttpRequest, bad: BadFilters) -> HttpResponse:
    return HttpResponse(bad.message(), status=400, content_type="text/plain; charset=utf-8")


@login_required
def overview(request: HttpRequest, slug: str):
    municipality = municipality_or_404(request, slug)
    status = 200
    try:
        f, form = filters_from(request, municipality)
    except BadFilters as bad:  # the page with the default period and the form's messages
        f, form, status = bad.filters, bad.form, 400
    report = metrics.build(f)
    unreplied = metrics.unreplied(f)
    charts = [t.chart_data() for t in report.charts + report.costs]
    qs = query_string(f)
    context = {
        **_nav(request, municipality, "overview"),
        "f": f,
        "form": form,
        "presets": presets(f),
        "qs": qs,
        "report": report,
        "h": report.headline,
        "tables": {t.key: t for t in report.charts + report.costs},
        "charts_json": {c["key"]: c for c in charts},
        "never_hit": report.never_hit,
        "never_hit_shown": list(zip(report.never_hit.rows, report.never_hit.extra["ids"], strict=True))[:30],
        "unanswered_url": reverse("dashboard:unanswered", args=[municipality.slug]) + "?" + qs,
        "channel_label": dict(Channel.choices).get(f.channel, ""),
        "response_median": duration(report.headline["response_median_minutes"]),
        "response_office": duration(report.headline["response_median_office_minutes"], empty=""),
        "unreplied": unreplied,
        "unreplied_oldest": duration(unreplied.oldest_minutes),
        "unreplied_rows": [
            {"ticket": t, "waited": duration(minutes), "url": reverse("handoff:ticket", args=[t.pk])}
            for t, minutes in unreplied.longest
        ],
        "backlog": pipeline.backlog(municipality.pk),
        "events_url": (
            reverse("admin:conversations_inboundevent_changelist")
            + f"?status=given_up&municipality__id__exact={municipality.pk}"
            if may(request, municipality, (Role.CITY_ADMIN,))
            else ""
        ),
    }
    return render(request, "dashboard/overview.html", context, status=status)


def duration(minutes: float | None, empty: str = "–") -> str:
    if minutes is None:
        return empty
    if minutes < 90:
        return _("%(n)s min") % {"n": round(minutes)}
    if minutes < 48 * 60:
        return _("%(n)s h") % {"n": round(minutes / 60, 1)}
    return _("%(n)s days") % {"n": round(minutes / 1440, 1)}


def cached_unanswered(f: metrics.Filters) -> metrics.Table:
    """Grouping embeds every distinct question: kept a few minutes, until a new answer log arrives."""
    logs = AnswerLog.objects.filter(municipality=f.municipality).aggregate(n=Max("pk"), c=Count("pk"))
    key = f"dashboard:unanswered:{f.municipality.pk}:{f.start}:{f.end}:{f.channel}:{logs['n']}:{logs['c']}"
    table = cache.get(key)
    if table is None:
        table = metrics.unanswered(f)
        cache.set(key, table, CLUSTER_CACHE_SECONDS)
    return table


def faq_draft_url(municipality: Municipality, question: str) -> str:
    params = {"question": question, "status": "draft", "municipality": municipality.pk}
    return reverse("admin:faq_faq_add") + "?" + urlencode(params)


@login_required
def unanswered(request: HttpRequest, slug: str):
    """The grouped unanswered questions (an HTML fragment the overview loads after it is shown)."""
    municipality = municipality_or_404(request, slug)
    try:
        f, _form = filters_from(request, municipality)
    except BadFilters as bad:
        return _bad_filters(request, bad)
    table = cached_unanswered(f)
    may_edit = may(request, municipality, EDIT_ROLES)
    clusters = [
        {"cluster": c, "draft_url": faq_draft_url(municipality, c.label) if may_edit else ""}
        for c in table.extra["clusters"]
    ]
    top = max((c.count for c in table.extra["clusters"]), default=0)
    return render(
        request,
        "dashboard/_unanswered.html",
        {"table": table, "clusters": clusters, "top": top, "municipality": municipality, "qs": query_string(f)},
    )


@login_required
def content(request: HttpRequest, slug: str):
    municipality = municipality_or_404(request, slug)
    tables = [fn(municipality) for fn in freshness.CONTENT_TABLES.values()]
    sections = [{"table": t, "items": list(zip(t.rows, t.extra["ids"], strict=True))} for t in tables]
    return render(
        request,
        "dashboard/content.html",
        {
            **_nav(request, municipality, "content"),
            "sections": sections,
            "review_days": freshness.REVIEW_AFTER_DAYS,
            "expiry_days": freshness.EXPIRY_WARNING_DAYS,
        },
    )


@login_required
def export(request: HttpRequest, slug: str, key: str):
    municipality = municipality_or_404(request, slug)
    try:
        f, _form = filters_from(request, municipality)
    except BadFilters as bad:
        return _bad_filters(request, bad)
    try:
        table = cached_unanswered(f) if key == "unanswered" else metrics.table(key, f)
    except KeyError:
        raise Http404("no such table") from None
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"{municipality.slug}-{key}-{f.start:%Y%m%d}-{f.end:%Y%m%d}{'-' + f.channel if f.channel else ''}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response.write("\ufeff")  # a byte-order mark, so that Excel reads the Japanese as UTF-8
    csv.writer(response).writerows([[spreadsheet.defuse(v) for v in row] for row in table.csv_rows()])
    return response


# --- deleting a resident's data on request ---------------------------------------------------------------------


class EraseForm(forms.Form):
    resident = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)
    reason = forms.CharField(
        label=gettext_lazy("Reason and how the request was made"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Kept in the audit log (masked). Do not write the person's name or phone number."),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("I have confirmed that the request comes from this resident. This cannot be undone.")
    )


def find_residents(municipality: Municipality, query: str) -> list[Resident]:
    """By ticket or conversation number (as the console and the admin show them), or by channel user id."""

    query = query.strip().lstrip("#＃").strip()
    found: dict[int, Resident] = {}
    number = _database_id(query)
    if number:
        conversations = Conversation.objects.filter(municipality=municipality).filter(
            Q(pk=number) | Q(pk__in=Ticket.objects.filter(pk=number).values("conversation_id"))
        )
        for conversation in conversations.select_related("resident"):
            found[conversation.resident_id] = conversation.resident
    if query:
        for resident in Resident.objects.filter(municipality=municipality, channel_user_id=query):
            found[resident.pk] = resident
    return [r for r in found.values() if not r.channel_user_id.startswith(retention.ANON_PREFIX)]


def _resident_card(resident: Resident) -> dict:
    conversations = list(Conversation.objects.filter(resident=resident).order_by("-created_at")[:20])
    return {
        "resident": resident,
        "conversations": conversations,
        "counts": retention.preview_erasure(resident),
        "form": EraseForm(initial={"resident": resident.pk}),
        "masked_id": f"{resident.channel_user_id[:4]}…{resident.channel_user_id[-4:]}",
    }


def _database_id(value: str) -> int | None:
    """A resident number as typed or passed along, or None when it cannot be one."""
    value = value.strip()
    if not (value.isascii() and value.isdigit() and len(value) <= 19):
        return None
    number = int(value)
    return number if 0 < number < 2**63 else None


@login_required
@require_http_methods(["GET", "POST"])
def erase(request: HttpRequest, slug: str):
    municipality = municipality_or_404(request, slug, ERASE_ROLES)
    query = request.GET.get("q", "").strip()
    cards = []
    status = 200
    if request.method == "POST":
        form = EraseForm(request.POST)
        if form.is_valid():
            resident = get_object_or_404(
                Resident.objects.exclude(channel_user_id__startswith=retention.ANON_PREFIX),
                pk=form.cleaned_data["resident"],
                municipality=municipality,
            )
            counts = retention.erase_resident(
                resident, actor=request.user, reason=form.cleaned_data["reason"], ip=client_ip(request)
            )
            messages.success(
                request,
                _(
                    "The resident's data was deleted: %(messages)s messages, %(logs)s answer logs and "
                    "%(tickets)s tickets no longer hold any text, and the channel ID was replaced. "
                    "The deletion is recorded in the audit log."
                )
                % {"messages": counts.messages, "logs": counts.answer_logs, "tickets": counts.tickets},
            )
            return redirect("dashboard:erase", slug=municipality.slug)
        status = 400  # the form's messages say what is wrong
        resident_id = _database_id(request.POST.get("resident", ""))
        resident = Resident.objects.filter(pk=resident_id, municipality=municipality).first() if resident_id else None
        if resident is not None:
            card = _resident_card(resident)
            card["form"] = form
            cards = [card]
    elif query:
        cards = [_resident_card(r) for r in find_residents(municipality, query)]
    elif request.GET.get("residents"):
        ids = [_database_id(x) for x in request.GET["residents"].split(",")]
        if not all(ids):
            return HttpResponse(
                _("'residents' must be resident numbers separated by commas."),
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        residents = Resident.objects.filter(pk__in=ids, municipality=municipality).exclude(
            channel_user_id__startswith=retention.ANON_PREFIX
        )
        cards = [_resident_card(r) for r in residents]
    return render(
        request,
        "dashboard/erase.html",
        {
            **_nav(request, municipality, "erase"),
            "query": query,
            "searched": bool(query),
            "cards": cards,
            "retention_days": retention.retention_days(municipality),
        },
        status=status,
    )
