"""Choose a municipality's answer threshold and margin for a target precision.

manage.py calibrate --municipality hinata queries.jsonl [--save]     # from graded queries
manage.py calibrate --municipality hinata --from-logs [--days 180]   # from its residents' and staff's labels
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from chatbot import calibration, decision, evaluation
from conversations.commands import municipality_from_slug


class Command(BaseCommand):
    help = (
        "Pick the answer threshold and top-1/top-2 margin that answer the most queries while the answered "
        "precision stays at or above the target; --save stores them on the municipality."
    )

    def add_arguments(self, parser):
        parser.add_argument("--municipality", required=True, help="slug")
        parser.add_argument("queries", nargs="*", help="JSONL query files (globs and directories allowed)")
        parser.add_argument(
            "--from-logs",
            action="store_true",
            help="use the city's own labels instead of query files: ask-back picks, ratings, staff links",
        )
        parser.add_argument("--days", type=int, default=180, help="--from-logs: how far back (default 180)")
        parser.add_argument("--target-precision", type=float, default=0.8, help="default 0.8")
        parser.add_argument("--save", action="store_true", help="write threshold and margin on the municipality")
        parser.add_argument("--progress", action="store_true", help="show a progress bar on stderr")

    def handle(self, *args, **opts):
        target = opts["target_precision"]
        if not 0 < target <= 1:
            raise CommandError("--target-precision must be in (0, 1]")
        municipality = municipality_from_slug(opts["municipality"])
        if opts["from_logs"]:
            return self.from_logs(municipality, target, days=opts["days"], save=opts["save"])
        if not opts["queries"]:
            raise CommandError("give query files, or --from-logs")
        try:
            queries = evaluation.load_queries(opts["queries"])
        except evaluation.QueryFileError as exc:
            raise CommandError(str(exc)) from exc
        if not queries:
            raise CommandError("no queries")
        outcomes = evaluation.run(municipality, queries, progress=opts["progress"])
        choice = evaluation.choose_thresholds(outcomes, target)
        thresholds = decision.Thresholds.for_values(choice.threshold, choice.margin)
        figures = evaluation.summarise(outcomes, evaluation.redecide(outcomes, thresholds))
        previous = decision.Thresholds.for_municipality(municipality)
        result = {
            "municipality": municipality.slug,
            "target_precision": target,
            "met": choice.met,
            "answer_threshold": choice.threshold,
            "answer_margin": choice.margin,
            "answered_share": figures["answered_share"],
            "answered_precision": figures["answered_precision"],
            "handoff_on_unanswerable": figures["handoff_on_unanswerable"],
            "previous": {"answer_threshold": previous.answer, "answer_margin": previous.margin},
            "saved": False,
        }
        if opts["save"]:
            if not choice.met:
                raise CommandError(
                    "the target precision is not reachable on these queries; nothing saved\n" + json.dumps(result)
                )
            municipality.answer_threshold = choice.threshold
            municipality.answer_margin = choice.margin
            municipality.save(update_fields=["answer_threshold", "answer_margin"])
            result["saved"] = True
        self.stdout.write(json.dumps(result, ensure_ascii=False))

    def from_logs(self, municipality, target: float, *, days: int, save: bool) -> None:
        proposal = calibration.propose(municipality, target=target, days=days)
        if proposal is None:
            raise CommandError(
                f"fewer than {calibration.MIN_LABELS} labels in the last {days} days "
                "(ask-back picks, rated answers, hand-offs resolved with an entry); nothing to fit"
            )
        result = {"municipality": municipality.slug, "target_precision": target, **proposal.as_dict(), "saved": False}
        if save:
            if not proposal.choice.met:
                raise CommandError(
                    "the target precision is not reachable on these labels; nothing saved\n" + json.dumps(result)
                )
            municipality.answer_threshold = proposal.choice.threshold
            municipality.answer_margin = proposal.choice.margin
            municipality.save(update_fields=["answer_threshold", "answer_margin"])
            result["saved"] = True
        self.stdout.write(json.dumps(result, ensure_ascii=False))
