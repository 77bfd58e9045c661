"""A monthly token budget per municipality.

Use this month is the sum of ``AnswerLog.tokens`` since the first day of the month in the
municipality's time zone, plus what the current turn has spent but not yet logged. The budget is
``LLM_MONTHLY_TOKEN_BUDGET`` (0: no limit), or a municipality's own ``llm_monthly_token_budget``
when that field exists and is set. When the budget is spent no call is made and the bot answers
extractively; ``budget_status`` tells editors in the admin.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from conversations.models import AnswerLog

from . import usage


class BudgetStatus(NamedTuple):
    used: int
    budget: int  # 0: no limit
    exhausted: bool


def monthly_budget(municipality) -> int:
    own = getattr(municipality, "llm_monthly_token_budget", None)
    if own is not None:
        return int(own)
    return int(settings.LLM_MONTHLY_TOKEN_BUDGET)


def month_start(municipality, now: datetime | None = None) -> datetime:
    try:
        zone = ZoneInfo(getattr(municipality, "time_zone", "") or settings.TIME_ZONE)
    except (KeyError, ValueError):
        zone = ZoneInfo(settings.TIME_ZONE)
    local = (now or timezone.now()).astimezone(zone)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def used_this_month(municipality, now: datetime | None = None) -> int:
    total = AnswerLog.objects.filter(
        municipality=municipality, created_at__gte=month_start(municipality, now)
    ).aggregate(total=Sum("tokens"))["total"]
    return int(total or 0)


def budget_status(municipality, now: datetime | None = None) -> BudgetStatus:
    """(used, budget, exhausted) for this calendar month; budget 0 means no limit."""
    used = used_this_month(municipality, now) + usage.pending()
    budget = monthly_budget(municipality)
    return BudgetStatus(used, budget, bool(budget) and used >= budget)


def is_exhausted(municipality) -> bool:
    if municipality is None or not monthly_budget(municipality):
        return False
    return budget_status(municipality).exhausted


def budget_notice(municipality) -> str | None:
    """A message for editors in the admin, or None while there is budget left."""
    used, budget, exhausted = budget_status(municipality)
    if not budget:
        return None
    if exhausted:
        return _(
            "This month's language-model budget is spent (%(used)s of %(budget)s tokens). Until next month the bot "
            "answers only from curated FAQ entries and passages, and hands other questions to staff."
        ) % {"used": f"{used:,}", "budget": f"{budget:,}"}
    if used >= budget * 0.8:
        return _("%(percent)d%% of this month's language-model budget is used (%(used)s of %(budget)s tokens).") % {
            "percent": used * 100 // budget,
            "used": f"{used:,}",
            "budget": f"{budget:,}",
        }
    return None
