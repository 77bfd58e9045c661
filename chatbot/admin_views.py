"""'Try a question' for editors: the ranked candidates with their scores and the bot's decision.

An editor page of the FAQ admin (``config.admin`` serves it at ``admin/faq/faq/try/``): it runs
the real answering path, so what it shows is what a resident would get.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from conversations.models import AnswerStatus, Reason
from faq.forms import TryForm
from faq.views import READ_ROLES, editor_context, require_cities, with_defaults
from languages import registry

from . import calibration, compose, engine
from . import decision as decision_rules

log = logging.getLogger(__name__)


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
        t = decision_rules.Thresholds.for_municipality(municipality)
        return {k: getattr(t, k) for k in ("answer", "margin", "ask_back_floor") if hasattr(t, k)}
    except Exception:  # the thresholds are informative only
        return {}


def _replies(decision, municipality, language: str) -> list:
    """What the resident would read, in the language the bot answers in (the question's, when it is
    clearly written in another language than the one chosen), with the offer to switch."""
    try:
        replies = compose.render(decision, municipality, decision.language or language)
    except Exception:  # the preview must not break the page
        log.exception("could not render the reply preview")
        return []
    offer = compose.language_offer(decision)
    return [*replies, offer] if offer else replies


def try_view(model_admin, request):
    allowed = require_cities(request, READ_ROLES)
    form = TryForm(with_defaults(request.GET, allowed, language="ja"), municipalities=allowed)
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
                status_label=_label(AnswerStatus, status),
                status=str(status),
                reason_label=_label(Reason, reason),
                candidates=_candidate_rows(decision),
                thresholds=_thresholds(municipality),
                replies=_replies(decision, municipality, language),
                municipality=municipality,
                written_in=registry.staff_name(decision.written_in) if decision.written_in else "",
                chosen_language=registry.staff_name(language),
            )
    return TemplateResponse(
        request, "chatbot/admin/try.html", editor_context(model_admin, request, _("Try a question"), **context)
    )


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def calibration_view(model_admin, request, object_id: str):
    """The thresholds a city's own labels support, shown to its administrators before they apply them."""
    municipality = model_admin.get_object(request, object_id)
    if municipality is None or not model_admin.has_view_permission(request, municipality):
        raise PermissionDenied
    may_apply = model_admin.has_change_permission(request, municipality)
    target = 0.8
    proposal = calibration.propose(municipality, target=target)
    if request.method == "POST":
        if not may_apply:
            raise PermissionDenied
        if proposal is not None and proposal.choice.met:
            municipality.answer_threshold = proposal.choice.threshold
            municipality.answer_margin = proposal.choice.margin
            municipality.save(update_fields=["answer_threshold", "answer_margin"])
            messages.success(request, _("The new threshold and margin answer from now on."))
        return redirect("admin:conversations_municipality_change", municipality.pk)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "original": municipality,
        "title": _("Calibrate from the city's own labels"),
        "proposal": proposal.as_dict() if proposal else None,
        "met": bool(proposal and proposal.choice.met),
        "min_labels": calibration.MIN_LABELS,
        "target": f"{target:.0%}",  # "80%": a share of the answers
        "may_apply": may_apply,
    }
    return TemplateResponse(request, "chatbot/admin/calibration.html", context)
