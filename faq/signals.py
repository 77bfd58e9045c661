"""What the knowledge base tells the floors above it (they connect receivers in their ``AppConfig.ready``)."""

from __future__ import annotations

from django.dispatch import Signal

#: An editor saved an FAQ entry drafted from unanswered questions (``dashboard.admin_views.draft_view``).
#: Arguments: ``faq`` (the new entry), ``log_ids`` (the ``AnswerLog`` primary keys it was drafted from), ``user``.
drafted_from_questions = Signal()
