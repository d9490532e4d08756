"""Expected improvement, shared by the model-based optimizers (``gp``, ``smac``).

For a Gaussian prediction ``N(mu, sigma^2)`` of a loss to be minimized and an incumbent loss
``f_min``, the expected improvement (Mockus 1978; Jones, Schonlau & Welch 1998) is

    EI = sigma * (z Phi(z) + phi(z)),   z = (f_min - mu - xi) / sigma,

with ``Phi``/``phi`` the standard normal CDF/density. :func:`standard_ei` is the bracket,
:func:`expected_improvement` the whole formula, and :func:`log_expected_improvement` the
variant for a model of log costs (Hutter, Hoos, Leyton-Brown & Murphy 2009), which SMAC3 uses.

Example:
    >>> import numpy as np
    >>> float(expected_improvement(np.array([0.0]), np.array([1.0]), 0.0)[0]) == float(standard_ei(np.zeros(1))[0])
    True
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr

__all__ = ["expected_improvement", "log_expected_improvement", "normal_pdf", "standard_ei"]

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def normal_pdf(z: np.ndarray) -> np.ndarray:
    """Standard normal density."""
    return np.exp(-0.5 * z * z) * _INV_SQRT_2PI


def standard_ei(z: np.ndarray, cdf: np.ndarray | None = None, pdf: np.ndarray | None = None) -> np.ndarray:
    """``z Phi(z) + phi(z)``: the expected improvement in units of sigma.

    Args:
        z: standardized improvements ``(f_min - mu - xi) / sigma``.
        cdf: ``Phi(z)`` when the caller has it already (for gradients).
        pdf: ``phi(z)`` likewise.
    """
    cdf = ndtr(z) if cdf is None else cdf
    pdf = normal_pdf(z) if pdf is None else pdf
    return z * cdf + pdf


def expected_improvement(mu: np.ndarray, var: np.ndarray, f_min: float, xi: float = 0.0) -> np.ndarray:
    """Expected improvement of a Gaussian prediction over ``f_min`` (minimization).

    EI is 0 where sigma = 0 (as in SMAC3).

    Args:
        mu: predicted means.
        var: predicted variances (>= 0).
        f_min: the incumbent's loss.
        xi: exploration margin (0 in SMAC and Spearmint).

    Returns:
        EI, same shape as ``mu``.
    """
    mu = np.asarray(mu, dtype=float)
    sigma = np.sqrt(np.maximum(np.asarray(var, dtype=float), 0.0))
    zero = sigma <= 0.0
    s = np.where(zero, 1.0, sigma)
    ei = s * standard_ei((f_min - mu - xi) / s)
    return np.where(zero, 0.0, np.maximum(ei, 0.0))


def log_expected_improvement(mu: np.ndarray, var: np.ndarray, f_min: float) -> np.ndarray:
    """EI in the original space when the model predicts the log cost (Hutter et al. 2009).

    For Y ~ N(mu, sigma^2) the log cost and f_min the incumbent's log cost,
    E[max(exp(f_min) - exp(Y), 0)] = exp(f_min) Phi(v) - exp(mu + sigma^2 / 2) Phi(v - sigma),
    v = (f_min - mu) / sigma. EI is 0 where sigma = 0 (as in SMAC3).

    Args:
        mu: predicted means of the log cost.
        var: predicted variances of the log cost.
        f_min: the incumbent's log cost.

    Returns:
        EI, same shape as ``mu``.
    """
    mu = np.asarray(mu, dtype=float)
    var = np.maximum(np.asarray(var, dtype=float), 0.0)
    sigma = np.sqrt(var)
    zero = sigma <= 0.0
    s = np.where(zero, 1.0, sigma)
    v = (f_min - mu) / s
    ei = math.exp(f_min) * ndtr(v) - np.exp(0.5 * var + mu) * ndtr(v - s)
    return np.where(zero, 0.0, np.maximum(ei, 0.0))
