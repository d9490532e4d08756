"""Thread limits for CPU training and linear algebra.

Several benchmark workers on one machine must not each start one thread per core: PyTorch's
intra-op pool and the BLAS/OpenMP pools of numpy / scikit-learn would then oversubscribe the
cores and every worker slows down (often by more than the parallelism gains). The rule used by
hpobench:

* **one worker** — let it use all cores (``limit_threads(None)`` or ``threads_per_worker(1)``);
* **several workers** — one thread per worker (``threads_per_worker(n_workers)`` gives
  ``max(1, cores // n_workers)``, i.e. 1 when workers ≥ cores).

OpenMP threads spin for a while after each parallel region (``OMP_WAIT_POLICY=ACTIVE`` is the
usual default), which burns the cores other workers need. :func:`passive_wait` sets
``OMP_WAIT_POLICY=PASSIVE``; the OpenMP runtime reads it once when it starts, so it only takes
effect when called **before torch (or numpy's OpenMP BLAS) is imported** — e.g. at the top of a
worker's entry point, or exported in the shell::

    OMP_WAIT_POLICY=PASSIVE hpobench run lenet-digits hyperband --workers 2

Thread limits are set in this module only. :func:`limited_threads` is the context manager
that restores what it changed (use it around work that must not leave the process altered);
:func:`limit_threads` is the one-way setting for a worker process that runs nothing else;
:func:`thread_environment` sets the thread variables that child processes inherit.

Example:
    >>> from hpobench.threads import limited_threads, torch_threads
    >>> before = torch_threads()
    >>> with limited_threads(1):
    ...     pass  # torch and BLAS use one thread here
    >>> torch_threads() == before
    True
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from typing import Iterator

__all__ = [
    "cpu_count",
    "threads_per_worker",
    "limited_threads",
    "limit_threads",
    "thread_environment",
    "passive_wait",
    "torch_threads",
]

#: Environment variables that size the OpenMP / BLAS pools of processes started later.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")

# threadpoolctl controllers kept alive so that the BLAS limits set by limit_threads() persist
_CONTROLLERS: list = []


def cpu_count() -> int:
    """Cores this process may run on (the affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def threads_per_worker(n_workers: int) -> int:
    """Threads each of ``n_workers`` concurrent workers should use: all cores for one worker,
    ``max(1, cores // n_workers)`` otherwise (one thread each once workers >= cores)."""
    n_workers = max(1, int(n_workers))
    cores = cpu_count()
    return cores if n_workers == 1 else max(1, cores // n_workers)


def passive_wait() -> bool:
    """Set ``OMP_WAIT_POLICY=PASSIVE`` unless the user chose a policy.

    Returns ``True`` if the setting can still take effect (torch not yet imported). Call it before
    importing torch; afterwards it only helps processes started later (their environment
    inherits the variable).
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return "torch" not in sys.modules


def torch_threads() -> int | None:
    """Torch's current intra-op thread count, or ``None`` when torch is not installed."""
    torch = _torch_module()
    return None if torch is None else int(torch.get_num_threads())


def _thread_count(n: int | None) -> int:
    n = cpu_count() if n is None else int(n)
    if n < 1:
        raise ValueError(f"thread count must be >= 1, got {n}")
    return n


def _torch_module():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _blas_controller():
    """threadpoolctl's controller of the BLAS/OpenMP libraries loaded now (built afresh, about
    1 ms: libraries loaded later must be seen), or ``None`` without threadpoolctl."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        warnings.warn("threadpoolctl is not installed: BLAS thread pools are not limited", stacklevel=3)
        return None
    return ThreadpoolController()


def limit_threads(n: int | None = None, blas: bool = True) -> int:
    """Limit this process to ``n`` threads for torch's intra-op pool and (``blas=True``) the
    BLAS / OpenMP pools seen by threadpoolctl, for good. ``None`` means all cores.

    One-way: meant for a worker process that runs nothing else; elsewhere use
    :func:`limited_threads`, which restores the previous settings. Torch is only touched when
    it is importable. Returns the thread count applied.

    Args:
        n: threads to allow (>= 1), or ``None`` for :func:`cpu_count`.
        blas: also limit BLAS/OpenMP pools through threadpoolctl (when installed).
    """
    n = _thread_count(n)
    torch = _torch_module()
    if torch is not None and torch.get_num_threads() != n:
        torch.set_num_threads(n)
    controller = _blas_controller() if blas else None
    if controller is not None:
        # a limiter restores the old limits only when asked to; keeping a reference makes the
        # process-wide setting explicit
        _CONTROLLERS[:] = [controller.limit(limits=n)]
    return n


@contextlib.contextmanager
def limited_threads(n: int | None = None, torch: bool = True, blas: bool = True, user_api: str | None = None) -> Iterator[int]:
    """Limit torch's intra-op pool and the BLAS/OpenMP pools to ``n`` threads inside the block,
    and restore the previous settings when it ends (also on an exception).

    Args:
        n: threads to allow (>= 1), or ``None`` for :func:`cpu_count`.
        torch: limit torch's intra-op pool (when torch is importable).
        blas: limit the pools threadpoolctl sees (when installed).
        user_api: only these pools (``"blas"`` or ``"openmp"``); ``None``: both. Torch's
            intra-op pool is an OpenMP pool, so ``user_api="blas"`` (with ``torch=False``) is
            what leaves torch alone.

    Yields:
        The thread count applied.
    """
    n = _thread_count(n)
    torch_module = _torch_module() if torch else None
    before = torch_module.get_num_threads() if torch_module is not None else None
    with contextlib.ExitStack() as stack:
        controller = _blas_controller() if blas else None
        if controller is not None:
            stack.enter_context(controller.limit(limits=n, user_api=user_api))
        if before is not None and before != n:
            torch_module.set_num_threads(n)
            stack.callback(torch_module.set_num_threads, before)
        yield n


@contextlib.contextmanager
def thread_environment(n: int = 1, passive: bool = True) -> Iterator[None]:
    """Set :data:`THREAD_VARIABLES` to ``n`` (and ``OMP_WAIT_POLICY=PASSIVE`` when ``passive``)
    in ``os.environ`` inside the block, for processes started there (Dask workers inherit the
    environment when they spawn); the previous values come back afterwards."""
    env = {k: str(int(n)) for k in THREAD_VARIABLES}
    if passive:
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
