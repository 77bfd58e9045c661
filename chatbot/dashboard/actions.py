"""An admin action for the Resident admin: "Delete personal data on request…".

It deletes nothing itself: it opens the dashboard's confirmation page for the selected residents,
where the reason is recorded and the deletion audited. Wire it in ``chatbot/admin.py``::

    from .dashboard.actions import erase_personal_data

    class ResidentAdmin(TenantScopedAdmin):
        actions = [erase_personal_data]
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


@admin.action(description=gettext_lazy("Delete personal data on request…"), permissions=["view"])
def erase_personal_data(modeladmin, request, queryset):
    cities = set(queryset.values_list("municipality__slug", flat=True))
    if len(cities) != 1:
        modeladmin.message_user(request, _("Select residents of one municipality at a time."), messages.WARNING)
        return None
    ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
    url = reverse("dashboard:erase", args=[cities.pop()])
    return redirect(f"{url}?{urlencode({'residents': ids})}")
