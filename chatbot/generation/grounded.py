"""Grounded answering: numbered passages in, a cited answer (or an honest refusal) out."""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings

from conversations.masking import Masker
from conversations.models import ModelOutcome
from languages import registry
from llm import budget, client, usage

from . import citations, guard, prompts

if TYPE_CHECKING:
    from faq.retrieval import Candidate

log = logging.getLogger(__name__)

HISTORY_TURNS = 4
HISTORY_TURN_CHARS = 300


class Status(enum.StrEnum):
    ANSWERED = "answered"
    UNANSWERABLE = "unanswerable"
    INVALID_CITATION = "invalid_citation"
    BLOCKED = "blocked"
    TIMEOUT = "timeout"
    ERROR = "error"
    BUDGET_EXHAUSTED = "budget_exhausted"
    DISABLED = "disabled"


@dataclass
class GenerationResult:
    status: Status
    text: str = ""  # only for ANSWERED: the answer with citations [1]..[k], personal data restored
    cited: list[Candidate] = field(default_factory=list)  # the k-th is the source of [k]
    tokens: int = 0
    reason: str = ""  # why it was not answered, for the log (never shown to residents)
    outcome: str = ""  # a ModelOutcome once the model was called (empty: no call was made)
    latency_ms: float | None = None  # of the model call

    @property
    def answered(self) -> bool:
        return self.status == Status.ANSWERED

    @property
    def blocked_input(self) -> bool:
        """The resident's own text was refused (an injection attempt), as opposed to a bad model reply."""
        return self.status == Status.BLOCKED and self.reason.startswith("input:")

    def links(self) -> list[tuple[str, str]]:
        """(label, url) for each cited source, labelled with the number used in the text."""
        return [(f"[{n}] {c.title}", c.url) for n, c in enumerate(self.cited, start=1) if c.url]


# --- conversation history ----------------------------------------------------------------------

RESIDENT_ROLES = {"resident", "user", "in", "human"}


def normalise_history(history: Iterable | None) -> list[tuple[str, str]]:
    """Turns as ("resident" | "bot", text) from tuples, dicts, or Message-like objects (sender/text)."""
    turns: list[tuple[str, str]] = []
    for item in history or ():
        if isinstance(item, tuple | list) and len(item) == 2:
            role, text = item
        elif isinstance(item, dict):
            role, text = item.get("role", ""), item.get("text") or item.get("content", "")
        else:
            role = getattr(item, "role", None) or getattr(item, "sender", "") or getattr(item, "direction", "")
            text = getattr(item, "text", "")
        text = " ".join(str(text or "").split())
        if text:
            turns.append(("resident" if str(role) in RESIDENT_ROLES else "bot", text[:HISTORY_TURN_CHARS]))
    return turns


def safe_history(history: Iterable | None, masker: Masker, limit: int = HISTORY_TURNS) -> list[tuple[str, str]]:
    """The last turns, masked; resident turns that try to steer the model are left out."""
    kept = []
    for role, text in normalise_history(history)[-limit:]:
        if role == "resident" and not guard.check_input(text):
            continue
        kept.append((role, masker.mask(text)))
    return kept


# --- answering -------------------------------------------------------------------------------------


def passages_for(
    candidates: Sequence[Candidate], *, floor: float | None = None, limit: int | None = None
) -> list[Candidate]:
    """The candidates worth showing the model: relevant (``LLM_PASSAGE_FLOOR``), with text, no repeats, best first."""
    floor = settings.LLM_PASSAGE_FLOOR if floor is None else floor
    limit = int(settings.LLM_MAX_PASSAGES) if limit is None else limit
    chosen, seen = [], set()
    for candidate in candidates:
        text = (candidate.text or "").strip()
        key = (candidate.url, text[:200])
        if candidate.score < floor or not text or key in seen:
            continue
        seen.add(key)
        chosen.append(candidate)
        if len(chosen) >= limit:
            break
    return chosen


def is_unanswerable(text: str) -> bool:
    return prompts.UNANSWERABLE.lower() in text.lower() or not text.strip()


def grounded_answer(
    municipality,
    question: str,
    candidates: Sequence[Candidate],
    *,
    language: str = "ja",
    history: Iterable | None = None,
) -> GenerationResult:
    """Answer ``question`` only from the relevant ``candidates`` (retrieval's list, best first).

    Passages are chosen by ``passages_for`` (score >= LLM_PASSAGE_FLOOR, default 0.2; at most
    LLM_MAX_PASSAGES, each cut at LLM_PASSAGE_CHARS). Never raises for model trouble: every outcome
    is a status, and only ANSWERED may be sent.
    """
    if not client.enabled() or getattr(municipality, "llm_enabled", True) is False:
        return GenerationResult(Status.DISABLED, reason="no model configured")
    verdict = guard.check_input(question)
    if not verdict:
        log.info("generation refused before the call: %s", verdict.reason)
        return GenerationResult(Status.BLOCKED, reason=verdict.reason)
    usable = passages_for(candidates)
    if not usable:
        return GenerationResult(Status.UNANSWERABLE, reason="no passages")
    if budget.is_exhausted(municipality):
        return GenerationResult(Status.BUDGET_EXHAUSTED, reason="monthly token budget spent")

    masker = Masker()
    masked_question = masker.mask(question.strip())
    turns = safe_history(history, masker)
    passages: list[prompts.Passage] = []
    for number, candidate in enumerate(usable, start=1):
        text, removed = guard.clean_passage(candidate.text[: int(settings.LLM_PASSAGE_CHARS)])
        if removed:
            log.warning(
                "passage %s %s: removed %d sentence(s) that address the model (%s)",
                candidate.kind,
                candidate.external_id or candidate.id,
                len(removed),
                ", ".join(sorted(set(removed))),
            )
        passages.append(prompts.Passage(number, candidate.title, text, list(candidate.heading_path or [])))
    prompt = prompts.grounded(
        city=getattr(municipality, "name_ja", "") or "市",
        question=masked_question,
        passages=passages,
        history=turns,
        language=language,
    )

    with usage.metered() as meter:
        started = time.perf_counter()
        try:
            completion = client.complete(prompt.messages, max_tokens=client.current().max_tokens)
        except client.LLMTimeout as exc:
            return _fallback(Status.TIMEOUT, ModelOutcome.TIMEOUT, "timeout", meter.total, started, exc.advice)
        except client.LLMError as exc:
            return _fallback(Status.ERROR, ModelOutcome.ERROR, f"{exc.kind}: {exc}"[:200], meter.total, started)
    tokens = meter.total
    latency = completion.latency_ms
    raw = completion.text.strip()

    def refused(status: Status, outcome: ModelOutcome, reason: str) -> GenerationResult:
        return _fallback(status, outcome, reason, tokens, latency_ms=latency)

    if completion.finish_reason == "content_filter":
        return refused(Status.BLOCKED, ModelOutcome.REFUSED, "output:content_filter")
    # A leak is a leak even when it also says "unanswerable" (the rules mention the word).
    if guard.leaks(raw, prompt.secrets, prompt.rules):
        return refused(Status.BLOCKED, ModelOutcome.LEAK, "output:leak")
    if is_unanswerable(raw):
        return refused(Status.UNANSWERABLE, ModelOutcome.UNANSWERABLE, "model: unanswerable")
    if completion.cut_off:
        return refused(Status.ERROR, ModelOutcome.CUT_OFF, f"cut off at {client.current().max_tokens} tokens")

    check = citations.check(raw, len(passages))
    cited = [usable[n - 1] for n in check.order]
    sources = "\n".join(f"{p.title}\n{' '.join(p.heading_path)}\n{p.text}" for p in passages)
    cited_sources = "\n".join(
        f"{p.title}\n{' '.join(p.heading_path)}\n{p.text}" for n, p in enumerate(passages, start=1) if n in check.order
    )
    verdict = guard.check_output(
        raw,
        sources=sources,
        allowed_urls=[c.url for c in cited],  # a link is fine only if it is a cited source
        secrets=prompt.secrets,
        prompt_rules=prompt.rules,
        question=masked_question,
        japanese=registry.reads_japanese(language),
        min_grounding=0.2 if language == "ja-easy" else 0.25,
        fact_sources=cited_sources if check.ok else None,  # facts must come from the passages cited
    )
    if not verdict:
        outcome = ModelOutcome.LEAK if verdict.reason == "output:leak" else ModelOutcome.REFUSED
        return refused(Status.BLOCKED, outcome, verdict.reason)
    if not check.ok:
        return refused(Status.INVALID_CITATION, ModelOutcome.INVALID_CITATION, check.reason)
    log.info("generated answer accepted (%d tokens, %.0f ms)", tokens, latency)
    return GenerationResult(
        Status.ANSWERED,
        masker.restore(check.text),
        cited,
        tokens,
        outcome=ModelOutcome.ACCEPTED,
        latency_ms=latency,
    )


def _fallback(
    status: Status,
    outcome: ModelOutcome,
    reason: str,
    tokens: int,
    started: float | None = None,
    advice: str = "",
    *,
    latency_ms: float | None = None,
) -> GenerationResult:
    """A model answer that is not sent, logged with its reason (no fallback goes unseen)."""
    if latency_ms is None and started is not None:
        latency_ms = (time.perf_counter() - started) * 1000
    level = logging.INFO if outcome in (ModelOutcome.UNANSWERABLE,) else logging.WARNING
    log.log(
        level,
        "generated answer not sent: %s (%s; %d tokens, %.0f ms)%s",
        outcome,
        reason,
        tokens,
        latency_ms or 0.0,
        f" {advice}" if advice else "",
    )
    return GenerationResult(status, tokens=tokens, reason=reason, outcome=outcome, latency_ms=latency_ms)
