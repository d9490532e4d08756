"""Hyperband's own overhead per evaluation: one ask plus one tell (target: <= 1 ms).

No objective runs: the losses are precomputed, so the timing is pure bookkeeping (sampling a
bracket's configurations, deduplicating them, promotion sorts, Trial objects, incumbent
updates). One timed call drives 1,000 evaluations through a fresh optimizer, i.e. the first
~5 brackets of R = 81, eta = 3 on a 6-D space (the most exploratory bracket included); the
per-evaluation figure is the call time divided by 1,000 (``extra_info["per_eval_us"]``).

    python -m pytest tests/benchmarks/test_bench_hyperband.py
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import pytest

from hpobench.benchmarks.base import Fidelity, Result
from hpobench.optimizers.hyperband import Hyperband
from hpobench.space import Float, Space

N_EVALS = 1000
SPACE = Space([Float(f"x{i}", 0.0, 1.0) for i in range(6)])
LOSSES = [Result(float(v)) for v in np.random.default_rng(0).random(N_EVALS)]


def _drive(opt: Hyperband) -> None:
    ask, tell = opt.ask, opt.tell
    for result in LOSSES:
        tell(ask(), result)


@pytest.mark.parametrize("eta", [3])
def test_hyperband_overhead_per_evaluation(benchmark, eta):
    def setup():
        return (Hyperband(SPACE, seed=0, fidelity=Fidelity("epochs", 1, 81), eta=eta),), {}

    benchmark.pedantic(_drive, setup=setup, rounds=7, iterations=1)
    if benchmark.stats is not None:
        per_eval = statistics.median(benchmark.stats.stats.data) / N_EVALS
    else:  # --benchmark-disable: pedantic ran once untimed; time one drive ourselves
        (opt,), _ = setup()
        t0 = time.perf_counter()
        _drive(opt)
        per_eval = (time.perf_counter() - t0) / N_EVALS
    benchmark.extra_info["per_eval_us"] = round(per_eval * 1e6, 2)
    assert per_eval <= 1e-3, f"Hyperband overhead {per_eval * 1e3:.3f} ms per evaluation (target <= 1 ms)"
