"""What management commands share: finding the municipalities they were asked about."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.management.base import CommandError
from django.db.models import QuerySet

from .models import Municipality


def municipality_from_slug(slug: str) -> Municipality:
    """The municipality ``--municipality SLUG`` names, or a CommandError that says there is none."""
    municipality = Municipality.objects.filter(slug=slug).first()
    if municipality is None:
        raise CommandError(f"no municipality with slug {slug!r}")
    return municipality


def municipalities_from_slugs(slugs: Sequence[str] | None) -> QuerySet[Municipality]:
    """The named municipalities (every one when none is named), or a CommandError listing unknown slugs."""
    cities = Municipality.objects.order_by("pk")
    if not slugs:
        return cities
    cities = cities.filter(slug__in=slugs)
    missing = set(slugs) - set(cities.values_list("slug", flat=True))
    if missing:
        raise CommandError(f"no such municipality: {', '.join(sorted(missing))}")
    return cities
