"""Many (benchmark, optimizer, seed) runs: in-process, on a Dask LocalCluster, or on a cluster.

Every run is a :class:`Job`, executed by :func:`execute_job` wherever it lands; the three modes
differ only in who calls that function:

* ``workers=None`` and no scheduler: a plain loop in this process;
* ``workers=N``: a Dask ``LocalCluster`` with N single-threaded worker processes;
* ``scheduler="tcp://host:8786"``: an existing Dask cluster.

A job's log is its own file, so the results are identical whichever mode ran it.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from .runner import verify_replay
from .storage import LogError, check_resumable, log_path


@dataclass(frozen=True)
class Job:
    """One run: what to build and where to log it."""

    benchmark: str
    optimizer: str
    seed: int
    budget: str
    out: str
    resume: bool = False
    benchmark_options: dict = field(default_factory=dict)
    optimizer_options: dict = field(default_factory=dict)
    #: torch/BLAS threads for this job (1 when several jobs share the machine; None = leave as is)
    threads: int | None = None
    #: the benchmark factory / optimizer class itself, for names registered in code (a script's
    #: ``register_benchmark``), which a worker process does not know; None: resolve the name
    benchmark_factory: object = field(default=None, compare=False, repr=False)
    optimizer_class: object = field(default=None, compare=False, repr=False)

    @property
    def log(self) -> Path:
        return log_path(self.out, self.benchmark, self.optimizer, self.seed)

    def settings(self) -> dict:
        return {
            "benchmark": self.benchmark,
            "benchmark_options": dict(self.benchmark_options),
            "optimizer": self.optimizer,
            "optimizer_options": dict(self.optimizer_options),
            "seed": self.seed,
            "budget": self.budget,
        }


@dataclass
class JobResult:
    job: Job
    n_records: int
    replayed: int
    best_loss: float
    log: str


class ClusterError(RuntimeError):
    """A Dask scheduler that cannot be reached."""


def connect(scheduler: str, timeout: str = "10s"):
    """A Dask client for ``scheduler``; :class:`ClusterError` with one clear line if unreachable."""
    from dask.distributed import Client

    try:
        return Client(scheduler, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(
            f"cannot reach the Dask scheduler at {scheduler!r} ({type(exc).__name__}); give the address "
            "a `dask scheduler` printed, e.g. tcp://host:8786, or use --workers N for a local cluster"
        ) from None


def preflight(jobs: Iterable[Job]) -> None:
    """Check every job's log before anything runs, so bad input changes nothing on disk.

    Raises :class:`~hpobench.storage.LogError` for an existing log without ``resume``, a
    manifest with other settings, a corrupt log, or (when resuming) a log whose trials the
    optimizer no longer proposes: every log of the study is replayed in memory first, so a
    mismatch in one job is refused before any other job has written a line.
    """
    for job in jobs:
        records = check_resumable(job.log, job.settings(), job.resume)
        if records:
            bench, opt = build(job)
            try:
                verify_replay(bench, opt, job.budget, records, job.log)
            finally:
                bench.close()


def build(job: Job):
    """The benchmark and the fresh optimizer a job runs."""
    from .benchmarks import get_benchmark_factory
    from .optimizers import get_optimizer_class

    bench = (job.benchmark_factory or get_benchmark_factory(job.benchmark))(**job.benchmark_options)
    cls = job.optimizer_class or get_optimizer_class(job.optimizer)
    return bench, cls(bench.space, seed=job.seed, fidelity=bench.fidelity, **job.optimizer_options)


def execute_job(job: Job) -> JobResult:
    """Build the benchmark and optimizer of ``job`` and run it (top-level, so Dask can ship it)."""
    if job.threads is not None:
        from .threads import limit_threads

        limit_threads(job.threads)
    from .runner import run

    bench, opt = build(job)
    res = run(bench, opt, job.budget, seed=job.seed, log_path=job.log, resume=job.resume, settings=job.settings())
    return JobResult(job, len(res.records), res.replayed, res.best_loss, str(job.log))


def run_jobs(
    jobs: list[Job],
    workers: int | None = None,
    scheduler: str | None = None,
    on_done: Callable[[JobResult], None] | None = None,
) -> list[JobResult]:
    """Run ``jobs`` in-process, on a LocalCluster of ``workers`` processes, or on ``scheduler``.

    Results come back in completion order through ``on_done`` and are returned in job order.
    """
    preflight(jobs)
    if workers is None and scheduler is None:
        results = []
        for job in jobs:
            r = execute_job(job)
            if on_done:
                on_done(r)
            results.append(r)
        return results

    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is not None:
        client = connect(scheduler)
    else:
        # One thread per worker process: several training jobs on few cores must not
        # oversubscribe (torch + BLAS threads), and OMP_WAIT_POLICY=PASSIVE keeps idle OpenMP
        # threads from spinning.
        env = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)  # worker processes inherit the environment at spawn
        try:
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        client = Client(cluster)
    try:
        futures = [client.submit(execute_job, job, pure=False) for job in jobs]
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[JobResult | None] = [None] * len(jobs)
        for fut in as_completed(futures):
            r = fut.result()
            results[index[fut.key]] = r
            if on_done:
                on_done(r)
        return [r for r in results if r is not None]
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


__all__ = ["ClusterError", "Job", "JobResult", "LogError", "connect", "execute_job", "preflight", "run_jobs"]
