"""Shared fixtures: tenants, and the real services (Redis, a Celery worker) for integration tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.signals import request_finished, request_started
from django.db import connection
from kombu import pools

from chatbot.celery import app
from conversations.models import Membership, Municipality
from faq import retrieval
from faq.models import FAQ

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config):
    # A file-backed SQLite test database, so that worker processes can open it too.
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db.setdefault("TEST", {})["NAME"] = str(settings.VAR_DIR / f"test-{os.getpid()}.sqlite3")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


class InFlightRequests:
    """Requests the live server is still handling, by server thread (Django's request signals).

    A browser test can end while the live server is still answering (a message the page sent just
    before the test's last check). Flushing the database under that request deadlocks on
    PostgreSQL, so live-server tests wait for these to finish first. Event streams hold no
    database locks and only end at their next heartbeat, so they are not waited for.
    """

    STREAMS = ("/events",)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._paths: dict[int, str] = {}

    def started(self, sender=None, environ=None, **kwargs) -> None:
        with self._lock:
            self._paths[threading.get_ident()] = (environ or {}).get("PATH_INFO", "")

    def finished(self, sender=None, **kwargs) -> None:
        with self._lock:
            self._paths.pop(threading.get_ident(), None)

    def busy(self) -> list[str]:
        with self._lock:
            return [path for path in self._paths.values() if not path.endswith(self.STREAMS)]


IN_FLIGHT = InFlightRequests()


@pytest.fixture(autouse=True)
def _live_server_finishes_its_requests(request) -> Iterator[None]:
    """Tests with a live server: teardown waits (before the database flush) for its open requests."""
    if "live_server" not in request.fixturenames:
        yield
        return

    request.getfixturevalue("transactional_db")  # set up first, so flushed after this teardown
    request_started.connect(IN_FLIGHT.started)
    request_finished.connect(IN_FLIGHT.finished)
    try:
        yield
        wait_until(lambda: not IN_FLIGHT.busy(), timeout=30)
    finally:
        request_started.disconnect(IN_FLIGHT.started)
        request_finished.disconnect(IN_FLIGHT.finished)


@pytest.fixture
def fresh_index(settings):
    """The test starts without a cached search index and checks the version stamp on every search."""
    settings.FAQ_INDEX_CHECK_SECONDS = 0
    retrieval.registry.forget()
    yield
    retrieval.registry.forget()


@pytest.fixture
def municipality(db):
    return Municipality.objects.create(
        slug="mihon", name_ja="みほん市", name_en="Sample City", website_url="https://www.city.mihon.example.jp/"
    )


@pytest.fixture
def make_municipality(db) -> Callable:
    def make(slug: str, **fields):
        fields.setdefault("name_ja", f"{slug}市")
        return Municipality.objects.create(slug=slug, **fields)

    return make


@pytest.fixture
def city_a(make_municipality):
    """Two tenants, for isolation tests: city A (with LINE credentials) and city B."""
    return make_municipality("city-a", line_channel_secret="a-line-secret", line_access_token="a-line-token")


@pytest.fixture
def city_b(make_municipality):
    return make_municipality("city-b")


@pytest.fixture
def make_faq(db) -> Callable:
    counter = {"n": 0}

    def make(municipality, question: str, answer: str, **fields):
        counter["n"] += 1
        fields.setdefault("external_id", f"t-{counter['n']:03d}")
        return FAQ.objects.create(municipality=municipality, question=question, answer=answer, **fields)

    return make


@pytest.fixture
def staff_user(db) -> Callable:
    def make(municipality, role: str = Membership.Role.STAFF, username: str | None = None, **membership):
        user = get_user_model().objects.create_user(
            username=username or f"{role}-{municipality.slug}", password="pw", is_staff=True
        )
        Membership.objects.create(user=user, municipality=municipality, role=role, **membership)
        return user

    return make


# --- real services ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A private redis-server on loopback for the whole test session."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed: run `make test`, which installs it")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def redis_client(redis_url):
    client = redis.Redis.from_url(redis_url)
    client.flushall()
    yield client
    client.close()


def _database_url() -> str:
    s = connection.settings_dict
    if s["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _reset_broker_pools(app) -> None:
    """Drop cached broker connections so the next send uses the current broker_url."""

    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    pools.reset()


@pytest.fixture
def broker_down(settings) -> Iterator[str]:
    """Tasks are sent to a broker that is not there (nothing listens on its port): every publish fails."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    settings.REDIS_URL = ""  # the cache and live updates stay in memory; only the broker is gone
    old = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    app.conf.broker_url = url
    app.conf.task_always_eager = False
    _reset_broker_pools(app)
    try:
        yield url
    finally:
        app.conf.broker_url = old["broker_url"]
        app.conf.task_always_eager = old["task_always_eager"]
        _reset_broker_pools(app)


class Worker:
    def __init__(self, proc: subprocess.Popen, log: Path):
        self.proc = proc
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@pytest.fixture
def celery_worker(transactional_db, redis_client, redis_url, settings, tmp_path) -> Iterator[Callable[..., Worker]]:
    """Start a real `celery -A chatbot worker` against the test database and the test Redis.

    The test process sends tasks to that Redis too (not in-process), so the whole path is real.
    Call it with extra environment variables, e.g. ``celery_worker(LINE_API_BASE_URL=...)``.
    """

    settings.REDIS_URL = redis_url
    old = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    app.conf.broker_url = redis_url
    app.conf.task_always_eager = False
    _reset_broker_pools(app)
    procs: list[subprocess.Popen] = []

    def start(**extra_env: str) -> Worker:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DATABASE_URL=_database_url(),
            REDIS_URL=redis_url,
            PYTHONPATH=str(ROOT),
            MADOGUCHI_VAR_DIR=str(settings.VAR_DIR),
        )
        env.update(extra_env)
        log = tmp_path / f"worker-{len(procs)}.log"
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "chatbot",
                "worker",
                "--pool=threads",
                "--concurrency=4",
                "--loglevel=INFO",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"test{len(procs)}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        procs.append(proc)
        worker = Worker(proc, log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if "ready." in worker.output():
                return worker
            if proc.poll() is not None:
                raise RuntimeError(f"celery worker exited:\n{worker.output()}")
            time.sleep(0.1)
        raise RuntimeError(f"celery worker not ready after 60s:\n{worker.output()}")

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    app.conf.broker_url = old["broker_url"]
    app.conf.task_always_eager = old["task_always_eager"]
    _reset_broker_pools(app)


def wait_until(predicate: Callable[[], object], timeout: float = 20.0, interval: float = 0.05):
    """Poll until predicate() is truthy; return its value or fail with a clear message."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout}s")


# --- one headless Chromium for every browser test ------------------------------------------------------

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run `make test`, which installs it")
    from playwright.sync_api import expect, sync_playwright  # noqa: PLC0415 (browser tests only)

    # Answers take well under a second, but the first search builds the index and the machine may be busy.
    expect.set_options(timeout=15_000)

    # Playwright's sync API keeps an event loop on this thread; the tests' own ORM calls are still
    # synchronous, so Django's async-safety guard is told so for the session.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
