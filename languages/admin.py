"""Editors' pages for the translation cache and the glossary."""

from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from conversations.tenancy import Role, TenantScopedAdmin

from .models import CachedTranslation, GlossaryTerm


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


@admin.register(CachedTranslation)
class CachedTranslationAdmin(SharedRowsAdmin):
    list_display = [
        "short_source",
        "source_language",
        "target_language",
        "is_curated",
        "backend",
        "municipality",
        "updated_at",
    ]
    list_filter = ["is_curated", "target_language", "backend", "municipality"]
    search_fields = ["source_text", "text"]
    fields = [
        "municipality",
        "source_language",
        "target_language",
        "source_text",
        "text",
        "is_curated",
        "backend",
        "corrected_by",
        "updated_at",
    ]
    readonly_fields = ["backend", "corrected_by", "updated_at"]

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
            if not change:
                obj.backend = "editor"
        super().save_model(request, obj, form, change)


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(SharedRowsAdmin):
    list_display = ["japanese", "language", "term", "municipality", "is_active", "updated_at"]
    list_filter = ["language", "is_active", "municipality"]
    search_fields = ["japanese", "term"]
    fields = ["municipality", "japanese", "language", "term", "is_active"]
