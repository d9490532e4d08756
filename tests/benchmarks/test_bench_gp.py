"""Cost of one GP-EI-MCMC ask on Hartmann6 (6 dimensions) after 10, 50 and 100 told
observations (target: <= 0.5 s at 100).

Default settings throughout (20000 Sobol candidates x 10 hyperparameter samples, screened in
single precision with the best 500 rescored exactly, 10 MCMC sweeps per ask, 20 L-BFGS-B
starts). ``test_bench_gp_ask_exact`` is the baseline without the screen (``screen=None``, every
candidate scored in double precision, as the 2012 code did), at 100 observations.

The state is built by asking n - 1 Sobol points and telling them, then one model-based ask
(which runs the 100 burn-in sweeps) and its tell, so the timed ask continues a burned-in chain
as every later ask of a run does. Each round asks from a fresh deep copy of that state, so
every timed ask sees exactly n observations.

    python -m pytest tests/benchmarks/test_bench_gp.py --benchmark-group-by=param:n_obs
"""

from __future__ import annotations

import copy
import functools

import pytest
from conftest import median_seconds

from hpobench.benchmarks.synthetic import Hartmann6
from hpobench.optimizers.gp import GPEIMCMC

ROUNDS = 3
TARGET_S = {100: 0.5}


@functools.lru_cache(maxsize=None)
def prepared(n_obs: int, **options) -> GPEIMCMC:
    """A gp optimizer (seed 0, defaults but for a 2-point initial design, so that the chain is
    burned in here, before the timed ask, at every ``n_obs``) told ``n_obs`` Hartmann6 results."""
    bench = Hartmann6()
    opt = GPEIMCMC(bench.space, seed=0, n_init=2, **options)
    trials = [opt.ask() for _ in range(n_obs - 1)]  # nothing told yet: all Sobol points
    for t in trials:
        opt.tell(t, bench.evaluate(t.config))
    t = opt.ask()  # burn-in happens here
    opt.tell(t, bench.evaluate(t.config))
    return opt


@pytest.mark.parametrize("n_obs", [10, 50, 100])
def test_bench_gp_ask(benchmark, target, n_obs):
    base = prepared(n_obs)
    benchmark.group = f"gp-ask-{n_obs}obs"

    def setup():
        return (copy.deepcopy(base),), {}

    trial = benchmark.pedantic(lambda o: o.ask(), setup=setup, rounds=ROUNDS, iterations=1)
    base.space.validate(trial.config)
    assert trial.id == n_obs and trial.info["source"] == "ei"
    if n_obs in TARGET_S:
        target(benchmark, "median_s", median_seconds(benchmark), TARGET_S[n_obs])


def test_bench_gp_ask_exact(benchmark):
    """The same ask at 100 observations with every candidate scored in double precision."""
    base = prepared(100, screen=None)
    benchmark.group = "gp-ask-100obs"

    def setup():
        return (copy.deepcopy(base),), {}

    trial = benchmark.pedantic(lambda o: o.ask(), setup=setup, rounds=ROUNDS, iterations=1)
    assert trial.id == 100 and trial.info["source"] == "ei"
