"""The staff console under /console/: queue, conversation, actions, live events and timing figures.

Every page is scoped by ``handoff.access``: a ticket outside the user's municipality (or department)
is a 404. Actions are plain POST forms (redirect after post); the small script in
``static/handoff/console.js`` adds live refresh, alerts and the translation preview.
"""

from __future__ import annotations

import json
from functools import wraps

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import close_old_connections
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_POST

from conversations import live
from conversations.http import client_ip
from conversations.masking import mask
from conversations.models import AnswerLog, Channel, Message
from faq import retrieval
from faq.models import FAQ
from languages import registry
from languages.translation import StaffTranslation
from languages.translation.backends import get_backend

from . import access, candidates, gist, services, stats
from .models import AuditEvent, CannedReply, Ticket
from .written_language import language_label

PREVIEW_SALT = "handoff.reply-preview"
LANGUAGE_NAMES = dict(settings.LANGUAGES)
CHANNEL_NAMES = dict(Channel.choices)


def poll_seconds() -> int:
    return int(settings.HANDOFF_POLL_SECONDS)


def sse_seconds() -> float:
    return float(settings.HANDOFF_SSE_SECONDS)


def sse_heartbeat() -> float:
    return float(settings.HANDOFF_SSE_HEARTBEAT_SECONDS)


def console_view(view):
    """Logged in (the console's own login page) and a staff or city-admin membership; else 403."""

    @login_required(login_url="handoff:login")
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not access.may_use_console(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


class ConsoleLogin(auth_views.LoginView):
    template_name = "handoff/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return reverse("handoff:queue")


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("handoff:login")


# --- queue ------------------------------------------------------------------------------------------


def _language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code or "ja", code)


def _language_label(code: str) -> str:
    """The language's name as staff read it (the console's language), e.g. ベトナム語."""
    return registry.staff_name(code or "ja") or _language_name(code)


def _decorate(ticket: Ticket, now) -> Ticket:
    ticket.masked_question = mask(ticket.question_ja or ticket.question)
    ticket.language_name = _language_name(ticket.language or ticket.conversation.resident.language)
    ticket.language_label = _language_label(ticket.language or ticket.conversation.resident.language)
    ticket.channel_name = CHANNEL_NAMES.get(ticket.conversation.resident.channel, ticket.conversation.resident.channel)
    ticket.wait_minutes = int((now - ticket.created_at).total_seconds() // 60)
    ticket.state = ticket.conversation.state
    ticket.likely = candidates.plausible(ticket.candidates, ticket.municipality)
    ticket.guesses = ticket.likely[: candidates.SHOWN_IN_QUEUE]
    ticket.gist = [] if ticket.question_ja else _gist(ticket.question, ticket.language, ticket.municipality)
    return ticket


def _gist(text: str, stored_language: str, municipality) -> list[str]:
    """The glossary's Japanese terms for an untranslated foreign text, so staff get its gist offline."""
    return gist.keywords(text, language_label(text, stored_language), municipality)


def _queue_context(request: HttpRequest) -> dict:
    department = request.GET.get("department", "")
    mine = request.GET.get("mine") == "1"
    qs = (
        access.tickets(request.user)
        .filter(status=Ticket.Status.OPEN)
        .select_related("conversation__resident", "conversation__owner", "assignee", "municipality")
    )
    if department:
        qs = qs.filter(department=department)
    if mine:
        qs = qs.filter(assignee=request.user)
    now = timezone.now()
    tickets = [_decorate(t, now) for t in qs.order_by("priority", "created_at")[:300]]
    waiting = [t for t in tickets if t.state == "waiting"]
    held = [t for t in tickets if t.state != "waiting"]
    all_departments = sorted(
        {d for d in access.tickets(request.user).values_list("department", flat=True).distinct() if d}
    )
    return {
        "waiting": waiting,
        "held": held,
        "department": department,
        "mine": mine,
        "departments": all_departments,
        "multi_city": access.municipalities(request.user).count() > 1,
    }


@console_view
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    return render(request, "handoff/queue.html", _page_context(request) | _queue_context(request))


@console_view
@require_GET
def queue_rows(request: HttpRequest) -> HttpResponse:
    return render(request, "handoff/_queue_rows.html", _queue_context(request))


def _page_context(request: HttpRequest) -> dict:
    return {
        "live_mode": "sse" if live.enabled() else "poll",
        "poll_seconds": poll_seconds(),
        "is_admin_anywhere": request.user.is_superuser
        or access.memberships(request.user).filter(role="city_admin").exists(),
    }


# --- server-sent events -------------------------------------------------------------------------------


@console_view
@require_GET
def events(request: HttpRequest) -> HttpResponse:
    """Live updates for the user's municipalities, from Redis pub/sub. 204 (stop, poll instead) without Redis."""
    if not live.enabled():
        return HttpResponse(status=204)
    city_ids = access.municipalities(request.user).values_list("pk", flat=True)
    channels = [live.channel_name("console", pk) for pk in city_ids]
    if not channels:
        return HttpResponse(status=204)

    def stream():
        close_old_connections()  # do not hold a database connection while waiting for events
        subscription = live.listen(channels, heartbeat=sse_heartbeat(), max_seconds=sse_seconds())
        try:
            yield f"retry: {poll_seconds() * 1000}\n: connected\n\n"  # subscribed: nothing published is lost
            for event in subscription:
                if event is None:
                    yield ": keepalive\n\n"
                else:
                    yield f"event: update\ndata: {json.dumps(event, ensure_ascii=False)}\n\n"
        finally:
            subscription.close()

    response = StreamingHttpResponse(stream(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


# --- one ticket -----------------------------------------------------------------------------------------


def _thread(ticket: Ticket) -> list[dict]:
    """Messages and internal notes in time order, with the bot's candidates for each question."""
    conversation = ticket.conversation
    rows = list(
        Message.objects.filter(conversation=conversation, unsent_at__isnull=True)
        .exclude(delivery=Message.Delivery.DROPPED)
        .select_related("staff_user")
        .order_by("-created_at", "-id")[:200]
    )
    rows.reverse()
    # Messages of earlier hand-offs (before the previous ticket was resolved) are shown faded.
    boundary = (
        Ticket.objects.filter(conversation=conversation, resolved_at__lte=ticket.created_at)
        .exclude(pk=ticket.pk)
        .order_by("-resolved_at")
        .values_list("resolved_at", flat=True)
        .first()
    )
    logs = {
        log.message_id: log
        for log in AnswerLog.objects.filter(conversation=conversation, message_id__in=[m.pk for m in rows])
    }
    items: list[dict] = []
    for m in rows:
        original = m.translation if m.translation_language == "ja" else ""
        language = language_label(m.text, m.language, original)  # the bot's untranslated answer is Japanese
        is_japanese = registry.reads_japanese(language)
        japanese = "" if is_japanese else original
        inbound = m.direction == Message.Direction.INBOUND
        log_row = logs.get(m.pk)
        items.append(
            {
                "type": "message",
                "at": m.created_at,
                "message": m,
                "language": language,
                "language_name": _language_name(language),
                "language_label": _language_label(language),
                "is_japanese": is_japanese,
                "japanese": japanese,
                "gist": gist.keywords(m.text, language, ticket.municipality) if inbound and not japanese else [],
                "log": log_row,
                "candidates": candidates.plausible(log_row.candidates, ticket.municipality) if log_row else [],
                "current": boundary is None or m.created_at > boundary,
            }
        )
    for note in ticket.notes.select_related("author"):
        items.append({"type": "note", "at": note.created_at, "note": note})
    items.sort(key=lambda item: item["at"])
    return items


def _ticket_context(request: HttpRequest, ticket: Ticket) -> dict:
    now = timezone.now()
    _decorate(ticket, now)
    conversation = ticket.conversation
    resident_language = conversation.resident.language or ticket.language or "ja"
    canned = CannedReply.objects.filter(municipality=ticket.municipality, is_active=True).prefetch_related(
        "translations"
    )
    canned = [c for c in canned if not c.department or c.department == ticket.department]
    draft = services.draft_texts(ticket)
    holder = conversation.owner if conversation.state == "staff" else None
    return {
        "ticket": ticket,
        "conversation": conversation,
        "holder": holder,
        "i_hold": holder is not None and holder.pk == request.user.pk,
        # who handled it: the holder now; once resolved, who held it (else who resolved it)
        "handler": holder or (None if ticket.is_open else ticket.assignee or ticket.resolved_by),
        "is_city_admin": access.is_city_admin(request.user, ticket.municipality_id),
        "resident_language": resident_language,
        "resident_language_name": _language_name(resident_language),
        "resident_language_label": _language_label(resident_language),
        "needs_translation": not registry.reads_japanese(resident_language),
        "translator_configured": get_backend().enabled,
        "canned_replies": [
            {"id": c.pk, "title": c.title, "text": c.text_ja, "curated": c.text_for(resident_language) is not None}
            for c in canned
        ],
        "colleagues": access.colleagues(ticket.municipality),
        "departments": services.departments(ticket.municipality),
        "outcomes": Ticket.Outcome.choices,
        "faq_options": faq_options(ticket) if ticket.is_open else [],
        "thread": _thread(ticket),
        "draft": draft,
        "draft_language_label": _language_label(draft.question_language),
        "draft_gist": gist.keywords(ticket.question, draft.question_language, ticket.municipality),
        "next_opening": ticket.next_opening_at,
    }


@console_view
@require_GET
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = access.ticket_or_404(request.user, pk)
    services.audit(request.user, AuditEvent.Action.VIEW, ticket=ticket, ip=client_ip(request))
    if ticket.conversation.owner_id == request.user.pk and ticket.unread:
        Ticket.objects.filter(pk=ticket.pk).update(unread=0)
    return render(request, "handoff/ticket.html", _page_context(request) | _ticket_context(request, ticket))


@console_view
@require_GET
def ticket_thread(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = access.ticket_or_404(request.user, pk)
    return render(request, "handoff/_thread.html", {"ticket": ticket, "thread": _thread(ticket)})


# Where an action leaves the staff member on the ticket page: back at the form they used (or what it
# changed), not at the top of the page. console.js shows the action's message there and focuses it.
AT_REPLY = "reply-form"
AT_NOTE = "note-form"
AT_ACTIONS = "actions"
AT_RESOLVE = "resolve-form"
AT_FACTS = "ticket-facts"
AT_FAQ_DRAFT = "faq-draft"


def _back_to(pk: int, anchor: str) -> HttpResponse:
    return redirect(f"{reverse('handoff:ticket', kwargs={'pk': pk})}#{anchor}")


def _act(
    request: HttpRequest,
    pk: int,
    action,
    success: str,
    *,
    anchor: str,
    done_at: str = "",
    to_queue: bool = False,
) -> HttpResponse:
    """Do a staff action; back to the ticket at ``anchor`` (``done_at`` once it succeeded), or to the queue."""
    ticket = access.ticket_or_404(request.user, pk)
    try:
        action(ticket)
    except services.ConsoleError as exc:
        flash.error(request, str(exc))
        if isinstance(exc, services.AlreadyTaken) and request.POST.get("from") == "queue":
            return redirect("handoff:queue")
        return _back_to(ticket.pk, anchor)
    if success:
        flash.success(request, success)
    if to_queue:
        return redirect("handoff:queue")
    return _back_to(ticket.pk, done_at or anchor)


@console_view
@require_POST
def claim(request: HttpRequest, pk: int) -> HttpResponse:
    def do(ticket):
        services.claim(ticket, request.user, ip=client_ip(request))

    return _act(request, pk, do, _("You are handling this ticket."), anchor=AT_ACTIONS, done_at=AT_REPLY)


@console_view
@require_POST
def release(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda t: services.release(t, request.user, ip=client_ip(request)),
        _("The ticket is back in the queue."),
        anchor=AT_ACTIONS,
        to_queue=True,
    )


@console_view
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = access.ticket_or_404(request.user, pk)
    assignee = access.colleagues(ticket.municipality).filter(pk=request.POST.get("user") or 0).first()
    if assignee is None:
        flash.error(request, _("Please choose a colleague."))
        return _back_to(ticket.pk, AT_ACTIONS)
    return _act(
        request,
        pk,
        lambda t: services.assign(t, request.user, assignee, ip=client_ip(request)),
        _("Assigned to %(name)s.") % {"name": assignee.get_username()},
        anchor=AT_ACTIONS,
    )


@console_view
@require_POST
def transfer(request: HttpRequest, pk: int) -> HttpResponse:
    department = (request.POST.get("department_other") or request.POST.get("department") or "").strip()
    if not department:
        flash.error(request, _("Please choose a department."))
        return _back_to(pk, AT_ACTIONS)
    return _act(
        request,
        pk,
        lambda t: services.transfer(t, request.user, department, ip=client_ip(request)),
        _("Transferred to %(department)s.") % {"department": department},
        anchor=AT_ACTIONS,
        to_queue=True,
    )


def _canned(request: HttpRequest, ticket: Ticket) -> CannedReply | None:
    pk = request.POST.get("canned") or ""
    if not pk.isdigit():
        return None
    return CannedReply.objects.filter(pk=pk, municipality=ticket.municipality).prefetch_related("translations").first()


@console_view
@require_POST
def preview(request: HttpRequest, pk: int) -> JsonResponse:
    """What will be sent for the Japanese text: the translation, and whether it is machine-made or curated."""
    ticket = access.ticket_or_404(request.user, pk)
    text_ja = request.POST.get("text", "").strip()
    # A machine translation comes with its back-translation: what it says, for staff who cannot read it.
    result = services.prepare_reply(ticket, text_ja, _canned(request, ticket), preview=True)
    resident_language = ticket.conversation.resident.language or ticket.language or "ja"
    warning = ""
    if not registry.reads_japanese(resident_language) and not result.translated:
        warning = _("No translation is available: the resident (%(language)s) will receive your Japanese text.") % {
            "language": _language_label(resident_language)
        }
    curated = services.is_curated(result)
    token = signing.dumps(
        {"k": ticket.pk, "t": text_ja, "x": result.text, "l": result.language, "m": result.machine, "c": curated},
        salt=PREVIEW_SALT,
        compress=True,
    )
    sent = services.sent_language(result)
    return JsonResponse(
        {
            "text": result.text,
            "language": sent,
            "language_name": _language_name(sent),
            "language_label": _language_label(sent),
            "machine_translated": result.machine,
            "curated": curated,
            "notice": services.machine_translation_notice(result.language) if result.machine else "",
            "warning": warning,
            "back_translation": result.back_translation,
            "token": token,
        }
    )


def _prepared(request: HttpRequest, ticket: Ticket, text_ja: str) -> StaffTranslation | None:
    """The translation shown in this ticket's preview, when the text was not changed after it: what you saw is sent."""
    token = request.POST.get("preview_token", "")
    if not token:
        return None
    try:
        data = signing.loads(token, salt=PREVIEW_SALT, max_age=3600)
    except signing.BadSignature:
        return None
    if data.get("k") != ticket.pk or data.get("t") != text_ja.strip():
        return None
    machine, curated = bool(data["m"]), bool(data["c"])
    return StaffTranslation(text_ja.strip(), data["x"], data["l"], translated=machine or curated, machine=machine)


@console_view
@require_POST
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = access.ticket_or_404(request.user, pk)
    text_ja = request.POST.get("text", "")
    canned = _canned(request, ticket)
    return _act(
        request,
        pk,
        lambda t: services.reply(
            t, request.user, text_ja, prepared=_prepared(request, ticket, text_ja), canned=canned, ip=client_ip(request)
        ),
        _("Reply sent."),
        anchor=AT_REPLY,
    )


@console_view
@require_POST
def note(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda t: services.add_note(t, request.user, request.POST.get("text", ""), ip=client_ip(request)),
        _("Note saved (not sent to the resident)."),
        anchor=AT_NOTE,
    )


@console_view
@require_POST
def resolve(request: HttpRequest, pk: int) -> HttpResponse:
    outcome = request.POST.get("outcome", "")
    if outcome not in Ticket.Outcome.values:
        flash.error(request, _("Please choose an outcome."))
        return _back_to(pk, AT_RESOLVE)

    def do(ticket):
        answered_with = _chosen_faq(ticket, request.POST.get("faq", ""))
        if not services.resolve(
            ticket,
            outcome=outcome,
            actor=request.user,
            note=request.POST.get("note", ""),
            ip=client_ip(request),
            faq=answered_with,
        ):
            raise services.ConsoleError(_("This ticket is already resolved."))

    return _act(
        request, pk, do, _("Resolved. The bot answers this resident again."), anchor=AT_RESOLVE, done_at=AT_FACTS
    )


def _chosen_faq(ticket: Ticket, value: str) -> FAQ | None:
    """The FAQ entry a staff member chose when resolving: one of the ticket's city, or none."""
    if not value.isdigit():
        return None
    return FAQ.objects.filter(pk=int(value), municipality_id=ticket.municipality_id).first()


@console_view
def faq_search(request: HttpRequest, pk: int) -> JsonResponse:
    """FAQ entries of the ticket's city for the resolve step's "answered with" box (JSON)."""
    ticket = access.ticket_or_404(request.user, pk)
    return JsonResponse({"entries": faq_options(ticket, request.GET.get("q", ""))})


def faq_options(ticket: Ticket, query: str = "") -> list[dict]:
    """The entries the bot found for the ticket's question, or those a staff member's words find."""
    query = " ".join(query.split())[:200]
    found: list[FAQ] = []
    if query:
        ids = [c.id for c in retrieval.search(ticket.municipality, query, language="ja", k=8) if c.kind == "faq"]
        found = list(FAQ.objects.filter(pk__in=ids))
        found.sort(key=lambda f: ids.index(f.pk))
        words = FAQ.objects.answerable(ticket.municipality).filter(
            Q(question__icontains=query) | Q(external_id__iexact=query)
        )
        found += [f for f in words[:8] if f not in found]
    else:
        likely = candidates.plausible(ticket.candidates, ticket.municipality)
        ids = [c.get("id") for c in likely if c.get("kind") == "faq"]
        found = list(FAQ.objects.answerable(ticket.municipality).filter(pk__in=[i for i in ids if isinstance(i, int)]))
    return [{"id": f.pk, "external_id": f.external_id, "question": f.question} for f in found[:10]]


@console_view
@require_POST
def faq_draft(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = access.ticket_or_404(request.user, pk)
    try:
        faq = services.make_faq_draft(
            ticket,
            request.user,
            question=request.POST.get("question", ""),
            answer=request.POST.get("answer", ""),
            ip=client_ip(request),
        )
    except services.ConsoleError as exc:
        flash.error(request, str(exc))
        return _back_to(ticket.pk, AT_FAQ_DRAFT)
    flash.success(request, _("FAQ draft %(id)s saved for the editors.") % {"id": faq.external_id})
    return _back_to(ticket.pk, AT_FAQ_DRAFT)


# --- timing figures ---------------------------------------------------------------------------------------


@console_view
@require_GET
def stats_view(request: HttpRequest) -> HttpResponse:
    try:
        days = max(1, min(366, int(request.GET.get("days", "30"))))
    except ValueError:
        days = 30
    report = stats.report(access.tickets(request.user), days=days, no_department=_("(no department)"))
    report.total.key = pgettext("stats row: every ticket", "All")
    context = {"report": report, "days": days, "total_rows": [report.total]}
    return render(request, "handoff/stats.html", _page_context(request) | context)
