"""Check the configured language model: it answers, our largest request fits, it cites as the bot needs.

    manage.py check_model            exit status 1 when a check fails; the result is kept for /readyz
    manage.py check_model --timeout 120

Run it after setting OPENAI_* (and after changing the model or its server). What each step means
and what to do when one fails: llm/health.py, README "Running a local model".
"""

from __future__ import annotations

from dataclasses import replace

from django.core.management.base import BaseCommand, CommandError

from llm import client, health


class Command(BaseCommand):
    help = "Check the configured OpenAI-compatible model: it answers, our largest prompt fits, it cites passages."

    def add_arguments(self, parser):
        parser.add_argument(
            "--timeout", type=float, help="seconds per call for this check (default: OPENAI_TIMEOUT, as residents get)"
        )

    def handle(self, *args, **options):
        config = client.current()
        if not config.enabled:
            raise CommandError("No model is configured: set OPENAI_MODEL and OPENAI_BASE_URL (or OPENAI_API_KEY).")
        if options["timeout"]:
            config = replace(config, timeout=options["timeout"])
        self.stdout.write(
            f"model {config.model} at {config.base_url or 'api.openai.com'} "
            f"(timeout {config.timeout:g} s, answers up to {config.max_tokens} tokens)"
        )
        report = health.run(config)
        for step in report.steps:
            mark = "ok  " if step.ok else "FAIL"
            self.stdout.write(f"  {mark} {step.name}: {step.detail}")
            if not step.ok:
                self.stdout.write(f"       {step.advice}")
        if not report.ok:
            raise CommandError(f"the model failed the {report.first_failure.name} check")
        self.stdout.write(self.style.SUCCESS("the model passed every check"))
