"""An affine-invariant ensemble MCMC sampler (Goodman & Weare, CAMCoS 5(1), 2010; the "stretch
move" of emcee, Foreman-Mackey et al., PASP 2013), vectorized over walkers.

Used by the learning-curve predictor, whose ~50 curve parameters are strongly correlated and
scaled very differently: the stretch move is invariant to affine maps of the parameters, so it
needs no per-dimension step sizes, and it evaluates a whole half-ensemble in one vectorized call.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> log_prob = lambda X: -0.5 * np.sum(X**2, axis=1)
    >>> chain = stretch_sampler(log_prob, rng.normal(size=(32, 2)), 600, rng)
    >>> bool(abs(chain[200:].reshape(-1, 2).std(axis=0) - 1).max() < 0.15)
    True
"""

from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["stretch_sampler"]


def stretch_sampler(
    log_prob: Callable[[np.ndarray], np.ndarray],
    walkers: np.ndarray,
    n_steps: int,
    rng: np.random.Generator,
    a: float = 2.0,
) -> np.ndarray:
    """Run ``n_steps`` stretch moves of the ensemble ``walkers`` (W, d) on ``log_prob``.

    Each step updates the two halves of the ensemble in turn (the parallel form of the move):
    walker ``j`` proposes ``Y = X_k + z (X_j - X_k)`` with ``X_k`` a random walker of the other
    half and ``z`` drawn from ``g(z) ~ 1/sqrt(z)`` on ``[1/a, a]``, accepted with probability
    ``min(1, z**(d-1) p(Y) / p(X_j))``.

    Args:
        log_prob: maps (m, d) points to (m,) log densities (``-inf`` outside the support).
        walkers: the initial ensemble, W >= 4 even, every row of finite log density.
        n_steps: number of ensemble steps.
        rng: the random generator.
        a: the stretch scale (2, as emcee).

    Returns:
        The chain, shape (n_steps, W, d).
    """
    X = np.array(walkers, dtype=float)
    W, d = X.shape
    if W < 4 or W % 2:
        raise ValueError(f"need an even number of walkers >= 4, got {W}")
    lp = np.asarray(log_prob(X), dtype=float)
    chain = np.empty((n_steps, W, d))
    halves = (np.arange(0, W // 2), np.arange(W // 2, W))
    for t in range(n_steps):
        for h in (0, 1):
            active, other = halves[h], halves[1 - h]
            n = len(active)
            z = ((a - 1.0) * rng.random(n) + 1.0) ** 2 / a
            partners = X[other[rng.integers(len(other), size=n)]]
            Y = partners + z[:, None] * (X[active] - partners)
            lp_new = np.asarray(log_prob(Y), dtype=float)
            with np.errstate(invalid="ignore", over="ignore"):
                log_accept = (d - 1) * np.log(z) + lp_new - lp[active]
            accept = np.log(rng.random(n)) < np.nan_to_num(log_accept, nan=-np.inf)
            X[active[accept]] = Y[accept]
            lp[active[accept]] = lp_new[accept]
        chain[t] = X
    return chain
