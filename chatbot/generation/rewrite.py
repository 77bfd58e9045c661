"""Rewrites: follow-up questions made standalone before retrieval, answers made into easy Japanese."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable

from conversations.masking import PLACEHOLDER, Masker
from conversations.models import Message
from llm import budget, client

from . import guard, prompts
from .grounded import normalise_history, safe_history

log = logging.getLogger(__name__)

FOLLOWUP_MAX_CHARS = 30
REWRITE_MAX_CHARS = 200
REWRITE_MAX_TOKENS = 120
EASY_MAX_TOKENS = 900

_FOLLOWUP_START = re.compile(
    r"^(じゃあ|じゃ|では|それでは|それなら|なら|あと|ちなみに|また|他に|ほかに|それと|それって|それは|その|それ|そこ|"
    r"and\b|what about\b|how about\b|also\b|then\b|and if\b|what if\b|is it\b|are they\b|can i also\b)",
    re.I | re.A,
)
_FOLLOWUP_REFERENCE = re.compile(
    r"(それ|その|そこ|そちら|あれ|この場合|その場合|同じ|\bit\b|\bthat\b|\bthere\b|\bthose\b|\bthem\b)", re.I | re.A
)
_FOLLOWUP_END = re.compile(r"(は|も|なら|の場合|だと|では|って|の時|のとき|はどう|はどうですか|はいかが)[？?。]?$")


def looks_like_followup(question: str) -> bool:
    """A short question that leans on the previous turn: 「日曜日は？」, "what about on Sundays?"."""
    text = unicodedata.normalize("NFKC", question or "").strip()
    if not text or len(text) > FOLLOWUP_MAX_CHARS:
        return False
    return bool(_FOLLOWUP_START.search(text) or _FOLLOWUP_REFERENCE.search(text) or _FOLLOWUP_END.search(text))


def _previous_question(history: list[tuple[str, str]]) -> str:
    for role, text in reversed(history):
        if role == "resident":
            return text
    return ""


def rewrite_followup(question: str, history: Iterable | None, *, municipality=None) -> str:
    """The question to search with: standalone, in the question's language.

    Only short follow-ups are rewritten. With a model, it rewrites them from the recent turns;
    without one (or when it fails, is over budget, or returns something unusable) the previous
    resident question is put in front, which is what lexical retrieval needs.
    """
    question = (question or "").strip()
    turns = normalise_history(history)
    previous = _previous_question(turns)
    if not previous or not looks_like_followup(question):
        return question
    fallback = f"{previous} {question}"
    if not client.enabled() or not guard.check_input(question) or budget.is_exhausted(municipality):
        return fallback
    masker = Masker()
    masked_turns = safe_history(turns, masker)
    prompt = prompts.rewrite(masker.mask(question), masked_turns)
    try:
        completion = client.complete(prompt.messages, max_tokens=REWRITE_MAX_TOKENS)
    except client.LLMError as exc:
        log.info("follow-up rewrite failed (%s); using the extractive rewrite", exc)
        return fallback
    lines = [line.strip() for line in completion.text.strip().splitlines() if line.strip()]
    if len(lines) != 1 or len(lines[0]) > REWRITE_MAX_CHARS or prompts.UNANSWERABLE in lines[0]:
        return fallback
    verdict = guard.check_output(
        lines[0],
        sources=previous + "\n" + question + "\n" + "\n".join(text for _role, text in turns),
        secrets=prompt.secrets,
        prompt_rules=prompt.rules,
        japanese=False,
    )
    if not verdict or not guard.check_input(lines[0]):
        log.warning("follow-up rewrite blocked: %s", verdict.reason or "steering")
        return fallback
    return masker.restore(lines[0]).strip("「」\"' ")


def easy_japanese(text: str, *, municipality=None) -> str | None:
    """The Japanese ``text`` rewritten into やさしい日本語, or None (no model, over budget, or unusable output).

    Phone numbers, postal codes and the like are masked first, so the model copies placeholders
    and the numbers come back exactly as written. The result must keep every placeholder and may
    add no number, URL or e-mail address of its own.
    """
    text = (text or "").strip()
    if not text or not client.enabled() or budget.is_exhausted(municipality):
        return None
    masker = Masker()
    masked = masker.mask(text)
    prompt = prompts.easy_japanese(masked)
    try:
        completion = client.complete(prompt.messages, max_tokens=EASY_MAX_TOKENS)
    except client.LLMError as exc:
        log.info("easy-Japanese rewrite failed: %s", exc)
        return None
    rewritten = completion.text.strip()
    if not rewritten or completion.finish_reason == "length" or prompts.UNANSWERABLE in rewritten:
        return None
    if not 0.5 <= len(rewritten) / max(len(masked), 1) <= 4:
        return None
    verdict = guard.check_output(
        rewritten,
        sources=masked,
        allowed_urls=guard.URL.findall(text),
        secrets=prompt.secrets,
        prompt_rules=prompt.rules,
        japanese=True,
        min_grounding=0.15,
    )
    if not verdict:
        log.warning("easy-Japanese rewrite blocked: %s", verdict.reason)
        return None
    kept = {m.group(0) for m in PLACEHOLDER.finditer(rewritten)}
    if any(m.group(0) not in kept for m in PLACEHOLDER.finditer(masked)):
        return None  # a phone number or address went missing
    # City text, not resident data: every placeholder goes back as written.
    kinds = {"EMAIL", "CARD", "MY_NUMBER", "NUMBER", "PHONE", "POSTCODE", "ADDRESS", "NAME"}
    return masker.restore(rewritten, kinds=kinds)


def history_from_conversation(conversation, *, before=None, limit: int = 6) -> list[tuple[str, str]]:
    """The last ``limit`` text turns of a conversation as ("resident" | "bot", text), oldest first.

    ``before``: a Message (usually the question being answered), itself excluded.
    """

    messages = Message.objects.filter(conversation=conversation).exclude(text="")
    if before is not None:
        messages = messages.filter(created_at__lte=before.created_at).exclude(pk=before.pk)
    rows = list(messages.order_by("-created_at", "-id")[:limit])
    rows.reverse()
    return [("resident" if m.sender == Message.Sender.RESIDENT else "bot", m.text) for m in rows]
