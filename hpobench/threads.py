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

Example:
    >>> from hpobench.threads import limit_threads, threads_per_worker
    >>> n = limit_threads(threads_per_worker(2))
    >>> n >= 1
    True
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings

__all__ = ["cpu_count", "threads_per_worker", "limit_threads", "passive_wait", "single_thread_blas", "torch_threads"]

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
    try:
        import torch
    except ImportError:
        return None
    return int(torch.get_num_threads())


def limit_threads(n: int | None = None, blas: bool = True) -> int:
    """Limit this process to ``n`` threads for torch's intra-op pool and (``blas=True``) the
    BLAS / OpenMP pools seen by threadpoolctl. ``None`` means all cores.

    Torch is only touched when it is importable. The limits stay in force for the life of the
    process (or until the next call). Returns the thread count applied.

    Args:
        n: threads to allow (>= 1), or ``None`` for :func:`cpu_count`.
        blas: also limit BLAS/OpenMP pools through threadpoolctl (when installed).
    """
    n = cpu_count() if n is None else int(n)
    if n < 1:
        raise ValueError(f"thread count must be >= 1, got {n}")
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None and torch.get_num_threads() != n:
        torch.set_num_threads(n)
    if blas:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            warnings.warn("threadpoolctl is not installed: BLAS thread pools are not limited", stacklevel=2)
        else:
            # a threadpool_limits object restores the old limits only when used as a context
            # manager or asked to; keeping a reference makes the global setting explicit
            _CONTROLLERS[:] = [threadpool_limits(limits=n)]
    return n


_BLAS_CONTROLLER = None


def single_thread_blas():
    """A context manager that limits BLAS to one thread and restores the previous limits on exit.

    For code whose matrices are small (the GP's are at most a few hundred rows): a
    multi-threaded BLAS spinning up for each small call is many times slower on a busy machine
    (measured 10x on 2 loaded cores). A no-op context when threadpoolctl is unavailable.
    """
    global _BLAS_CONTROLLER
    try:
        if _BLAS_CONTROLLER is None:
            import threadpoolctl

            _BLAS_CONTROLLER = threadpoolctl.ThreadpoolController()
        return _BLAS_CONTROLLER.limit(limits=1, user_api="blas")
    except Exception:  # pragma: no cover - threadpoolctl missing or unusable
        return contextlib.nullcontext()
