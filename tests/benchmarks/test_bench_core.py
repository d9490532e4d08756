"""Core speed targets (issue 2): random ask+tell, runner overhead with fsync, Dask throughput."""

import time


from conftest import median_seconds
from hpobench import get_benchmark, get_optimizer
from hpobench.benchmarks.base import Result
from hpobench.parallel import Job, run_jobs
from hpobench.runner import run


def test_random_ask_tell(benchmark, target):
    """Target: <= 50 us per ask + tell on Hartmann6."""
    bench = get_benchmark("hartmann6")
    opt = get_optimizer("random", bench.space, seed=0)
    result = Result(loss=1.0, cost=1.0)

    def step():
        opt.tell(opt.ask(), result)

    benchmark.pedantic(step, rounds=2000, iterations=1, warmup_rounds=50)
    med = median_seconds(benchmark)
    target(benchmark, "median_us", None if med is None else med * 1e6, 50)


def test_runner_overhead_per_evaluation_with_fsync(benchmark, target, tmp_path):
    """Target: <= 1 ms per evaluation for the loop itself (log line written and fsynced),
    measured on Branin (an objective of a few microseconds) with random search."""
    bench = get_benchmark("branin")
    n = 200
    counter = iter(range(10**6))

    def one_run():
        log = tmp_path / f"run-{next(counter)}.jsonl"
        run(bench, get_optimizer("random", bench.space, seed=0), str(n), seed=0, log_path=log)

    benchmark.pedantic(one_run, rounds=5, iterations=1)
    med = median_seconds(benchmark)
    target(benchmark, "median_ms_per_eval", None if med is None else med / n * 1e3, 1.0)


def test_compare_workers_2_vs_1_throughput(benchmark, target, tmp_path):
    """Target: --workers 2 gives >= 1.7x the throughput of --workers 1 on a CPU-bound study
    (8 runs of 20 evaluations, each evaluation ~30 ms of pure-Python work). Both modes start
    their own LocalCluster, so start-up is counted in both."""
    # Under --benchmark-disable this runs once as a smoke test: keep it short.
    n_evals = "20" if not benchmark.disabled else "2"
    jobs = lambda out: [  # noqa: E731
        Job("branin", "random", seed, n_evals, str(out), benchmark_options={"cpu_work": 400000}) for seed in range(8)
    ]
    t0 = time.perf_counter()
    run_jobs(jobs(tmp_path / "one"), workers=1)
    one = time.perf_counter() - t0
    counter = iter(range(100))

    def two():
        run_jobs(jobs(tmp_path / f"two-{next(counter)}"), workers=2)

    benchmark.pedantic(two, rounds=1, iterations=1)
    benchmark.extra_info["workers_1_seconds"] = one
    med = median_seconds(benchmark)
    target(benchmark, "speedup_2_vs_1", None if med is None else one / med, 1.7, higher_is_better=True)


def test_baseline_bare_append_and_sync(benchmark, tmp_path):
    """Baseline for the runner figure: one 400-byte line appended, flushed and synced (the
    disk's own floor, which no runner can beat)."""
    import os

    from hpobench.storage import _sync

    fh = open(tmp_path / "bare.jsonl", "ab")
    line = b"x" * 400 + b"\n"

    def append():
        fh.write(line)
        fh.flush()
        _sync(fh.fileno())

    benchmark.pedantic(append, rounds=200, iterations=1)
    fh.close()
    benchmark.extra_info["note"] = f"fdatasync available: {hasattr(os, 'fdatasync')}"
