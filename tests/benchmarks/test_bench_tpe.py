"""Cost of one TPE ask versus calling hyperopt.tpe.suggest directly (target: within 1.2x).

Both sides see the same history of Hartmann6 evaluations in 6 dimensions (10, 50 or 100 told
trials; at 10 both are still in hyperopt's 20-trial startup phase, i.e. rand.suggest). "ours" is
``TPE.ask()`` (seed draw, suggest, inserting the pending doc into Trials, decoding, Trial
bookkeeping); "direct" is ``tpe.suggest`` on an equivalent Domain and a Trials holding copies of
the same documents. Both use hyperopt's defaults and ``verbose=False``. Each round starts from
the same state: setup withdraws the previous round's pending trial (a fresh deep copy per round
would also do, but its cold memory made the first ask ~1.7x slower at 10 observations, which
measures the copy, not TPE), so every timed ask sees exactly n observations.

    python -m pytest tests/benchmarks/test_bench_tpe.py --benchmark-group-by=param:n_obs
"""

from __future__ import annotations

import copy
import functools

import pytest
from hyperopt import Trials, hp
from hyperopt import tpe as hyperopt_tpe
from hyperopt.base import Domain

from hpobench.benchmarks.synthetic import Hartmann6
from hpobench.optimizers.tpe import TPE

ROUNDS = 25
WARMUP = 2


@functools.lru_cache(maxsize=None)
def prepared(n_obs: int) -> TPE:
    """A TPE optimizer that has been told ``n_obs`` Hartmann6 results (seed 0)."""
    bench = Hartmann6()
    opt = TPE(bench.space, seed=0)
    for _ in range(n_obs):
        trial = opt.ask()
        opt.tell(trial, bench.evaluate(trial.config))
    return opt


def _direct_state(opt: TPE) -> tuple[Domain, Trials]:
    # An equivalent hyperopt space written by hand, as a hyperopt user would.
    expr = {p.name: hp.uniform(p.name, p.low, p.high) for p in opt.space.params}
    domain = Domain(lambda _: 0.0, expr)
    trials = Trials()
    trials.insert_trial_docs(copy.deepcopy(opt.trials.trials))
    trials.refresh()
    return domain, trials


def _withdraw(opt: TPE, trial) -> None:
    """Undo ``opt.ask()`` (test-only; reaches into private state): drop the pending trial and
    its hyperopt document so the optimizer again holds only its told trials."""
    doc = opt.trials._dynamic_trials.pop()
    assert doc["tid"] == trial.id
    opt.trials.refresh()
    del opt.pending[trial.id]
    del opt._docs[trial.id]
    opt._next_id -= 1


@pytest.mark.parametrize("n_obs", [10, 50, 100])
def test_bench_tpe_ask(benchmark, n_obs):
    opt = copy.deepcopy(prepared(n_obs))
    benchmark.group = f"tpe-ask-{n_obs}obs"
    asked = []

    def setup():
        if asked:
            _withdraw(opt, asked.pop())
        assert len(opt.trials.trials) == n_obs and not opt.pending
        return (opt,), {}

    def ask(o):
        asked.append(o.ask())
        return asked[-1]

    trial = benchmark.pedantic(ask, setup=setup, rounds=ROUNDS, warmup_rounds=WARMUP, iterations=1)
    opt.space.validate(trial.config)
    assert trial.id == n_obs


@pytest.mark.parametrize("n_obs", [10, 50, 100])
def test_bench_hyperopt_suggest_direct(benchmark, n_obs):
    domain, trials = _direct_state(prepared(n_obs))
    benchmark.group = f"tpe-ask-{n_obs}obs"
    suggest = functools.partial(hyperopt_tpe.suggest, verbose=False)

    docs = benchmark.pedantic(lambda: suggest([n_obs], domain, trials, 12345), rounds=ROUNDS, warmup_rounds=WARMUP, iterations=1)
    assert len(docs) == 1 and len(trials.trials) == n_obs  # suggest does not insert
