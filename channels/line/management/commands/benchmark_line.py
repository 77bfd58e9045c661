"""Benchmark the LINE channel under a burst: webhook acknowledgement and event-to-reply latency.

    manage.py benchmark_line                              # 2,000 events, production topology
    DATABASE_URL=postgres://… manage.py benchmark_line    # on PostgreSQL, as in production
    manage.py benchmark_line --concurrency 8 --events 5000
    manage.py benchmark_line --worker none                # the webhook alone (nothing answered)
    manage.py benchmark_line --faults                     # 150 events through a killed worker and Redis

Everything runs on loopback, in a throwaway database created and dropped like the test runner's
(real data is never touched):

1. the fake LINE Messaging API (``tests/fakes/line_api.py``) starts in this process and the SDK is
   pointed at it; reply tokens expire after ``--reply-token-ttl`` seconds (60), as LINE's do;
2. a city with a LINE channel and a few FAQ entries is created;
3. the webhook is served as in production: ``gunicorn`` (gthread) in its own process
   (``--server thread``: Django's threaded server in this process instead);
4. events are answered by a real ``celery worker`` process (at low CPU priority, so that
   acknowledgements come first) through Redis: ``REDIS_URL`` if set, otherwise a private
   ``redis-server`` on loopback. Without Redis, or with ``--worker inline``, worker threads in this
   process answer instead, and the webhook is served from this process too (pessimistic numbers);
5. a few events warm the whole path up; then N signed webhook requests, one event each from
   ``--users`` residents, go out over ``--concurrency`` connections (one client process each),
   each sending its next event as soon as the last is acknowledged, so the server never idles;
6. it prints the acknowledgement latency (p50 / p90 / p99 / max), the web tier's CPU time per
   webhook, the end-to-end latency from sending an event to the fake LINE API receiving its answer
   (by reply token, or by push once the token expired), and checks that every event was stored,
   processed and answered exactly once.

It exits non-zero if an event was lost, failed or was answered twice, or if the acknowledgement p99
misses ``--target-p99-ms`` (50 ms). Numbers depend on the machine and on whatever else runs on it:
the load average is printed with them.

``--faults`` runs the fault scenario instead (stored means answered, docs/adr/0008): 150 events
(``--events``) paced over a few seconds (``--rate``), a private Redis, a worker and ``celery beat``
in their own process groups, with short recovery settings (``tests.processes.FAST_RECOVERY``,
printed). Mid-burst the worker's whole process group is killed with ``kill -9``, then Redis is
killed and comes back empty two seconds later, and the worker is started again. LINE's redelivery
is played by the clients: a call that fails or is not answered 200 is sent again, marked
``isRedelivery``. It prints how many events were lost and how many answered twice; the
acknowledgement target is not judged (a broker that is down costs a connection attempt).
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.management.base import BaseCommand, CommandError
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import close_old_connections, connection, connections, transaction
from django.test.testcases import QuietWSGIRequestHandler
from django.test.utils import setup_databases, teardown_databases
from kombu import pools

from channels.line import views
from channels.line.management.commands._clients import _ready, _send_share
from chatbot import pipeline
from chatbot.celery import app
from conversations.models import InboundEvent, Message, Municipality
from faq.models import FAQ

QUESTIONS = ["ソファを捨てたい", "住民票の写しがほしい", "児童手当の申請", "粗大ごみの出し方", "転入の手続き"]
FAQS = [
    ("粗大ごみの出し方", "粗大ごみは予約制です。受付センターに電話してください。", ["ソファを捨てたい"]),
    ("住民票の写しの取り方", "市民課の窓口、またはコンビニ交付で取れます。", ["住民票の写しがほしい"]),
    ("児童手当の申請", "出生や転入の翌日から15日以内に子育て支援課へ申請してください。", ["児童手当"]),
    ("転入の手続き", "引っ越してから14日以内に市民課で転入届を出してください。", ["引っ越してきた"]),
]
SECRET = "benchmark-channel-secret"
TOKEN = "benchmark-access-token"


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), -(-len(ordered) * p // 100)))
    return ordered[int(rank) - 1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen | None, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if proc is not None and proc.poll() is not None:
            raise CommandError(f"{what} exited with {proc.returncode}")
        time.sleep(0.1)
    raise CommandError(f"{what} not listening on 127.0.0.1:{port} after {timeout:.0f}s")


def cpu_seconds(root: int) -> float:
    """CPU time (user + system) of a process and its children so far; 0 where /proc is missing."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total, parents = 0.0, {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents[int(entry.parent.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    tree, grew = {root}, True
    while grew:
        grew = False
        for pid, (ppid, _cpu) in parents.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                grew = True
    for pid in tree:
        total += parents.get(pid, (0, 0.0))[1]
    return total


class Command(BaseCommand):
    help = "Burst-test the LINE webhook and delivery against a fake LINE API; print latency percentiles."

    def add_arguments(self, parser):
        parser.add_argument(
            "--events", type=int, default=None, help="events to send, one per request (2000; 150 with --faults)"
        )
        parser.add_argument(
            "--concurrency",
            type=int,
            default=4,
            help="client connections, each sending its next event as soon as the last is acknowledged",
        )
        parser.add_argument("--users", type=int, default=200, help="distinct residents the events come from")
        parser.add_argument(
            "--server",
            choices=["gunicorn", "thread"],
            default="gunicorn",
            help="gunicorn in its own process (as in production), or Django's threaded server in this one",
        )
        parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes")
        parser.add_argument("--web-threads", type=int, default=8, help="threads per gunicorn worker (gthread)")
        parser.add_argument(
            "--worker",
            choices=["celery", "inline", "none"],
            default="celery",
            help="a real Celery worker (REDIS_URL, or a private redis-server), worker threads in this process, "
            "or none (the webhook alone: events are stored and queued, not answered)",
        )
        parser.add_argument("--workers", type=int, default=4, help="celery concurrency or inline worker threads")
        parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for every reply")
        parser.add_argument("--target-p99-ms", type=float, default=50.0)
        parser.add_argument(
            "--reply-token-ttl", type=float, default=60.0, help="seconds the fake LINE API accepts a reply token"
        )
        parser.add_argument(
            "--faults",
            action="store_true",
            help="the fault scenario: worker killed with -9 and Redis restarted empty mid-burst, LINE redelivering",
        )
        parser.add_argument(
            "--rate",
            type=float,
            default=None,
            help="events per second in all (default: as fast as acknowledged; 25 with --faults)",
        )

    def handle(self, *args, **opts):
        try:
            from tests.fakes.line_api import (  # noqa: PLC0415 (the fake lives with the tests: a checkout has it)
                FakeLineAPI,
                sign,
                text_event,
                webhook_body,
            )
        except ImportError as exc:  # the fake lives with the tests
            raise CommandError("run from the repository root: the fake LINE API is tests/fakes/line_api.py") from exc
        faults = opts["faults"]
        if opts["events"] is None:
            opts["events"] = 150 if faults else 2000
        if opts["rate"] is None:
            opts["rate"] = 25.0 if faults else 0.0
        if faults:
            opts["worker"], opts["server"] = "celery", "gunicorn"
            opts["users"] = max(opts["users"], opts["events"])  # one resident per event: answers counted exactly
        if opts["events"] < 1 or opts["concurrency"] < 1:
            raise CommandError("--events and --concurrency must be at least 1")
        settings.DEBUG = False
        self.var = Path(settings.VAR_DIR)
        self.stoppers: list = []
        self.web_pid = self.worker_pid = 0
        self.web_cpu_ms = 0.0
        self.faults = faults
        self.recovery = {}
        self.fault_log: list[str] = []
        self.redis_server = self.worker = self.beat = None
        old_db = self._setup_database()
        api = FakeLineAPI(tokens={TOKEN}).start()
        settings.LINE_API_BASE_URL = api.url
        try:
            city = self._city()
            answering = opts["worker"] != "none"
            redis_url = self._redis() if opts["worker"] in ("celery", "none") else ""
            if not answering and not redis_url:
                raise CommandError("--worker none needs Redis (REDIS_URL or redis-server) to queue into")
            mode = "celery worker process" if redis_url else "inline worker threads"
            mode = mode if answering else "queued to Redis, not processed"
            server = "gunicorn" if opts["server"] == "gunicorn" else "threaded server in this process"
            self.stdout.write(f"database {connection.vendor}; webhook: {server}; tasks: {mode}")
            if faults:
                from tests.processes import FAST_RECOVERY  # noqa: PLC0415 (as above: with the tests)

                self.recovery = dict(FAST_RECOVERY)
                self.stdout.write("recovery settings: " + ", ".join(f"{k}={v}" for k, v in self.recovery.items()))
                self._start_fault_stack(opts["workers"], api.url, redis_url)
            elif redis_url and answering:
                self._start_celery(opts["workers"], api.url, redis_url)
            elif answering:
                self._start_inline(opts["workers"])
            port = self._serve(opts, redis_url)

            def signed(i: int, user: str) -> tuple[str, str, bytes, str, str, bytes, str]:
                raw = text_event(QUESTIONS[i % len(QUESTIONS)], user=user)
                body = webhook_body(raw)
                again = webhook_body({**raw, "deliveryContext": {"isRedelivery": True}})
                return (
                    raw["replyToken"],
                    raw["webhookEventId"],
                    body,
                    sign(body, SECRET),
                    user,
                    again,
                    sign(again, SECRET),
                )

            # Warm up the whole path (models loaded in every process) before measuring.
            warm = [signed(i, "U" + "f" * 32) for i in range(2 * opts["web_workers"] + opts["workers"])]
            self.warm_ids = [b[1] for b in warm]
            started = time.perf_counter()
            self._burst(port, city.slug, warm, 2)
            if answering:
                self._wait([b[1] for b in warm], opts["timeout"], quiet=True)
            self.stdout.write(f"whole path warmed up in {time.perf_counter() - started:.1f}s")
            bodies = [signed(i, f"U{i % opts['users']:032x}") for i in range(opts["events"])]
            api.reset()
            api.reply_token_ttl = opts["reply_token_ttl"]
            self.stdout.write(f"sending {len(bodies)} signed events from {opts['concurrency']} client processes …")
            started, web_cpu = time.perf_counter(), cpu_seconds(self.web_pid or os.getpid())
            chaos = self._chaos(len(bodies)) if faults else None
            acks, statuses, sent_at = self._burst(
                port, city.slug, bodies, opts["concurrency"], api.issued, rate=opts["rate"], redeliver=faults
            )
            burst = time.perf_counter() - started
            if chaos is not None:
                chaos.join()
            self.web_cpu_ms = (cpu_seconds(self.web_pid or os.getpid()) - web_cpu) * 1000 / len(bodies)
            if answering:
                self._wait([b[1] for b in bodies], opts["timeout"])
            self._report(api, bodies, acks, statuses, sent_at, burst, opts, answering)
        finally:
            for stop in reversed(self.stoppers):
                try:
                    stop()
                except Exception as exc:  # clean up the rest regardless
                    self.stderr.write(f"cleanup: {exc}")
            api.stop()
            self._teardown_database(old_db)

    # --- setup -----------------------------------------------------------------------------------

    def _setup_database(self):
        db = connection.settings_dict
        db["CONN_MAX_AGE"] = max(db.get("CONN_MAX_AGE") or 0, 60)  # as recommended behind gunicorn
        if db["ENGINE"] == "django.db.backends.sqlite3":
            # A file, so that other processes share it; removed afterwards. Writers in this process
            # queue for the lock (BEGIN IMMEDIATE) instead of failing with "database is locked".
            db.setdefault("TEST", {})["NAME"] = str(self.var / f"benchmark-line-{os.getpid()}.sqlite3")
            db.setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
        self.stdout.write("creating a throwaway database …")
        return setup_databases(verbosity=0, interactive=False, aliases={"default"}, serialized_aliases=set())

    def _teardown_database(self, old_db) -> None:
        connections.close_all()
        teardown_databases(old_db, verbosity=0)

    def _database_url(self) -> str:
        db = connection.settings_dict
        if db["ENGINE"] == "django.db.backends.sqlite3":
            return f"sqlite:///{db['NAME']}"
        host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
        return f"postgres://{db['USER']}:{db['PASSWORD']}@{host}:{port}/{db['NAME']}"

    def _env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DATABASE_URL=self._database_url(),
            DATABASE_CONN_MAX_AGE="60",
            MADOGUCHI_VAR_DIR=str(self.var),
            PYTHONPATH=str(settings.BASE_DIR),
            DEBUG="0",
        )
        env.update(extra)
        return env

    def _spawn(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = open(self.var / f"benchmark-line-{name}.log", "w")  # noqa: SIM115 (closed on stop)
        proc = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)

        def stop():
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()

        self.stoppers.append(stop)
        proc.log_path = log.name  # type: ignore[attr-defined]
        return proc

    def _redis(self) -> str:
        if self.faults:  # one this command may kill and start again
            from tests.processes import RedisServer  # noqa: PLC0415 (as above: with the tests)

            self.redis_server = RedisServer(log=self.var / "benchmark-line-redis.log").start()
            self.stoppers.append(self.redis_server.stop)
            return self.redis_server.url
        if settings.REDIS_URL:
            return settings.REDIS_URL
        binary = shutil.which("redis-server")
        if binary is None:
            self.stdout.write("no REDIS_URL and no redis-server: tasks run in this process")
            return ""
        port = free_port()
        proc = self._spawn(
            "redis",
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            dict(os.environ),
        )
        wait_for_port(port, proc, "redis-server")
        return f"redis://127.0.0.1:{port}/0"

    def _city(self):
        city = Municipality.objects.create(
            slug="line-bench",
            name_ja="ベンチ市",
            website_url="https://www.city.bench.example.jp/",
            line_channel_secret=SECRET,
            line_access_token=TOKEN,
        )
        for n, (question, answer, alternatives) in enumerate(FAQS):
            FAQ.objects.create(
                municipality=city,
                external_id=f"bench-{n}",
                question=question,
                answer=answer,
                alt_questions=alternatives,
                url=f"faq/{n}.html",
            )
        return city

    def _start_celery(self, count: int, api_url: str, redis_url: str) -> None:
        command = ["nice", "-n", "19", sys.executable, "-m", "celery", "-A", "chatbot", "worker", "--pool=threads"]
        command += [f"--concurrency={count}", "--loglevel=INFO", "--without-heartbeat", "--without-gossip"]
        command += ["--without-mingle", "-n", f"bench{os.getpid()}@%h"]
        proc = self._spawn("worker", command, self._env(REDIS_URL=redis_url, LINE_API_BASE_URL=api_url))
        self.worker_pid = proc.pid
        log = Path(proc.log_path)  # type: ignore[attr-defined]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if "ready." in log.read_text(errors="replace"):
                self.stdout.write(f"celery worker ready (log: {log})")
                return
            if proc.poll() is not None:
                raise CommandError(f"celery worker exited; see {log}")
            time.sleep(0.2)
        raise CommandError(f"celery worker not ready after 120s; see {log}")

    def _start_fault_stack(self, count: int, api_url: str, redis_url: str) -> None:
        """A worker and beat in their own process groups (so that the worker can be killed with -9)."""
        from tests.processes import CeleryProcess  # noqa: PLC0415 (as above: with the tests)

        env = self._env(REDIS_URL=redis_url, LINE_API_BASE_URL=api_url, **self.recovery)
        args = ["--pool=threads", f"--concurrency={count}", "--without-heartbeat", "--without-gossip"]
        args += ["--without-mingle", "-n", f"bench{os.getpid()}@%h"]
        self.worker = CeleryProcess("worker", env, self.var / "benchmark-line-worker.log", args, nice=True).start(120)
        beat_args = ["-s", str(self.var / f"benchmark-line-beat-{os.getpid()}"), "--max-interval", "1"]
        self.beat = CeleryProcess("beat", env, self.var / "benchmark-line-beat.log", beat_args).start(120)
        self.stoppers += [self.worker.stop, self.beat.stop]
        self.stdout.write(f"celery worker and beat ready (logs: {self.worker.log}, {self.beat.log})")

    def _chaos(self, total: int) -> threading.Thread:
        """Mid-burst: kill -9 the worker, kill Redis, start Redis again empty, start the worker again."""

        def stored() -> int:
            close_old_connections()
            return InboundEvent.objects.exclude(channel_event_id__in=self.warm_ids).count()

        def at(share: float) -> None:
            deadline = time.monotonic() + 120
            while stored() < total * share and time.monotonic() < deadline:
                time.sleep(0.05)

        def run() -> None:
            try:
                at(0.3)
                self.worker.kill()
                self.fault_log.append(f"worker killed (kill -9 of its group) at {stored()} events stored")
                at(0.5)
                self.redis_server.kill()
                self.fault_log.append(f"Redis killed at {stored()} events stored")
                time.sleep(2)
                self.redis_server.start()
                self.fault_log.append(f"Redis back, empty, at {stored()} events stored")
                self.worker.start(120)
                self.fault_log.append(f"worker started again at {stored()} events stored")
            except Exception as exc:  # reported with the results
                self.fault_log.append(f"fault scenario broke: {type(exc).__name__}: {exc}")
            finally:
                connections.close_all()

        thread = threading.Thread(target=run, name="chaos", daemon=True)
        thread.start()
        return thread

    def _start_inline(self, count: int) -> None:
        work: queue.Queue = queue.Queue()
        real_enqueue = views.enqueue
        views.enqueue = lambda event_id: transaction.on_commit(lambda: work.put(event_id))
        tries: Counter = Counter()

        def run():
            while True:
                event_id = work.get()
                if event_id is None:
                    break
                try:
                    pipeline.process_event(event_id)
                except Exception as exc:  # like the Celery task: retried with backoff, a bounded number of times
                    tries[event_id] += 1
                    if tries[event_id] <= 6:
                        retry = threading.Timer(0.2 * 2 ** tries[event_id], work.put, args=(event_id,))
                        retry.daemon = True
                        retry.start()
                    else:
                        self.stderr.write(f"event {event_id} given up: {type(exc).__name__}: {exc}")
                finally:
                    close_old_connections()
            connections.close_all()

        threads = [threading.Thread(target=run, name=f"bench-worker-{i}", daemon=True) for i in range(count)]
        for t in threads:
            t.start()

        def stop():
            for _ in threads:
                work.put(None)
            for t in threads:
                t.join(timeout=30)
            views.enqueue = real_enqueue

        self.stoppers.append(stop)

    def _serve(self, opts, redis_url: str) -> int:
        if opts["server"] == "gunicorn" and (redis_url or opts["worker"] == "celery"):
            port = free_port()
            command = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "-b", f"127.0.0.1:{port}"]
            command += ["-w", str(opts["web_workers"]), "-k", "gthread", "--threads", str(opts["web_threads"])]
            command += ["--log-level", "warning"]
            command += ["--backlog", "512"]
            proc = self._spawn("web", command, self._env(REDIS_URL=redis_url))
            wait_for_port(port, proc, "gunicorn")
            self.web_pid = proc.pid
            return port
        if opts["server"] == "gunicorn":
            self.stdout.write("inline tasks need the webhook in this process: using the threaded server")
        if redis_url:
            self._send_tasks_to(redis_url)

        class Handler(QuietWSGIRequestHandler):
            disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

        ThreadedWSGIServer.request_queue_size = 512
        server = ThreadedWSGIServer(("127.0.0.1", 0), Handler, allow_reuse_address=False)
        server.set_app(WSGIHandler())
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()

        def stop():
            server.shutdown()
            server.server_close()

        self.stoppers.append(stop)
        return server.server_address[1]

    def _send_tasks_to(self, redis_url: str) -> None:
        app.conf.broker_url = redis_url
        app.conf.task_always_eager = False
        if app._pool is not None:
            app._pool.force_close_all()
            app._pool = None
        app.amqp._producer_pool = None
        pools.reset()

    # --- the burst ---------------------------------------------------------------------------------

    def _burst(
        self,
        port: int,
        slug: str,
        bodies: list,
        concurrency: int,
        issued: dict | None = None,
        *,
        rate: float = 0.0,
        redeliver: bool = False,
    ):
        """Send every body; one client process per connection, so that the measurement does not wait
        for this process's interpreter lock (held by the fake LINE API and the progress polling)."""
        path = f"/line/{slug}/webhook"
        shares = [
            [(i, b[2], b[3], b[5], b[6]) for i, b in enumerate(bodies) if i % concurrency == k]
            for k in range(concurrency)
        ]
        interval = concurrency / rate if rate else 0.0
        redeliveries = 5 if redeliver else 0
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=concurrency, mp_context=context) as pool:
            list(pool.map(_ready, range(concurrency)))  # processes up before the clock starts
            results = list(
                pool.map(
                    _send_share,
                    [port] * concurrency,
                    [path] * concurrency,
                    shares,
                    [interval] * concurrency,
                    [redeliveries] * concurrency,
                )
            )
        acks: list[float] = [0.0] * len(bodies)
        statuses: list[int] = [0] * len(bodies)
        sent_at: list[float] = [0.0] * len(bodies)
        self.redelivered = 0
        for share in results:
            for i, at, latency, status, made in share:
                sent_at[i], acks[i], statuses[i] = at, latency, status
                self.redelivered += made
                if issued is not None:
                    issued[bodies[i][0]] = at
        return acks, statuses, sent_at

    def _wait(self, event_ids: list[str], timeout: float, quiet: bool = False) -> None:
        deadline = time.monotonic() + timeout
        next_note = time.monotonic() + 2
        while time.monotonic() < deadline:
            events = InboundEvent.objects.filter(channel_event_id__in=event_ids)
            done = events.filter(processed_at__isnull=False).count()
            pending = Message.objects.filter(event__in=events, direction="out", delivery="pending").exists()
            if done >= len(event_ids) and not pending:
                return
            if not quiet and time.monotonic() > next_note:
                next_note = time.monotonic() + 2
                self.stdout.write(f"  processed {done}/{len(event_ids)} …")
            time.sleep(0.25)
        self.stderr.write(f"gave up waiting after {timeout:.0f}s")

    # --- results -----------------------------------------------------------------------------------

    def _report(self, api, bodies, acks, statuses, sent_at, burst: float, opts, answering: bool = True) -> None:
        from tests.fakes.line_api import PUSH, REPLY  # noqa: PLC0415 (as in handle: the fake lives with the tests)

        n = len(bodies)
        ok = [a * 1000 for a, s in zip(acks, statuses, strict=True) if s == 200]
        codes = Counter(statuses)
        replied: dict[str, list[float]] = {}
        for call in api.calls(REPLY, status=200):
            replied.setdefault(call.body.get("replyToken"), []).append(call.at)
        pushed: dict[str, list[float]] = {}  # an answer whose reply token had expired goes by push
        for call in sorted(api.calls(PUSH, status=200), key=lambda c: c.at):
            pushed.setdefault(call.body.get("to"), []).append(call.at)
        by_reply = sum(len(v) for v in replied.values())
        by_push = sum(len(v) for v in pushed.values())
        e2e, unanswered, doubled = [], 0, 0
        for i, (token, _event_id, _body, _signature, user, *_again) in enumerate(bodies):
            if replied.get(token):
                e2e.append((replied[token][0] - sent_at[i]) * 1000)
                doubled += len(replied[token]) > 1
            elif pushed.get(user):  # matched by resident, in sending order
                e2e.append((pushed[user].pop(0) - sent_at[i]) * 1000)
            else:
                unanswered += 1
        doubled += sum(len(v) for v in pushed.values())  # pushes left over: answers sent twice
        events = InboundEvent.objects.filter(channel_event_id__in=[b[1] for b in bodies])
        stored = set(events.values_list("channel_event_id", flat=True))
        processed = events.filter(processed_at__isnull=False, last_error="").count()
        failed = Message.objects.filter(event__in=events, direction="out", delivery="failed").count()
        lost = sum(1 for b in bodies if b[1] not in stored)

        w = self.stdout.write
        mean = statistics.fmean(ok) if ok else float("nan")
        w("")
        w(f"events sent            {n} in {burst:.2f}s ({n / burst:.0f}/s), {opts['concurrency']} client processes")
        w(f"webhook answers        {dict(codes)} (after {self.redelivered} redeliveries of failed calls)")
        for line in self.fault_log:
            w(f"fault                  {line}")
        where = "gunicorn" if self.web_pid else "this process: webhook, workers and fake LINE API"
        w(f"web CPU per webhook    {self.web_cpu_ms:.2f} ms ({where}; load average {os.getloadavg()[0]:.1f})")
        w(
            "ack latency (ms)       "
            f"p50 {percentile(ok, 50):.1f}  p90 {percentile(ok, 90):.1f}  p99 {percentile(ok, 99):.1f}  "
            f"max {max(ok, default=float('nan')):.1f}  mean {mean:.1f}"
        )
        problems = []
        if answering:
            w(
                "event->reply (ms)      "
                f"p50 {percentile(e2e, 50):.0f}  p90 {percentile(e2e, 90):.0f}  p99 {percentile(e2e, 99):.0f}  "
                f"max {max(e2e, default=float('nan')):.0f}"
            )
            w(f"stored / processed     {len(stored)} / {processed}")
            w(f"answers                {by_reply} by reply token, {by_push} by push (token expired), {failed} failed")
            w(f"lost / unanswered / doubled   {lost} / {unanswered} / {doubled}")
            if lost or unanswered or doubled or codes.get(200, 0) != n or processed != n or failed:
                problems.append("some events were lost, failed or answered twice")
        else:
            w(f"stored / lost          {len(stored)} / {lost}")
            if lost or codes.get(200, 0) != n:
                problems.append("some events were lost")
        if api.shape_errors:
            problems.append(f"the fake LINE API refused {len(api.shape_errors)} malformed requests")
        if self.faults:
            if any("broke" in line for line in self.fault_log):
                problems.append("the fault scenario did not run as planned")
        else:
            p99 = percentile(ok, 99)
            verdict = "PASS" if p99 < opts["target_p99_ms"] else "FAIL"
            w(f"ack p99 target         < {opts['target_p99_ms']:.0f} ms: {verdict}")
            if verdict == "FAIL":
                problems.append(f"ack p99 {p99:.1f} ms is over the target")
        if problems:
            raise CommandError("; ".join(problems))
