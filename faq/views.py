"""The editors' own admin pages: import, export, "try a question", and unanswered questions.

Each view is a method target of ``FAQAdmin.get_urls`` (so it runs inside the admin, behind its
login), and every query is limited to the municipalities the user holds a role in.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from conversations.models import AnswerLog, Membership, Municipality
from conversations.tenancy import municipalities_for

from . import importing
from .forms import ExportForm, ImportForm, TryForm

log = logging.getLogger(__name__)
Role = Membership.Role

WRITE_ROLES = (Role.CITY_ADMIN, Role.EDITOR)
READ_ROLES = (Role.CITY_ADMIN, Role.EDITOR, Role.STAFF)
# Hand-offs that are not a gap in the content: the resident asked for a person, the topic is
# sensitive, or the message was empty.
NOT_CONTENT_GAPS = ("asked_for_person", "sensitive", "empty")
GAP_DECISIONS = ("handoff", "ask_back")
MAX_LOG_ROWS = 5000
MAX_GROUPS = 200
MAX_ERRORS_SHOWN = 500


def cities(request, roles) -> object:
    return municipalities_for(request.user, roles)


def _context(model_admin, request, title: str, **extra) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "has_write": cities(request, WRITE_ROLES).exists(),
        **extra,
    }


def _with_defaults(query, allowed, **defaults):
    """GET data with the municipality filled in when the user has only one (its field is hidden then)."""
    if not query:
        return None
    data = query.copy()
    if not data.get("municipality") and allowed.count() == 1:
        data["municipality"] = str(allowed.first().pk)
    for key, value in defaults.items():
        if not data.get(key):
            data[key] = value
    return data


def _require(request, roles):
    allowed = cities(request, roles)
    if not allowed.exists():
        raise PermissionDenied
    return allowed


# ----------------------------------------------------------------------------------------------
# Import and export
# ----------------------------------------------------------------------------------------------


def import_view(model_admin, request):
    allowed = _require(request, WRITE_ROLES)
    result = None
    form = ImportForm(request.POST or None, request.FILES or None, municipalities=allowed)
    if request.method == "POST" and form.is_valid():
        municipality = form.cleaned_data["municipality"]
        upload = form.cleaned_data["file"]
        rows = list(importing.read_rows(upload.name, text=upload.read()))
        options = {"dry_run": form.cleaned_data["dry_run"], "strict": form.cleaned_data["strict"]}
        if form.cleaned_data["kind"] == "translations":
            result = importing.import_translations(municipality, rows, **options)
        else:
            result = importing.import_faqs(municipality, rows, **options)
        log.info(
            "admin import by %s into %s (%s): %d created, %d updated, %d unchanged, %d rejected, written=%s",
            request.user,
            municipality.slug,
            form.cleaned_data["kind"],
            result.created,
            result.updated,
            result.unchanged,
            len(result.errors),
            result.written,
        )
        if result.written and (result.created or result.updated):
            messages.success(
                request,
                _("Imported: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.")
                % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
            )
    return TemplateResponse(
        request,
        "faq/admin/import.html",
        _context(
            model_admin,
            request,
            _("Import FAQ entries"),
            form=form,
            result=result,
            errors=result.errors[:MAX_ERRORS_SHOWN] if result else [],
            more_errors=max(0, len(result.errors) - MAX_ERRORS_SHOWN) if result else 0,
            fields=importing.FIELDS,
            translation_fields=importing.TRANSLATION_FIELDS,
        ),
    )


def export_view(model_admin, request):
    allowed = _require(request, READ_ROLES)
    form = ExportForm(_with_defaults(request.GET, allowed, kind="faq", format="csv"), municipalities=allowed)
    if request.GET and form.is_valid():
        municipality = form.cleaned_data["municipality"]
        fmt = form.cleaned_data["format"]
        translations = form.cleaned_data["kind"] == "translations"
        buffer = io.StringIO()
        if fmt == "csv":
            buffer.write("\ufeff")  # so Excel reads the file as UTF-8; the importer skips it
        write = importing.write_translations if translations else importing.write_export
        write(municipality, buffer, fmt)
        stem = "faq-translations" if translations else "faq"
        name = f"{stem}-{municipality.slug}-{timezone.localdate():%Y%m%d}.{fmt}"
        content_type = "text/csv" if fmt == "csv" else "application/x-ndjson"
        response = HttpResponse(buffer.getvalue(), content_type=f"{content_type}; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return TemplateResponse(
        request, "faq/admin/export.html", _context(model_admin, request, _("Export FAQ entries"), form=form)
    )


# ----------------------------------------------------------------------------------------------
# Try a question
# ----------------------------------------------------------------------------------------------


@dataclass
class CandidateRow:
    rank: int
    kind: str
    external_id: str
    title: str
    heading_path: list[str]
    score: float
    chosen: bool
    admin_url: str
    source_url: str

    @property
    def percent(self) -> int:
        return max(0, min(100, round(self.score * 100)))


def _candidate_rows(decision) -> list[CandidateRow]:
    rows = []
    chosen = getattr(decision, "chosen", None)
    for rank, c in enumerate(decision.candidates or [], start=1):
        kind = getattr(c, "kind", "")
        admin_url = ""
        if kind == "faq":
            admin_url = reverse("admin:faq_faq_change", args=[c.id])
        elif kind == "chunk":
            admin_url = reverse("admin:faq_chunk_change", args=[c.id])
        rows.append(
            CandidateRow(
                rank=rank,
                kind=kind,
                external_id=getattr(c, "external_id", ""),
                title=getattr(c, "title", ""),
                heading_path=list(getattr(c, "heading_path", []) or []),
                score=float(getattr(c, "score", 0.0)),
                chosen=chosen is not None and (chosen.kind, chosen.id) == (kind, c.id),
                admin_url=admin_url,
                source_url=getattr(c, "url", ""),
            )
        )
    return rows


def _thresholds(municipality) -> dict:
    try:
        from chatbot import decision as decision_rules

        t = decision_rules.Thresholds.for_municipality(municipality)
        return {k: getattr(t, k) for k in ("answer", "margin", "ask_back_floor") if hasattr(t, k)}
    except Exception:  # the thresholds are informative only
        return {}


def _replies(decision, municipality, language) -> list:
    try:
        from chatbot import compose

        return compose.render(decision, municipality, language)
    except Exception:  # the preview must not break the page
        log.exception("could not render the reply preview")
        return []


def try_view(model_admin, request):
    from chatbot import engine

    allowed = _require(request, READ_ROLES)
    form = TryForm(_with_defaults(request.GET, allowed, language="ja"), municipalities=allowed)
    context = {"form": form}
    if request.GET and form.is_valid():
        municipality = form.cleaned_data["municipality"]
        language = form.cleaned_data["language"]
        try:
            decision = engine.answer(engine.AnswerRequest(municipality, form.cleaned_data["q"], language))
        except Exception as exc:  # show the failure to the editor instead of a 500
            log.exception("try a question failed")
            context["failure"] = str(exc)
        else:
            status = decision.status
            reason = decision.reason
            context.update(
                decision=decision,
                status_label=_label(engine.AnswerStatus, status),
                status=str(status),
                reason_label=_label(engine.Reason, reason),
                candidates=_candidate_rows(decision),
                thresholds=_thresholds(municipality),
                replies=_replies(decision, municipality, language),
                municipality=municipality,
            )
    return TemplateResponse(
        request, "faq/admin/try.html", _context(model_admin, request, _("Try a question"), **context)
    )


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


# ----------------------------------------------------------------------------------------------
# Unanswered and thumbs-down questions
# ----------------------------------------------------------------------------------------------

_KATAKANA = re.compile(r"[\u30a1-\u30f6]")


def normalise_query(text: str) -> str:
    """The grouping key of a question: width, case, kana and punctuation folded away."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _KATAKANA.sub(lambda m: chr(ord(m.group()) - 0x60), text)
    return re.sub(r"[\W_]+", "", text)


@dataclass
class Gap:
    key: tuple
    municipality: Municipality
    texts: Counter = field(default_factory=Counter)
    count: int = 0
    handoff: int = 0
    ask_back: int = 0
    unhelpful: int = 0
    languages: Counter = field(default_factory=Counter)
    last_seen: dt.datetime | None = None
    top: Counter = field(default_factory=Counter)
    top_titles: dict = field(default_factory=dict)
    top_scores: list = field(default_factory=list)
    answered: Counter = field(default_factory=Counter)

    @property
    def question(self) -> str:
        return self.texts.most_common(1)[0][0]

    @property
    def variants(self) -> list[str]:
        return [t for t, _n in self.texts.most_common(11)[1:]]

    @property
    def top_candidate(self) -> dict | None:
        if not self.top:
            return None
        key, n = self.top.most_common(1)[0]
        return {**self.top_titles[key], "times": n}

    @property
    def best_score(self) -> float | None:
        return max(self.top_scores) if self.top_scores else None

    @property
    def answered_faq_ids(self) -> list[int]:
        return [pk for pk, _n in self.answered.most_common(3)]


def gap_logs(allowed, *, days: int, municipality=None, kind: str = ""):
    since = timezone.now() - dt.timedelta(days=days)
    logs = AnswerLog.objects.filter(municipality__in=allowed, created_at__gte=since)
    if municipality is not None:
        logs = logs.filter(municipality=municipality)
    gap = Q(decision__in=GAP_DECISIONS) & ~Q(reason__in=NOT_CONTENT_GAPS)
    unhelpful = Q(feedback=AnswerLog.Feedback.UNHELPFUL)
    if kind == "unhelpful":
        logs = logs.filter(unhelpful)
    elif kind in GAP_DECISIONS:
        logs = logs.filter(gap & Q(decision=kind))
    else:
        logs = logs.filter(gap | unhelpful)
    return logs.select_related("municipality").order_by("-created_at")[:MAX_LOG_ROWS]


def group_gaps(logs, *, by: str = "text") -> list[Gap]:
    """Group logged questions by their normalised text, or by the candidate they came closest to."""
    groups: dict[tuple, Gap] = {}
    for entry in logs:
        candidates = [c for c in (entry.candidates or []) if isinstance(c, dict)]
        first = candidates[0] if candidates else None
        if by == "candidate" and first:
            key = (entry.municipality_id, "candidate", first.get("kind"), first.get("id"))
        else:
            key = (entry.municipality_id, "text", normalise_query(entry.query) or entry.query)
        gap = groups.get(key)
        if gap is None:
            gap = groups[key] = Gap(key, entry.municipality)
        gap.count += 1
        gap.texts[entry.query.strip()] += 1
        if entry.feedback == AnswerLog.Feedback.UNHELPFUL:
            gap.unhelpful += 1
            if entry.answered_faq_id:
                gap.answered[entry.answered_faq_id] += 1
        elif entry.decision == "handoff":
            gap.handoff += 1
        elif entry.decision == "ask_back":
            gap.ask_back += 1
        gap.languages[entry.language or "?"] += 1
        if gap.last_seen is None or entry.created_at > gap.last_seen:
            gap.last_seen = entry.created_at
        if first:
            ckey = (first.get("kind"), first.get("id"))
            gap.top[ckey] += 1
            gap.top_titles[ckey] = {
                "kind": first.get("kind"),
                "id": first.get("id"),
                "external_id": first.get("external_id", ""),
                "title": first.get("title", ""),
            }
            with contextlib.suppress(TypeError, ValueError):
                gap.top_scores.append(float(first.get("score", 0.0)))
    return sorted(groups.values(), key=lambda g: (-g.count, -(g.last_seen.timestamp() if g.last_seen else 0)))


def create_faq_url(gap: Gap) -> str:
    params = {
        "municipality": gap.municipality.pk,
        "question": gap.question,
        "status": "draft",
    }
    if gap.variants:
        params["alt_questions"] = "\n".join(gap.variants)
    return reverse("admin:faq_faq_add") + "?" + urlencode(params)


def unanswered_view(model_admin, request):
    allowed = _require(request, READ_ROLES)
    writable = set(cities(request, WRITE_ROLES).values_list("pk", flat=True))
    try:
        days = max(1, min(365, int(request.GET.get("days", 30))))
    except ValueError:
        days = 30
    kind = request.GET.get("kind", "")
    kind = kind if kind in (*GAP_DECISIONS, "unhelpful") else ""
    by = "candidate" if request.GET.get("by") == "candidate" else "text"
    municipality = None
    if request.GET.get("municipality"):
        municipality = (
            allowed.filter(pk=request.GET["municipality"]).first() if request.GET["municipality"].isdigit() else None
        )
        if municipality is None:
            return redirect(request.path)
    gaps = group_gaps(gap_logs(allowed, days=days, municipality=municipality, kind=kind), by=by)
    for gap in gaps[:MAX_GROUPS]:
        gap.can_create = gap.municipality.pk in writable
        gap.create_url = create_faq_url(gap) if gap.can_create else ""
        top = gap.top_candidate
        if top and top["kind"] == "faq" and top.get("id"):
            gap.top_url = reverse("admin:faq_faq_change", args=[top["id"]])
        elif top and top["kind"] == "chunk" and top.get("id"):
            gap.top_url = reverse("admin:faq_chunk_change", args=[top["id"]])
        else:
            gap.top_url = ""
        gap.answered_urls = [reverse("admin:faq_faq_change", args=[pk]) for pk in gap.answered_faq_ids]
    return TemplateResponse(
        request,
        "faq/admin/unanswered.html",
        _context(
            model_admin,
            request,
            _("Unanswered and thumbs-down questions"),
            gaps=gaps[:MAX_GROUPS],
            total_groups=len(gaps),
            days=days,
            kind=kind,
            by=by,
            municipality=municipality,
            municipalities=allowed if allowed.count() > 1 else [],
            day_choices=[7, 30, 90, 365],
            kind_choices=[
                ("", _("all")),
                ("handoff", _("handed off")),
                ("ask_back", _("asked back")),
                ("unhelpful", _("thumbs down")),
            ],
        ),
    )
