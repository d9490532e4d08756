"""ASHA (Li et al., MLSys 2020, Algorithm 2) and asynchronous Hyperband."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from hpobench.benchmarks.base import Fidelity, Result
from hpobench.optimizers.asha import ASHA, AsyncHyperband
from hpobench.space import Float, Space

SPACE = Space([Float("x", 0.0, 1.0)])
FID = Fidelity("epochs", 1, 27)


def test_rungs_follow_the_early_stopping_rate():
    assert [r.budget for r in ASHA(SPACE, fidelity=FID).brackets[0]] == [1, 3, 9, 27]
    assert [r.budget for r in ASHA(SPACE, fidelity=FID, s=1).brackets[0]] == [3, 9, 27]
    assert [r.budget for r in ASHA(SPACE, fidelity=FID, eta=2, min_budget=3).brackets[0]] == [3, 6, 12, 24]
    with pytest.raises(ValueError, match="early-stopping rate"):
        ASHA(SPACE, fidelity=FID, s=4)


def test_promotes_as_soon_as_a_config_is_in_the_top_third_of_its_rung():
    opt = ASHA(SPACE, seed=0, fidelity=FID)
    trials = [opt.ask() for _ in range(3)]
    assert [t.budget for t in trials] == [1.0, 1.0, 1.0]
    losses = [0.5, 0.2, 0.9]
    for t, v in zip(trials, losses):
        opt.tell(t, Result(v))
    # 3 results at rung 0: the top floor(3/3) = 1 (loss 0.2) is promoted to budget 3, resuming at 1.
    t = opt.ask()
    assert (t.budget, t.resume_from, t.info["rung"]) == (3.0, 1.0, 1)
    assert t.config == trials[1].config
    # Nothing else is promotable (top 1 already went), so a new configuration starts.
    u = opt.ask()
    assert (u.budget, u.info["rung"]) == (1.0, 0)


def test_ask_never_waits_and_failures_are_never_promoted():
    opt = ASHA(SPACE, seed=1, fidelity=FID)
    pending = [opt.ask() for _ in range(50)]  # 50 trials in flight: no rung synchronisation
    assert all(t is not None and t.info["rung"] == 0 for t in pending)
    for t in pending:
        opt.tell(t, Result(math.nan))
    t = opt.ask()
    assert t.info["rung"] == 0  # every result failed: nothing is promoted


def test_sequential_asha_spends_its_evaluations_like_successive_halving():
    opt = ASHA(SPACE, seed=2, fidelity=FID)
    for _ in range(400):
        t = opt.ask()
        opt.tell(t, Result(t.config["x"] + 1.0 / t.budget))
    per_rung = Counter(t.info["rung"] for t, _ in opt.history)
    # Each rung receives about 1/eta of the one below; a little more, because a configuration
    # promoted early (in the top third of few results) can later drop out of the top third
    # (the paper's "mispromotions"). Measured: 257, 96, 34, 13.
    for k in range(2):
        assert 1 / 3 - 0.02 <= per_rung[k + 1] / per_rung[k] <= 0.45
    assert per_rung[3] >= 1


def test_async_hyperband_spreads_new_configurations_over_its_brackets():
    opt = AsyncHyperband(SPACE, seed=3, fidelity=FID)
    assert opt.rates == [0, 1, 2, 3]
    starts = []
    for _ in range(600):
        t = opt.ask()
        if t.info["rung"] == 0:
            starts.append(t.info["bracket"])
        opt.tell(t, Result(t.config["x"]))
    share = np.bincount(starts, minlength=4) / len(starts)
    # Synchronous Hyperband (R = 27) starts 27, 12, 6, 4 configurations in brackets s = 3..0.
    np.testing.assert_allclose(share, np.array([27, 12, 6, 4]) / 49, atol=0.06)
    with pytest.raises(TypeError, match="no option s"):
        AsyncHyperband(SPACE, fidelity=FID, s=1)


def test_asha_beats_random_search_on_mf_hartmann6(final_regret):
    seeds = range(5)
    asha = [final_regret("asha", "mf-hartmann6", s) for s in seeds]
    rs = [final_regret("random", "mf-hartmann6", s) for s in seeds]
    # Measured 10-seed medians at 20R: asha 0.89, random 2.17.
    assert np.median(asha) < np.median(rs) - 0.5
