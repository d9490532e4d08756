"""Overhead of the Hyperband family's newer members: ask + tell per evaluation for bohb, asha
and dehb (target <= 5 ms each), and one stop decision of smac-early (target <= 1 s).

No objective runs: losses are precomputed, so the timing is the optimizers' own work. One timed
call drives 1,000 evaluations through a fresh optimizer on a 6-D space with R = 81, eta = 3
(for bohb that includes fitting the densities and ranking 64 candidates per model-based
proposal once a budget has d + 3 = 9 results). The stop decision fits the 11 curve families and
samples their combination (100 walkers, 300 steps) on the 7 points of a run's first check.

    python -m pytest tests/benchmarks/test_bench_family.py
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import pytest

from hpobench.benchmarks.base import Fidelity, Result
from hpobench.optimizers import get_optimizer
from hpobench.space import Float, Space

N_EVALS = 1000
SPACE = Space([Float(f"x{i}", 0.0, 1.0) for i in range(6)])
FID = Fidelity("epochs", 1, 81)
LOSSES = [Result(float(v)) for v in np.random.default_rng(0).random(N_EVALS)]


def _drive(opt) -> None:
    ask, tell = opt.ask, opt.tell
    for result in LOSSES:
        tell(ask(), result)


def _median_seconds(benchmark, fn, setup, per: int) -> float:
    benchmark.pedantic(fn, setup=setup, rounds=5, iterations=1)
    if benchmark.stats is not None:
        return statistics.median(benchmark.stats.stats.data) / per
    args, _ = setup()  # --benchmark-disable: time one call ourselves
    t0 = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - t0) / per


@pytest.mark.parametrize("name", ["bohb", "asha", "dehb"])
def test_overhead_per_evaluation(benchmark, name):
    def setup():
        return (get_optimizer(name, SPACE, seed=0, fidelity=FID),), {}

    per_eval = _median_seconds(benchmark, _drive, setup, N_EVALS)
    benchmark.extra_info["per_eval_ms"] = round(per_eval * 1e3, 4)
    benchmark.extra_info["target_ms"] = 5
    assert per_eval <= 5e-3, f"{name} overhead {per_eval * 1e3:.3f} ms per evaluation (target <= 5 ms)"


def test_smac_early_stop_decision(benchmark):
    opt = get_optimizer("smac-early", SPACE, seed=0, fidelity=FID)
    opt.incumbent_loss = 0.2
    x = np.array(opt.budgets[: opt.checkpoints[0] + 1])
    losses = list(0.5 + 0.3 * x**-0.5 + 0.003 * np.random.default_rng(1).standard_normal(len(x)))

    def decide():
        assert opt.decide(losses)["decision"] == "stop"

    per = _median_seconds(benchmark, decide, lambda: ((), {}), 1)
    # The target is checked on CPU time: on the shared 2-core CI machine the wall time of this
    # single-threaded NumPy work swings with the load (measured 0.5 s CPU, 2 s wall at load 12).
    cpu = []
    for _ in range(3):
        t0 = time.process_time()
        decide()
        cpu.append(time.process_time() - t0)
    per_cpu = statistics.median(cpu)
    benchmark.extra_info["per_decision_wall_s"] = round(per, 3)
    benchmark.extra_info["per_decision_cpu_s"] = round(per_cpu, 3)
    benchmark.extra_info["target_s"] = 1
    assert per_cpu <= 1.0, f"smac-early stop decision {per_cpu:.2f} s of CPU (target <= 1 s; wall {per:.2f} s)"
