"""The GP's covariance: an ARD Matern 5/2 kernel on the unit cube, and the Cholesky helpers
the model and the acquisition share.

    k(x, x') = amp2 * (1 + sqrt(5 r2) + 5/3 r2) * exp(-sqrt(5 r2)),  r2 = sum_d (x_d - x'_d)^2 / ls_d^2

Example:
    >>> import numpy as np
    >>> float(matern52(np.ones(2), np.zeros((1, 2)))[0, 0])
    1.0
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg as sla

__all__ = ["JITTER", "JITTER_2012", "SQRT5", "cholesky", "matern52", "matern_from_r2", "psd_factor", "sq_dist"]

SQRT5 = math.sqrt(5.0)
#: Jitter added to the correlation matrix diagonal, inside the amplitude. The 2012 code used
#: 1e-6 (:data:`JITTER_2012`); that floor on the GP's resolution (about ``sqrt(amp2 * 1e-6)``
#: standardized losses, 0.05-0.1 loss units on Branin) stopped the search near the optimum, so
#: the default is 1e-10 (docs/gp.md, "Why the jitter is smaller"). Cholesky falls back to a
#: growing jitter when roundoff makes a matrix indefinite (:func:`cholesky`).
JITTER = 1e-10
JITTER_2012 = 1e-6


def sq_dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances between the rows of ``a`` (..., M, D) and ``b`` (..., N, D)."""
    r2 = np.sum(a * a, axis=-1)[..., :, None] + np.sum(b * b, axis=-1)[..., None, :]
    r2 -= 2.0 * (a @ np.swapaxes(b, -1, -2))
    return np.maximum(r2, 0.0, out=r2)


def matern_from_r2(r2: np.ndarray) -> np.ndarray:
    """Unit-amplitude Matern 5/2 correlation from squared scaled distances."""
    r = np.sqrt(5.0 * r2)
    return (1.0 + r + r * r / 3.0) * np.exp(-r)


def matern52(ls: np.ndarray, x1: np.ndarray, x2: np.ndarray | None = None) -> np.ndarray:
    """ARD Matern 5/2 correlation (unit amplitude) between the rows of ``x1`` and ``x2``.

    Args:
        ls: length scales, one per input dimension.
        x1: (N, D) inputs.
        x2: (M, D) inputs; ``None`` means ``x1``.

    Returns:
        The (N, M) correlation matrix.
    """
    ls = np.asarray(ls, dtype=float)
    a = np.asarray(x1, dtype=float) / ls
    b = a if x2 is None else np.asarray(x2, dtype=float) / ls
    return matern_from_r2(sq_dist(a, b))


def cholesky(k: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor; adds growing jitter if roundoff made ``k`` indefinite."""
    try:
        return sla.cholesky(k, lower=True, check_finite=False)
    except sla.LinAlgError:
        scale = max(float(np.mean(np.diag(k))), 1e-12)
        for e in range(-10, 0):
            try:
                return sla.cholesky(k + (10.0**e) * scale * np.eye(len(k)), lower=True, check_finite=False)
            except sla.LinAlgError:
                continue
        raise


def psd_factor(k: np.ndarray) -> np.ndarray:
    """A matrix ``f`` with ``f f^T = k`` for a covariance that may be singular (pending points
    next to observed ones): Cholesky when it works, else a clipped eigendecomposition."""
    try:
        return sla.cholesky(k, lower=True, check_finite=False)
    except sla.LinAlgError:
        lam, q = np.linalg.eigh(0.5 * (k + k.T))
        return q * np.sqrt(np.maximum(lam, 0.0))

