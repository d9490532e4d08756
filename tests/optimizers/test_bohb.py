"""BOHB (Falkner, Klein, Hutter, ICML 2018): the KDE source and the optimizer."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hpobench.benchmarks.base import Fidelity, Result
from hpobench.optimizers.bohb import BOHB, KDESource
from hpobench.optimizers.hyperband import Hyperband
from hpobench.space import Categorical, Float, Int, Space

SPACE = Space([Float("x", 0.0, 1.0), Float("y", 0.0, 1.0)])


def bound(source, space=SPACE, seed=0):
    source.bind(space, np.random.default_rng(seed), seed)
    return source


def test_model_uses_the_largest_budget_with_d_plus_3_observations():
    src = bound(KDESource())
    rng = np.random.default_rng(1)
    for _ in range(10):
        src.observe({"x": rng.random(), "y": rng.random()}, 1.0, rng.random())
    for _ in range(4):  # N_min + 2 = d + 3 = 5 needed; 4 is not enough
        src.observe({"x": rng.random(), "y": rng.random()}, 9.0, rng.random())
    assert src.model_budget() == 1.0
    src.observe({"x": 0.5, "y": 0.5}, 9.0, 0.1)
    assert src.model_budget() == 9.0


def test_proposals_concentrate_where_the_good_points_are():
    """Quadratic bowl at (0.2, 0.7): model proposals land much nearer than prior draws."""
    src = bound(KDESource(random_fraction=0.0), seed=3)
    rng = np.random.default_rng(2)
    for _ in range(60):
        c = {"x": rng.random(), "y": rng.random()}
        src.observe(c, 1.0, (c["x"] - 0.2) ** 2 + (c["y"] - 0.7) ** 2)
    dist = [math.hypot(c["x"] - 0.2, c["y"] - 0.7) for c in (src.propose(1.0) for _ in range(100))]
    assert src.n_model == 100
    # Prior draws have median distance 0.50; measured for the model 0.24 with this seed
    # (0.07-0.24 over seeds 0-4).
    assert np.median(dist) < 0.35


def test_random_fraction_and_no_model_draw_from_the_prior():
    src = bound(KDESource(), seed=4)
    for _ in range(30):
        src.propose(1.0)
    assert src.n_random == 30 and src.n_model == 0  # nothing observed yet
    for i in range(20):
        src.observe({"x": i / 20, "y": 0.5}, 1.0, float(i))
    for _ in range(300):
        src.propose(1.0)
    # 1/3 of the proposals come from the prior (binomial: 100 +- 8).
    assert 75 <= src.n_random - 30 <= 125


def test_categoricals_use_aitchison_aitken_and_failures_count_as_worst():
    space = Space([Categorical("act", ["relu", "tanh", "sigmoid"]), Int("n", 1, 9)])
    src = bound(KDESource(random_fraction=0.0), space, seed=5)
    rng = np.random.default_rng(6)
    for i in range(40):
        act = ["relu", "tanh", "sigmoid"][i % 3]
        src.observe({"act": act, "n": int(rng.integers(1, 10))}, 1.0, 0.0 if act == "tanh" else 1.0)
    src.observe({"act": "relu", "n": 3}, 1.0, math.nan)
    assert src.observed[1.0][1][-1] == math.inf
    picks = [src.propose(1.0)["act"] for _ in range(60)]
    assert picks.count("tanh") >= 45
    good, _bad = src._model()
    assert good.bw[0] <= 2 / 3  # the categorical bandwidth never exceeds the uniform kernel's


def test_conditional_spaces_are_imputed_and_proposals_are_valid():
    space = Space([
        Categorical("kernel", ["rbf", "poly"]),
        Int("degree", 2, 5, condition=("kernel", ["poly"])),
        Float("C", 1e-3, 1e3, log=True),
    ])
    src = bound(KDESource(random_fraction=0.0), space, seed=7)
    rng = np.random.default_rng(8)
    for _ in range(30):
        c = space.sample(rng)
        src.observe(c, 3.0, float(np.log10(c["C"]) ** 2))
    for _ in range(30):
        space.validate(src.propose(3.0))


def test_bohb_runs_hyperbands_schedule():
    fid = Fidelity("epochs", 1, 81)
    b, h = BOHB(SPACE, seed=0, fidelity=fid), Hyperband(SPACE, seed=0, fidelity=fid)
    assert [x.as_pairs() for x in b.plan()] == [x.as_pairs() for x in h.plan()]
    for _ in range(150):
        t, u = b.ask(), h.ask()
        assert (t.budget, t.resume_from, t.info["bracket"], t.info["rung"]) == (u.budget, u.resume_from, u.info["bracket"], u.info["rung"])
        b.tell(t, Result(t.config["x"]))
        h.tell(u, Result(u.config["x"]))
    assert b.source.n_model > 0
    with pytest.raises(ValueError, match="top_n_percent"):
        BOHB(SPACE, fidelity=fid, top_n_percent=0)


def test_bohb_beats_hyperband_and_random_on_mf_branin(final_regret):
    """5 fixed seeds at 20R (the 10-seed study is in docs/bohb.md)."""
    seeds = range(5)
    bohb = [final_regret("bohb", "mf-branin", s) for s in seeds]
    hb = [final_regret("hyperband", "mf-branin", s) for s in seeds]
    rs = [final_regret("random", "mf-branin", s) for s in seeds]
    # Measured medians: bohb ~0.04, hyperband ~0.33, random ~1.8.
    assert np.median(bohb) < np.median(hb) and np.median(bohb) < np.median(rs)
    assert np.median(bohb) < 0.2
