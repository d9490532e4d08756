"""BOHB (Falkner, Klein, Hutter, ICML 2018): Hyperband whose new configurations come from
kernel density estimates, as a :class:`~hpobench.optimizers.hyperband.ConfigSource`.

The brackets, budgets and promotions are Hyperband's (:class:`~hpobench.optimizers.hyperband.Hyperband`,
its default schedule); only the source of a bracket's configurations changes. :class:`KDESource`
keeps every result per budget and, for each proposal (paper, Algorithm 2):

1. with probability ``random_fraction`` (1/3) or while no budget has enough observations, draws
   from the prior;
2. otherwise fits two product-kernel densities on the largest budget ``b`` with
   ``N_b >= N_min + 2`` observations (``N_min = d + 1``): ``l`` on the best
   ``n_l = max(N_min, q N_b)`` (q = 15 %) and ``g`` on the worst ``n_g = max(N_min, N_b - n_l)``,
   with Scott's normal-reference bandwidths floored at ``min_bandwidth`` (1e-3);
3. draws ``num_samples`` (64) candidates from ``l`` with its bandwidths multiplied by
   ``bandwidth_factor`` (3) and returns the one with the largest ``l(x) / g(x)``.

Numeric parameters live in the unit-cube encoding (a bound that names another parameter is
encoded relative to it, so every point decodes to a valid configuration) and use a Gaussian
kernel, truncated to [0, 1] when sampling; categoricals use the Aitchison–Aitken kernel (keep the
value with probability ``1 - bw``, else any other choice). Inactive conditional parameters are
imputed by the value of another observation where they are active (or a prior draw), as
HpBandSter does. Deviations: see docs/bohb.md.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from ..benchmarks.base import Fidelity
from ..space import Categorical, Space
from .hyperband import ConfigSource, Hyperband

__all__ = ["BOHB", "KDESource"]

# Floor of a density before taking the ratio l / g (as in the paper's reference code).
_TINY = 1e-32


class _KDE:
    """A product-kernel density on vectors (unit values for numeric dims, indices for categoricals)."""

    def __init__(self, data: np.ndarray, n_choices: np.ndarray, min_bandwidth: float):
        self.data = data
        self.n_choices = n_choices  # 0 for numeric dimensions
        n, d = data.shape
        # Scott's rule as statsmodels' "normal_reference": 1.06 * std * n^(-1/(4+d)).
        bw = 1.06 * data.std(axis=0) * n ** (-1.0 / (4 + d))
        bw = np.maximum(bw, min_bandwidth)
        cat = n_choices > 0
        # Aitchison-Aitken needs bw <= (c-1)/c (the uniform kernel); beyond it the kernel turns negative.
        bw[cat] = np.minimum(bw[cat], (n_choices[cat] - 1) / np.maximum(n_choices[cat], 1))
        self.bw = bw

    def pdf(self, X: np.ndarray) -> np.ndarray:
        """Density at each row of ``X`` (m, d): the mean over data points of the kernel product."""
        cat = self.n_choices > 0
        num = ~cat
        diff = (X[:, None, num] - self.data[None, :, num]) / self.bw[num]
        log_k = np.sum(-0.5 * diff**2 - np.log(self.bw[num] * math.sqrt(2 * math.pi)), axis=2)
        if cat.any():
            same = X[:, None, cat] == self.data[None, :, cat]
            lam, c = self.bw[cat], self.n_choices[cat]
            other = np.where(c > 1, lam / np.maximum(c - 1, 1), _TINY)
            k = np.where(same, 1.0 - lam, other)
            log_k = log_k + np.sum(np.log(np.maximum(k, _TINY)), axis=2)
        return np.exp(log_k).mean(axis=1)


class KDESource(ConfigSource):
    """BOHB's configuration source: TPE-style good/bad densities on the largest usable budget.

    Args:
        top_n_percent: the share q of observations (in percent) that fit the "good" density.
        num_samples: candidates drawn from the good density per proposal.
        random_fraction: share of proposals drawn from the prior.
        bandwidth_factor: widening of the good density's bandwidths when drawing candidates.
        min_bandwidth: floor of every bandwidth (keeps exploring when the good points coincide).
        min_points_in_model: N_min (default d + 1, d = number of parameters).
    """

    def __init__(
        self,
        top_n_percent: float = 15,
        num_samples: int = 64,
        random_fraction: float = 1 / 3,
        bandwidth_factor: float = 3,
        min_bandwidth: float = 1e-3,
        min_points_in_model: int | None = None,
    ):
        if not 0 < top_n_percent < 100:
            raise ValueError(f"top_n_percent must be in (0, 100), got {top_n_percent!r}")
        if int(num_samples) < 1:
            raise ValueError(f"num_samples must be >= 1, got {num_samples!r}")
        if not 0 <= random_fraction <= 1:
            raise ValueError(f"random_fraction must be in [0, 1], got {random_fraction!r}")
        if bandwidth_factor <= 0 or min_bandwidth <= 0:
            raise ValueError(f"bandwidth_factor and min_bandwidth must be > 0, got {bandwidth_factor!r}, {min_bandwidth!r}")
        self.top_n_percent, self.num_samples = float(top_n_percent), int(num_samples)
        self.random_fraction, self.bandwidth_factor = float(random_fraction), float(bandwidth_factor)
        self.min_bandwidth = float(min_bandwidth)
        self._min_points = min_points_in_model
        #: Observations per budget: vectors (NaN where a parameter is inactive) and losses.
        self.observed: dict[float, tuple[list[np.ndarray], list[float]]] = {}
        #: How many proposals came from the model and from the prior.
        self.n_model = self.n_random = 0
        self._cache: tuple[float, int, _KDE, _KDE] | None = None

    def bind(self, space: Space, rng: np.random.Generator, seed: int | None) -> None:
        super().bind(space, rng, seed)
        self.n_choices = np.array([len(p.choices) if isinstance(p, Categorical) else 0 for p in space.params])
        d = len(space.params)
        self.min_points = d + 1 if self._min_points is None else int(self._min_points)
        if self.min_points < 1:
            raise ValueError(f"min_points_in_model must be >= 1, got {self._min_points!r}")

    # ------------------------------------------------------------------------ vectors
    def _vector(self, config: dict) -> np.ndarray:
        u = self.space.encode(config)
        v = np.where(self.n_choices > 0, np.floor(u * np.maximum(self.n_choices, 1)), u)
        active = np.array([p.name in config for p in self.space.params])
        return np.where(active, v, np.nan)

    def _config(self, v: np.ndarray) -> dict:
        u = np.where(self.n_choices > 0, (v + 0.5) / np.maximum(self.n_choices, 1), v)
        return self.space.decode(u)

    def _impute(self, X: np.ndarray) -> np.ndarray:
        """Fill inactive entries with the value of a random other row where the dimension is
        active, or with a prior draw when no row has it."""
        X = X.copy()
        for j in np.flatnonzero(np.isnan(X).any(axis=0)):
            missing = np.isnan(X[:, j])
            donors = X[~missing, j]
            for i in np.flatnonzero(missing):
                if donors.size:
                    X[i, j] = donors[self.rng.integers(donors.size)]
                elif self.n_choices[j] > 0:
                    X[i, j] = self.rng.integers(self.n_choices[j])
                else:
                    X[i, j] = self.rng.random()
        return X

    # -------------------------------------------------------------------------- model
    def model_budget(self) -> float | None:
        """The largest budget with at least ``N_min + 2`` observations (None: no model yet)."""
        usable = [b for b, (_, y) in self.observed.items() if len(y) >= self.min_points + 2]
        return max(usable) if usable else None

    def _model(self) -> tuple[_KDE, _KDE] | None:
        b = self.model_budget()
        if b is None:
            return None
        vectors, losses = self.observed[b]
        if self._cache is not None and self._cache[:2] == (b, len(losses)):
            return self._cache[2], self._cache[3]
        X = self._impute(np.array(vectors))
        y = np.array(losses)
        order = np.argsort(y, kind="stable")
        n = len(y)
        n_good = max(self.min_points, int(self.top_n_percent * n / 100))
        n_bad = max(self.min_points, n - n_good)
        good = _KDE(X[order[:n_good]], self.n_choices, self.min_bandwidth)
        bad = _KDE(X[order[-n_bad:]], self.n_choices, self.min_bandwidth)
        self._cache = (b, n, good, bad)
        return good, bad

    def _candidates(self, good: _KDE) -> np.ndarray:
        """``num_samples`` draws from the good density with widened bandwidths."""
        m = self.num_samples
        centres = good.data[self.rng.integers(len(good.data), size=m)]
        out = centres.copy()
        num = self.n_choices == 0
        if num.any():
            mu = centres[:, num]
            sd = np.maximum(good.bw[num], self.min_bandwidth) * self.bandwidth_factor
            lo, hi = ndtr((0.0 - mu) / sd), ndtr((1.0 - mu) / sd)
            p = lo + self.rng.random(mu.shape) * (hi - lo)
            out[:, num] = np.clip(mu + sd * ndtri(np.clip(p, 1e-12, 1 - 1e-12)), 0.0, 1.0)
        for j in np.flatnonzero(~num):
            redraw = self.rng.random(m) >= 1.0 - good.bw[j]
            out[redraw, j] = self.rng.integers(self.n_choices[j], size=int(redraw.sum()))
        return out

    # ---------------------------------------------------------------------- interface
    def propose(self, budget: float) -> dict:
        model = self._model()
        if model is None or self.rng.random() < self.random_fraction:
            self.n_random += 1
            return self.space.sample(self.rng)
        good, bad = model
        X = self._candidates(good)
        score = np.maximum(good.pdf(X), _TINY) / np.maximum(bad.pdf(X), _TINY)
        if not np.isfinite(score).any():
            self.n_random += 1
            return self.space.sample(self.rng)
        self.n_model += 1
        return self._config(X[int(np.nanargmax(score))])

    def observe(self, config: dict, budget: float | None, loss: float) -> None:
        # Failed evaluations count as the worst results (infinite loss), as in the reference code.
        vectors, losses = self.observed.setdefault(float("inf") if budget is None else float(budget), ([], []))
        vectors.append(self._vector(config))
        losses.append(loss if math.isfinite(loss) else math.inf)


_KDE_OPTIONS = tuple(inspect.signature(KDESource).parameters)


class BOHB(Hyperband):
    """BOHB: Hyperband (its default schedule and every option) with :class:`KDESource`.

    Args:
        top_n_percent, num_samples, random_fraction, bandwidth_factor, min_bandwidth,
            min_points_in_model: the model's options, passed to :class:`KDESource` (the
            paper's defaults 15, 64, 1/3, 3, 1e-3, d + 1).
        settings / keyword options: as for :class:`~hpobench.optimizers.hyperband.Hyperband`.

    Example:
        >>> from hpobench.space import Space, Float
        >>> from hpobench.benchmarks.base import Fidelity
        >>> opt = BOHB(Space([Float("x", 0, 1)]), seed=0, fidelity=Fidelity("epochs", 1, 27))
        >>> opt.ask().budget
        1.0
    """

    name = "bohb"

    def __init__(self, space: Space, seed: int | None = 0, fidelity: Fidelity | None = None, **options: Any):
        # The model's options go to KDESource (which holds their defaults); the rest to Hyperband.
        self._kde_options = {k: options.pop(k) for k in _KDE_OPTIONS if k in options}
        super().__init__(space, seed=seed, fidelity=fidelity, **options)

    def default_source(self) -> ConfigSource:
        return KDESource(**self._kde_options)
