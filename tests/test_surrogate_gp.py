"""The Gaussian-process surrogate model: its likelihood's gradient, its noise model for rows
that average several seeds, and its use by the surrogate benchmarks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hpobench.benchmarks import get_benchmark
from hpobench.benchmarks.surrogate import SurrogateBenchmark
from hpobench.surrogates.gp_features import NormalScores, with_rotated_pairs
from hpobench.surrogates.gp_model import MultiOutputGP, neg_log_likelihood
from hpobench.surrogates.model import CurveModel


def _smooth(X: np.ndarray) -> np.ndarray:
    """Two smooth outputs of a 2-D input."""
    return np.stack([np.sin(5 * X[:, 0]) + X[:, 1] ** 2, np.cos(3 * X[:, 1]) * X[:, 0]], axis=1)


def test_likelihood_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    X = rng.random((25, 3))
    Z = rng.standard_normal((25, 4))
    diff2 = (X[:, None, :] - X[None, :, :]) ** 2
    inv_w = 1.0 / rng.integers(1, 4, 25)
    for theta in (np.array([0.3, -1.5, -0.7, 0.2, -0.1]), np.array([-1.0, 0.5, 1.0, -2.0, 0.0])):
        _, grad = neg_log_likelihood(theta, diff2, Z, inv_w)
        h = 1e-6
        numeric = [(neg_log_likelihood(theta + e, diff2, Z, inv_w)[0] - neg_log_likelihood(theta - e, diff2, Z, inv_w)[0]) / (2 * h) for e in np.eye(len(theta)) * h]
        assert np.allclose(grad, numeric, rtol=1e-5, atol=1e-6)


def test_posterior_mean_averages_the_noise_away():
    """On noisy observations of a smooth function the posterior mean is nearer the truth than
    the observations are, at held-out inputs too, and the fitted noise is the true one."""
    rng = np.random.default_rng(1)
    X = rng.random((120, 2))
    sd = 0.2
    Y = _smooth(X) + sd * rng.standard_normal((120, 2))
    gp = MultiOutputGP.fit(X, Y)
    Xt = rng.random((200, 2))
    rmse = float(np.sqrt(np.mean((gp.predict(Xt) - _smooth(Xt)) ** 2)))
    assert rmse < 0.5 * sd
    noise_sd = math.sqrt(gp.noise) * Y.std(axis=0)  # the noise is fitted on standardized outputs
    assert np.all((0.7 * sd < noise_sd) & (noise_sd < 1.4 * sd))


def test_a_row_averaging_m_seeds_has_noise_variance_over_m():
    """Three seeds per input averaged into one row: with weight 3 the fitted noise is that of
    one seed; without weights it is the mean's, a third of it."""
    rng = np.random.default_rng(2)
    X = rng.random((150, 2))
    sd = 0.3
    seeds = _smooth(X)[None] + sd * rng.standard_normal((3, 150, 2))
    mean = seeds.mean(axis=0)
    mean = seeds.mean(axis=0)[:, :1]  # one output: the noise variance is shared on the standardized scale
    weighted = MultiOutputGP.fit(X, mean, weights=np.full(150, 3.0))
    plain = MultiOutputGP.fit(X, mean)
    one_seed_var = weighted.noise * mean.var()
    mean_var = plain.noise * mean.var()
    assert 0.6 * sd**2 < one_seed_var < 1.5 * sd**2
    assert math.isclose(one_seed_var / mean_var, 3.0, rel_tol=0.25)
    # the same posterior mean either way: only the noise's bookkeeping differs
    assert np.abs(weighted.predict(X) - plain.predict(X)).max() < 0.02


def test_gp_curve_model_on_the_committed_lenet_table():
    data = get_benchmark("lenet-digits-surrogate").data
    model = CurveModel("gp").fit(data)
    val, test, sec = model.predict(data.X[:20])
    assert val.shape == test.shape == sec.shape == (20, len(data.budgets))
    assert np.all((0 <= val) & (val <= 1)) and np.all(np.diff(sec, axis=1) >= 0) and np.all(sec > 0)
    # a learning curve: on average over configurations the error falls from budget 1 to R
    assert np.median(val[:, 0]) > 3 * np.median(val[:, -1])
    # seconds at R: on the recorded scale (geometric means within a factor of 2), and growing with
    # the batch size, the recorded cost's main driver
    _, _, all_sec = model.predict(data.X)
    assert abs(np.mean(np.log(all_sec[:, -1])) - np.mean(np.log(data.seconds[:, -1]))) < math.log(2)
    small, large = (get_benchmark("lenet-digits-surrogate").space.encode({"lr": 0.01, "batch_size": b, "k1": 20, "k2": 40}) for b in (10, 1000))
    assert model.predict(large[None])[2][0, -1] > 3 * model.predict(small[None])[2][0, -1]


def test_model_kinds_per_benchmark_and_bad_kind():
    assert get_benchmark("lenet-digits-surrogate").model_kind == "gp"
    assert get_benchmark("lenet-mnist1d-surrogate").model_kind == "gp"
    assert get_benchmark("kernel-ls-digits-surrogate").model_kind == "curve"
    assert get_benchmark("lenet-digits-surrogate", model="curve").model_kind == "curve"
    with pytest.raises(ValueError, match="model must be one of curve, gp, point"):
        SurrogateBenchmark("lenet-digits", model="forest")
    with pytest.raises(ValueError, match="model kind must be one of"):
        CurveModel("forest")


def test_normal_scores_rank_to_normal_quantiles_and_back():
    rng = np.random.default_rng(3)
    # heavy-tailed columns with ties, as recorded errors are (counts of misclassified images)
    Y = np.column_stack([np.round(np.exp(2 * rng.standard_normal(300)), 1), rng.random(300)])
    scores = NormalScores.fit(Y)
    Z = scores.training_scores
    # standard-normal scores whatever the values' scale: mean 0 and variance near 1 (ties,
    # which share their average rank, move both a little)
    assert np.all(np.abs(Z.mean(axis=0)) < 0.02) and np.all(np.abs(Z.var(axis=0) - 1) < 0.1)
    # the map is monotone and tied values share one score
    for p in range(2):
        order = np.argsort(Y[:, p])
        assert np.all(np.diff(Z[order, p]) >= 0)
        ties = Y[:, 0] == Y[order[150], 0]
        assert ties.sum() > 1 and np.ptp(Z[ties, 0]) == 0
    # back to the recorded values exactly, and between them linearly, as np.interp would
    assert np.allclose(scores.inverse(Z), Y)
    queries = rng.normal(0, 1.5, (50, 2))
    inv = scores.inverse(queries)
    for p in range(2):
        zs, ys = np.sort(Z[:, p]), np.sort(Y[:, p])
        assert np.allclose(inv[:, p], np.interp(queries[:, p], zs, ys))
    # beyond the recorded scores: the recorded extremes
    assert np.allclose(scores.inverse(np.array([[-50.0, 50.0]])), [[Y[:, 0].min(), Y[:, 1].max()]])


def test_rotated_pairs_let_the_gp_follow_a_diagonal_ridge():
    """A function of ``x0 - x1`` (a ratio of two log-scaled hyperparameters, say): with the
    rotated coordinates the ARD kernel needs one length scale for it, and the held-out error
    falls."""
    rng = np.random.default_rng(4)
    f = lambda X: np.sin(8 * (X[:, 0] - X[:, 1])) + 0.3 * X[:, 2]  # noqa: E731
    X, Xt = rng.random((120, 3)), rng.random((400, 3))
    Y = (f(X) + 0.05 * rng.standard_normal(120))[:, None]
    pairs = [(0, 1), (0, 2), (1, 2)]
    assert with_rotated_pairs(X, pairs).shape == (120, 9) and with_rotated_pairs(X, []) is X
    assert np.all((0 <= with_rotated_pairs(X, pairs)) & (with_rotated_pairs(X, pairs) <= 1))
    plain = MultiOutputGP.fit(X, Y).predict(Xt)[:, 0]
    rotated = MultiOutputGP.fit(with_rotated_pairs(X, pairs), Y).predict(with_rotated_pairs(Xt, pairs))[:, 0]
    rmse = lambda p: float(np.sqrt(np.mean((p - f(Xt)) ** 2)))  # noqa: E731
    assert rmse(rotated) < 0.6 * rmse(plain)


def test_only_ordered_always_active_parameters_are_paired():
    kernel = get_benchmark("kernel-ls-digits-surrogate")
    names = [kernel.space.params[i].name for i in kernel.data.ordered_dims]
    assert names == ["C", "gamma"]  # not the categoricals, not degree or coef0 (conditional)
    assert get_benchmark("lenet-digits-surrogate").data.ordered_dims == (0, 1, 2, 3)
    assert CurveModel("gp").fit(get_benchmark("random-features-digits-surrogate").data).pairs == [(1, 2)]
