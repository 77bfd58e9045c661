"""An FAQ entry's history page (django-simple-history) in the editors' language, every change in full.

simple-history cuts a changed text to about 100 characters (「…[187 chars]…」) and its page has
no Japanese. Editors need to see exactly what changed in an answer, so each change is shown whole,
as one text with the removed characters struck through and the added ones underlined
(``inline_diff``: character by character, which suits Japanese, written without spaces). The page's
templates are ours (``faq/templates/faq/admin/history*.html``), with our own translatable labels.
"""

from __future__ import annotations

import datetime as dt
from difflib import SequenceMatcher
from typing import Any

from django.db import models
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from simple_history.template_utils import HistoricalRecordContextHelper


def as_text(field: models.Field | None, value: Any) -> str:
    """A stored value as an editor reads it: choices by their label, lists one per line, dates in ISO form."""
    if value is None or value == "":
        return ""
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, list | tuple):
        return "\n".join(as_text(None, v) for v in value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat(sep=" ", timespec="minutes") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def inline_diff(old: str, new: str) -> SafeString:
    """The new text in full, with what was removed in ``<del>`` and what was added in ``<ins>``."""
    if not old and not new:
        return mark_safe("")  # noqa: S308 (a constant)
    parts: list[str] = []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(escape(old[a1:a2]))
            continue
        if a2 > a1:
            parts.append(f"<del>{escape(old[a1:a2])}</del>")
        if b2 > b1:
            parts.append(f"<ins>{escape(new[b1:b2])}</ins>")
    return mark_safe("".join(parts))  # noqa: S308 (every piece of text is escaped above)


class FullChanges(HistoricalRecordContextHelper):
    """Each change of a version as {"field", "old", "new", "diff"}: texts whole, the diff inline."""

    def context_for_delta_changes(self, delta) -> list[dict[str, Any]]:
        out = []
        for change in delta.changes:
            field = self.model._meta.get_field(change.field)
            old = as_text(field, self.prepare_delta_change_value(change, change.old))
            new = as_text(field, self.prepare_delta_change_value(change, change.new))
            out.append(
                {
                    "field": capfirst(field.verbose_name),
                    "old": old,
                    "new": new,
                    "diff": inline_diff(old, new),
                    "emptied": bool(old) and not new,
                }
            )
        return out
