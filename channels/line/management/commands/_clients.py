"""The client processes of ``benchmark_line``: they send signed webhooks as LINE does.

A module of its own, importing nothing of Django: the processes are spawned and import only this.
"""

from __future__ import annotations

import http.client
import os
import time


def _ready(_n: int) -> int:
    return os.getpid()


def _post(conn: http.client.HTTPConnection, path: str, body: bytes, signature: str) -> tuple[float, float, int]:
    """(sent at, seconds, status); status -1 when the connection failed twice."""
    headers = {"Content-Type": "application/json", "X-Line-Signature": signature}
    status, at, latency = -1, time.time(), 0.0
    for _attempt in range(2):
        try:
            at, t0 = time.time(), time.perf_counter()
            conn.request("POST", path, body, headers)
            response = conn.getresponse()
            response.read()
            latency, status = time.perf_counter() - t0, response.status
            if (response.getheader("Connection") or "").lower() == "close":
                conn.close()
            break
        except (http.client.HTTPException, OSError):
            conn.close()  # a kept-alive connection the server dropped: reconnect and send again
    return at, latency, status


def _send_share(
    port: int, path: str, share: list[tuple], interval: float = 0.0, redeliveries: int = 0
) -> list[tuple[int, float, float, int, int]]:
    """A client process: POST each body on one kept-alive connection, one every ``interval`` seconds.

    Like LINE, a call that failed or was not answered 200 is delivered again (the redelivery body,
    marked ``isRedelivery``), up to ``redeliveries`` times, waiting a little longer each time.
    Returns (index, sent at, seconds, status, redeliveries made).
    """
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    out = []
    next_at = time.monotonic()
    for i, body, signature, *again in share:
        if interval:
            time.sleep(max(0.0, next_at - time.monotonic()))
            next_at += interval
        at, latency, status = _post(conn, path, body, signature)
        made = 0
        while status != 200 and made < redeliveries and again:
            made += 1
            time.sleep(0.5 * 2 ** (made - 1))
            _at, _latency, status = _post(conn, path, again[0], again[1])
        out.append((i, at, latency, status, made))
    conn.close()
    return out
