"""Who may see which municipality's data. Every staff-facing query goes through here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import ForeignKey, Model, QuerySet
from django.http import HttpRequest

from .models import Membership, Municipality

if TYPE_CHECKING:  # a stub-only alias (what a list_filter item may be): it does not exist at run time
    from django.contrib.admin.options import _ListFilterT

Role = Membership.Role


def municipalities_for(user: User | AnonymousUser, roles: tuple[str, ...] | None = None) -> QuerySet[Municipality]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Municipality.objects.none()
    if user.is_superuser:
        return Municipality.objects.all()
    memberships = Membership.objects.filter(user=user)
    if roles:
        memberships = memberships.filter(role__in=roles)
    return Municipality.objects.filter(pk__in=memberships.values("municipality_id"))


def has_role(user: User | AnonymousUser, roles: tuple[str, ...]) -> bool:
    return bool(user.is_superuser) or municipalities_for(user, roles).exists()


class TenantScopedAdmin(admin.ModelAdmin):
    """An admin that shows only the user's municipalities, for the roles that may use it."""

    tenant_path = "municipality"
    roles: tuple[str, ...] = (Role.CITY_ADMIN,)
    read_roles: tuple[str, ...] = ()

    def _cities(self, request: HttpRequest, write: bool = False) -> QuerySet[Municipality]:
        roles = self.roles if write else self.roles + self.read_roles
        return municipalities_for(request.user, roles)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Model]:
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(**{f"{self.tenant_path}__in": self._cities(request)})

    def get_list_filter(self, request: HttpRequest) -> list[_ListFilterT]:
        # Django's filter on a foreign key lists every row of the related table: list only those in the user's rows.
        return [
            (name, admin.RelatedOnlyFieldListFilter) if isinstance(name, str) and name == "municipality" else name
            for name in super().get_list_filter(request)
        ]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_role(request.user, self.roles + self.read_roles)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._allowed(request, obj, write=False)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._allowed(request, obj, write=True)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return has_role(request.user, self.roles)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._allowed(request, obj, write=True)

    def _allowed(self, request: HttpRequest, obj: Model | None, write: bool) -> bool:
        if request.user.is_superuser:
            return True
        cities = self._cities(request, write=write)
        if obj is None:
            return cities.exists()
        value = obj
        for part in self.tenant_path.split("__"):
            value = getattr(value, part)
        return cities.filter(pk=value.pk).exists()

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        if db_field.name == "municipality" and not request.user.is_superuser:
            kwargs["queryset"] = self._cities(request, write=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
