"""Fixtures shared by the optimizer tests."""

from __future__ import annotations

import pytest

from hpobench.benchmarks import get_benchmark
from hpobench.optimizers import get_optimizer
from hpobench.runner import run


def _final_regret(name: str, bench_name: str, seed: int, budget: str = "20R", **options) -> float:
    """Regret of the best loss any evaluation of the run reached (the study's default incumbent)."""
    bench = get_benchmark(bench_name)
    opt = get_optimizer(name, bench.space, seed=seed, fidelity=bench.fidelity, **options)
    return run(bench, opt, budget, seed=seed).best_loss - bench.optimum


@pytest.fixture
def final_regret():
    """``final_regret(optimizer, benchmark, seed, budget="20R", **options)`` of one run."""
    return _final_regret
