"""Inference of the GP hyperparameters: the slice-sampling sweep of Spearmint's MCMC chain and
the type-II maximum-likelihood point estimate (Snoek, Larochelle & Adams 2012, section 3.1).

Example:
    >>> import numpy as np
    >>> from hpobench.optimizers.gp.model import GPHypers, GPLikelihood
    >>> rng = np.random.default_rng(0)
    >>> x = rng.random((8, 2)); y = np.sin(4 * x[:, 0]); y = (y - y.mean()) / y.std()
    >>> lik = GPLikelihood(x, y, max_ls=2.0, amp2_scale=1.0, noise_scale=0.1, noiseless=False)
    >>> h = sweep(lik, GPHypers(0.0, 1.0, 1e-3, np.ones(2)), rng)
    >>> bool(np.all(h.ls > 0))
    True
"""

from __future__ import annotations

import math

import numpy as np
import scipy.optimize as sopt

from .model import GPHypers, GPLikelihood
from .slice_sampler import slice_sample_compwise, slice_sample_direction

__all__ = ["fit_ml", "sweep"]


def sweep(lik: GPLikelihood, h: GPHypers, rng: np.random.Generator, noiseless: bool = False) -> GPHypers:
    """One MCMC sweep: (mean, amp2, noise) along a random direction, then each length scale.

    Args:
        lik: likelihood and priors on the current data.
        h: the chain's current state.
        rng: source of the slice sampler's draws.
        noiseless: keep ``h.noise`` fixed (only mean and amplitude move jointly).

    Returns:
        The next state of the chain.
    """
    lp_man = lik.sampler_for_mean_amp_noise(h.ls)
    if noiseless:
        v = slice_sample_direction(np.array([h.mean, h.amp2]), lambda v: lp_man(v[0], v[1], h.noise), rng)
        h = GPHypers(float(v[0]), float(v[1]), h.noise, h.ls)
    else:
        v = slice_sample_direction(np.array([h.mean, h.amp2, h.noise]), lambda v: lp_man(v[0], v[1], v[2]), rng)
        h = GPHypers(float(v[0]), float(v[1]), float(v[2]), h.ls)
    ls = slice_sample_compwise(h.ls, lambda ls: lik.log_lik_ls(h, ls), rng)
    return GPHypers(h.mean, h.amp2, h.noise, ls)


def fit_ml(lik: GPLikelihood, noise0: float, noiseless: bool = False,
           previous: np.ndarray | None = None) -> tuple[GPHypers, np.ndarray]:
    """Type-II maximum likelihood (the 2012 ``gp.optimize_hypers``).

    The mean is fixed at mean(y); L-BFGS-B runs on log amplitude, log noise and log length
    scales within the 2012 bounds, from the 2012 starting point (amp2 = std(y) + 1e-4,
    noise = ``noise0``, unit length scales) and, when given, from ``previous``; the better
    optimum wins.

    Args:
        lik: likelihood on the current data.
        noise0: starting (and, with ``noiseless``, fixed) noise variance.
        noiseless: keep the noise at ``noise0``.
        previous: the optimum of the previous fit, ``(log amp2, log noise, log ls...)``.

    Returns:
        The hyperparameters and the optimum in log space (to pass as ``previous`` next time).
    """
    dim = lik.x.shape[1]
    mean = float(np.mean(lik.y))
    amp2 = float(np.std(lik.y)) + 1e-4
    starts = [np.concatenate([[math.log(amp2), math.log(noise0)], np.zeros(dim)])]
    if previous is not None:
        starts.append(previous)
    bounds = [(-10.0, 10.0), (-10.0, 10.0)] + [(-10.0, 5.0)] * dim
    if noiseless:
        bounds[1] = (math.log(noise0), math.log(noise0))
    best = None
    for s in starts:
        res = sopt.minimize(lik.neg_log_lik_and_grad, s, args=(mean,), jac=True, method="L-BFGS-B", bounds=bounds)
        if best is None or res.fun < best.fun:
            best = res
    return GPHypers(mean, math.exp(best.x[0]), math.exp(best.x[1]), np.exp(best.x[2:])), best.x.copy()
