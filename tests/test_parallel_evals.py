"""Evaluations in flight inside one run: simulated workers, local worker processes, timeouts,
and resuming a run that had several evaluations in flight."""

from __future__ import annotations

import time

import pytest

from hpobench import Benchmark, Float, Optimizer, Result, Space, get_benchmark, get_optimizer
from hpobench.optimizers.base import Capabilities
from hpobench.runner import run
from hpobench.storage import read_records

OPTIMIZERS = {"random": {}, "hyperband": {}, "tpe": {}, "smac": {}, "gp": {"grid_size": 300, "burnin": 10, "mcmc_iters": 3}}


def _signature(records):
    return [(r["trial"], r["config"], r["budget"], r["loss"], r.get("start"), r.get("end"), r.get("worker")) for r in records]


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_k_evaluations_in_flight_are_deterministic_and_k1_is_sequential(name):
    def once(k):
        bench = get_benchmark("mf-hartmann6")
        opt = get_optimizer(name, bench.space, seed=3, fidelity=bench.fidelity, **OPTIMIZERS[name])
        return run(bench, opt, "2R", seed=3, parallel_evals=k).records

    sequential = [(r["trial"], r["config"], r["budget"], r["loss"]) for r in _sequential(name)]
    a, b = once(4), once(4)
    assert _signature(a) == _signature(b)
    assert len({r["worker"] for r in a}) == min(4, len(a))  # the simulated workers were all used
    assert [(r["trial"], r["config"], r["budget"], r["loss"]) for r in once(1)] == sequential


def _sequential(name):
    """The run as the sequential runner made it before runs could have evaluations in flight:
    ask, evaluate, tell."""
    bench = get_benchmark("mf-hartmann6")
    opt = get_optimizer(name, bench.space, seed=3, fidelity=bench.fidelity, **OPTIMIZERS[name])
    from hpobench.evaluation import evaluate_trial

    out, resource = [], 0.0
    while resource < 2 * 81 - 1e-9:
        trial = opt.ask()
        rec, result = evaluate_trial(bench, trial, 3)
        opt.tell(trial, result)
        resource += rec["charged"]
        out.append(rec)
    return out


class CostList(Benchmark):
    """A benchmark whose cost is the configuration's ``c``: a model, so the clock is simulated."""

    name = "cost-list"
    simulated_cost = True

    def __init__(self):
        self.space = Space([Float("c", 0.0, 10.0)])

    def _evaluate(self, config, budget, seed, **kw):
        return Result(loss=config["c"], cost=config["c"])


class Scripted(Optimizer):
    """Proposes the costs it is given, in order."""

    capabilities = Capabilities(batch=True)

    def __init__(self, space, seed=0, fidelity=None, costs=()):
        super().__init__(space, seed, fidelity)
        self.costs = list(costs)

    def _ask(self):
        return {"c": float(self.costs[self._next_id])}


def test_simulated_workers_follow_the_schedule_computed_by_hand():
    """Two simulated workers, costs 3, 1, 2, 1, 1: trial 1 ends at t=1 and trial 2 starts there;
    trials 0 and 2 both end at t=3 (told in id order); trials 3 and 4 start at t=3, end at t=4."""
    bench = CostList()
    recs = run(bench, Scripted(bench.space, costs=[3, 1, 2, 1, 1]), "5", parallel_evals=2).records
    assert [r["trial"] for r in recs] == [1, 0, 2, 3, 4]
    assert [r["start"] for r in recs] == [0, 0, 1, 3, 3]
    assert [r["end"] for r in recs] == [1, 3, 3, 4, 4]
    assert [r["elapsed"] for r in recs] == [1, 3, 3, 4, 4]
    # A budget in seconds on a simulated benchmark is simulated seconds: 4 seconds = the above.
    recs = run(CostList(), Scripted(bench.space, costs=[3, 1, 2, 1, 1, 1, 1]), "3s", parallel_evals=2).records
    assert max(r["start"] for r in recs) < 3 <= max(r["end"] for r in recs)


def test_resume_with_evaluations_in_flight_asks_them_again(tmp_path):
    """A run killed with K evaluations in flight resumes to the same log: the replay follows the
    same ask/tell interleaving, and in-flight trials are asked again with the same configs."""
    def go(budget, log, resume=False):
        bench = get_benchmark("mf-hartmann6")
        opt = get_optimizer("tpe", bench.space, seed=1, fidelity=bench.fidelity)
        return run(bench, opt, budget, seed=1, log_path=log, resume=resume, parallel_evals=3)

    full = go("4R", tmp_path / "full.jsonl").records
    cut = tmp_path / "cut.jsonl"
    go("4R", cut)
    lines = cut.read_text().splitlines(keepends=True)
    cut.write_text("".join(lines[:2]))  # as if killed after two results, others in flight
    resumed = go("4R", cut, resume=True).records
    assert _signature(read_records(cut)) == _signature(full) == _signature(resumed)


class Sleepy(Benchmark):
    """Sleeps far past the time limit when x > 0.5 (a real wall-clock objective)."""

    name = "sleepy"

    def __init__(self):
        self.space = Space([Float("x", 0.0, 1.0)])

    def _evaluate(self, config, budget, seed, **kw):
        if config["x"] > 0.5:
            time.sleep(30)
        return Result(loss=config["x"], cost=0.0)


def test_an_evaluation_past_the_time_limit_is_a_timeout_trial(tmp_path):
    bench = Sleepy()
    t0 = time.perf_counter()
    res = run(bench, get_optimizer("random", bench.space, seed=0), "6", log_path=tmp_path / "s.jsonl", eval_timeout=1.5)
    assert time.perf_counter() - t0 < 60
    statuses = [r["status"] for r in read_records(tmp_path / "s.jsonl")]
    xs = [r["config"]["x"] for r in res.records]
    assert len(statuses) == 6 and statuses == ["timeout" if x > 0.5 else "ok" for x in xs]
    assert "timeout" in statuses and "ok" in statuses


def test_two_local_worker_processes_evaluate_a_real_objective(tmp_path):
    bench = get_benchmark("branin", cpu_work=20000)
    assert not bench.simulated_cost
    res = run(bench, get_optimizer("random", bench.space, seed=2), "8", seed=2, parallel_evals=2)
    # Evaluated in worker processes (which of the two is a matter of timing), told in ask order.
    assert len(res.records) == 8 and {r["worker"].split(".")[0] for r in res.records} <= {"local-0", "local-1"}
    seq = run(get_benchmark("branin", cpu_work=20000), get_optimizer("random", bench.space, seed=2), "8", seed=2).records
    assert [r["loss"] for r in res.records] == [r["loss"] for r in seq]  # random search: told order is ask order
