from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from chatbot.tenancy import Role, TenantScopedAdmin

from .models import FAQ, Chunk, FAQTranslation, Page


class TranslationInline(admin.StackedInline):
    model = FAQTranslation
    extra = 0


@admin.register(FAQ)
class FAQAdmin(TenantScopedAdmin, SimpleHistoryAdmin):
    roles = (Role.CITY_ADMIN, Role.EDITOR)
    read_roles = (Role.STAFF,)
    list_display = ["external_id", "question", "category", "department", "status", "valid_until", "updated_at"]
    list_filter = ["status", "category", "department", "municipality"]
    search_fields = ["external_id", "question", "answer"]
    inlines = [TranslationInline]


@admin.register(Page)
class PageAdmin(TenantScopedAdmin):
    roles = (Role.CITY_ADMIN, Role.EDITOR)
    list_display = ["title", "url", "fetched_at", "changed_at", "gone_at"]
    list_filter = ["municipality"]
    search_fields = ["title", "url"]


@admin.register(Chunk)
class ChunkAdmin(TenantScopedAdmin):
    roles = (Role.CITY_ADMIN, Role.EDITOR)
    list_display = ["page", "position", "heading_path"]
    search_fields = ["text"]
