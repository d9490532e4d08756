"""smac-early: SMAC's runs trained in steps and stopped by the learning-curve rule."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from hpobench.benchmarks import get_benchmark
from hpobench.benchmarks.base import Fidelity, Result
from hpobench.optimizers import get_optimizer
from hpobench.optimizers.smac_early import SMACEarly
from hpobench.runner import run
from hpobench.space import Float, Space

#: Fewer curve points and a shorter chain than the defaults (27 points; 100 walkers, 300 steps),
#: so the module's study takes seconds; the rule itself is unchanged.
FAST = {"base_options": {"n_random_candidates": 500}, "n_points": 9, "n_walkers": 60, "n_steps": 120, "burn_in": 60}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """smac-early and smac, seed 0, on mf-hartmann6 with R = 27 units, 4R each."""
    bench = get_benchmark("mf-hartmann6", max_budget=27)
    out = tmp_path_factory.mktemp("smac-early")
    early = get_optimizer("smac-early", bench.space, seed=0, fidelity=bench.fidelity, **FAST)
    smac = get_optimizer("smac", bench.space, seed=0, fidelity=bench.fidelity, n_random_candidates=500)
    run(bench, early, "4R", seed=0, log_path=out / "early.jsonl")
    run(bench, smac, "4R", seed=0, log_path=out / "smac.jsonl")

    def records(name):
        lines = (out / f"{name}.jsonl").read_text().splitlines()
        return [r for r in map(json.loads, lines) if "trial" in r]

    return early, records("early"), records("smac")


def test_runs_train_in_steps_along_a_resume_from_chain(study):
    early, recs, _ = study
    by_run = defaultdict(list)
    for r in recs:
        by_run[r["info"]["run"]].append(r)
    assert len(by_run) >= 3
    for steps in by_run.values():
        assert steps[0]["resume_from"] is None
        for prev, cur in zip(steps, steps[1:]):
            assert cur["resume_from"] == prev["budget"] and cur["budget"] > prev["budget"]
            assert cur["charged"] == pytest.approx(cur["budget"] - prev["budget"])
            assert cur["config"] == prev["config"]


def test_the_log_shows_each_stop_decision_and_stopped_runs_end_there(study):
    early, recs, _ = study
    # Each decision rides on the next record: the run's next step, or the next run's first step.
    decisions = []
    for prev, cur in zip(recs, recs[1:]):
        for d in cur["info"].get("decisions", []):
            assert (d["run"], d["step"]) == (prev["info"]["run"], prev["info"]["step"]) and prev["info"]["checkpoint"]
            decisions.append((d, prev, cur))
    assert decisions
    stopped = {d["run"] for d, _, _ in decisions if d["decision"] == "stop"}
    assert stopped, "no run was stopped"
    assert early.n_stopped == len(stopped)
    last_step = {}
    for r in recs:
        last_step[r["info"]["run"]] = r
    for d, prev, cur in decisions:
        if d["decision"] == "stop":
            assert last_step[d["run"]] is prev and prev["budget"] < 27 and cur["info"]["run"] != d["run"]
            assert d["p_better"] < 0.05
        else:
            assert cur["info"]["run"] == d["run"]  # the run went on
    # The base optimizer was told the predicted final loss of each stopped run.
    told = {json.dumps(t.config, sort_keys=True): r.loss for t, r in early.base.history}
    for d, prev, _ in decisions:
        if d["decision"] == "stop":
            assert told[json.dumps(prev["config"], sort_keys=True)] == pytest.approx(d["predicted_final"])


def test_smac_early_uses_less_resource_per_completed_run_than_smac(study):
    early, recs, smac_recs = study
    per_run_early = sum(r["charged"] for r in recs) / len({r["info"]["run"] for r in recs})
    per_run_smac = sum(r["charged"] for r in smac_recs) / len(smac_recs)
    assert per_run_smac == pytest.approx(27.0)
    assert per_run_early < 0.9 * per_run_smac


def test_nothing_stops_before_a_run_finished_and_failures_end_a_run():
    opt = SMACEarly(Space([Float("x", 0.0, 1.0)]), seed=0, fidelity=Fidelity("epochs", 1, 9), **FAST)
    for _ in range(9):  # the first run: 9 steps, never judged (no incumbent yet)
        t = opt.ask()
        opt.tell(t, Result(1.0 - 0.01 * t.budget))
        assert "decisions" not in t.info
    assert opt.n_completed == 1 and opt.incumbent_loss == pytest.approx(0.91)
    t = opt.ask()
    assert t.info["run"] == 1 and t.info["step"] == 0
    opt.tell(t, Result(float("nan")))
    assert opt.ask().info["run"] == 2
    assert opt.base.history[-1][1].ok is False
