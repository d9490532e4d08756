"""Cost of one model-based SMAC ask on Hartmann6 (6 dimensions) after 10, 50 and 100 told
observations (target: <= 0.2 s at 100).

Default (HPOlib-era) settings throughout (10 trees, 10,000 random candidates, local search from
the 10 evaluated configurations of highest EI), except that the history is filled with random
configurations (``initial_design="random", n_initial=n``) so building it is cheap. The timed ask
is the first of the model phase, which the paper's schedule makes model-based (fit the forest,
rank 10,000 random candidates, run the local searches); the interleaved random asks in between
cost next to nothing and are not timed. Each round asks from a fresh deep copy of the same
state, so every timed ask sees exactly n observations.

    python -m pytest tests/benchmarks/test_bench_smac.py --benchmark-group-by=param:n_obs
"""

from __future__ import annotations

import copy
import functools

import pytest

from hpobench.benchmarks.synthetic import Hartmann6
from hpobench.optimizers.smac import SMAC

ROUNDS = 5
WARMUP = 1


@functools.lru_cache(maxsize=None)
def prepared(n_obs: int) -> SMAC:
    """A SMAC optimizer (seed 0) that has been told ``n_obs`` random Hartmann6 results."""
    bench = Hartmann6()
    opt = SMAC(bench.space, seed=0, initial_design="random", n_initial=n_obs)
    for _ in range(n_obs):
        trial = opt.ask()
        opt.tell(trial, bench.evaluate(trial.config))
    return opt


@pytest.mark.parametrize("n_obs", [10, 50, 100])
def test_bench_smac_ask(benchmark, n_obs):
    base = prepared(n_obs)
    benchmark.group = f"smac-ask-{n_obs}obs"

    def setup():
        return (copy.deepcopy(base),), {}

    trial = benchmark.pedantic(lambda o: o.ask(), setup=setup, rounds=ROUNDS, warmup_rounds=WARMUP, iterations=1)
    base.space.validate(trial.config)
    assert trial.id == n_obs
    assert trial.info["origin"] in ("local search", "random search (sorted)")
