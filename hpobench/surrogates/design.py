"""The configurations a recording trains: a scrambled, seeded Sobol sequence over a space.

Point ``i`` of the sequence is configuration id ``i``; asking for more configurations later
extends the same sequence (the first ``n`` points do not depend on how many are drawn), which is
what makes a recording resumable and extendable. Each point of the unit cube is decoded by
:meth:`hpobench.space.Space.decode`, so dependent bounds (``k1 <= k2``) and conditions hold.

Example:
    >>> from hpobench.benchmarks.spaces import lenet_space
    >>> configs = sobol_configs(lenet_space(), 4, seed=0)
    >>> all(c["k1"] <= c["k2"] for c in configs), sobol_configs(lenet_space(), 2, seed=0) == configs[:2]
    (True, True)
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy.stats import qmc

from ..space import Space

__all__ = ["sobol_points", "sobol_configs"]


def sobol_points(dim: int, n: int, seed: int = 0) -> np.ndarray:
    """The first ``n`` points of the scrambled Sobol sequence in ``[0, 1)^dim`` for ``seed``."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if n == 0:
        return np.zeros((0, dim))
    m = max(0, math.ceil(math.log2(n)))
    gen = np.random.default_rng(int(seed))
    try:
        sobol = qmc.Sobol(dim, scramble=True, rng=gen)
    except TypeError:  # scipy < 1.15 names it seed
        sobol = qmc.Sobol(dim, scramble=True, seed=gen)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # balance warnings for n not a power of two do not apply
        return sobol.random_base2(m)[:n]


def sobol_configs(space: Space, n: int, seed: int = 0) -> list[dict]:
    """Configurations ``0 .. n-1``: Sobol points decoded through ``space`` (canonical types)."""
    return [space.normalize(space.decode(u)) for u in sobol_points(len(space), n, seed)]
