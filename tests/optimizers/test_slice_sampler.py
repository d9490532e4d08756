"""The slice sampler recovers known densities (moments within Monte-Carlo error).

Margins come from the effective sample size (ESS) of each chain, estimated with Geyer's initial
positive sequence, so they account for autocorrelation: a correct sampler lands within 4.5
standard errors (fails about once in 10^5 seeds), a biased one (for instance without the
shrinkage step, or with a non-uniform draw) lands far outside.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from hpobench.optimizers.gp.slice_sampler import (
    slice_sample,
    slice_sample_1d,
    slice_sample_compwise,
    slice_sample_direction,
)

Z = 4.5  # standard errors allowed


def ess(x: np.ndarray) -> float:
    """Effective sample size of a 1-D chain (Geyer's initial positive sequence)."""
    x = np.asarray(x, float) - np.mean(x)
    n = len(x)
    f = np.fft.rfft(x, 2 * n)
    acov = np.fft.irfft(f * np.conj(f))[:n] / n
    rho = acov / acov[0]
    tau = -1.0
    for k in range(0, n - 1, 2):
        pair = rho[k] + rho[k + 1]
        if pair <= 0:
            break
        tau += 2 * pair
    return n / max(tau, 1e-9)


def check_moments(draws: np.ndarray, mean: float, var: float, fourth_central: float) -> None:
    """Sample mean and variance agree with the truth within Z standard errors."""
    n_mean = ess(draws)
    se_mean = math.sqrt(var / n_mean)
    assert abs(np.mean(draws) - mean) < Z * se_mean, (np.mean(draws), mean, se_mean)
    sq = (draws - mean) ** 2
    n_var = ess(sq)
    se_var = math.sqrt((fourth_central - var**2) / n_var)
    assert abs(np.mean(sq) - var) < Z * se_var, (np.mean(sq), var, se_var)


def test_standard_normal_1d():
    rng = np.random.default_rng(1)
    x, draws = 3.0, []
    for _ in range(5000):
        x = slice_sample_1d(x, lambda z: -0.5 * z * z, rng)
        draws.append(x)
    draws = np.array(draws[100:])
    check_moments(draws, 0.0, 1.0, 3.0)
    # A well-mixing chain: slice sampling with sigma = 1 is close to independent here.
    assert ess(draws) > 0.3 * len(draws)


def test_gamma_1d_bounded_support():
    """Gamma(shape 3, scale 2): a skewed density with a hard edge at 0 (log density -inf)."""
    k, theta = 3.0, 2.0
    dist = stats.gamma(k, scale=theta)

    def logprob(z):
        return (k - 1) * math.log(z) - z / theta if z > 0 else -math.inf

    rng = np.random.default_rng(2)
    x, draws = 1.0, []
    for _ in range(6000):
        x = slice_sample_1d(x, logprob, rng)
        draws.append(x)
    draws = np.array(draws[200:])
    assert draws.min() > 0
    var = k * theta**2
    mu4 = 3 * k * (k + 2) * theta**4  # fourth central moment of a gamma
    check_moments(draws, k * theta, var, mu4)
    # The distribution as a whole (KS on a thinned, nearly independent subsample).
    assert stats.kstest(draws[::5], dist.cdf).pvalue > 1e-4


COV = np.array([[1.0, 0.8 * 1.0 * 2.0], [0.8 * 1.0 * 2.0, 4.0]])
MEAN = np.array([1.0, -2.0])
PREC = np.linalg.inv(COV)


def gauss2(x):
    d = x - MEAN
    return -0.5 * float(d @ PREC @ d)


@pytest.mark.parametrize("mode", ["direction", "compwise"])
def test_correlated_gaussian_2d(mode):
    rng = np.random.default_rng(3)
    x = np.zeros(2)
    draws = []
    for _ in range(6000):
        if mode == "direction":
            x = slice_sample_direction(x, gauss2, rng)
        else:
            x = slice_sample_compwise(x, gauss2, rng)
        draws.append(x)
    draws = np.array(draws[200:])
    for d in range(2):
        v = COV[d, d]
        check_moments(draws[:, d], MEAN[d], v, 3 * v * v)
    # The correlation: E[(x0 - m0)(x1 - m1)] = 1.6.
    prod = (draws[:, 0] - MEAN[0]) * (draws[:, 1] - MEAN[1])
    c = COV[0, 1]
    se = math.sqrt((COV[0, 0] * COV[1, 1] + c * c) / ess(prod))  # Var of a product of Gaussians
    assert abs(prod.mean() - c) < Z * se, (prod.mean(), c, se)


def test_dispatch_and_reproducibility():
    a = slice_sample(np.zeros(3), lambda x: -0.5 * float(x @ x), np.random.default_rng(7), compwise=True)
    b = slice_sample(np.zeros(3), lambda x: -0.5 * float(x @ x), np.random.default_rng(7), compwise=True)
    c = slice_sample(np.zeros(3), lambda x: -0.5 * float(x @ x), np.random.default_rng(8), compwise=True)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # Scalars work and a random-direction step moves every coordinate.
    assert slice_sample(0.5, lambda x: -0.5 * float(x @ x), np.random.default_rng(0)).shape == (1,)
    d = slice_sample(np.zeros(4), lambda x: -0.5 * float(x @ x), np.random.default_rng(0))
    assert np.all(d != 0)
    # No global RNG: the legacy global state is untouched.
    state = np.random.get_state()[1].copy()
    slice_sample_compwise(np.zeros(2), gauss2, np.random.default_rng(0))
    np.testing.assert_array_equal(state, np.random.get_state()[1])


def test_step_out_limit_and_returned_logprob():
    """Stepping out stops after max_steps_out on each side of a flat, unbounded density."""
    calls = []

    def flat(x):
        calls.append(float(x[0]))
        return 0.0

    rng = np.random.default_rng(0)
    x, lp = slice_sample_direction(np.zeros(1), flat, rng, direction=np.ones(1), sigma=1.0, max_steps_out=7, return_logprob=True)
    assert lp == 0.0
    assert -8.0 <= x[0] <= 8.0
    # 1 (start) + 7 + 7 step-out evaluations + 1 accepted draw.
    assert len(calls) == 16


def test_zero_density_start_raises():
    with pytest.raises(ValueError, match="positive density"):
        slice_sample_1d(-1.0, lambda z: 0.0 if z > 0 else -math.inf, np.random.default_rng(0))
