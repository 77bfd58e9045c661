"""Stored means answered, with real parts failing: Redis killed mid-burst and back empty, a worker killed
with ``kill -9`` mid-burst. Every event is answered exactly once within two minutes.

Signed webhooks -> the real view -> a real Redis -> real ``celery worker`` and ``celery beat`` processes
-> the real line-bot-sdk -> the fake LINE API. Recovery times are shortened through settings
(``tests.processes.FAST_RECOVERY``); the design is docs/adr/0008-stored-means-answered.md.
"""

from __future__ import annotations

import os
import time
from collections import Counter

import pytest

from chatbot.celery import app
from conversations.models import InboundEvent, Message
from tests.conftest import _database_url, _reset_broker_pools, wait_until
from tests.fakes.line_api import PUSH, REPLY, text_event
from tests.processes import FAST_RECOVERY, ROOT, CeleryProcess, RedisServer

pytestmark = pytest.mark.integration

QUESTIONS = ["ソファを捨てたい", "住民票の写しがほしい", "粗大ごみの出し方", "転入の手続き"]
ANSWER_WITHIN = 120  # seconds, from the last event sent


@pytest.fixture
def faqs(line_city, make_faq):
    make_faq(line_city, "粗大ごみの出し方", "粗大ごみは予約制です。", alt_questions=["ソファを捨てたい"])
    make_faq(line_city, "住民票の写しの取り方", "市民課の窓口で取れます。", alt_questions=["住民票の写しがほしい"])
    make_faq(line_city, "転入の手続き", "14日以内に転入届を出してください。", alt_questions=["引っ越してきた"])
    return line_city


class Stack:
    """Redis, a worker and beat, each of which a test can kill and start again."""

    def __init__(self, tmp_path, line_api_url: str, settings, **overrides: str) -> None:
        self.redis = RedisServer(log=tmp_path / "redis.log").start()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DATABASE_URL=_database_url(),
            REDIS_URL=self.redis.url,
            PYTHONPATH=str(ROOT),
            MADOGUCHI_VAR_DIR=str(settings.VAR_DIR),
            LINE_API_BASE_URL=line_api_url,
            **{**FAST_RECOVERY, **overrides},
        )
        worker_args = [
            "--pool=threads",
            "--concurrency=4",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ]
        self.worker = CeleryProcess("worker", env, tmp_path / "worker.log", [*worker_args, "-n", "faults@%h"])
        beat_args = ["-s", str(tmp_path / "celerybeat-schedule"), "--max-interval", "1"]
        self.beat = CeleryProcess("beat", env, tmp_path / "beat.log", beat_args)
        # This process (the webhook) queues tasks on the same Redis.
        settings.REDIS_URL = self.redis.url
        self.old = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
        app.conf.broker_url = self.redis.url
        app.conf.task_always_eager = False
        _reset_broker_pools(app)

    def start(self) -> Stack:
        self.worker.start()
        self.beat.start()
        return self

    def stop(self) -> None:
        for part in (self.beat, self.worker, self.redis):
            part.stop()
        app.conf.broker_url = self.old["broker_url"]
        app.conf.task_always_eager = self.old["task_always_eager"]
        _reset_broker_pools(app)

    def logs(self) -> str:
        return "\n".join(f"--- {p.log.name}\n{p.output()[-4000:]}" for p in (self.worker, self.beat))


@pytest.fixture
def stack(transactional_db, faqs, line_api, tmp_path, settings, request):
    stack = Stack(tmp_path, line_api.url, settings, **getattr(request, "param", {})).start()
    yield stack
    stack.stop()


def burst(post_webhook, count: int, start: int = 0) -> list[dict]:
    """``count`` events, each from its own resident; what LINE does on a failed call: deliver it again."""
    sent = []
    for i in range(start, start + count):
        raw = text_event(QUESTIONS[i % len(QUESTIONS)], user=f"U{i:032x}")
        for attempt in range(3):
            again = {**raw, "deliveryContext": {"isRedelivery": attempt > 0}}
            if post_webhook(again).status_code == 200:
                break
        else:
            pytest.fail(f"event {i} not acknowledged after 3 deliveries")
        sent.append(raw)
    return sent


def answered(line_api, events: list[dict]) -> Counter:
    """How many answers each event got: its reply token used, or a push to its resident (one each)."""
    replies = Counter(c.body.get("replyToken") for c in line_api.calls(REPLY, status=200))
    pushes = Counter(c.body.get("to") for c in line_api.calls(PUSH, status=200))
    return Counter(
        {raw["webhookEventId"]: replies[raw["replyToken"]] + pushes[raw["source"]["userId"]] for raw in events}
    )


def all_answered(line_api, events: list[dict]):
    def check() -> bool:
        done = InboundEvent.objects.filter(processed_at__isnull=False).count() >= len(events)
        pending = Message.objects.filter(direction="out", delivery="pending").exists()
        return done and not pending and all(n >= 1 for n in answered(line_api, events).values())

    return check


def assert_exactly_once(line_api, events: list[dict], stack: Stack, *, cut_off: list[dict] = ()) -> None:
    """Every event answered once. ``cut_off``: reply or push calls LINE was answering when the worker
    died. LINE delivers such a call but the worker never learns it did; reply calls carry no retry
    key, so the event's retry sends its answer again (a push). Nothing lost comes first: those events,
    and only those, may be answered twice."""
    counts = answered(line_api, events)
    lost = [e for e, n in counts.items() if n == 0]
    maybe_twice = {c.get("replyToken") for c in cut_off} | {c.get("to") for c in cut_off}
    doubled = [
        raw["webhookEventId"]
        for raw in events
        if counts[raw["webhookEventId"]] > (2 if {raw["replyToken"], raw["source"]["userId"]} & maybe_twice else 1)
    ]
    assert (lost, doubled) == ([], []), stack.logs()
    assert InboundEvent.objects.count() == len(events)
    assert not InboundEvent.objects.filter(given_up_at__isnull=False).exists()
    assert Message.objects.filter(direction="out", delivery="sent").count() == len(events)
    assert line_api.shape_errors == []


def test_redis_killed_mid_burst_and_back_empty_loses_nothing(stack, line_api, post_webhook):
    events = burst(post_webhook, 20)
    stack.redis.kill()  # whatever was queued is gone
    events += burst(post_webhook, 20, start=20)  # acknowledged with 200: stored, not queued
    assert InboundEvent.objects.count() == 40
    stack.redis.start()  # empty, as after a failover
    events += burst(post_webhook, 20, start=40)
    wait_until(all_answered(line_api, events), timeout=ANSWER_WITHIN)
    assert_exactly_once(line_api, events, stack)
    assert "queued" in stack.worker.output() or "requeue_events" in stack.worker.output()


def test_a_worker_killed_mid_burst_loses_nothing_and_answers_nothing_twice(stack, line_api, post_webhook):
    line_api.latency = 0.2  # replies take a while: the kill lands with calls to LINE in flight
    events = burst(post_webhook, 60)
    wait_until(lambda: InboundEvent.objects.filter(processed_at__isnull=False).count() >= 15, timeout=60)
    wait_until(lambda: line_api.in_flight(), timeout=30)  # a reply call open: its event is leased
    killed_at = time.time()
    stack.worker.kill()  # kill -9 of its process group, with tasks in flight and reserved
    # Calls LINE answered too late for the worker to note (a moment before the kill, or after it).
    cut_off = line_api.answered_after(killed_at - 0.5)
    in_flight = InboundEvent.objects.filter(processed_at__isnull=True, lease_until__isnull=False).count()
    assert in_flight >= 1  # the kill hit events being worked on
    stack.worker.start()
    events += burst(post_webhook, 10, start=60)
    wait_until(all_answered(line_api, events), timeout=ANSWER_WITHIN)
    assert_exactly_once(line_api, events, stack, cut_off=cut_off)


@pytest.mark.parametrize("stack", [{"CELERY_VISIBILITY_TIMEOUT": "2", "EVENT_REQUEUE_SECONDS": "3600"}], indirect=True)
def test_a_task_redelivered_while_it_still_runs_answers_once(stack, line_api, post_webhook):
    """A visibility timeout shorter than a task: Redis hands the unacknowledged task out again while the
    first run is still in LINE's slow reply call. The lease lets only one run process the event (beat
    kept out); the other finds it leased and does nothing."""
    line_api.latency = 6.0  # longer than the visibility timeout and one restore sweep (2 s each)
    events = burst(post_webhook, 2)
    wait_until(all_answered(line_api, events), timeout=ANSWER_WITHIN)
    wait_until(lambda: "skipped" in stack.worker.output(), timeout=30)  # a second delivery ran, and did nothing
    assert_exactly_once(line_api, events, stack)
    # The worker logs a task's result just after the event is marked processed: wait for the lines.
    wait_until(lambda: stack.worker.output().count("'processed'") >= len(events), timeout=30)
    assert stack.worker.output().count("'processed'") == len(events)  # each event processed by one run only
