"""Slice sampling (Neal, Annals of Statistics 2003) as used by Spearmint's GP chooser.

Three entry points, all drawing their randomness from a ``numpy.random.Generator`` passed in:

* :func:`slice_sample_1d` - univariate slice sampling of a scalar;
* :func:`slice_sample_direction` - one univariate slice-sampling step along a direction (a random
  unit direction by default) through a point of several dimensions, which updates all the
  coordinates jointly;
* :func:`slice_sample_compwise` - a sweep of univariate steps along each coordinate axis in
  random order.

:func:`slice_sample` dispatches between the last two like the 2012 Spearmint ``slice_sample``.

Every step places an interval of width ``sigma`` uniformly at random around the current point,
steps it out in units of ``sigma`` (at most ``max_steps_out`` steps on each side) until both
ends lie outside the slice, then draws uniformly from the interval, shrinking it towards the
current point after every rejection. The update leaves the target density invariant.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x, draws = 0.0, []
    >>> for _ in range(2000):
    ...     x = slice_sample_1d(x, lambda z: -0.5 * z * z, rng)
    ...     draws.append(x)
    >>> bool(abs(np.mean(draws)) < 0.15)
    True
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

__all__ = ["slice_sample", "slice_sample_1d", "slice_sample_compwise", "slice_sample_direction"]

LogProb = Callable[[np.ndarray], float]

#: Shrinkage iterations before giving up and staying put. The interval shrinks geometrically
#: with the rejections, so 200 of them mean a slice narrower than floating point resolves (a
#: spike in the density); staying at the current point keeps the chain valid.
MAX_SHRINK = 200


def _step(
    logprob_z: Callable[[float], float],
    lp0: float,
    rng: np.random.Generator,
    sigma: float,
    step_out: bool,
    max_steps_out: int,
) -> tuple[float, float]:
    """One univariate slice-sampling update of ``z`` starting at ``z = 0``.

    Returns the new ``z`` and its log density.
    """
    if not math.isfinite(lp0):
        raise ValueError(f"slice sampling needs a starting point of positive density, got log density {lp0}")
    upper = sigma * rng.random()
    lower = upper - sigma
    # The slice level: log(u * p(x0)) with u ~ U(0, 1).
    level = math.log(rng.random()) + lp0
    if step_out:
        steps = 0
        while steps < max_steps_out and logprob_z(lower) > level:
            lower -= sigma
            steps += 1
        steps = 0
        while steps < max_steps_out and logprob_z(upper) > level:
            upper += sigma
            steps += 1
    for _ in range(MAX_SHRINK):
        z = lower + (upper - lower) * rng.random()
        lp = logprob_z(z)
        if math.isnan(lp):
            raise ValueError(f"the log density returned NaN at offset {z} along the slice direction")
        if lp > level:
            return z, lp
        # Shrink towards the current point, which always lies inside the slice.
        if z < 0:
            lower = z
        elif z > 0:
            upper = z
        else:  # pragma: no cover - z == 0 is the current point, which is always accepted
            break
    return 0.0, lp0


def slice_sample_direction(
    x0: np.ndarray,
    logprob: LogProb,
    rng: np.random.Generator,
    direction: np.ndarray | None = None,
    sigma: float = 1.0,
    step_out: bool = True,
    max_steps_out: int = 1000,
    logprob_x0: float | None = None,
    return_logprob: bool = False,
):
    """Slice-sample along one direction through ``x0``: ``x = x0 + z * direction``.

    Args:
        x0: current point (1-D array); its density must be positive.
        logprob: unnormalized log density of a point (``-inf`` outside the support).
        rng: the source of randomness.
        direction: the line to move along; ``None`` draws a uniformly random unit direction.
        sigma: width of the initial interval, in units of ``z``.
        step_out: widen the interval until both ends leave the slice.
        max_steps_out: at most this many widening steps on each side.
        logprob_x0: ``logprob(x0)`` if already known (saves one evaluation).
        return_logprob: also return the log density of the new point.

    Returns:
        The new point (a new array), and its log density if ``return_logprob``.
    """
    x0 = np.asarray(x0, dtype=float).reshape(-1)
    if direction is None:
        direction = rng.standard_normal(x0.shape[0])
        direction /= np.sqrt(np.sum(direction**2))
    else:
        direction = np.asarray(direction, dtype=float).reshape(-1)
    lp0 = float(logprob(x0)) if logprob_x0 is None else float(logprob_x0)
    z, lp = _step(lambda z: float(logprob(x0 + z * direction)), lp0, rng, sigma, step_out, max_steps_out)
    x = x0 + z * direction
    return (x, lp) if return_logprob else x


def slice_sample_compwise(
    x0: np.ndarray,
    logprob: LogProb,
    rng: np.random.Generator,
    sigma: float | np.ndarray = 1.0,
    step_out: bool = True,
    max_steps_out: int = 1000,
    logprob_x0: float | None = None,
    return_logprob: bool = False,
):
    """One sweep of univariate slice sampling over every coordinate, in a random order.

    Args:
        x0: current point (1-D array).
        logprob: unnormalized log density of a point.
        rng: the source of randomness (also shuffles the order).
        sigma: initial interval width, one for all coordinates or one per coordinate.
        step_out, max_steps_out, logprob_x0, return_logprob: as in :func:`slice_sample_direction`.

    Returns:
        The point after the sweep, and its log density if ``return_logprob``.
    """
    x = np.array(x0, dtype=float).reshape(-1)
    sigmas = np.broadcast_to(np.asarray(sigma, dtype=float), x.shape)
    lp = float(logprob(x)) if logprob_x0 is None else float(logprob_x0)
    for d in rng.permutation(x.shape[0]):
        base = x.copy()

        def lp_z(z: float, d=d, base=base) -> float:
            trial = base.copy()
            trial[d] += z
            return float(logprob(trial))

        z, lp = _step(lp_z, lp, rng, float(sigmas[d]), step_out, max_steps_out)
        x[d] = base[d] + z
    return (x, lp) if return_logprob else x


def slice_sample_1d(
    x0: float,
    logprob: Callable[[float], float],
    rng: np.random.Generator,
    sigma: float = 1.0,
    step_out: bool = True,
    max_steps_out: int = 1000,
) -> float:
    """Univariate slice sampling: one update of the scalar ``x0`` under ``logprob``.

    Args:
        x0: current value (positive density).
        logprob: unnormalized log density of a scalar.
        rng: the source of randomness.
        sigma: initial interval width.
        step_out: widen the interval until both ends leave the slice.
        max_steps_out: at most this many widening steps on each side.
    """
    x0 = float(x0)
    z, _ = _step(lambda z: float(logprob(x0 + z)), float(logprob(x0)), rng, sigma, step_out, max_steps_out)
    return x0 + z


def slice_sample(
    x0: np.ndarray,
    logprob: LogProb,
    rng: np.random.Generator,
    sigma: float = 1.0,
    step_out: bool = True,
    max_steps_out: int = 1000,
    compwise: bool = False,
) -> np.ndarray:
    """Spearmint's ``slice_sample``: a component-wise sweep or one random-direction step.

    Args:
        x0: current point (scalars are treated as 1-D arrays).
        logprob: unnormalized log density of a point.
        rng: the source of randomness.
        sigma, step_out, max_steps_out: as in :func:`slice_sample_direction`.
        compwise: sweep the coordinates one at a time (random order) instead of moving along
            one random unit direction.
    """
    x0 = np.atleast_1d(np.asarray(x0, dtype=float))
    if compwise:
        return slice_sample_compwise(x0, logprob, rng, sigma, step_out, max_steps_out)
    return slice_sample_direction(x0, logprob, rng, None, sigma, step_out, max_steps_out)
