"""Who may see which tickets in the console.

Console roles are staff and city admin (editors work on the FAQ in the admin). A membership with a
department sees that department's tickets and the tickets not yet routed to any department; a city
admin, or staff without a department, sees the whole municipality. Anything else is a 404.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import Http404

from conversations.models import Membership, Municipality

from .models import Ticket

CONSOLE_ROLES = (Membership.Role.STAFF, Membership.Role.CITY_ADMIN)


def memberships(user):
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Membership.objects.none()
    return Membership.objects.filter(user=user, role__in=CONSOLE_ROLES, municipality__is_active=True)


def may_use_console(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active) and (
        user.is_superuser or memberships(user).exists()
    )


def municipalities(user) -> QuerySet[Municipality]:
    if getattr(user, "is_superuser", False):
        return Municipality.objects.filter(is_active=True)
    return Municipality.objects.filter(pk__in=memberships(user).values("municipality_id"))


def scope(user) -> Q:
    """A filter on Ticket for what ``user`` may see."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return Q()
    q = Q(pk__in=[])
    for m in memberships(user):
        if m.role == Membership.Role.CITY_ADMIN or not m.department:
            q |= Q(municipality_id=m.municipality_id)
        else:
            q |= Q(municipality_id=m.municipality_id) & (Q(department=m.department) | Q(department=""))
    return q


def tickets(user) -> QuerySet[Ticket]:
    return Ticket.objects.filter(scope(user))


def ticket_or_404(user, pk: int) -> Ticket:
    qs = tickets(user).select_related("conversation__resident", "municipality", "assignee")
    ticket = qs.filter(pk=pk).first()
    if ticket is None:
        raise Http404("no such ticket")
    return ticket


def is_city_admin(user, municipality_id: int) -> bool:
    if user.is_superuser:
        return True
    return memberships(user).filter(municipality_id=municipality_id, role=Membership.Role.CITY_ADMIN).exists()


def colleagues(municipality) -> QuerySet:
    """Console users of a municipality (for assignment)."""

    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__municipality=municipality,
            memberships__role__in=CONSOLE_ROLES,
        )
        .distinct()
        .order_by("username")
    )
