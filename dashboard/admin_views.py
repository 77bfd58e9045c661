"""The editors' list of unanswered and thumbs-down questions, grouped, each with "Create FAQ from this".

An editor page of the FAQ admin (``config.admin`` serves it at ``admin/faq/faq/unanswered/``).
Which questions are unanswered is ``dashboard.unanswered`` alone, as on the dashboard.

"Create FAQ from this" is draft, review, publish: ``draft_view`` opens the FAQ add form prefilled (the
question in Japanese, the category, department and next free external id of the closest entry's
category, status draft); once the editor saves it, ``settle`` (on ``faq.signals.drafted_from_questions``)
teaches the new entry the residents' wordings and takes the questions off the list; the entry's page
says it is a draft and offers "Publish".
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from conversations.masking import mask
from conversations.models import AnswerLog, Municipality
from faq import learning, retrieval
from faq.ids import suggest_external_id
from faq.models import FAQ, LearnedPhrasing
from faq.views import READ_ROLES, WRITE_ROLES, cities, editor_context, require_cities
from languages import registry

from . import unanswered

MAX_LOG_ROWS = 5000
MAX_GROUPS = 200
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
    log_ids: list[int] = field(default_factory=list)

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


def questions_for(allowed, *, days: int, municipality=None, kind: str = "") -> list[unanswered.Question]:
    since = timezone.now() - dt.timedelta(days=days)
    logs = AnswerLog.objects.filter(municipality__in=allowed, created_at__gte=since)
    if municipality is not None:
        logs = logs.filter(municipality=municipality)
    newest = logs.filter(unanswered.gap_filter(kind)).order_by("-created_at").values("pk")[:MAX_LOG_ROWS]
    return unanswered.questions(AnswerLog.objects.filter(pk__in=newest), kind=kind)


def group_gaps(questions: list[unanswered.Question], municipalities: dict, *, by: str = "text") -> list[Gap]:
    """Group questions by their normalised text, or by the candidate they came closest to."""
    groups: dict[tuple, Gap] = {}
    for question in questions:
        first = question.top
        if by == "candidate" and first:
            key = (question.municipality_id, "candidate", first.get("kind"), first.get("id"))
        else:
            key = (question.municipality_id, "text", normalise_query(question.text) or question.text)
        gap = groups.get(key)
        if gap is None:
            gap = groups[key] = Gap(key, municipalities[question.municipality_id])
        gap.count += 1
        gap.log_ids.append(question.log_id)
        gap.texts[question.text] += 1
        setattr(gap, question.kind, getattr(gap, question.kind) + 1)
        if question.kind == unanswered.UNHELPFUL and question.answered_faq_id:
            gap.answered[question.answered_faq_id] += 1
        gap.languages[question.language or "?"] += 1
        if gap.last_seen is None or question.created_at > gap.last_seen:
            gap.last_seen = question.created_at
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


def link_view(model_admin, request):
    """An editor says "this should have matched FAQ X": the bot learns the wordings, the questions leave the list."""
    if request.method != "POST":
        return redirect("admin:faq_faq_unanswered")
    allowed = require_cities(request, WRITE_ROLES)
    municipality = (
        allowed.filter(pk=request.POST.get("municipality") or 0).first()
        if (request.POST.get("municipality", "").isdigit())
        else None
    )
    external_id = request.POST.get("external_id", "").strip()
    faq = FAQ.objects.filter(municipality=municipality, external_id=external_id).first() if municipality else None
    if faq is None:
        messages.error(request, _("No FAQ entry %(id)s in this municipality.") % {"id": external_id or "—"})
        return redirect(_back(request))
    handled = settle(faq, _log_ids(request.POST.getlist("log")), request.user)
    messages.success(
        request,
        _("Linked %(n)s question(s) to %(id)s. The bot learns their wording; they leave this list.")
        % {"n": handled, "id": faq.external_id},
    )
    return redirect(_back(request))


def settle(faq: FAQ, log_ids: list[int], user) -> int:
    """The questions of ``log_ids`` are answered by ``faq``: its entry learns their wordings (masked) and
    they leave the unanswered list. Only open logs of the entry's municipality count; returns how many."""
    logs = AnswerLog.objects.filter(pk__in=log_ids, municipality_id=faq.municipality_id, handled_at__isnull=True)
    wordings = Counter(q.text for q in unanswered.questions(logs))  # most asked first, then oldest first
    for text, _n in wordings.most_common():
        learning.learn(faq, text, source=LearnedPhrasing.Source.EDITOR, user=user)
    return logs.update(handled_at=timezone.now())


def on_drafted(sender, *, faq: FAQ, log_ids: list[int], user, **kwargs) -> None:
    """``faq.signals.drafted_from_questions``: an editor saved the entry "Create FAQ from this" began."""
    settle(faq, log_ids, user)


def _log_ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit() and len(v) < 19][:MAX_LOG_ROWS]


def draft_view(model_admin, request):
    """ "Create FAQ from this": the FAQ add form, prefilled from the questions and the closest entry."""
    allowed = require_cities(request, WRITE_ROLES)
    number = request.GET.get("municipality", "")
    municipality = allowed.filter(pk=number).first() if number.isdigit() else None
    log_ids = _log_ids(request.GET.getlist("log"))
    logs = AnswerLog.objects.filter(pk__in=log_ids, municipality=municipality, handled_at__isnull=True)
    found = unanswered.questions(logs) if municipality else []
    if not found:
        messages.warning(request, _("These questions were already dealt with."))
        return redirect("admin:faq_faq_unanswered")
    draft = prefill(municipality, found)
    if draft.pop("untranslated", ""):
        messages.warning(
            request,
            _(
                "The residents asked in %(language)s and no Japanese translation is stored: write the question "
                "in Japanese. Their own wording is kept: the entry learns it when you save."
            )
            % {"language": registry.staff_name(found[0].language)},
        )
    params = {**draft, "municipality": municipality.pk, "status": FAQ.Status.DRAFT}
    params["from_questions"] = ",".join(str(q.log_id) for q in found)
    return redirect(reverse("admin:faq_faq_add") + "?" + urlencode(params))


def prefill(municipality: Municipality, found: list[unanswered.Question]) -> dict[str, str]:
    """The draft's question (in Japanese when a translation is stored), category, department and external id.

    The category and department are the closest entry's: the best FAQ candidate the bot found for the
    questions, else the best for the question searched now. ``untranslated`` names a foreign question
    with no Japanese translation (the draft then starts from the resident's words)."""
    typed = Counter(q.text for q in found).most_common(1)[0][0]
    first = next(q for q in found if q.text == typed)
    question, untranslated = typed, ""
    if not registry.reads_japanese(first.language or "ja"):
        japanese = _japanese_of(first)
        question, untranslated = (japanese, "") if japanese else (typed, first.language)
    closest = _closest_faq(municipality, found, question)
    category = closest.category if closest else ""
    return {
        "question": question,
        "category": category,
        "department": closest.department if closest else "",
        "external_id": suggest_external_id(municipality, category),
        "untranslated": untranslated,
    }


def _japanese_of(question: unanswered.Question) -> str:
    log = AnswerLog.objects.select_related("message").filter(pk=question.log_id).first()
    message = log.message if log else None
    if message is not None and message.translation_language == "ja" and message.translation.strip():
        return mask(" ".join(message.translation.split()))
    return ""


def _closest_faq(municipality: Municipality, found: list[unanswered.Question], question: str) -> FAQ | None:
    scored = [
        (float(c.get("score") or 0.0), c.get("id"))
        for q in found
        for c in q.candidates
        if c.get("kind") == "faq" and str(c.get("id", "")).isdigit()
    ]
    if not scored:
        scored = [(c.score, c.id) for c in retrieval.search(municipality, question, k=5) if c.kind == "faq"]
    for _score, pk in sorted(scored, key=lambda t: -t[0]):
        faq = FAQ.objects.filter(municipality=municipality, pk=pk).first()
        if faq is not None:
            return faq
    return None


def _back(request) -> str:
    back = request.POST.get("next", "")
    return back if back.startswith("/admin/") else reverse("admin:faq_faq_unanswered")


def create_faq_url(gap: Gap) -> str:
    params = [("municipality", gap.municipality.pk), *(("log", pk) for pk in gap.log_ids)]
    return reverse("admin:faq_faq_unanswered_draft") + "?" + urlencode(params)


def unanswered_view(model_admin, request):
    allowed = require_cities(request, READ_ROLES)
    writable = set(cities(request, WRITE_ROLES).values_list("pk", flat=True))
    try:
        days = max(1, min(365, int(request.GET.get("days", 30))))
    except ValueError:
        days = 30
    kind = request.GET.get("kind", "")
    kind = kind if kind in unanswered.KINDS else ""
    by = "candidate" if request.GET.get("by") == "candidate" else "text"
    municipality = None
    if request.GET.get("municipality"):
        municipality = (
            allowed.filter(pk=request.GET["municipality"]).first() if request.GET["municipality"].isdigit() else None
        )
        if municipality is None:
            return redirect(request.path)
    questions = questions_for(allowed, days=days, municipality=municipality, kind=kind)
    gaps = group_gaps(questions, {m.pk: m for m in allowed}, by=by)
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
        "dashboard/admin/unanswered.html",
        editor_context(
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
                (unanswered.HANDED_OFF, _("handed off")),
                (unanswered.ASKED_BACK, _("asked back")),
                (unanswered.UNHELPFUL, _("thumbs down")),
            ],
        ),
    )
