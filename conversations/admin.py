from __future__ import annotations

import json
from typing import Any, ClassVar
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import signals
from .masking import mask, mask_json
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
            "general_contact",
            "emergency_contacts",
            "line_channel_secret",
            "line_access_token",
            "allowed_web_origins",
            "answer_threshold",
            "answer_margin",
            "learn_from_staff",
            "learn_from_editors",
            "learn_from_residents",
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
    readonly_fields = ["line_bot_user_id", "calibration"]
    list_display = ["slug", "name_ja", "name_en", "is_active"]
    search_fields = ["slug", "name_ja", "name_en"]
    fieldsets = [
        (None, {"fields": ["slug", "name_ja", "name_en", "is_active", "time_zone", "website_url"]}),
        (
            _("Texts for residents"),
            {
                "fields": [
                    "greeting_ja",
                    "disclaimer_ja",
                    "disclaimer_en",
                    "business_hours",
                    "general_contact",
                    "emergency_contacts",
                ]
            },
        ),
        (
            _("Channels"),
            {"fields": ["line_channel_secret", "line_access_token", "line_bot_user_id", "allowed_web_origins"]},
        ),
        (_("Answering and data"), {"fields": ["answer_threshold", "answer_margin", "calibration", "retention_days"]}),
        (
            _("What the bot learns without review"),
            {"fields": ["learn_from_staff", "learn_from_editors", "learn_from_residents"]},
        ),
    ]

    @admin.display(description=_("calibration"))
    def calibration(self, obj: Municipality) -> str:
        if obj.pk is None:
            return "—"
        url = reverse("admin:conversations_municipality_calibrate", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Calibrate from the city's own labels…"))

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


class EventStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("given_up", _("given up (failed)")),
            ("waiting", _("not processed yet")),
            ("retrying", _("failed, will be retried")),
            ("processed", pgettext_lazy("event status", "processed")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == "given_up":
            return queryset.filter(given_up_at__isnull=False, processed_at__isnull=True)
        if value == "waiting":
            return queryset.filter(given_up_at__isnull=True, processed_at__isnull=True)
        if value == "retrying":
            return queryset.filter(given_up_at__isnull=True, processed_at__isnull=True).exclude(last_error="")
        if value == "processed":
            return queryset.filter(processed_at__isnull=False)
        return queryset


@admin.action(description=_("Process again"), permissions=["change"])
def retry_events(modeladmin: InboundEventAdmin, request: HttpRequest, queryset: QuerySet[InboundEvent]) -> None:
    """Failed or stuck events are processed again from the start (replies already sent are not repeated)."""
    ids = list(queryset.filter(processed_at__isnull=True).values_list("pk", flat=True))
    if not ids:
        modeladmin.message_user(request, gettext_now("The selected events were already processed."), messages.INFO)
        return
    InboundEvent.objects.filter(pk__in=ids).update(given_up_at=None, attempts=0, lease_until=None, requeued_at=None)
    signals.retry_requested.send(sender=InboundEvent, event_ids=ids)
    modeladmin.message_user(
        request,
        gettext_now("%(n)d event(s) will be processed again within a minute.") % {"n": len(ids)},
        messages.SUCCESS,
    )


@admin.register(InboundEvent)
class InboundEventAdmin(TenantScopedAdmin):
    """Events as channels delivered them. Resident text is shown masked (``conversations.masking``)."""

    list_display = [
        "id",
        "municipality",
        "channel",
        "event_type",
        "received_at",
        "processed_at",
        "given_up_at",
        "attempts",
        "error",
    ]
    list_filter = [EventStatusFilter, "channel", "event_type", "municipality"]
    # As on MessageInline: a list of plain names is a valid ``fields``, but only ``readonly_fields`` types it so.
    fields: ClassVar[list[str]] = [  # type: ignore[assignment]
        "municipality",
        "channel",
        "channel_event_id",
        "event_type",
        "masked_payload",
        "is_redelivery",
        "received_at",
        "processed_at",
        "given_up_at",
        "attempts",
        "error",
        "lease_until",
        "requeued_at",
    ]
    readonly_fields = fields
    actions = [retry_events]

    @admin.display(description=_("error"))
    def error(self, obj: InboundEvent) -> str:
        return mask(obj.last_error)[:300]

    @admin.display(description=_("payload (personal data masked)"))
    def masked_payload(self, obj: InboundEvent) -> str:
        return json.dumps(mask_json(obj.payload), ensure_ascii=False, indent=2)


@admin.register(AnswerLog)
class AnswerLogAdmin(TenantScopedAdmin):
    read_roles = (Role.EDITOR, Role.STAFF)
    list_display = [
        "created_at",
        "municipality",
        "masked_query",
        "decision",
        "reason",
        "confidence",
        "feedback",
        "latency_ms",
    ]
    list_filter = ["decision", "feedback", "municipality"]
    search_fields = ["query"]
    fields: ClassVar[list[str]] = [  # type: ignore[assignment]
        f.name if f.name != "query" else "masked_query"
        for f in AnswerLog._meta.fields
        if f.name not in ("id", "message")  # the message's text is the resident's, unmasked
    ]
    readonly_fields = fields

    @admin.display(description=_("query (masked)"))
    def masked_query(self, obj: AnswerLog) -> str:
        # Stored masked; masked again on display, so that logs written before a rule was added are covered too.
        return mask(obj.query)
