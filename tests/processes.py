"""Real processes the fault tests and ``benchmark_line --faults`` start, kill and start again.

- ``RedisServer``: a private ``redis-server`` on a fixed loopback port, without persistence, so that
  ``kill()`` then ``start()`` brings it back empty, as after a failover.
- ``CeleryProcess``: ``celery -A chatbot worker`` or ``beat`` in its own process group, so that
  ``kill()`` can ``kill -9`` the whole group (the main process and its children) at once.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} not within {timeout:.0f}s")


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


class RedisServer:
    def __init__(self, port: int | None = None, log: Path | None = None) -> None:
        self.port = port or free_port()
        self.log = log
        self.proc: subprocess.Popen | None = None
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (make test installs it)")
        self.binary = binary

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        out = self.log.open("a") if self.log else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        _until(lambda: _listening(self.port), 15, f"redis-server on port {self.port}")
        return self

    def kill(self) -> None:
        """SIGKILL: what is in memory (queued tasks, unacknowledged ones) is gone."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        _until(lambda: not _listening(self.port), 10, f"redis-server on port {self.port} to stop")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class CeleryProcess:
    """One ``celery -A chatbot worker|beat`` in its own process group, its output in ``log``."""

    def __init__(self, kind: str, env: dict[str, str], log: Path, args: list[str] | None = None, nice: bool = False):
        self.kind = kind
        self.env = env
        self.log = log
        self.args = args or []
        self.nice = nice
        self.proc: subprocess.Popen | None = None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def start(self, timeout: float = 90) -> CeleryProcess:
        command = [sys.executable, "-m", "celery", "-A", "chatbot", self.kind, "--loglevel=INFO", *self.args]
        if self.nice:
            command = ["nice", "-n", "19", *command]
        offset = len(self.output())
        with self.log.open("a") as out:
            self.proc = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        ready = "ready." if self.kind == "worker" else "beat: Starting"
        proc = self.proc

        def up() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"celery {self.kind} exited:\n{self.output()[-3000:]}")
            return ready in self.output()[offset:]

        _until(up, timeout, f"celery {self.kind}")
        return self

    def kill(self) -> None:
        """``kill -9`` of the whole process group: nothing is acknowledged, nothing cleaned up."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


# Short recovery times, so that a fault is recovered from in seconds (production: docs/adr/0008).
FAST_RECOVERY = {
    "EVENT_LEASE_SECONDS": "8",
    "EVENT_REQUEUE_SECONDS": "1",
    "EVENT_REQUEUE_AFTER_SECONDS": "4",
    "EVENT_RETRY_BASE_SECONDS": "0.5",
    "EVENT_RETRY_MAX_SECONDS": "4",
    "CELERY_VISIBILITY_TIMEOUT": "30",
}
