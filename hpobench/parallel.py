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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from .executors import BenchmarkSpec
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
    #: evaluations in flight inside the run (K)
    parallel_evals: int = 1
    #: seconds after which an evaluation is recorded as ``timeout`` (None: no limit)
    eval_timeout: float | None = None
    #: where data files are, for benchmarks that read them (not part of the run's settings:
    #: the same files anywhere give the same run)
    data_dir: str | None = None

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
            **({"parallel_evals": self.parallel_evals} if self.parallel_evals != 1 else {}),
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

    factory = job.benchmark_factory or get_benchmark_factory(job.benchmark)
    options = dict(job.benchmark_options)
    if job.data_dir is not None and getattr(factory, "accepts_data_dir", False):
        options["data_dir"] = job.data_dir
    bench = factory(**options)
    cls = job.optimizer_class or get_optimizer_class(job.optimizer)
    return bench, cls(bench.space, seed=job.seed, fidelity=bench.fidelity, **job.optimizer_options)


def spec_of(job: Job, bench) -> BenchmarkSpec:
    """How a worker process builds its copy of the job's benchmark (sharing checkpoints)."""
    extra = {"data_dir": job.data_dir} if job.data_dir is not None and getattr(type(bench), "accepts_data_dir", False) else {}
    return BenchmarkSpec(job.benchmark, {**job.benchmark_options, **extra, **bench.worker_options()}, job.benchmark_factory)


def execute_job(job: Job, on_record: Callable[[dict], None] | None = None) -> JobResult:
    """Build the benchmark and optimizer of ``job`` and run it (top-level, so Dask can ship it).
    Evaluations run here, or in local worker processes for K > 1 real evaluations or a time
    limit (see :func:`hpobench.runner.default_executor`)."""
    if job.threads is not None:
        from .threads import limit_threads

        limit_threads(job.threads)
    from .runner import clock_is_simulated, default_executor, run

    bench, opt = build(job)
    executor = default_executor(bench, job.parallel_evals, clock_is_simulated(bench), job.eval_timeout, spec_of(job, bench))
    try:
        res = run(bench, opt, job.budget, seed=job.seed, log_path=job.log, resume=job.resume, settings=job.settings(),
                  on_record=on_record, parallel_evals=job.parallel_evals, executor=executor)
    finally:
        executor.close()
    return JobResult(job, len(res.records), res.replayed, res.best_loss, str(job.log))


def run_jobs(
    jobs: list[Job],
    workers: int | None = None,
    scheduler: str | None = None,
    on_done: Callable[[JobResult], None] | None = None,
    on_record: Callable[[dict], None] | None = None,
) -> list[JobResult]:
    """Run ``jobs`` in-process, on a LocalCluster of ``workers`` processes, or on ``scheduler``.

    * in-process: one run after another (each may keep K evaluations in flight);
    * ``workers``: whole runs are Dask tasks on a local cluster (they share this machine's
      disk); runs with K > 1 or an evaluation time limit are driven from here instead, as on a
      cluster;
    * ``scheduler``: every run is driven from this process, which alone writes the logs, and
      each evaluation is a Dask task (see :func:`drive_on_cluster`).

    Results come back in completion order through ``on_done`` and are returned in job order;
    ``on_record`` sees every new evaluation where runs are driven from this process.
    """
    preflight(jobs)
    if workers is None and scheduler is None:
        results = []
        for job in jobs:
            r = execute_job(job, on_record)
            if on_done:
                on_done(r)
            results.append(r)
        return results

    from dask.distributed import Client, as_completed

    cluster = None
    if scheduler is not None:
        client = connect(scheduler)
    else:
        cluster = local_cluster(workers)
        client = Client(cluster)
    try:
        if scheduler is not None or any(j.parallel_evals > 1 or j.eval_timeout is not None for j in jobs):
            return drive_on_cluster(jobs, client, on_done, on_record)
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


def local_cluster(workers: int):
    """A Dask LocalCluster of ``workers`` single-threaded processes."""
    from dask.distributed import LocalCluster

    from .threads import thread_environment

    # One thread per worker process: several training jobs on few cores must not oversubscribe
    # (torch + BLAS threads), and OMP_WAIT_POLICY=PASSIVE keeps idle OpenMP threads from spinning;
    # worker processes inherit the environment when they start.
    with thread_environment(1):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=logging.CRITICAL)


def drive_on_cluster(
    jobs: list[Job],
    client,
    on_done: Callable[[JobResult], None] | None = None,
    on_record: Callable[[dict], None] | None = None,
    max_active: int | None = None,
) -> list[JobResult]:
    """Drive every run from this process, evaluations as tasks on ``client``'s cluster.

    Only this process writes logs: a worker never touches the results directory, so a lost
    worker cannot leave a half-written log; Dask reruns its tasks elsewhere and each result is
    told once. At most ``max_active`` runs are open at a time (default: four times the cluster's
    threads, at least 8, so tasks queue on the workers while results travel back), so a study of
    thousands of runs keeps a bounded number of optimizers, logs and futures in memory.
    """
    from .executors import DaskExecutor
    from .runner import RunDriver, clock_is_simulated, expected_trials, parse_budget, run_settings
    from .storage import RunLog, check_resumable

    if max_active is None:
        threads = sum((client.nthreads() or {}).values()) if hasattr(client, "nthreads") else 1
        max_active = max(8, 4 * threads)
    timeouts = {j.eval_timeout for j in jobs}
    executor = DaskExecutor(client, eval_timeout=min((t for t in timeouts if t is not None), default=None))
    queue = list(enumerate(jobs))[::-1]
    active: dict[RunDriver, tuple[int, Job]] = {}
    results: list[JobResult | None] = [None] * len(jobs)

    def open_next() -> None:
        index, job = queue.pop()
        bench, opt = build(job)
        if opt.capabilities.owns_loop:
            raise ValueError(f"{job.optimizer} runs its own loop and cannot be driven evaluation by evaluation from here; "
                             "run it with --workers N or in-process, with one evaluation in flight")
        budget = parse_budget(job.budget)
        settings = run_settings(bench, opt, budget, job.seed, job.settings(), job.parallel_evals, clock_is_simulated(bench))
        opt.set_expected_trials(expected_trials(budget, bench, opt))
        old = check_resumable(job.log, settings, job.resume)
        driver = RunDriver(bench, opt, budget, job.seed, job.parallel_evals, clock_is_simulated(bench), old,
                           RunLog(job.log, settings), on_record, job.log)
        driver.spec = spec_of(job, bench)
        driver.replayed = len(old)
        active[driver] = (index, job)

    def close(driver) -> None:
        index, job = active.pop(driver)
        driver.log.close()
        driver.benchmark.close()
        losses = [r["loss"] for r in driver.records if r.get("status") == "ok"]
        results[index] = JobResult(job, len(driver.records), driver.replayed, min(losses) if losses else float("nan"), str(job.log))
        if on_done:
            on_done(results[index])

    try:
        while queue or active:
            while queue and len(active) < max_active:
                open_next()
            progressed = True
            while progressed:
                progressed = False
                for driver in list(active):
                    submit = lambda trial, d=driver: executor.submit((d, trial.id), trial, d.seed)  # noqa: E731
                    progressed |= bool(driver.ask(submit)) | bool(driver.tell_ready())
                    if driver.finished:
                        close(driver)
                        progressed = True
            if active and executor.in_flight:
                for c in executor.wait():
                    c.key[0].complete(c.key[1], c.record, c.result, c.worker, c.wall)
            elif active and not queue and not executor.in_flight:  # pragma: no cover - defensive
                raise RuntimeError("runs are waiting with no evaluation in flight")
    finally:
        executor.close()
        for driver in list(active):
            driver.log.close()
            driver.benchmark.close()
    return [r for r in results if r is not None]


__all__ = ["ClusterError", "Job", "JobResult", "LogError", "connect", "execute_job", "preflight", "run_jobs"]
