"""Model reports in the admin: what check_model found and why calls failed, read-only."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import ModelReport


@admin.register(ModelReport)
class ModelReportAdmin(admin.ModelAdmin):
    list_display = ["last_seen", "source", "model", "ok", "problem", "short_advice", "count"]
    list_filter = ["ok", "source", "problem", "model"]
    search_fields = ["advice", "model"]
    readonly_fields = [f.name for f in ModelReport._meta.fields]

    @admin.display(description=_("what to do"))
    def short_advice(self, obj):
        return obj.advice[:160] + ("…" if len(obj.advice) > 160 else "")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
