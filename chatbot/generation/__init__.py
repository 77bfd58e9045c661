"""Grounded generation with any OpenAI-compatible model. Off unless a model is configured.

The engine calls four functions; none of them raises for model trouble:

- ``grounded_answer(municipality, question, candidates, *, language, history)`` -> ``GenerationResult``
  whose ``status`` is one of ``Status``; only ``answered`` may be sent, with ``cited`` as sources.
- ``rewrite_followup(question, history, *, municipality=None)`` -> the question to search with.
- ``easy_japanese(text, *, municipality=None)`` -> the text in やさしい日本語, or None.
- ``budget_status(municipality)`` -> ``(used, budget, exhausted)`` for the admin.

Tokens of every call add up in ``usage.metered()``; store the total on ``AnswerLog.tokens``.
Modules: client (the one OpenAI client), prompts, guard (input, passages, output), citations, budget, usage.
"""

from llm.budget import BudgetStatus, budget_notice, budget_status
from llm.client import enabled
from llm.usage import add_to_log, metered

from .grounded import GenerationResult, Status, grounded_answer, passages_for
from .rewrite import easy_japanese, history_from_conversation, looks_like_followup, rewrite_followup

__all__ = [
    "BudgetStatus",
    "GenerationResult",
    "Status",
    "add_to_log",
    "budget_notice",
    "budget_status",
    "easy_japanese",
    "enabled",
    "grounded_answer",
    "history_from_conversation",
    "looks_like_followup",
    "metered",
    "passages_for",
    "rewrite_followup",
]
