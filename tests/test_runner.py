"""The runner and the result logs: budgets, failures, fsynced lines, torn lines, resume."""

import json
import math

import numpy as np
import pytest

from hpobench import get_benchmark, get_optimizer
from hpobench.benchmarks.base import Benchmark, Result
from hpobench.optimizers.base import Capabilities, Optimizer
from hpobench.runner import BudgetError, parse_budget, run
from hpobench.space import Float, Space
from hpobench.storage import LogError, manifest_path, read_records

KEYS = {"trial", "config", "budget", "loss", "test_loss", "cost", "resource", "elapsed", "status", "error"}


@pytest.mark.parametrize(
    "text, kind, amount",
    [("50", "evaluations", 50), ("10R", "resource", 10), ("2.5r", "resource", 2.5), ("300s", "seconds", 300), (7, "evaluations", 7)],
)
def test_parse_budget(text, kind, amount):
    b = parse_budget(text)
    assert (b.kind, b.amount) == (kind, amount)


@pytest.mark.parametrize("text", ["", "ten", "5x", "-3", "0", "1.5", "R10"])
def test_parse_budget_rejects(text):
    with pytest.raises(BudgetError, match="budget"):
        parse_budget(text)


def test_evaluation_budget_and_log_lines(tmp_path):
    bench = get_benchmark("branin")
    res = run(bench, get_optimizer("random", bench.space, seed=1), "12", seed=1, log_path=tmp_path / "x.jsonl")
    lines = (tmp_path / "x.jsonl").read_text().splitlines()
    assert len(lines) == len(res.records) == 12
    recs = [json.loads(line) for line in lines]
    assert KEYS <= set(recs[0])
    assert [r["trial"] for r in recs] == list(range(12))
    assert [r["resource"] for r in recs] == list(range(1, 13))
    assert all(r["status"] == "ok" and r["error"] is None for r in recs)
    manifest = json.loads(manifest_path(tmp_path / "x.jsonl").read_text())
    assert manifest["seed"] == 1 and manifest["budget"] == "12" and "numpy" in manifest["versions"]


def test_resource_budget_charges_R_to_single_fidelity_optimizers():
    bench = get_benchmark("mf-hartmann6")
    res = run(bench, get_optimizer("random", bench.space, seed=0, fidelity=bench.fidelity), "4R", seed=0)
    assert len(res.records) == 4
    assert all(r["budget"] == 81 and r["charged"] == 81 for r in res.records)
    assert res.records[-1]["resource_R"] == 4
    res2 = run(bench, get_optimizer("random-2x", bench.space, seed=0, fidelity=bench.fidelity), "4R", seed=0)
    assert len(res2.records) == 8  # twice the configurations on the same resource axis


def test_seconds_budget_stops():
    bench = get_benchmark("branin", cpu_work=20000)
    res = run(bench, get_optimizer("random", bench.space, seed=0), "0.3s", seed=0)
    assert 1 <= len(res.records) and res.records[-1]["elapsed"] < 0.3 + 1.0
    assert res.records[-2]["elapsed"] < 0.3 if len(res.records) > 1 else True


class Flaky(Benchmark):
    """Fails in three different ways: an exception, NaN and inf."""

    name = "flaky"

    def __init__(self):
        self.space = Space([Float("x", 0.0, 1.0)])
        self.calls = 0

    def _evaluate(self, config, budget, seed, **kw):
        self.calls += 1
        if self.calls % 4 == 1:
            raise RuntimeError("diverged")
        if self.calls % 4 == 2:
            return Result(loss=math.nan)
        if self.calls % 4 == 3:
            return Result(loss=math.inf)
        return Result(loss=config["x"])


def test_crashing_objective_is_a_failed_trial(tmp_path):
    bench = Flaky()
    opt = get_optimizer("random", bench.space, seed=0)
    res = run(bench, opt, "8", seed=0, log_path=tmp_path / "f.jsonl")
    recs = read_records(tmp_path / "f.jsonl")
    assert [r["status"] for r in recs] == ["crashed", "failed", "failed", "ok"] * 2
    assert [r.status for _, r in opt.history] == ["crashed", "failed", "failed", "ok"] * 2
    assert recs[0]["error"] == "RuntimeError: diverged" and recs[0]["loss"] is None
    assert recs[1]["nonfinite"] == "nan" and recs[2]["nonfinite"] == "inf"
    assert math.isnan(opt.history[0][1].loss) and math.isinf(opt.history[2][1].loss)
    assert res.best_loss == min(r["loss"] for r in recs if r["status"] == "ok")


class Exits(Benchmark):
    """Calls sys.exit on every other evaluation, and returns a numeric string once."""

    name = "exits"

    def __init__(self):
        self.space = Space([Float("x", 0.0, 1.0)])
        self.calls = 0

    def _evaluate(self, config, budget, seed, **kw):
        self.calls += 1
        if self.calls % 2 == 1:
            raise SystemExit(3)
        if self.calls == 4:
            return Result(loss="0.5")
        return Result(loss=config["x"], test_loss="not a number")


def test_system_exit_and_non_numeric_losses_are_failed_trials(tmp_path):
    """Issue 9 items 9, 10, 14: sys.exit in an objective does not end the study; a numeric
    string is not a loss; a non-numeric test value is dropped, not carried into the analysis."""
    bench = Exits()
    res = run(bench, get_optimizer("random", bench.space, seed=0), "6", seed=0, log_path=tmp_path / "e.jsonl")
    recs = read_records(tmp_path / "e.jsonl")
    assert len(res.records) == 6
    assert [r["status"] for r in recs] == ["crashed", "ok", "crashed", "failed", "crashed", "ok"]
    assert recs[0]["error"] == "SystemExit: 3"
    assert "not a number" in recs[3]["error"]
    assert all(r["test_loss"] is None for r in recs)


def test_runner_tells_the_optimizer_its_expected_trials():
    bench = get_benchmark("branin")
    opt = get_optimizer("random", bench.space, seed=0)
    run(bench, opt, "7", seed=0)
    assert opt.expected_trials == 7
    mf = get_benchmark("mf-branin")
    opt = get_optimizer("random", mf.space, seed=0)
    run(mf, opt, "3R", seed=0)
    assert opt.expected_trials == 3
    hb = get_optimizer("hyperband", mf.space, seed=0, fidelity=mf.fidelity)
    run(mf, hb, "1R", seed=0)
    assert hb.expected_trials is None  # it chooses its own budgets


def test_resume_replays_and_continues(tmp_path):
    bench = get_benchmark("hartmann6")
    log = tmp_path / "h.jsonl"
    run(bench, get_optimizer("random", bench.space, seed=5), "8", seed=5, log_path=log)
    with pytest.raises(LogError, match="already exists"):
        run(bench, get_optimizer("random", bench.space, seed=5), "20", seed=5, log_path=log)
    # a torn last line (killed mid-write) is dropped and rewritten
    with open(log, "ab") as fh:
        fh.write(b'{"trial": 8, "config": {"x0": 0.1')
    settings = {"budget": "8"}
    res = run(bench, get_optimizer("random", bench.space, seed=5), "8", seed=5, log_path=log, resume=True, settings=settings)
    assert res.replayed == 8 and len(res.records) == 8
    # resuming with another budget is refused, the log untouched
    before = log.read_bytes()
    with pytest.raises(LogError, match="budget"):
        run(bench, get_optimizer("random", bench.space, seed=5), "20", seed=5, log_path=log, resume=True)
    assert log.read_bytes() == before


def test_resume_continues_to_the_same_trajectory(tmp_path):
    bench = get_benchmark("branin")
    log = tmp_path / "b.jsonl"
    full = run(bench, get_optimizer("random", bench.space, seed=2), "15", seed=2)
    first = run(bench, get_optimizer("random", bench.space, seed=2), "15", seed=2, log_path=log)
    lines = log.read_text().splitlines(keepends=True)
    log.write_text("".join(lines[:6]) + lines[6][:20])  # killed during the 7th write
    res = run(bench, get_optimizer("random", bench.space, seed=2), "15", seed=2, log_path=log, resume=True)
    assert res.replayed == 6
    got = [(r["trial"], r["config"], r["loss"]) for r in read_records(log)]
    assert got == [(r["trial"], r["config"], r["loss"]) for r in full.records] == [(r["trial"], r["config"], r["loss"]) for r in first.records]


def test_corrupt_middle_line_is_refused(tmp_path):
    bench = get_benchmark("branin")
    log = tmp_path / "c.jsonl"
    run(bench, get_optimizer("random", bench.space, seed=0), "5", seed=0, log_path=log)
    lines = log.read_text().splitlines(keepends=True)
    lines[2] = "garbage\n"
    log.write_text("".join(lines))
    with pytest.raises(LogError, match="corrupt at line 3"):
        run(bench, get_optimizer("random", bench.space, seed=0), "5", seed=0, log_path=log, resume=True)


class Shifty(Optimizer):
    """Proposes something else after a restart: replay must notice."""

    capabilities = Capabilities()
    counter = 0

    def _ask(self):
        Shifty.counter += 1
        return {"x1": float(Shifty.counter % 7), "x2": 1.0}


def test_replay_detects_a_different_optimizer(tmp_path):
    bench = get_benchmark("branin")
    log = tmp_path / "s.jsonl"
    run(bench, Shifty(bench.space, seed=0), "4", seed=0, log_path=log, settings={"optimizer": "shifty"})
    with pytest.raises(LogError, match="does not replay"):
        run(bench, Shifty(bench.space, seed=0), "6", seed=0, log_path=log, resume=True, settings={"optimizer": "shifty", "budget": "4"})


def test_multi_fidelity_charges_only_the_difference_when_continuing():
    from hpobench.optimizers.base import Trial
    from hpobench.runner import charge

    bench = get_benchmark("mf-branin")
    assert charge(bench, Trial(0, {}, budget=9.0, resume_from=3.0)) == (9.0, 6.0)
    assert charge(bench, Trial(0, {}, budget=9.0)) == (9.0, 9.0)
    assert charge(bench, Trial(0, {}, budget=None)) == (81.0, 81.0)
    single = get_benchmark("branin")
    assert charge(single, Trial(0, {}, budget=None)) == (None, 1.0)
    # a benchmark that cannot continue is charged the whole budget
    bench.can_continue = False
    try:
        assert charge(bench, Trial(0, {}, budget=9.0, resume_from=3.0)) == (9.0, 9.0)
    finally:
        del bench.can_continue


def test_rng_streams_are_independent_of_global_state():
    bench = get_benchmark("branin")
    np.random.seed(0)
    a = run(bench, get_optimizer("random", bench.space, seed=9), "5", seed=9).records
    np.random.seed(1)
    b = run(bench, get_optimizer("random", bench.space, seed=9), "5", seed=9).records
    assert [r["config"] for r in a] == [r["config"] for r in b]
