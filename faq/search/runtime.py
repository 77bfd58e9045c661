"""Thread settings for the numeric libraries, applied once per process before the first search.

A search multiplies the query vector with a few ten thousand stored vectors: a few milliseconds
on one core. OpenBLAS would split that across every core, and its threads spin while waiting;
as soon as web workers and Celery threads share the cores (always, in production) that turns
5 ms into 30-200 ms. Likewise the embedding engine's OpenMP threads. So: one BLAS thread for
these small products and passive OpenMP waiting, unless the operator set the usual environment
variables (``OPENBLAS_NUM_THREADS``, ``OMP_WAIT_POLICY``) themselves.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import threading

log = logging.getLogger(__name__)
_done = False
_lock = threading.Lock()
SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads", "openblas_set_num_threads")


def configure() -> None:
    global _done
    if _done:
        return
    with _lock:
        if _done:
            return
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        if "OPENBLAS_NUM_THREADS" not in os.environ and "OMP_NUM_THREADS" not in os.environ:
            set_blas_threads(1)
        _done = True


def set_blas_threads(n: int) -> bool:
    """Best effort: numpy's bundled OpenBLAS exports a setter; other BLAS builds are left alone."""
    try:
        from numpy.linalg import _umath_linalg  # noqa: PLC0415 (warm-up of a numpy internal before threads start)

        lib = ctypes.CDLL(_umath_linalg.__file__)
    except (ImportError, OSError):
        return False
    for name in SETTERS:
        setter = getattr(lib, name, None)
        if setter is not None:
            setter(int(n))
            return True
    log.debug("no OpenBLAS thread setter found; BLAS threads unchanged")
    return False


def trim_memory() -> None:
    """Give freed heap back to the OS after a build (glibc keeps it otherwise; RSS would stay high)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
