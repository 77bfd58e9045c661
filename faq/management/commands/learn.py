"""Teach the bot from labelled logs: which FAQ entry answered which question.

    manage.py learn --municipality hinata previous_chatbot_log.jsonl

Each line is ``{"query": "粗大ごみ出したい", "external_id": "gomi-001"}``. The wordings are stored
through the same code as the online paths (``faq.learning.learn``): masked, once per wording and
entry, approved (an operator imported them on purpose). Bad lines (not JSON, no query, an unknown
external id) are reported with their line number and skipped. Running it again adds nothing new.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from conversations.commands import municipality_from_slug
from faq import learning
from faq.models import FAQ, LearnedPhrasing


class Command(BaseCommand):
    help = "Learn residents' wordings from labelled logs (JSONL: query, external_id) as approved phrasings."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--municipality", required=True, help="The municipality's slug.")

    def handle(self, *args, **opts):
        municipality = municipality_from_slug(opts["municipality"])
        path = Path(opts["file"])
        try:
            lines = path.read_text(encoding="utf-8-sig").splitlines()
        except (FileNotFoundError, IsADirectoryError):
            raise CommandError(f"No such file: {path}") from None
        entries = {faq.external_id: faq for faq in FAQ.objects.filter(municipality=municipality)}
        known = set(LearnedPhrasing.objects.filter(municipality=municipality).values_list("faq_id", "key"))
        learned = already = said = 0
        problems: list[str] = []
        for number, raw in enumerate(tqdm(lines, desc="learn", unit="line", disable=not sys.stderr.isatty()), 1):
            if not raw.strip():
                continue
            problem = None
            try:
                row = json.loads(raw)
            except json.JSONDecodeError as exc:
                row, problem = None, f"not valid JSON ({exc.msg})"
            if row is not None and not isinstance(row, dict):
                problem = "not a JSON object"
            elif row is not None:
                query, external_id = row.get("query"), row.get("external_id")
                if not isinstance(query, str) or not query.strip():
                    problem = 'no "query" text'
                elif not isinstance(external_id, str) or external_id not in entries:
                    problem = f"no FAQ entry {external_id!r} in {municipality.slug}"
            if problem:
                problems.append(f"{path}:{number}: {problem}")
                continue
            faq = entries[row["external_id"]]
            phrasing = learning.learn(faq, row["query"], source=LearnedPhrasing.Source.IMPORT)
            if phrasing is None:
                said += 1
            elif (faq.pk, phrasing.key) in known:
                already += 1
            else:
                known.add((faq.pk, phrasing.key))
                learned += 1
        for problem in problems:
            self.stderr.write(problem)
        summary = (
            f"{learned} new wordings learned, {already} already known, {said} already in their entry, "
            f"{len(problems)} lines skipped"
        )
        self.stdout.write(self.style.WARNING(summary) if problems else self.style.SUCCESS(summary))
