"""The editors' side of the knowledge: FAQ entries with history and curated translations, the
homepage index (read-only: the site is its source), and the pages of ``faq.views``."""

from __future__ import annotations

import datetime as dt
import json

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from conversations.models import AnswerLog
from conversations.tenancy import Role, TenantScopedAdmin, municipalities_for
from llm import budget
from llm import client as llm_client

from . import learning, views
from .forms import FAQForm
from .history import FullChanges
from .models import FAQ, Chunk, FAQTranslation, LearnedPhrasing, Page
from .signals import drafted_from_questions

EXPIRING_DAYS = 30
REVIEW_AFTER_DAYS = 365
PUBLISH = "_publish"  # the draft page's "Publish" button
FROM_QUESTIONS = "from_questions"  # the add form's answer logs, when "Create FAQ from this" opened it


def _question_ids(value: str) -> list[int]:
    return [int(v) for v in value.split(",") if v.isdigit() and len(v) < 19][:5000]


# ----------------------------------------------------------------------------------------------
# Filters
# ----------------------------------------------------------------------------------------------


class MunicipalityFilter(admin.SimpleListFilter):
    """The municipality filter, listing only the user's own municipalities (shown when there are several)."""

    title = _("municipality")
    parameter_name = "municipality"

    def lookups(self, request, model_admin):
        allowed = municipalities_for(request.user, model_admin.roles + model_admin.read_roles)
        if allowed.count() < 2:
            return []
        return [(str(m.pk), str(m)) for m in allowed]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(municipality_id=int(self.value()))
        return queryset


class ValidityFilter(admin.SimpleListFilter):
    title = _("validity")
    parameter_name = "validity"

    def lookups(self, request, model_admin):
        return [
            ("current", _("valid now")),
            ("expiring", _("expiring within %(days)s days") % {"days": EXPIRING_DAYS}),
            ("expired", _("expired")),
            ("future", _("not yet valid")),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        soon = today + dt.timedelta(days=EXPIRING_DAYS)
        started = Q(valid_from__isnull=True) | Q(valid_from__lte=today)
        not_ended = Q(valid_until__isnull=True) | Q(valid_until__gte=today)
        if self.value() == "current":
            return queryset.filter(started, not_ended)
        if self.value() == "expiring":
            return queryset.filter(valid_until__gte=today, valid_until__lte=soon)
        if self.value() == "expired":
            return queryset.filter(valid_until__lt=today)
        if self.value() == "future":
            return queryset.filter(valid_from__gt=today)
        return queryset


class HitsFilter(admin.SimpleListFilter):
    title = _("answered residents")
    parameter_name = "hits"

    def lookups(self, request, model_admin):
        return [("never", _("never hit")), ("hit", _("hit at least once"))]

    def queryset(self, request, queryset):
        if self.value() == "never":
            return queryset.filter(hit_count=0)
        if self.value() == "hit":
            return queryset.filter(hit_count__gt=0)
        return queryset


class ReviewFilter(admin.SimpleListFilter):
    title = _("last review")
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("due", _("due (never, or over a year ago)")), ("recent", _("within a year"))]

    def queryset(self, request, queryset):
        limit = timezone.now() - dt.timedelta(days=REVIEW_AFTER_DAYS)
        if self.value() == "due":
            return queryset.filter(Q(last_reviewed_at__isnull=True) | Q(last_reviewed_at__lt=limit))
        if self.value() == "recent":
            return queryset.filter(last_reviewed_at__gte=limit)
        return queryset


class GoneFilter(admin.SimpleListFilter):
    title = _("on the site")
    parameter_name = "gone"

    def lookups(self, request, model_admin):
        return [("no", _("present")), ("yes", _("disappeared"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(gone_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(gone_at__isnull=False)
        return queryset


# ----------------------------------------------------------------------------------------------
# FAQ entries
# ----------------------------------------------------------------------------------------------


class TranslationInline(admin.StackedInline):
    """Curated translations, editable by whoever may edit the entry."""

    model = FAQTranslation
    extra = 0
    fields = ["language", "question", "answer", "contact"]
    verbose_name = _("curated translation")
    verbose_name_plural = _("curated translations (used before machine translation)")

    def _allowed(self, request, obj, write: bool) -> bool:
        parent = self.admin_site._registry[FAQ]
        return parent._allowed(request, obj, write=write)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, obj, write=False)

    def has_add_permission(self, request, obj=None):
        return self._allowed(request, obj, write=True)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, obj, write=True)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request, obj, write=True)


@admin.register(FAQ)
class FAQAdmin(TenantScopedAdmin, SimpleHistoryAdmin):
    roles = (Role.CITY_ADMIN, Role.EDITOR)
    read_roles = (Role.STAFF,)
    form = FAQForm
    list_display = [
        "external_id",
        "short_question",
        "category",
        "department",
        "status",
        "valid_until",
        "hits",
        "last_reviewed_at",
        "updated_at",
    ]
    list_display_links = ["external_id", "short_question"]
    list_filter = [
        "status",
        ValidityFilter,
        HitsFilter,
        ReviewFilter,
        "category",
        "department",
        MunicipalityFilter,
    ]
    search_fields = ["external_id", "question", "answer", "contact"]
    list_per_page = 50
    inlines = [TranslationInline]
    actions = ["publish", "unpublish", "mark_reviewed"]
    readonly_fields = ["hits", "source_link", "last_reviewed_by", "last_reviewed_at", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["municipality", "external_id", "status", "question", "alt_questions", "answer"]}),
        (
            _("Who to contact and where to read more"),
            {"fields": ["category", "department", "contact", "url", "source_link"]},
        ),
        (
            _("Validity"),
            {
                "fields": ["valid_from", "valid_until"],
                "description": _("Outside these dates the entry stops answering but is kept."),
            },
        ),
        (
            _("Review"),
            {"fields": ["confirm_review", "last_reviewed_by", "last_reviewed_at", "hits", "created_at", "updated_at"]},
        ),
    ]
    history_list_display = ["status"]
    object_history_template = "faq/admin/history.html"
    object_history_list_template = "faq/admin/history_list.html"
    change_form_template = "faq/admin/change_form.html"

    def get_queryset(self, request):
        hits = (
            AnswerLog.objects.filter(answered_faq=OuterRef("pk"))
            .order_by()
            .values("answered_faq")
            .annotate(n=Count("pk"))
            .values("n")
        )
        qs = super().get_queryset(request).select_related("municipality")
        return qs.annotate(hit_count=Coalesce(Subquery(hits, output_field=IntegerField()), Value(0)))

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        terms = search_term.split()
        if terms:
            # Alternative phrasings are JSON: on SQLite stored with \\u escapes, so look for both forms.
            q = Q()
            for term in terms:
                q &= Q(alt_questions__icontains=term) | Q(alt_questions__icontains=json.dumps(term)[1:-1])
            results = results | queryset.filter(q)
        return results, may_have_duplicates

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if "municipality" not in initial:
            allowed = self._cities(request, write=True)
            if allowed.count() == 1:
                initial["municipality"] = allowed.first().pk
        return initial

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        can_edit = self.has_change_permission(request, obj) if obj else self.has_add_permission(request)
        if can_edit:
            return fieldsets
        # Readers see the entry, not the "I have checked it" box.
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f != "confirm_review"]}) for name, opts in fieldsets
        ]

    @admin.display(description=_("question"), ordering="question")
    def short_question(self, obj):
        return Truncator(obj.question).chars(60)

    @admin.display(description=_("answers given"), ordering="hit_count")
    def hits(self, obj):
        return getattr(obj, "hit_count", None) if obj.pk else 0

    @admin.display(description=_("source link"))
    def source_link(self, obj):
        url = obj.source_url if obj.pk else ""
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url) if url else "-"

    def save_model(self, request, obj, form, change):
        publishing = PUBLISH in request.POST and obj.status == FAQ.Status.DRAFT
        if publishing:
            obj.status = FAQ.Status.PUBLISHED
            obj._change_reason = str(_("published after review"))
        if form.cleaned_data.get("confirm_review") or publishing:  # publishing a draft is its review
            obj.last_reviewed_by = request.user
            obj.last_reviewed_at = timezone.now()
        super().save_model(request, obj, form, change)

    # -- draft, review, publish: an entry made from unanswered questions ("Create FAQ from this") or saved as a
    #    draft lands on its own page, which says it is a draft and offers "Publish".
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        drafted_from = _question_ids(request.GET.get(FROM_QUESTIONS, ""))
        extra_context = {**(extra_context or {}), "drafted_from": len(drafted_from), "publish_name": PUBLISH}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def response_add(self, request, obj, post_url_continue=None):
        drafted_from = _question_ids(request.GET.get(FROM_QUESTIONS, ""))
        if drafted_from:
            drafted_from_questions.send(FAQ, faq=obj, log_ids=drafted_from, user=request.user)
        if obj.status == FAQ.Status.DRAFT and not {"_addanother", "_popup"} & set(request.POST):
            self.message_user(
                request,
                _("Saved as a draft (%(id)s): residents do not get it yet. Review it, then publish it.")
                % {"id": obj.external_id},
                messages.WARNING,
            )
            return redirect(reverse("admin:faq_faq_change", args=[obj.pk]))
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if PUBLISH in request.POST and obj.status == FAQ.Status.PUBLISHED:
            self.message_user(
                request,
                _("Published (%(id)s): the bot answers with it from now on.") % {"id": obj.external_id},
                messages.SUCCESS,
            )
            return redirect(reverse("admin:faq_faq_change", args=[obj.pk]))
        return super().response_change(request, obj)

    # -- bulk actions: only on entries of municipalities the user may edit; saved one by one
    #    so every change lands in the history.
    def _writable(self, request, queryset):
        if request.user.is_superuser:
            return queryset
        return queryset.filter(municipality__in=self._cities(request, write=True))

    def _bulk(self, request, queryset, change, reason) -> int:
        """Apply ``change`` to each entry the user may edit; return how many changed."""
        writable = self._writable(request, queryset)
        changed = 0
        for faq in writable:
            if change(faq):
                faq._change_reason = reason
                faq.save()
                changed += 1
        skipped = queryset.count() - writable.count()
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)s entry was skipped: you may not edit it.",
                    "%(count)s entries were skipped: you may not edit them.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
        return changed

    @admin.action(description=_("Publish the selected entries"), permissions=["change"])
    def publish(self, request, queryset):
        def change(faq):
            if faq.status == FAQ.Status.PUBLISHED:
                return False
            faq.status = FAQ.Status.PUBLISHED
            return True

        n = self._bulk(request, queryset, change, "bulk publish")
        self.message_user(
            request, ngettext("%(count)s entry published.", "%(count)s entries published.", n) % {"count": n}
        )

    @admin.action(description=_("Unpublish the selected entries (back to draft)"), permissions=["change"])
    def unpublish(self, request, queryset):
        def change(faq):
            if faq.status == FAQ.Status.DRAFT:
                return False
            faq.status = FAQ.Status.DRAFT
            return True

        n = self._bulk(request, queryset, change, "bulk unpublish")
        self.message_user(
            request, ngettext("%(count)s entry unpublished.", "%(count)s entries unpublished.", n) % {"count": n}
        )

    @admin.action(description=_("Mark the selected entries as reviewed today"), permissions=["change"])
    def mark_reviewed(self, request, queryset):
        now = timezone.now()

        def change(faq):
            faq.last_reviewed_by = request.user
            faq.last_reviewed_at = now
            return True

        n = self._bulk(request, queryset, change, "marked reviewed")
        self.message_user(
            request,
            ngettext("%(count)s entry marked reviewed.", "%(count)s entries marked reviewed.", n) % {"count": n},
        )

    # -- history (django-simple-history). Its views check only the view permission, on the historical copy, and
    #    its "revert" form saves on POST with every field editable: scope both views to the entries the user
    #    may see (404 otherwise), and saving to the entries the user may edit.
    def _history_target(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:  # a deleted entry: its last copy, if that belonged to one of the user's municipalities
            pk = unquote(object_id)
            record = FAQ.history.filter(id=pk).order_by("-history_date").first() if pk.isdigit() else None
            if record is None or not self.has_view_permission(request, record.instance):
                raise Http404
            obj = record.instance
        return obj

    def history_view(self, request, object_id, extra_context=None):
        self._history_target(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def get_historical_record_context_helper(self, request, historical_record):
        return FullChanges(self.model, historical_record)  # every change whole, not cut to 100 characters

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        obj = self._history_target(request, object_id)
        if request.method == "POST" and not self.has_change_permission(request, obj):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    # -- the editors' pages
    def get_urls(self):
        def wrap(view):
            def inner(request, *args, **kwargs):
                return view(self, request, *args, **kwargs)

            return self.admin_site.admin_view(inner)

        own = [
            path("import/", wrap(views.import_view), name="faq_faq_import"),
            path("export/", wrap(views.export_view), name="faq_faq_export"),
        ]
        return own + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        links = [
            (reverse("admin:faq_faq_try"), _("Try a question")),
            (reverse("admin:faq_faq_unanswered"), _("Unanswered questions")),
        ]
        if request.user.is_superuser or self._cities(request, write=True).exists():
            links.append((reverse("admin:faq_faq_import"), _("Import")))
        links.append((reverse("admin:faq_faq_export"), _("Export")))
        extra_context = {**(extra_context or {}), "editor_links": links}
        self._warn_about_llm_budget(request)
        return super().changelist_view(request, extra_context)

    def _warn_about_llm_budget(self, request) -> None:
        """Editors learn here when the month's language-model budget is (nearly) spent."""
        if request.method != "GET" or not llm_client.enabled():
            return
        for municipality in self._cities(request):
            notice = budget.budget_notice(municipality)
            if notice:
                messages.warning(request, f"{municipality}: {notice}")


# ----------------------------------------------------------------------------------------------
# Learned phrasings: what residents, staff and editors taught the bot (faq.learning)
# ----------------------------------------------------------------------------------------------


class SourceFilter(admin.SimpleListFilter):
    title = _("source")
    parameter_name = "source"

    def lookups(self, request, model_admin):
        return LearnedPhrasing.Source.choices

    def queryset(self, request, queryset):
        if self.value() in LearnedPhrasing.Source.values:
            return queryset.filter(sightings__source=self.value()).distinct()
        return queryset


@admin.register(LearnedPhrasing)
class LearnedPhrasingAdmin(TenantScopedAdmin):
    """Editors review what the bot learned: pending wordings wait here; approved ones are searched."""

    roles = (Role.CITY_ADMIN, Role.EDITOR)
    list_display = ["text", "entry", "status", "sources", "count", "residents", "updated_at"]
    list_filter = ["status", SourceFilter, MunicipalityFilter]
    search_fields = ["text", "faq__external_id", "faq__question"]
    list_select_related = ["faq"]
    readonly_fields = ["municipality", "faq", "text", "count", "residents", "sources", "reviewed_by", "reviewed_at"]
    fields = ["municipality", "faq", "text", "status", "count", "residents", "sources", "reviewed_by", "reviewed_at"]
    actions = ["approve", "reject"]

    def has_add_permission(self, request):
        return False  # wordings come from conversations, the console, the unanswered list or `manage.py learn`

    @admin.display(description=_("FAQ entry"), ordering="faq__external_id")
    def entry(self, obj):
        return format_html("{} <span class='muted'>{}</span>", obj.faq.external_id, obj.faq.question[:40])

    @admin.display(description=_("from"))
    def sources(self, obj):
        labels = dict(LearnedPhrasing.Source.choices)
        found = obj.sightings.values_list("source", flat=True).distinct()
        return ", ".join(str(labels.get(s, s)) for s in sorted(set(found)))

    def save_model(self, request, obj, form, change):
        if "status" in form.changed_data:
            obj.reviewed_by, obj.reviewed_at = request.user, timezone.now()
        super().save_model(request, obj, form, change)

    def _review(self, request, queryset, status: str, done: str) -> None:
        writable = queryset.filter(municipality__in=self._cities(request, write=True))
        n = learning.review(writable, status, request.user)
        self.message_user(request, done % {"n": n}, messages.SUCCESS)

    @admin.action(description=_("Approve: the bot searches these wordings"))
    def approve(self, request, queryset):
        self._review(request, queryset, LearnedPhrasing.Status.APPROVED, _("%(n)s wording(s) approved."))

    @admin.action(description=_("Reject: never learn these wordings"))
    def reject(self, request, queryset):
        self._review(request, queryset, LearnedPhrasing.Status.REJECTED, _("%(n)s wording(s) rejected."))


# ----------------------------------------------------------------------------------------------
# The homepage index: read-only (the city's site is the source; re-run import_site to update)
# ----------------------------------------------------------------------------------------------


@admin.display(description=_("heading path"))
def heading_path_display(obj):
    return " › ".join(obj.heading_path or [])


class ChunkInline(admin.TabularInline):
    model = Chunk
    fields = ["position", heading_path_display, "text"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return self.admin_site._registry[Page]._allowed(request, obj, write=False)


class ReadOnlyIndexAdmin(TenantScopedAdmin):
    roles = (Role.CITY_ADMIN, Role.EDITOR)
    read_roles = (Role.STAFF,)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Page)
class PageAdmin(ReadOnlyIndexAdmin):
    list_display = ["title", "url_link", "kind", "passages", "fetched_at", "changed_at", "gone_at"]
    list_filter = [GoneFilter, "kind", MunicipalityFilter]
    search_fields = ["title", "url"]
    readonly_fields = [
        "municipality",
        "url_link",
        "title",
        "kind",
        "content_hash",
        "fetched_at",
        "changed_at",
        "gone_at",
    ]
    fields = readonly_fields
    inlines = [ChunkInline]
    actions = ["withdraw"]

    def get_queryset(self, request):
        counts = Chunk.objects.filter(page=OuterRef("pk")).order_by().values("page").annotate(n=Count("pk")).values("n")
        qs = super().get_queryset(request).select_related("municipality")
        return qs.annotate(n_chunks=Coalesce(Subquery(counts, output_field=IntegerField()), Value(0)))

    @admin.display(description=_("passages"), ordering="n_chunks")
    def passages(self, obj):
        return obj.n_chunks

    @admin.display(description=_("URL"), ordering="url")
    def url_link(self, obj):
        url = Chunk(page=obj, municipality=obj.municipality).source_url
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, obj.url)

    @admin.action(
        description=_("Stop answering from the selected pages (until the next site import)"), permissions=["withdraw"]
    )
    def withdraw(self, request, queryset):
        allowed = (
            queryset
            if request.user.is_superuser
            else queryset.filter(municipality__in=self._cities(request, write=True))
        )
        now = timezone.now()
        count = 0
        for page in allowed.filter(gone_at__isnull=True):
            page.chunks.all().delete()
            page.gone_at = now
            page.save(update_fields=["gone_at"])
            count += 1
        self.message_user(
            request, ngettext("%(count)s page withdrawn.", "%(count)s pages withdrawn.", count) % {"count": count}
        )

    def has_withdraw_permission(self, request):
        return request.user.is_superuser or self._cities(request, write=True).exists()


@admin.register(Chunk)
class ChunkAdmin(ReadOnlyIndexAdmin):
    list_display = ["page", "position", heading_path_display, "short_text"]
    list_filter = [MunicipalityFilter]
    search_fields = ["text", "page__title", "page__url"]
    readonly_fields = ["municipality", "page", "position", heading_path_display, "text", "source"]
    fields = readonly_fields
    list_select_related = ["page"]

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("source link"))
    def source(self, obj):
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', obj.source_url, obj.source_url)

    @admin.display(description=_("text"))
    def short_text(self, obj):
        return Truncator(obj.text).chars(80)
