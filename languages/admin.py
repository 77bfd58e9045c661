"""Editors' pages for the translation cache and the glossary."""

from django.contrib import admin, messages
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from conversations.tenancy import Role, TenantScopedAdmin

from .models import CachedTranslation, GlossaryTerm
from .translation import service


class SharedRowsAdmin(TenantScopedAdmin):
    """Rows of one municipality, plus shared rows (municipality empty) that only superusers may change."""

    roles = (Role.CITY_ADMIN, Role.EDITOR)

    def get_queryset(self, request):
        qs = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return qs
        return qs.filter(Q(municipality__in=self._cities(request)) | Q(municipality__isnull=True))

    def _allowed(self, request, obj, write):
        if request.user.is_superuser:
            return True
        if obj is not None and obj.municipality_id is None:
            return not write and self._cities(request).exists()
        return super()._allowed(request, obj, write)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        field = form.base_fields.get("municipality")
        if field is not None and not request.user.is_superuser:
            field.required = True  # only superusers create shared rows
            field.empty_label = None
        return form


class CheckFilter(admin.SimpleListFilter):
    """Machine translations that failed the check (not shown to residents until an editor corrects them)."""

    title = _("check")
    parameter_name = "check"

    def lookups(self, request, model_admin):
        return [
            ("failed", _("failed: needs an editor")),
            ("passed", _("passed")),
            ("unchecked", _("not checked yet")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "failed":
            return queryset.exclude(check_failed="")
        if self.value() == "passed":
            return queryset.filter(check_failed="", checked_at__isnull=False)
        if self.value() == "unchecked":
            return queryset.filter(check_failed="", checked_at__isnull=True, is_curated=False)
        return queryset


@admin.register(CachedTranslation)
class CachedTranslationAdmin(SharedRowsAdmin):
    list_display = [
        "short_source",
        "source_language",
        "target_language",
        "is_curated",
        "check_failed",
        "backend",
        "municipality",
        "updated_at",
    ]
    list_filter = [CheckFilter, "is_curated", "target_language", "backend", "municipality"]
    search_fields = ["source_text", "text"]
    fields = [
        "municipality",
        "source_language",
        "target_language",
        "source_text",
        "text",
        "is_curated",
        "check_failed",
        "checked_at",
        "backend",
        "corrected_by",
        "updated_at",
    ]
    readonly_fields = ["backend", "check_failed", "checked_at", "corrected_by", "updated_at"]
    actions = ["recheck"]

    @admin.action(description=_("Check the selected translations again"))
    def recheck(self, request, queryset):
        failed = sum(not service.recheck(row) for row in queryset)
        self.message_user(
            request,
            _("%(checked)d checked, %(failed)d failed the check and are flagged.")
            % {"checked": queryset.count(), "failed": failed},
            messages.WARNING if failed else messages.SUCCESS,
        )

    @admin.display(description=_("original"))
    def short_source(self, obj):
        return obj.source_text[:60]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:  # the original and its languages are the cache key: fixed once made
            fields += ["municipality", "source_language", "target_language", "source_text"]
        return fields

    def save_model(self, request, obj, form, change):
        # An editor's correction (or a translation an editor adds) counts as curated and wins from now on.
        if not change or "text" in form.changed_data:
            obj.is_curated = True
            obj.corrected_by = request.user
            obj.check_failed = ""  # an editor's text is what residents get
            if not change:
                obj.backend = "editor"
        super().save_model(request, obj, form, change)


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(SharedRowsAdmin):
    list_display = ["japanese", "language", "term", "municipality", "is_active", "updated_at"]
    list_filter = ["language", "is_active", "municipality"]
    search_fields = ["japanese", "term"]
    fields = ["municipality", "japanese", "language", "term", "is_active"]
