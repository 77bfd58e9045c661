from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import AnswerLog, Conversation, InboundEvent, Membership, Message, Municipality, Resident
from .tenancy import Role, TenantScopedAdmin


@admin.register(Municipality)
class MunicipalityAdmin(TenantScopedAdmin):
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

    def get_queryset(self, request):
        qs = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return qs
        return qs.filter(pk__in=self._cities(request))

    def _allowed(self, request, obj, write):
        if request.user.is_superuser:
            return True
        cities = self._cities(request, write=write)
        return cities.exists() if obj is None else cities.filter(pk=obj.pk).exists()

    def has_add_permission(self, request):
        return request.user.is_superuser


@admin.register(Membership)
class MembershipAdmin(TenantScopedAdmin):
    list_display = ["user", "municipality", "role", "department"]
    list_filter = ["role", "municipality"]


class MessageInline(admin.TabularInline):
    model = Message
    fields = ["created_at", "sender", "text", "language", "translation", "delivery"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Conversation)
class ConversationAdmin(TenantScopedAdmin):
    roles = (Role.CITY_ADMIN,)
    read_roles = (Role.STAFF,)
    list_display = ["id", "municipality", "resident", "state", "owner", "updated_at"]
    list_filter = ["state", "municipality"]
    readonly_fields = ["municipality", "resident", "state", "owner", "unhelpful_streak"]
    inlines = [MessageInline]


@admin.register(Resident)
class ResidentAdmin(TenantScopedAdmin):
    read_roles = (Role.STAFF,)
    list_display = ["id", "municipality", "channel", "language", "last_seen_at", "unfollowed_at"]
    list_filter = ["channel", "language", "municipality"]
    readonly_fields = ["channel_user_id"]


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
