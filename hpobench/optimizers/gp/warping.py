"""What the GP is fitted to: the losses standardized and, by default, warped by a Yeo-Johnson
power transform fitted by maximum likelihood at every ask.

A stationary GP assumes the loss varies at about the same rate everywhere. Losses of
optimization benchmarks rarely do: Rosenbrock's values in its box span five orders of magnitude,
Styblinski-Tang's rise steeply towards the box's walls, and validation errors pile up near a
floor with a long tail of diverged runs. Fitted to such raw values, the GP spends its amplitude
on the tail, the basins where the optimum lies look flat, and EI explores the wrong places. A
monotone warp keeps the ranking of the losses (and so the incumbent) and makes their
distribution closer to the Gaussian the model assumes; HEBO (Cowen-Rivers et al., JAIR 2022)
fits the same power transform before its GP. With the warp off (``warp="none"``) the GP sees the
standardized losses, as in the 2012 Spearmint code (docs/gp.md: measurements of both).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.optimize as sopt

__all__ = ["WARPS", "ModelLosses", "model_losses", "yeo_johnson", "yeo_johnson_exponent", "yeo_johnson_llf"]

#: The accepted values of the ``warp`` option.
WARPS = ("yeo-johnson", "none")
#: Search interval of the power transform's exponent. Below 1 the transform pulls in the tail of
#: large (bad) losses and spreads the small ones apart; above 1 it would do the opposite and
#: squeeze together the low losses, the region a minimizer must resolve (on Hartmann6 the
#: unbounded fit chose 3 and the runs ended about 10x higher: docs/gp.md), so 1 (no warp) is
#: the upper end. The lower end leaves room for the heaviest tails met (Rosenbrock-4: about
#: -0.9) while the transform stays finite on standardized data.
LAMBDA_BOUNDS = (-3.0, 1.0)


@dataclass(frozen=True)
class ModelLosses:
    """The losses as the GP sees them.

    Attributes:
        values: (N,) what the GP is fitted to (mean 0, standard deviation 1 when standardized).
        shift, scale: without a warp, ``values = (y - shift) / scale``; the MCMC chain is carried
            from ask to ask in raw-loss units through them. With a warp the map is not affine,
            so they are 0 and 1 and the chain is carried in model units.
        lam: the fitted Yeo-Johnson exponent (None without a warp).
    """

    values: np.ndarray
    shift: float
    scale: float
    lam: float | None = None


def yeo_johnson(z: np.ndarray, lam: float) -> np.ndarray:
    """The Yeo-Johnson transform of ``z`` with exponent ``lam`` (Yeo & Johnson 2000)::

        ((1 + z)^lam - 1) / lam              for z >= 0 (log1p(z) at lam = 0)
        -((1 - z)^(2 - lam) - 1) / (2 - lam)   for z < 0 (-log1p(-z) at lam = 2)
    """
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos = z >= 0
    lp, ln = np.log1p(z[pos]), np.log1p(-z[~pos])
    # expm1(lam * log1p(z)) / lam is (1 + z)^lam - 1 over lam without cancellation near lam = 0
    out[pos] = lp if abs(lam) < 1e-12 else np.expm1(lam * lp) / lam
    out[~pos] = -ln if abs(lam - 2.0) < 1e-12 else -np.expm1((2.0 - lam) * ln) / (2.0 - lam)
    return out


def yeo_johnson_llf(lam: float, z: np.ndarray) -> float:
    """Profile log-likelihood of ``lam`` for normal data after the transform, up to a constant:
    ``-n/2 log var(t) + (lam - 1) sum sign(z) log1p(|z|)`` (the second term is the Jacobian)."""
    t = yeo_johnson(z, lam)
    var = float(np.var(t))
    if not var > 0:
        return -np.inf
    return -0.5 * len(z) * np.log(var) + (lam - 1.0) * float(np.sum(np.sign(z) * np.log1p(np.abs(z))))


def yeo_johnson_exponent(z: np.ndarray) -> float:
    """The maximum-likelihood Yeo-Johnson exponent of ``z`` within :data:`LAMBDA_BOUNDS`.

    The search and the likelihood are our own (not ``scipy.stats.yeojohnson_normmax`` and
    ``yeojohnson_llf``, whose search interval and arithmetic differ between SciPy versions), so
    that a seed gives the same run on every SciPy; our likelihood is also about 30 times cheaper
    per call than SciPy's, which checks its arguments at every call.
    """
    z = np.asarray(z, dtype=float)
    res = sopt.minimize_scalar(lambda lam: -yeo_johnson_llf(lam, z), bounds=LAMBDA_BOUNDS,
                               method="bounded", options={"xatol": 1e-6})
    return float(res.x)


def model_losses(y: np.ndarray, standardize: bool = True, warp: str = "yeo-johnson") -> ModelLosses:
    """Standardize ``y`` (if asked) and apply the warp (see the module docstring).

    The warp needs ``standardize`` and at least three distinct losses, and is left out when the
    fitted exponent is 1 (the identity); in those cases the standardized losses are returned
    unwarped.
    """
    y = np.asarray(y, dtype=float)
    shift, scale = (float(np.mean(y)), float(np.std(y))) if standardize else (0.0, 1.0)
    if not scale > 0:
        scale = 1.0
    z = (y - shift) / scale
    if warp == "none" or not standardize or len(np.unique(y)) < 3:
        return ModelLosses(z, shift, scale)
    if warp != "yeo-johnson":
        raise ValueError(f"warp must be one of {', '.join(WARPS)}, got {warp!r}")
    lam = yeo_johnson_exponent(z)
    if lam > LAMBDA_BOUNDS[1] - 1e-3:  # the identity: fit exactly as without a warp
        return ModelLosses(z, shift, scale)
    t = yeo_johnson(z, lam)
    sd = float(np.std(t))
    if not (np.all(np.isfinite(t)) and sd > 0):
        return ModelLosses(z, shift, scale)
    return ModelLosses((t - np.mean(t)) / sd, 0.0, 1.0, lam)
