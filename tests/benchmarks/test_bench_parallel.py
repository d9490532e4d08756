"""Speed and memory of evaluations in flight and of runs driven on a Dask cluster.

Targets (recorded in extra_info, asserted with HPOBENCH_ENFORCE_TARGETS=1):
* ``--parallel-evals 2`` against 1 inside one run on a CPU-bound objective: >= 1.7x throughput;
* scheduling overhead per evaluation on a running cluster: <= 10 ms;
* client memory for a 2,000-run study through the cluster: <= 300 MB;
* a simulated 4-worker Hyperband run of 50R on a surrogate-speed benchmark: <= 5 s.

Under ``--benchmark-disable`` each runs once at a small size, as a smoke test.
"""

from __future__ import annotations

import resource
import time
import tracemalloc

import pytest

from hpobench import get_benchmark, get_optimizer
from hpobench.parallel import Job, drive_on_cluster, local_cluster
from hpobench.runner import run


def _cpu_run(k: int, n: int, work: int) -> float:
    bench = get_benchmark("branin", cpu_work=work)
    t0 = time.perf_counter()
    run(bench, get_optimizer("random", bench.space, seed=0), str(n), seed=0, parallel_evals=k)
    return time.perf_counter() - t0


def test_parallel_evals_2_vs_1_throughput(benchmark, target):
    """Two local worker processes inside one run against the sequential loop (worker start-up
    included); the objective spins ~0.5 s per evaluation."""
    n, work = (60, 5_000_000) if not benchmark.disabled else (4, 20000)  # ~0.5 s per evaluation: start-up amortized
    one = _cpu_run(1, n, work)
    two = benchmark.pedantic(_cpu_run, args=(2, n, work), rounds=1, iterations=1)
    benchmark.extra_info["k1_seconds"] = one
    benchmark.extra_info["k2_seconds"] = two
    if not benchmark.disabled:
        target(benchmark, "speedup", one / two, 1.7, higher_is_better=True)


@pytest.fixture(scope="module")
def client():
    from dask.distributed import Client

    cluster = local_cluster(2)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


def _jobs(out, n_runs, budget, optimizer="random"):
    return [Job("branin", optimizer, seed, budget, str(out)) for seed in range(n_runs)]


def test_scheduling_overhead_per_evaluation_on_a_running_cluster(benchmark, target, client, tmp_path):
    """Every evaluation a Dask task, every line written by the client: seconds per evaluation of
    a zero-cost objective, 8 runs of 25 evaluations."""
    n_runs, n = (8, 25) if not benchmark.disabled else (2, 3)
    counter = iter(range(10**6))

    def go():
        drive_on_cluster(_jobs(tmp_path / f"s{next(counter)}", n_runs, str(n)), client)

    seconds = benchmark.pedantic(go, rounds=3 if not benchmark.disabled else 1, iterations=1)
    per_eval = (benchmark.stats.stats.median if benchmark.stats else 0) / (n_runs * n)
    if not benchmark.disabled:
        target(benchmark, "ms_per_evaluation", per_eval * 1000, 10.0)
    del seconds


def test_client_memory_for_a_2000_run_study(benchmark, target, client, tmp_path):
    """Peak Python allocations of the client while 2,000 cheap runs (3 evaluations each) go
    through the cluster; only a bounded number of runs is open at a time."""
    n_runs = 2000 if not benchmark.disabled else 6
    jobs = _jobs(tmp_path / "big", n_runs, "3")
    done = []

    def go():
        tracemalloc.start()
        drive_on_cluster(jobs, client, on_done=lambda r: done.append(r.n_records))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    peak = benchmark.pedantic(go, rounds=1, iterations=1)
    assert len(done) == n_runs and set(done) == {3}
    benchmark.extra_info["peak_traced_mb"] = peak / 2**20
    benchmark.extra_info["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if not benchmark.disabled:
        target(benchmark, "client_peak_mb", peak / 2**20, 300.0)


def test_simulated_4_worker_hyperband_50R(benchmark, target):
    """Hyperband with 4 simulated workers for 50R on a benchmark whose evaluation costs
    microseconds (mf-hartmann6, simulated clock): the whole run."""
    budget = "50R" if not benchmark.disabled else "5R"

    def go():
        bench = get_benchmark("mf-hartmann6")
        return run(bench, get_optimizer("hyperband", bench.space, seed=0, fidelity=bench.fidelity), budget, parallel_evals=4)

    res = benchmark.pedantic(go, rounds=3 if not benchmark.disabled else 1, iterations=1)
    assert {r["worker"] for r in res.records} == {"sim-0", "sim-1", "sim-2", "sim-3"}
    if not benchmark.disabled:
        target(benchmark, "seconds", benchmark.stats.stats.median, 5.0)
