from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from conversations.masking import mask
from conversations.tenancy import Role, TenantScopedAdmin

from . import access
from .models import (
    AuditEvent,
    BusinessCalendar,
    CannedReply,
    CannedReplyTranslation,
    ClosedDay,
    InternalNote,
    OpeningHours,
    Ticket,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class NoteInline(ReadOnlyInline):
    model = InternalNote
    fields = ["created_at", "author", "text"]
    readonly_fields = fields


@admin.register(Ticket)
class TicketAdmin(TenantScopedAdmin):
    roles = (Role.CITY_ADMIN,)
    read_roles = (Role.STAFF,)
    list_display = [
        "id",
        "municipality",
        "status",
        "priority",
        "reason",
        "department",
        "language",
        "masked_question",
        "created_at",
        "first_response_at",
        "resolved_at",
        "rating",
        "console_link",
    ]
    list_filter = ["status", "priority", "reason", "out_of_hours", "rating", "municipality"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "municipality",
        "conversation",
        "reason",
        "status",
        "question",
        "question_ja",
        "candidates",
        "language",
        "assignee",
        "out_of_hours",
        "next_opening_at",
        "created_at",
        "claimed_at",
        "first_response_at",
        "resolved_at",
        "resolved_by",
        "outcome",
        "outcome_note",
        "rating",
        "rated_at",
        "faq_draft",
        "unread",
        "last_resident_message_at",
    ]
    inlines = [NoteInline]

    def get_queryset(self, request):
        # The console's scope: staff with a department see that department's tickets and unrouted ones only.
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(access.scope(request.user))

    @admin.display(description=_("question (masked)"))
    def masked_question(self, obj):
        return mask(obj.question_ja or obj.question)[:80]

    @admin.display(description=_("console"))
    def console_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("handoff:ticket", args=[obj.pk]), _("Open in the console"))

    def has_add_permission(self, request):
        return False


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class ClosedDayInline(admin.TabularInline):
    model = ClosedDay
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(TenantScopedAdmin):
    roles = (Role.CITY_ADMIN,)
    read_roles = (Role.STAFF,)
    list_display = ["municipality", "observe_public_holidays", "year_end_closure", "always_open"]
    inlines = [OpeningHoursInline, ClosedDayInline]
    fieldsets = [
        (
            None,
            {
                "fields": ["municipality", "observe_public_holidays", "year_end_closure", "always_open"],
                "description": _(
                    "Without opening hours below, weekdays 8:30-17:15 apply. Outside these hours residents are "
                    "told that their question is queued and when staff are next in."
                ),
            },
        )
    ]


class CannedReplyTranslationInline(admin.TabularInline):
    model = CannedReplyTranslation
    extra = 1


@admin.register(CannedReply)
class CannedReplyAdmin(TenantScopedAdmin):
    roles = (Role.CITY_ADMIN, Role.EDITOR)
    read_roles = (Role.STAFF,)
    list_display = ["title", "municipality", "department", "is_active", "languages", "updated_at"]
    list_filter = ["is_active", "municipality"]
    search_fields = ["title", "text_ja"]
    inlines = [CannedReplyTranslationInline]

    @admin.display(description=_("curated translations"))
    def languages(self, obj):
        return ", ".join(sorted(t.language for t in obj.translations.all()))

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("translations")


@admin.register(AuditEvent)
class AuditEventAdmin(TenantScopedAdmin):
    roles = ()
    read_roles = (Role.CITY_ADMIN,)
    list_display = ["created_at", "municipality", "user", "action", "ticket", "detail", "ip_address"]
    list_filter = ["action", "municipality"]
    search_fields = ["user__username"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "created_at",
        "municipality",
        "user",
        "action",
        "ticket",
        "conversation",
        "detail",
        "ip_address",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
