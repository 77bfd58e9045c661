from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from .models import AnswerLog, Conversation, InboundEvent, Membership, Message, Municipality, Resident
from .tenancy import Role, TenantScopedAdmin


class MunicipalityForm(forms.ModelForm):
    """LINE credentials are never shown again once saved; leaving a field empty keeps the stored value."""

    SECRET_FIELDS = ("line_channel_secret", "line_access_token")

    website_url = forms.URLField(
        label=_("website URL"),
        required=False,
        assume_scheme="https",
        help_text=Municipality._meta.get_field("website_url").help_text,
    )

    class Meta:
        model = Municipality
        fields = [
            "slug",
            "name_ja",
            "name_en",
            "is_active",
            "time_zone",
            "website_url",
            "greeting_ja",
            "disclaimer_ja",
            "disclaimer_en",
            "business_hours",
            "emergency_contacts",
            "line_channel_secret",
            "line_access_token",
            "allowed_web_origins",
            "answer_threshold",
            "answer_margin",
            "retention_days",
        ]
        widgets = {
            "line_channel_secret": forms.PasswordInput(render_value=False),
            "line_access_token": forms.PasswordInput(render_value=False),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.SECRET_FIELDS:
            if name in self.fields and self.instance.pk and getattr(self.instance, name):
                self.fields[name].help_text = _("Set. Leave empty to keep it; type a new value to replace it.")

    def _keep(self, name: str) -> str:
        value = self.cleaned_data.get(name, "")
        return value if value else (getattr(self.instance, name, "") if self.instance.pk else "")

    def clean_line_channel_secret(self) -> str:
        return self._keep("line_channel_secret")

    def clean_line_access_token(self) -> str:
        return self._keep("line_access_token")


@admin.register(Municipality)
class MunicipalityAdmin(TenantScopedAdmin):
    form = MunicipalityForm
    tenant_path = "pk"
    list_display = ["slug", "name_ja", "name_en", "is_active"]
    search_fields = ["slug", "name_ja", "name_en"]
    fieldsets = [
        (None, {"fields": ["slug", "name_ja", "name_en", "is_active", "time_zone", "website_url"]}),
        (
            _("Texts for residents"),
            {"fields": ["greeting_ja", "disclaimer_ja", "disclaimer_en", "business_hours", "emergency_contacts"]},
        ),
        (_("Channels"), {"fields": ["line_channel_secret", "line_access_token", "allowed_web_origins"]}),
        (_("Answering and data"), {"fields": ["answer_threshold", "answer_margin", "retention_days"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Model]:
        qs = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return qs
        return qs.filter(pk__in=self._cities(request))

    def _allowed(self, request: HttpRequest, obj: Model | None, write: bool) -> bool:
        if request.user.is_superuser:
            return True
        cities = self._cities(request, write=write)
        return cities.exists() if obj is None else cities.filter(pk=obj.pk).exists()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Deleting a tenant deletes all its data, audit log included: an operator's decision, like creating one.
        return request.user.is_superuser


@admin.register(Membership)
class MembershipAdmin(TenantScopedAdmin):
    list_display = ["user", "municipality", "role", "department"]
    list_filter = ["role", "municipality"]


class MessageInline(admin.TabularInline):
    model = Message
    # django-stubs declares ``fields`` as an invariant list of field groups (names or tuples of names): a list of
    # plain names is a valid value, but only as that list type, which ``readonly_fields`` (names only) then rejects.
    fields: ClassVar[list[str]] = ["created_at", "sender", "text", "language", "translation", "delivery"]  # type: ignore[assignment]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(TenantScopedAdmin):
    roles = (Role.CITY_ADMIN,)
    read_roles = (Role.STAFF,)
    list_display = ["id", "municipality", "resident", "state", "owner", "updated_at"]
    list_filter = ["state", "municipality"]
    readonly_fields = ["municipality", "resident", "state", "owner", "unhelpful_streak"]
    inlines = [MessageInline]


# Deleting a resident's data on request: this action opens the dashboard's confirmation page for the
# selected residents, where the reason is recorded and the deletion audited.
@admin.action(description=_("Delete personal data on request…"), permissions=["view"])
def erase_personal_data(
    modeladmin: ResidentAdmin, request: HttpRequest, queryset: QuerySet[Resident]
) -> HttpResponseRedirect | None:
    cities = set(queryset.values_list("municipality__slug", flat=True))
    if len(cities) != 1:
        modeladmin.message_user(
            request, gettext_now("Select residents of one municipality at a time."), messages.WARNING
        )
        return None
    ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
    url = reverse("dashboard:erase", args=[cities.pop()])
    return redirect(f"{url}?{urlencode({'residents': ids})}")


@admin.register(Resident)
class ResidentAdmin(TenantScopedAdmin):
    read_roles = (Role.STAFF,)
    list_display = ["id", "municipality", "channel", "language", "last_seen_at", "unfollowed_at"]
    list_filter = ["channel", "language", "municipality"]
    readonly_fields = ["channel_user_id"]
    actions = [erase_personal_data]


@admin.register(InboundEvent)
class InboundEventAdmin(TenantScopedAdmin):
    list_display = [
        "id",
        "municipality",
        "channel",
        "event_type",
        "received_at",
        "processed_at",
        "attempts",
        "last_error",
    ]
    list_filter = ["channel", "event_type", "municipality"]
    readonly_fields = [f.name for f in InboundEvent._meta.fields]


@admin.register(AnswerLog)
class AnswerLogAdmin(TenantScopedAdmin):
    read_roles = (Role.EDITOR, Role.STAFF)
    list_display = ["created_at", "municipality", "query", "decision", "reason", "confidence", "feedback", "latency_ms"]
    list_filter = ["decision", "feedback", "municipality"]
    search_fields = ["query"]
    readonly_fields = [f.name for f in AnswerLog._meta.fields]
