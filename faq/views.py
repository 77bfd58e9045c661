"""The editors' FAQ pages in the admin: import and export, and what every editor page shares.

Each view takes the FAQ admin and the request (``FAQAdmin.get_urls`` serves them, behind the
admin's login), and every query is limited to the municipalities the user holds a role in.
"Try a question" (``chatbot.admin_views``) and the unanswered questions (``dashboard.admin_views``)
are editor pages too; ``config.admin`` adds them to the FAQ admin's address space.
"""

from __future__ import annotations

import io
import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from conversations.models import Membership
from conversations.tenancy import municipalities_for

from . import importing
from .forms import ExportForm, ImportForm

log = logging.getLogger(__name__)
Role = Membership.Role

WRITE_ROLES = (Role.CITY_ADMIN, Role.EDITOR)
READ_ROLES = (Role.CITY_ADMIN, Role.EDITOR, Role.STAFF)
MAX_ERRORS_SHOWN = 500


def cities(request, roles) -> object:
    return municipalities_for(request.user, roles)


def editor_context(model_admin, request, title: str, **extra) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "has_write": cities(request, WRITE_ROLES).exists(),
        **extra,
    }


def with_defaults(query, allowed, **defaults):
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


def require_cities(request, roles):
    allowed = cities(request, roles)
    if not allowed.exists():
        raise PermissionDenied
    return allowed


# ----------------------------------------------------------------------------------------------
# Import and export
# ----------------------------------------------------------------------------------------------


def import_view(model_admin, request):
    allowed = require_cities(request, WRITE_ROLES)
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
            result.rejected,
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
        editor_context(
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
    allowed = require_cities(request, READ_ROLES)
    form = ExportForm(with_defaults(request.GET, allowed, kind="faq", format="csv"), municipalities=allowed)
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
        request, "faq/admin/export.html", editor_context(model_admin, request, _("Export FAQ entries"), form=form)
    )
