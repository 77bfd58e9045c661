"""Measure retrieval and the answer decision on query files (see chatbot.evaluation)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from chatbot import evaluation
from conversations.commands import municipality_from_slug


class Command(BaseCommand):
    help = (
        "Run queries with graded relevance through the answer engine and print hit@1, hit@3, recall@10, "
        "mrr@10, answered_share, answered_precision, handoff_on_unanswerable and latency percentiles as JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("--municipality", required=True, help="slug")
        parser.add_argument("queries", nargs="+", help="JSONL query files (globs and directories allowed)")
        parser.add_argument("--output", help="write one JSON line per query: id, top, decision, answered")
        parser.add_argument("--progress", action="store_true", help="show a progress bar on stderr")

    def handle(self, *args, **opts):
        municipality = municipality_from_slug(opts["municipality"])
        try:
            queries = evaluation.load_queries(opts["queries"])
        except evaluation.QueryFileError as exc:
            raise CommandError(str(exc)) from exc
        if not queries:
            raise CommandError("no queries")
        outcomes = evaluation.run(municipality, queries, progress=opts["progress"])
        if opts["output"]:
            with Path(opts["output"]).open("w", encoding="utf-8") as out:
                for outcome in outcomes:
                    out.write(json.dumps(outcome.line(), ensure_ascii=False) + "\n")
        self.stdout.write(json.dumps(evaluation.report(outcomes, queries), ensure_ascii=False))
