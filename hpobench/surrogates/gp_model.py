"""A multi-output Gaussian process over configurations: the ``gp`` surrogate model.

Every output (the log error at one budget of the recording's grid, say) is an independent GP
over the encoded configuration, and all outputs share one ARD Matern 5/2 kernel: one set of
length scales, one signal variance, one noise variance, fitted by type-II maximum likelihood on
the sum of the outputs' log marginal likelihoods (each output standardized first). The
posterior mean of all outputs at ``x`` is then ``k(x, X) @ A`` with ``A = K^-1 Y`` computed once
at fit time: one kernel row and one matrix-vector product, tens of microseconds for a whole
curve.

Why a GP here: the LeNet tables are smooth in their hyperparameters (the error at a budget
changes gradually with learning rate and batch size) and noisy (two training seeds of one
configuration rank the configurations at R only to Spearman 0.70 on ``lenet-digits``). A forest
with single-sample leaves interpolates that noise; the GP's noise variance is fitted, so its
mean averages it away (see docs/surrogates.md for the measured comparison).

Repeated seeds of one configuration are averaged before fitting (on the scale of the targets)
and enter with noise variance ``noise / m`` for a mean of ``m`` seeds — the same posterior as
one row per seed, at the cost of one row per configuration.

Example:
    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((40, 2))
    >>> Y = np.outer(np.sin(3 * X[:, 0]), np.linspace(1, 0.5, 5))
    >>> gp = MultiOutputGP.fit(X, Y)
    >>> bool(np.abs(gp.predict(X[:3]) - Y[:3]).max() < 0.05)
    True
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg as sla
import scipy.optimize as sopt

from ..optimizers.gp.kernel import cholesky, matern_from_r2, sq_dist
from ..threads import limited_threads

__all__ = ["MultiOutputGP", "neg_log_likelihood"]

#: Bounds of the log hyperparameters on standardized outputs and unit-cube inputs: signal
#: variance, noise variance, length scales.
LOG_AMP2_BOUNDS = (math.log(1e-2), math.log(1e2))
LOG_NOISE_BOUNDS = (math.log(1e-6), math.log(10.0))
LOG_LS_BOUNDS = (math.log(1e-2), math.log(1e2))
#: Added to the kernel's diagonal, relative to the signal variance, for numerical stability.
JITTER = 1e-8


class MultiOutputGP:
    """Independent GPs with one shared kernel; see the module docstring.

    Built by :meth:`fit`. Attributes after fitting: ``ls`` (length scales), ``amp2`` (signal
    variance) and ``noise`` (noise variance of one observation), on standardized outputs.
    """

    def __init__(self, X: np.ndarray, ls: np.ndarray, amp2: float, alpha: np.ndarray, y_mean: np.ndarray, y_sd: np.ndarray, noise: float):
        self.X, self.ls, self.amp2, self.noise = X, ls, amp2, noise
        self._Xs = X / ls
        # fold the amplitude and the outputs' scale into one (n, P) matrix: mean = corr @ A + mu
        self._A = amp2 * alpha * y_sd
        self._mu = y_mean

    @classmethod
    def fit(cls, X: np.ndarray, Y: np.ndarray, weights: np.ndarray | None = None) -> "MultiOutputGP":
        """Fit on inputs ``X`` (n, d) in the unit cube and outputs ``Y`` (n, P).

        Args:
            X: encoded inputs.
            Y: outputs, one column per output; no ``nan``.
            weights: observations behind each row (a row that averages ``m`` seeds has weight
                ``m`` and noise variance ``noise / m``); ones by default.

        Runs with one BLAS thread: the matrices are a few hundred rows, too small to gain from
        threads, and a second BLAS thread spinning beside a busy core made a 256-row Cholesky
        20-400 times slower here (0.5 ms alone, 9-190 ms beside a training process)."""
        with limited_threads(1, torch=False, user_api="blas"):
            return cls._fit(X, Y, weights)

    @classmethod
    def _fit(cls, X: np.ndarray, Y: np.ndarray, weights: np.ndarray | None = None) -> "MultiOutputGP":
        """:meth:`fit` without the thread limit."""
        X = np.asarray(X, dtype=float)
        Y = np.asarray(Y, dtype=float)
        if Y.ndim == 1:
            Y = Y[:, None]
        n, d = X.shape
        w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
        y_mean = Y.mean(axis=0)
        y_sd = Y.std(axis=0)
        y_sd = np.where(y_sd > 1e-12, y_sd, 1.0)
        Z = (Y - y_mean) / y_sd
        # differences per dimension, computed once: the likelihood's gradient needs them
        diff2 = (X[:, None, :] - X[None, :, :]) ** 2
        inv_w = 1.0 / w

        def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
            return neg_log_likelihood(theta, diff2, Z, inv_w)

        bounds = [LOG_AMP2_BOUNDS, LOG_NOISE_BOUNDS] + [LOG_LS_BOUNDS] * d
        best = None
        # two starts: short and long length scales; the better optimum wins
        for ls0, noise0 in ((0.3, 0.1), (1.0, 0.5)):
            start = np.concatenate([[0.0, math.log(noise0)], np.full(d, math.log(ls0))])
            res = sopt.minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds)
            if best is None or res.fun < best.fun:
                best = res
        theta = best.x
        amp2, noise, ls = math.exp(theta[0]), math.exp(theta[1]), np.exp(theta[2:])
        K = amp2 * matern_from_r2((diff2 / (ls * ls)).sum(axis=2))
        K[np.diag_indices(n)] += noise * inv_w + JITTER * amp2
        L = cholesky(K)
        alpha = sla.cho_solve((L, True), Z, check_finite=False)
        return cls(X, ls, amp2, alpha, y_mean, y_sd, noise)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Posterior mean of every output at the rows of ``X``: ``(m, P)``."""
        Xs = np.atleast_2d(np.asarray(X, dtype=float)) / self.ls
        return matern_from_r2(sq_dist(Xs, self._Xs)) @ self._A + self._mu


def neg_log_likelihood(theta: np.ndarray, diff2: np.ndarray, Z: np.ndarray, inv_w: np.ndarray) -> tuple[float, np.ndarray]:
    """Negative log marginal likelihood, summed over the columns of ``Z``, and its gradient.

    Args:
        theta: ``(log amp2, log noise, log ls_1, ..., log ls_d)``.
        diff2: squared input differences per dimension, ``(n, n, d)``.
        Z: standardized outputs ``(n, P)``.
        inv_w: ``1 / weight`` of each row: the noise variance of row ``i`` is ``noise * inv_w[i]``.
    """
    n, P = Z.shape
    amp2, noise, ls = math.exp(theta[0]), math.exp(theta[1]), np.exp(theta[2:])
    # the (n, n, d) differences as an (n * n, d) matrix: the scaled distances and the length
    # scales' gradient are then matrix-vector products, not passes over a scaled copy
    flat = diff2.reshape(n * n, -1)
    inv_ls2 = 1.0 / (ls * ls)
    r2 = (flat @ inv_ls2).reshape(n, n)
    corr = matern_from_r2(r2)
    K = amp2 * corr
    K[np.diag_indices(n)] += noise * inv_w + JITTER * amp2
    try:
        L = sla.cholesky(K, lower=True, check_finite=False)
    except sla.LinAlgError:
        return 1e25, np.zeros_like(theta)
    A = sla.cho_solve((L, True), Z, check_finite=False)
    nll = 0.5 * float(np.sum(Z * A)) + P * float(np.sum(np.log(np.diag(L)))) + 0.5 * n * P * math.log(2 * math.pi)
    # K^-1 from the factor (LAPACK potri fills one triangle)
    inv, _ = sla.lapack.dpotri(L, lower=1)
    Kinv = np.tril(inv) + np.tril(inv, -1).T
    W = A @ A.T - P * Kinv  # d log-lik / d theta_k = 0.5 * sum(W * dK/d theta_k)
    grad = np.empty_like(theta)
    grad[0] = -0.5 * float(np.sum(W * (amp2 * corr)))
    grad[1] = -0.5 * float(np.sum(np.diag(W) * noise * inv_w))
    # d k / d log ls_d = amp2 * 5/3 (1 + sqrt(5) r) exp(-sqrt(5) r) * diff_d^2 / ls_d^2
    r = np.sqrt(5.0 * r2)
    g = amp2 * (5.0 / 3.0) * (1.0 + r) * np.exp(-r)
    grad[2:] = -0.5 * ((W * g).ravel() @ flat) * inv_ls2
    return nll, grad
