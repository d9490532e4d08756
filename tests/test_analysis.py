"""Incumbent traces, regret, aggregates, ranks and the Wilcoxon test."""

import math

import numpy as np
import pytest

from hpobench.analysis import aggregate, incumbent_trace, mean_ranks, rank_curves, value_on_grid, wilcoxon_vs


def rec(loss, test=None, budget=None, resource_R=None, status="ok"):
    return {"loss": loss, "test_loss": test, "budget": budget, "resource_R": resource_R, "status": status, "optimizer_time": 0.001}


def test_incumbent_follows_validation_and_reports_its_test_loss():
    records = [rec(5.0, 6.0), rec(None, status="failed"), rec(3.0, 7.0), rec(4.0, 1.0), rec(2.0, 2.5)]
    tr = incumbent_trace(records, optimum=0.5)
    assert list(tr.best_loss) == [5, 5, 3, 3, 2]
    # the test value is the incumbent's, not the best test value seen (4.0 had test 1.0)
    assert list(tr.incumbent_test) == [6, 6, 7, 7, 2.5]
    assert list(tr.regret) == [5.5, 5.5, 6.5, 6.5, 2.0]
    assert tr.final_value == 2.0


def test_incumbent_at_max_budget_only():
    records = [rec(1.0, 9.0, budget=1, resource_R=0.1), rec(3.0, 3.0, budget=81, resource_R=1.1), rec(2.0, 2.0, budget=9, resource_R=1.2)]
    any_budget = incumbent_trace(records, max_budget=81)
    at_max = incumbent_trace(records, max_budget=81, at_max_only=True)
    assert any_budget.final_loss == 1.0 and any_budget.incumbent_test[-1] == 9.0
    assert at_max.final_loss == 3.0 and math.isnan(at_max.best_loss[0])


def test_value_on_grid_is_a_step_function():
    records = [rec(3.0, resource_R=1), rec(2.0, resource_R=2), rec(1.0, resource_R=4)]
    tr = incumbent_trace(records)
    v = value_on_grid(tr, np.array([0.5, 1.0, 3.9, 4.0, 10.0]), "resource", "best_loss")
    assert np.isnan(v[0]) and list(v[1:]) == [3.0, 2.0, 1.0, 1.0]


def test_aggregate_quartiles():
    agg = aggregate(np.array([[1.0, np.nan], [2.0, 4.0], [3.0, 6.0], [4.0, 8.0]]))
    assert agg["median"][0] == 2.5 and agg["median"][1] == 6.0
    assert agg["q25"][0] == 1.75 and agg["q75"][0] == 3.25


def test_mean_ranks_and_rank_curves():
    finals = {"a": {0: 1.0, 1: 1.0, 2: 3.0}, "b": {0: 2.0, 1: 2.0, 2: 2.0}, "c": {0: 3.0, 1: math.nan, 2: 1.0}}
    r = mean_ranks(finals)
    assert r == pytest.approx({"a": (1 + 1 + 3) / 3, "b": 2.0, "c": (3 + 3 + 1) / 3})
    curves = rank_curves({"a": np.array([[1.0, 1.0]]), "b": np.array([[2.0, 0.5]])})
    assert list(curves["a"]) == [1.0, 2.0]


def test_wilcoxon_against_random():
    rng = np.random.default_rng(0)
    base = {s: 1.0 + rng.random() for s in range(10)}
    better = {s: v - 0.5 for s, v in base.items()}
    same = dict(base)
    p = wilcoxon_vs({"random": base, "better": better, "same": same}, "random")
    assert p["better"] < 0.01
    assert math.isnan(p["same"]) and math.isnan(p["random"])
    assert math.isnan(wilcoxon_vs({"x": better}, "random")["x"])
