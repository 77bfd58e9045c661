"""Measuring retrieval and the answer decision on a query file, and choosing thresholds from it.

Query files are JSONL, one object a line::

    {"id": "q1", "query": "粗大ごみ出したい", "relevant": {"gomi-001": 2, "gomi-002": 1}}

2 = answers the question, 1 = related, ``{}`` = the FAQ cannot answer it (the bot should hand
off). Each line of ``--output`` carries the decision and its ``reason`` next to the ranking.
An optional ``"language"`` is the resident's chosen language; otherwise it is detected as in a
real conversation. Every query goes through ``chatbot.engine.answer``: the figures are those
of the real answering path, hand-off triggers included.

Definitions (``summarise``):

* ``hit@1``, ``hit@3``: a grade-2 entry among the first k, over queries that have one;
* ``mrr@10``: 1/rank of the first grade-2 entry in the first 10 (0 if none), same queries;
* ``recall@10``: share of all graded entries (1 or 2) found in the first 10, over queries with any;
* ``answered_share``: answered queries / all graded queries;
* ``answered_precision``: answered with a grade-2 entry / answered (graded queries);
* ``handoff_on_unanswerable``: handed off / queries with ``relevant == {}``;
* graded: an ordinary question with no ``relevant`` (``"expect": "ordinary"``, as in the beyond-FAQ
  sets, kept only to count false alarms) is ungraded and left out of the three figures above;
* ``answered_wrong_rate``: answered with an entry that is not grade 2 / queries that have a grade-2 entry
  (what a resident with an answerable question lives through as a confident wrong answer);
* ``self_resolved``: answered right, or asked back with a grade-2 entry among the choices / the same queries;
* ``latency_ms_p50/p95``: wall-clock time of ``engine.answer`` without the language model's own time
  (retrieval, decision and the rest);
* a generated answer (the model's, reason ``generated``) is right when a passage it cites is a grade-2
  entry: it is scored by what it cites, not by the top search hit;
* ``model`` (only when the model was asked): ``calls``, ``accepted``, ``acceptance`` (accepted / calls),
  ``outcomes`` (each ``ModelOutcome`` counted), ``generated_precision`` (generated answers citing a grade-2
  entry / generated answers), ``latency_ms_p50/p95`` of the model calls.
"""

from __future__ import annotations

import glob
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from languages import detection, registry

from . import engine
from .decision import ASK_BACK_CHOICES, decide


class QueryFileError(ValueError):
    pass


@dataclass
class Query:
    id: str
    text: str
    relevant: dict[str, int]
    language: str | None = None
    expect: str = ""  # a message the FAQ must not answer: the reason the bot should give ("sensitive", ...)
    category: str = ""  # e.g. "suicide" for a sensitive message

    @property
    def best(self) -> set[str]:
        return {k for k, v in self.relevant.items() if v >= 2}

    @property
    def answerable(self) -> bool:
        return bool(self.relevant)

    @property
    def graded(self) -> bool:
        """False for an ordinary question nobody graded (only its false alarms are counted)."""
        return bool(self.relevant) or self.expect != "ordinary"


@dataclass
class Outcome:
    query: Query
    language: str
    top: list[str]
    scores: list[float]
    decision: str
    reason: str
    answered: str | None
    latency_ms: float = 0.0
    kinds: list[str] = field(default_factory=list)
    cited: list[str] = field(default_factory=list)  # a generated answer's cited passages, in citation order
    model_outcome: str = ""  # what the model did, when it was asked (conversations.models.ModelOutcome)
    model_latency_ms: float | None = None

    @property
    def generated(self) -> bool:
        return bool(self.cited)

    def right(self) -> bool:
        """The answer (or the top hit, for other decisions) is a grade-2 entry; a generated one by what it cites."""
        if self.generated:
            return bool(set(self.cited) & self.query.best)
        return bool(self.top) and self.top[0] in self.query.best

    def line(self) -> dict:
        return {
            "id": self.query.id,
            "top": self.top[:10],
            "decision": self.decision,
            "reason": self.reason,
            "answered": self.answered,
            **({"cited": self.cited} if self.cited else {}),
            **({"model_outcome": self.model_outcome} if self.model_outcome else {}),
        }


def expand(patterns: Sequence[str]) -> list[Path]:
    paths: list[Path] = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if not matches:
            raise QueryFileError(f"{pattern}: no file matches")
        for match in matches:
            path = Path(match)
            if path.is_dir():
                paths.extend(sorted(path.glob("*.jsonl")))
            elif not path.exists():
                raise QueryFileError(f"{match}: no such file")
            else:
                paths.append(path)
    return list(dict.fromkeys(paths))


def load_queries(patterns: Sequence[str]) -> list[Query]:
    """Queries from one or more JSONL files (globs and directories allowed); bad lines raise with their place."""
    queries: list[Query] = []
    seen: set[str] = set()
    for path in expand(patterns):
        text = path.read_text(encoding="utf-8-sig")
        for number, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            where = f"{path}:{number}"
            try:
                row = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise QueryFileError(f"{where}: not valid JSON ({exc.msg})") from exc
            if not isinstance(row, dict) or not isinstance(row.get("query"), str):
                raise QueryFileError(f'{where}: needs a "query" string')
            relevant = row.get("relevant") or {}
            if not isinstance(relevant, dict) or not all(isinstance(v, int | float) for v in relevant.values()):
                raise QueryFileError(f'{where}: "relevant" must map external ids to 2 or 1')
            qid = str(row.get("id", where))
            if qid in seen:
                qid = f"{path.name}:{qid}"
            seen.add(qid)
            language = row.get("language")
            expect = row.get("expect") if isinstance(row.get("expect"), str) else ""
            category = row.get("category") if isinstance(row.get("category"), str) else ""
            queries.append(
                Query(
                    qid, row["query"], {str(k): int(v) for k, v in relevant.items()}, language or None, expect, category
                )
            )
    return queries


def query_language(query: Query) -> str:
    if query.language:
        return registry.normalise_code(query.language) or query.language
    code, _source = detection.resolve("", "", query.text)
    return code or "ja"


def run(municipality, queries: Iterable[Query], *, progress: bool = False) -> list[Outcome]:
    queries = list(queries)
    bar = None
    if progress:
        bar = tqdm(total=len(queries), desc="queries", unit="q")
    outcomes: list[Outcome] = []
    try:
        for query in queries:
            lang = query_language(query)
            started = time.perf_counter()
            decision = engine.answer(engine.AnswerRequest(municipality, query.text, lang))
            elapsed = (time.perf_counter() - started) * 1000
            chosen = decision.chosen
            status = str(decision.status)
            outcomes.append(
                Outcome(
                    query=query,
                    language=lang,
                    top=[c.external_id for c in decision.candidates[:10]],
                    scores=[float(c.score) for c in decision.candidates[:10]],
                    decision=status,
                    reason=str(decision.reason),
                    answered=chosen.external_id if chosen is not None and status == "answer" else None,
                    latency_ms=elapsed,
                    kinds=[c.kind for c in decision.candidates[:10]],
                    cited=[c.external_id for c in decision.generated.cited] if decision.generated else [],
                    model_outcome=str(decision.model.outcome) if decision.model else "",
                    model_latency_ms=decision.model.latency_ms if decision.model else None,
                )
            )
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return outcomes


def _mean(values: list[float]) -> float | None:
    return round(float(np.mean(values)), 4) if values else None


def summarise(outcomes: Sequence[Outcome], decisions: Sequence[str] | None = None) -> dict:
    """The figures for these outcomes; ``decisions`` overrides each outcome's decision (calibration)."""
    decisions = list(decisions) if decisions is not None else [o.decision for o in outcomes]
    hit1, hit3, mrr, recall = [], [], [], []
    answered = correct = unanswerable = handoffs = 0
    with_answer = answered_wrong = self_resolved = 0
    for outcome, decision in zip(outcomes, decisions, strict=True):
        q, top = outcome.query, outcome.top[:10]
        best = q.best
        if best:
            hit1.append(float(bool(top[:1]) and top[0] in best))
            hit3.append(float(bool(best & set(top[:3]))))
            rank = next((i + 1 for i, ext in enumerate(top) if ext in best), None)
            mrr.append(1.0 / rank if rank else 0.0)
        if not q.graded:
            continue
        if q.relevant:
            recall.append(len(set(top) & set(q.relevant)) / len(q.relevant))
        else:
            unanswerable += 1
            handoffs += decision == "handoff"
        right = outcome.right()
        if decision == "answer":
            answered += 1
            correct += right
        if best:
            with_answer += 1
            answered_wrong += decision == "answer" and not right
            # the resident reads the right answer, or taps it among the ask-back's choices
            self_resolved += (decision == "answer" and right) or (
                decision == "ask_back" and bool(best & set(top[:ASK_BACK_CHOICES]))
            )
    latencies = [o.latency_ms - (o.model_latency_ms or 0.0) for o in outcomes]
    n = sum(o.query.graded for o in outcomes)
    return {
        "queries": len(outcomes),
        "hit@1": _mean(hit1),
        "hit@3": _mean(hit3),
        "recall@10": _mean(recall),
        "mrr@10": _mean(mrr),
        "answered_share": round(answered / n, 4) if n else None,
        "answered_precision": round(correct / answered, 4) if answered else None,
        "handoff_on_unanswerable": round(handoffs / unanswerable, 4) if unanswerable else None,
        "answered_wrong_rate": round(answered_wrong / with_answer, 4) if with_answer else None,
        "self_resolved": round(self_resolved / with_answer, 4) if with_answer else None,
        "latency_ms_p50": round(float(np.percentile(latencies, 50)), 1) if latencies else None,
        "latency_ms_p95": round(float(np.percentile(latencies, 95)), 1) if latencies else None,
    }


def model_summary(outcomes: Sequence[Outcome]) -> dict | None:
    """The language model apart from retrieval: acceptance, outcomes, precision, latency; None if never asked."""
    asked = [o for o in outcomes if o.model_outcome]
    if not asked:
        return None
    counts: dict[str, int] = {}
    for outcome in asked:
        counts[outcome.model_outcome] = counts.get(outcome.model_outcome, 0) + 1
    generated = [o for o in outcomes if o.generated]
    latencies = [o.model_latency_ms for o in asked if o.model_latency_ms is not None]
    accepted = counts.get("accepted", 0)
    return {
        "calls": len(asked),
        "accepted": accepted,
        "acceptance": round(accepted / len(asked), 4),
        "outcomes": dict(sorted(counts.items(), key=lambda item: -item[1])),
        "generated_precision": round(sum(o.right() for o in generated) / len(generated), 4) if generated else None,
        "latency_ms_p50": round(float(np.percentile(latencies, 50)), 1) if latencies else None,
        "latency_ms_p95": round(float(np.percentile(latencies, 95)), 1) if latencies else None,
    }


# What each kind of message that the FAQ must not answer should get (the decision's reason).
EXPECTED_REASONS = {
    "sensitive": {"sensitive"},
    "small_talk": {"small_talk"},
    "personal_record": {"personal_record"},
    "out_of_scope": {"out_of_scope", "other_municipality"},
    "other_municipality": {"other_municipality"},
    "injection": {"injection"},
}
CONTENT_REASONS = {"small_talk", "out_of_scope", "other_municipality"}


def beyond_faq(outcomes: Sequence[Outcome]) -> dict:
    """Messages with an ``expect``: per kind, how many got their own reason and how many an FAQ answer;
    for ``ordinary`` questions, the false alarms (crisis; small talk or out of scope)."""
    result: dict[str, dict] = {}
    groups: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        if outcome.query.expect:
            groups.setdefault(outcome.query.expect, []).append(outcome)
    for expect, group in sorted(groups.items()):
        n = len(group)
        row: dict = {"messages": n}
        if expect in EXPECTED_REASONS:
            row["own_reason"] = round(sum(o.reason in EXPECTED_REASONS[expect] for o in group) / n, 4)
        row["answered_from_faq"] = round(sum(o.decision == "answer" for o in group) / n, 4)
        categories = sorted({o.query.category for o in group if o.query.category and o.query.category != expect})
        if expect in EXPECTED_REASONS and len(categories) > 1:
            row["by_category"] = {
                c: round(
                    sum(o.reason in EXPECTED_REASONS[expect] for o in group if o.query.category == c)
                    / sum(o.query.category == c for o in group),
                    4,
                )
                for c in categories
            }
        if expect == "ordinary":
            row["false_crisis"] = round(sum(o.reason == "sensitive" for o in group) / n, 4)
            row["false_small_talk_or_out_of_scope"] = round(sum(o.reason in CONTENT_REASONS for o in group) / n, 4)
        result[expect] = row
    return result


def report(outcomes: Sequence[Outcome], queries: Sequence[Query]) -> dict:
    """``summarise`` for all queries, plus per language when the file names languages, plus the model's part."""
    result = summarise(outcomes)
    model = model_summary(outcomes)
    if model is not None:
        result["model"] = model
    if any(q.expect for q in queries):
        result["beyond_faq"] = beyond_faq(outcomes)
    if any(q.language for q in queries):
        by_language: dict[str, list[Outcome]] = {}
        for outcome in outcomes:
            by_language.setdefault(outcome.language, []).append(outcome)
        result["by_language"] = {lang: summarise(group) for lang, group in sorted(by_language.items())}
    return result


# --- calibration ---------------------------------------------------------------------------------

SCORE_DECIDED = {"confident", "close_candidates", "low_confidence"}


def redecide(outcomes: Sequence[Outcome], thresholds) -> list[str]:
    """What the engine would decide with other thresholds (hand-off triggers keep their decision)."""
    return [decide(o.scores, thresholds) if o.reason in SCORE_DECIDED else o.decision for o in outcomes]


@dataclass
class Choice:
    threshold: float
    margin: float
    answered_share: float
    answered_precision: float | None
    met: bool


def choose_thresholds(
    outcomes: Sequence[Outcome],
    target_precision: float,
    *,
    thresholds: Sequence[float] | None = None,
    margins: Sequence[float] | None = None,
) -> Choice:
    """Threshold and margin that answer the most queries while answered precision >= target.

    When no pair reaches the target, the pair with the highest precision is returned with
    ``met=False``. Ties go to the stricter pair (fewer wrong answers are worth more than none).
    """
    thresholds = np.round(np.arange(0.05, 1.0, 0.01), 2) if thresholds is None else np.asarray(thresholds)
    margins = np.round(np.arange(0.0, 0.51, 0.01), 2) if margins is None else np.asarray(margins)
    scored = [o for o in outcomes if o.reason in SCORE_DECIDED]
    n = len(outcomes)
    top = np.array([o.scores[0] if o.scores else 0.0 for o in scored])
    second = np.array([o.scores[1] if len(o.scores) > 1 else 0.0 for o in scored])
    right = np.array([bool(o.top) and o.top[0] in o.query.best for o in scored])
    best: tuple | None = None
    fallback: tuple | None = None
    for t in thresholds:
        above = top >= t
        for m in margins:
            answer = above & (top - second >= m)
            count = int(answer.sum())
            if not count:
                continue
            precision = float(right[answer].mean())
            share = count / n if n else 0.0
            key = (share, precision, t, m)
            if precision >= target_precision and (best is None or key[:2] >= best[:2]):
                best = key
            if fallback is None or (precision, share) > (fallback[1], fallback[0]):
                fallback = key
    if best is not None:
        return Choice(float(best[2]), float(best[3]), round(best[0], 4), round(best[1], 4), True)
    if fallback is not None:
        return Choice(float(fallback[2]), float(fallback[3]), round(fallback[0], 4), round(fallback[1], 4), False)
    return Choice(float(thresholds[-1]), float(margins[0]), 0.0, None, False)
