"""Fit the coefficients of the answer confidence (``faq.search.score.Coefficients``) on graded queries.

    manage.py fit_confidence kawasemi=faq/devcity/queries/tune.jsonl \\
        mihon-noalt=faq/demo/queries/ja_part_a.jsonl,faq/demo/queries/en.jsonl \\
        [--test kawasemi=faq/devcity/queries/test.jsonl]

Each CITY=FILES pair names a municipality (its FAQ imported and indexed) and query files graded
for it. For every query the first three candidates are examples ("is this candidate a grade-2
answer?"); a logistic regression (L2, standardised features) fits the coefficients, which are
printed as a ``Coefficients(...)`` to paste into ``faq/search/score.py``. ``--test`` pairs are
never fitted on: the command prints answered precision at fixed answered shares there, so a
change is judged on queries it did not see (docs/adr/0009-answers-residents-can-trust.md).
"""

from __future__ import annotations

import json

import numpy as np
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from conversations.commands import municipality_from_slug
from faq.search import score
from faq.search.service import evidence

from ...evaluation import QueryFileError, load_queries, query_language

ROWS_PER_QUERY = 3


def examples(pairs: list[str], *, progress: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features, labels, is-first-candidate) over every query of the CITY=FILES pairs."""
    features, labels, first = [], [], []
    for pair in pairs:
        slug, _, files = pair.partition("=")
        if not files:
            raise CommandError(f"{pair!r}: give CITY=FILE[,FILE...]")
        city = municipality_from_slug(slug)
        try:
            queries = load_queries(files.split(","))
        except QueryFileError as exc:
            raise CommandError(str(exc)) from exc
        for query in tqdm(queries, desc=slug, disable=not progress):
            entries, found = evidence(city, query.text, language=query_language(query))
            for rank, (entry, row) in enumerate(zip(entries[:ROWS_PER_QUERY], found.rows, strict=False)):
                features.append(row)
                labels.append(float(entry.external_id in query.best))
                first.append(rank == 0)
    return np.array(features), np.array(labels), np.array(first)


def fit(features: np.ndarray, labels: np.ndarray, *, l2: float = 0.01, steps: int = 4000) -> score.Coefficients:
    mean, spread = features.mean(0), features.std(0) + 1e-9
    z = (features - mean) / spread
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(z @ w + b)))
        w -= 0.5 * (z.T @ (p - labels) / len(labels) + l2 * w)
        b -= 0.5 * float((p - labels).mean())
    weights = w / spread
    bias = b - float((mean / spread) @ w)
    return score.Coefficients(
        bias=round(bias, 3), **{name: round(float(v), 3) for name, v in zip(score.FEATURES, weights, strict=True)}
    )


def precision_at(p: np.ndarray, right: np.ndarray, share: float) -> float | None:
    k = int(round(share * len(p)))
    return round(float(right[np.argsort(-p)[:k]].mean()), 4) if k else None


class Command(BaseCommand):
    help = "Fit the answer confidence's coefficients on graded query files of one or more cities."

    def add_arguments(self, parser):
        parser.add_argument("pairs", nargs="+", help="CITY=FILE[,FILE...]")
        parser.add_argument("--test", nargs="*", default=[], help="CITY=FILE[,FILE...] to report on, never fitted")

    def handle(self, *args, **opts):
        progress = opts["verbosity"] >= 1
        x, y, _first = examples(opts["pairs"], progress=progress)
        coefficients = fit(x, y)
        result: dict = {"examples": len(y), "coefficients": coefficients.__dict__}
        for pair in opts["test"]:
            tx, ty, first = examples([pair], progress=progress)
            p = score.confidence(score.Evidence(tx[first]), coefficients)
            right = ty[first]
            result[pair] = {f"precision@{int(s * 100)}%": precision_at(p, right, s) for s in (0.35, 0.45, 0.55)}
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=1))
