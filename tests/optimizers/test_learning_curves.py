"""The learning-curve predictor (Domhan et al., IJCAI 2015) and its ensemble sampler."""

from __future__ import annotations

import numpy as np
import pytest

from hpobench.benchmarks.base import Fidelity
from hpobench.optimizers.ensemble_sampler import stretch_sampler
from hpobench.optimizers.learning_curves import FAMILIES, LearningCurvePredictor
from hpobench.optimizers.smac_early import SMACEarly
from hpobench.space import Float, Space


def test_the_eleven_families_of_domhan_et_al():
    assert sorted(FAMILIES) == sorted([
        "vap", "ilog2", "weibull", "pow3", "pow4", "loglog_linear", "mmf", "janoschek",
        "dr_hill_zero_background", "log_power", "exp4",
    ])


def test_stretch_sampler_recovers_a_correlated_gaussian():
    cov = np.array([[1.0, 0.9], [0.9, 1.0]])
    prec = np.linalg.inv(cov)
    rng = np.random.default_rng(0)
    chain = stretch_sampler(lambda X: -0.5 * np.einsum("ni,ij,nj->n", X, prec, X), rng.normal(size=(40, 2)), 1500, rng)
    draws = chain[500:].reshape(-1, 2)
    np.testing.assert_allclose(draws.mean(axis=0), 0.0, atol=0.15)
    np.testing.assert_allclose(np.cov(draws.T), cov, atol=0.2)


def test_pow3_parameters_are_recovered_from_the_first_third_of_the_curve():
    """loss(x) = 0.1 + 0.6 x^-0.7 (accuracy 0.9 - 0.6 x^-0.7) with noise 0.003, 90 epochs;
    fitted on epochs 1-30. Tolerances: asymptote +-0.01, a and alpha +-10 %, final loss +-0.01."""
    rng = np.random.default_rng(1)
    x = np.arange(1, 91, dtype=float)
    loss = 0.1 + 0.6 * x**-0.7 + 0.003 * rng.standard_normal(90)
    pred = LearningCurvePredictor(families=["pow3"]).fit(x[:30], loss[:30], x_lim=90, rng=np.random.default_rng(0))
    c, a, alpha = np.median(pred.theta["pow3"], axis=0)
    assert abs(pred.to_loss(c) - 0.1) < 0.01  # the asymptote, in loss units
    assert abs(a * pred.scale - 0.6) < 0.06
    assert abs(alpha - 0.7) < 0.07
    assert abs(pred.mean_final_loss() - (0.1 + 0.6 * 90**-0.7)) < 0.01


def test_predictor_input_errors():
    with pytest.raises(ValueError, match="unknown curve families"):
        LearningCurvePredictor(families=["nope"])
    with pytest.raises(ValueError, match="at least 3"):
        LearningCurvePredictor().fit([1, 2], [0.5, 0.4], 10, np.random.default_rng(0))


@pytest.fixture(scope="module")
def early():
    """smac-early's rule on R = 81 (27 curve points, checks after budgets 21, 42 and 60)."""
    opt = SMACEarly(Space([Float("x", 0.0, 1.0)]), seed=0, fidelity=Fidelity("epochs", 1, 81))
    assert [opt.budgets[c] for c in opt.checkpoints] == [21.0, 42.0, 60.0]
    return opt


def curve(early, fn, seed):
    x = np.array(early.budgets)
    return list(fn(x) + 0.003 * np.random.default_rng(seed).standard_normal(len(x)))


def test_a_clearly_bad_curve_is_stopped_at_the_first_check(early):
    early.incumbent_loss = 0.2
    losses = curve(early, lambda x: 0.5 + 0.3 * x**-0.5, 0)  # saturates near 0.53
    d = early.decide(losses[: early.checkpoints[0] + 1])
    assert d["decision"] == "stop" and d["p_better"] < 0.05
    assert abs(d["predicted_final"] - losses[-1]) < 0.05


@pytest.mark.parametrize("name, fn", [
    ("exponential", lambda x: 0.15 + 0.45 * np.exp(-x / 25)),  # 0.34 at budget 21, ends at 0.17
    ("power law", lambda x: 0.1 + 0.85 * x**-0.5),  # 0.29 at budget 21, ends at 0.19
])
def test_a_curve_that_ends_best_is_never_stopped(early, name, fn):
    early.incumbent_loss = 0.2
    losses = curve(early, fn, 1)
    assert losses[-1] < 0.2 and losses[early.checkpoints[0]] > 0.25
    for c in early.checkpoints:
        assert early.decide(losses[: c + 1])["decision"] != "stop", f"{name} curve stopped after budget {early.budgets[c]}"


def test_a_curve_already_better_than_the_incumbent_continues_without_a_prediction(early):
    early.incumbent_loss = 0.5
    d = early.decide([0.6, 0.5, 0.45])
    assert d == {"decision": "continue: better than incumbent", "p_better": None, "predicted_final": None}
