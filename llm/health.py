"""Is the configured model fit to answer? ``manage.py check_model`` asks it, ``/readyz`` shows the result.

Three steps, each through the real client with the real settings (timeout, token cap):

1. **answers**: a one-word request comes back, and how long it took;
2. **context**: our largest request (the bot's grounded prompt with every passage, the history
   and the question at their longest, plus ``OPENAI_MAX_TOKENS`` for the answer) fits the server's
   context and comes back within ``OPENAI_TIMEOUT``;
3. **citations**: on a built-in question with two numbered passages, the model's answer passes
   every check a resident's would (it cites the right passage, states only the passages' facts).

The bot (a floor above) registers steps 2 and 3 with ``register`` when it starts, so this module
never imports it. The outcome is kept as a ``ModelReport`` (source ``check``); ``readiness`` says,
for ``/readyz``, whether the last check passed and whether calls have failed since.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from . import client, problems

log = logging.getLogger(__name__)


@dataclass
class Step:
    name: str
    ok: bool
    detail: str = ""  # what was seen (tokens, latency, the reply's start)
    advice: str = ""  # what to do, when it failed
    problem: str = ""  # a problems kind, when it failed


@dataclass
class Report:
    model: str
    base_url: str
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(step.ok for step in self.steps)

    @property
    def first_failure(self) -> Step | None:
        return next((step for step in self.steps if not step.ok), None)


# What the bot registers: the largest request it can make, and its citation probe.
LargestPrompt = Callable[[], list[dict]]
CitationProbe = Callable[[], Step]
_largest_prompt: LargestPrompt | None = None
_citation_probe: CitationProbe | None = None


def register(*, largest_prompt: LargestPrompt, citation_probe: CitationProbe) -> None:
    global _largest_prompt, _citation_probe
    _largest_prompt, _citation_probe = largest_prompt, citation_probe


def _failed(name: str, exc: client.LLMError) -> Step:
    return Step(name, False, str(exc)[:200], exc.advice, exc.kind)


def step_answers(config: client.LLMSettings) -> Step:
    try:
        completion = client.complete(
            [{"role": "user", "content": "「はい」とだけ答えてください。"}], max_tokens=16, config=config
        )
    except client.LLMError as exc:
        return _failed("answers", exc)
    if not completion.text.strip():
        return Step(
            "answers",
            False,
            "empty reply",
            _("The model answered with nothing: check that OPENAI_MODEL is a chat (instruct) model."),
            problems.BAD_REPLY,
        )
    return Step("answers", True, f"{completion.latency_ms:,.0f} ms")


def step_context(config: client.LLMSettings) -> Step:
    if _largest_prompt is None:
        return Step("context", True, "no largest prompt registered")
    messages = _largest_prompt()
    try:
        completion = client.complete(messages, max_tokens=config.max_tokens, config=config)
    except client.LLMTimeout as exc:
        return Step(
            "context",
            False,
            str(exc),
            _(
                "Our largest request did not come back within OPENAI_TIMEOUT (%(seconds)s s): residents with long "
                "questions would get no model answer. Raise OPENAI_TIMEOUT, or give the server more threads."
            )
            % {"seconds": f"{config.timeout:g}"},
            problems.TIMEOUT,
        )
    except client.LLMError as exc:
        return _failed("context", exc)
    return Step(
        "context",
        True,
        _("largest request: %(prompt)s prompt tokens + up to %(answer)s for the answer, %(ms)s ms")
        % {
            "prompt": f"{completion.prompt_tokens:,}",
            "answer": f"{config.max_tokens:,}",
            "ms": f"{completion.latency_ms:,.0f}",
        },
    )


def step_citations() -> Step:
    if _citation_probe is None:
        return Step("citations", True, "no citation probe registered")
    return _citation_probe()


def run(config: client.LLMSettings | None = None, *, record: bool = True) -> Report:
    """Check the configured model; keep the outcome for the admin and /readyz (``record``)."""
    config = config or client.current()
    report = Report(config.model, config.base_url)
    if not config.enabled:
        return report
    report.steps.append(step_answers(config))
    if report.steps[-1].ok:  # a server that does not answer at all has nothing more to tell
        report.steps.append(step_context(config))
        report.steps.append(step_citations())
    if record:
        _record(report)
    return report


def _record(report: Report) -> None:
    from .models import ModelReport  # noqa: PLC0415 (models load after the app registry; the client is imported earlier)

    failure = report.first_failure
    now = timezone.now()
    ModelReport.objects.create(
        source=ModelReport.Source.CHECK,
        model=report.model,
        base_url=report.base_url,
        ok=report.ok,
        problem=failure.problem or failure.name if failure else "",
        advice=failure.advice if failure else "",
        details={"steps": [asdict(step) for step in report.steps]},
        first_seen=now,
        last_seen=now,
    )
    if failure:
        log.warning("check_model: %s failed: %s", failure.name, failure.advice)
    else:
        log.info("check_model: %s passed every check", report.model)


def readiness() -> str:
    """One line for /readyz: "ok …", "not checked …", "error: …" or "not configured"."""
    from .models import ModelReport  # noqa: PLC0415 (models load after the app registry)

    config = client.current()
    if not config.enabled:
        return "not configured (answers come from curated content only)"
    mine = ModelReport.objects.filter(model=config.model, base_url=config.base_url)
    check = mine.filter(source=ModelReport.Source.CHECK).order_by("-last_seen").first()
    if check is None:
        return "not checked: run manage.py check_model"
    if not check.ok:
        return f"error: {check.problem}: {check.advice}"
    failing = mine.filter(source=ModelReport.Source.CALL, ok=False, last_seen__gt=check.last_seen)
    latest = failing.order_by("-last_seen").first()
    if latest is not None:
        return f"error: {latest.problem} ({latest.count}x since the last check): {latest.advice}"
    return f"ok (checked {timezone.localtime(check.last_seen):%Y-%m-%d %H:%M})"
