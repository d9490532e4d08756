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
from scipy import stats

__all__ = ["WARPS", "ModelLosses", "model_losses"]

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


def yeo_johnson_exponent(z: np.ndarray) -> float:
    """The maximum-likelihood Yeo-Johnson exponent of ``z`` within :data:`LAMBDA_BOUNDS`.

    A bounded search of our own (not ``scipy.stats.yeojohnson_normmax``, whose search interval
    differs between SciPy versions), so that a seed gives the same run on every SciPy.
    """
    res = sopt.minimize_scalar(lambda lam: -stats.yeojohnson_llf(lam, z), bounds=LAMBDA_BOUNDS,
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
    t = stats.yeojohnson(z, lmbda=lam)
    sd = float(np.std(t))
    if not (np.all(np.isfinite(t)) and sd > 0):
        return ModelLosses(z, shift, scale)
    return ModelLosses((t - np.mean(t)) / sd, 0.0, 1.0, lam)
