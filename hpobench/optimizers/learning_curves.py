"""Learning-curve extrapolation (Domhan, Springenberg, Hutter, IJCAI 2015), the predictor behind
``smac-early``.

A partial learning curve (losses at increasing budgets) is modelled as a weighted combination
of 11 parametric families (Domhan et al., Table 1), each increasing and saturating in a
"performance" ``y`` (here an affine map of the loss, so lower loss is higher ``y``)::

    f_comb(x) = sum_k w_k f_k(x; theta_k) / sum_k w_k,    y_t ~ N(f_comb(x_t), sigma^2)

Each family is first fitted alone by least squares (a family whose fit fails or is not finite
at the final budget is left out, as the reference code does); the weights, every family's
parameters and ``sigma`` are then sampled jointly by MCMC, with the affine-invariant ensemble
sampler of :mod:`~hpobench.optimizers.ensemble_sampler` (emcee's stretch move, which the
reference implementation used; the suite's slice sampler would update ~50 correlated
coordinates one at a time in Python, far too slowly for a stop decision). The prior is flat on
weights in [0, 1], on ``log sigma`` and on the parameters, restricted to combined curves that do
not decrease between the first observed budget and the final one and whose final value is
within a bounded distance of the data (:data:`Y_UPPER`).

The posterior predictive at the final budget ``x_lim`` answers the question of the conservative
stopping rule: ``P(y(x_lim) > y_best) = mean_s Phi((f_s(x_lim) - y_best) / sigma_s)``.

Example:
    >>> import numpy as np
    >>> x = np.arange(1, 31, dtype=float)
    >>> loss = 0.1 + 0.5 * x ** -0.7
    >>> pred = LearningCurvePredictor(n_steps=300, burn_in=150).fit(x, loss, x_lim=90, rng=np.random.default_rng(0))
    >>> bool(abs(pred.mean_final_loss() - (0.1 + 0.5 * 90 ** -0.7)) < 0.03)
    True
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from scipy.optimize import least_squares
from scipy.special import ndtr

from .ensemble_sampler import stretch_sampler

__all__ = ["FAMILIES", "Y_UPPER", "CurveFamily", "CurvePrediction", "LearningCurvePredictor"]

#: Observed performance is mapped into [0.2, 0.8]; a predicted final value above this bound
#: (the best observed loss improved by twice the observed range) has zero prior mass.
Y_UPPER = 2.0
_Y_LO, _Y_HI = 0.2, 0.8


@dataclass(frozen=True)
class CurveFamily:
    """One parametric family ``f(x, *theta)``, vectorized: ``x`` (n,), each parameter (m, 1)."""

    name: str
    params: tuple[str, ...]
    f: Callable[..., np.ndarray]
    #: Starting point for least squares from (x, y): observed budgets and performances.
    start: Callable[[np.ndarray, np.ndarray], list[float]]


def _top(y):
    return float(np.max(y)) + 0.1


def _xm(x):
    return float(np.median(x))


#: The 11 families of Domhan et al. (2015), in their parametrization (performance increasing).
FAMILIES: dict[str, CurveFamily] = {
    f.name: f
    for f in [
        CurveFamily("vap", ("a", "b", "c"), lambda x, a, b, c: np.exp(a + b / x + c * np.log(x)),
                    lambda x, y: [math.log(max(_top(y), 1e-3)), -1.0, 0.0]),
        CurveFamily("pow3", ("c", "a", "alpha"), lambda x, c, a, al: c - a * x ** (-al),
                    lambda x, y: [_top(y), _top(y) - float(y[0]), 0.5]),
        CurveFamily("loglog_linear", ("a", "b"), lambda x, a, b: np.log(a * np.log(x) + b),
                    lambda x, y: [0.5, 1.0]),
        CurveFamily("dr_hill_zero_background", ("theta", "eta", "kappa"),
                    lambda x, th, eta, ka: th * x**eta / (ka**eta + x**eta),
                    lambda x, y: [_top(y), 1.0, _xm(x)]),
        CurveFamily("log_power", ("a", "b", "c"), lambda x, a, b, c: a / (1.0 + (x / np.exp(b)) ** c),
                    lambda x, y: [_top(y), math.log(_xm(x)), -1.0]),
        CurveFamily("pow4", ("c", "a", "b", "alpha"), lambda x, c, a, b, al: c - (a * x + b) ** (-al),
                    lambda x, y: [_top(y), 1.0, 1.0, 0.5]),
        CurveFamily("mmf", ("alpha", "beta", "kappa", "delta"),
                    lambda x, al, be, ka, de: al - (al - be) / (1.0 + (ka * x) ** de),
                    lambda x, y: [_top(y), float(y[0]), 1.0 / _xm(x), 1.0]),
        CurveFamily("exp4", ("c", "a", "b", "alpha"), lambda x, c, a, b, al: c - np.exp(-a * x**al + b),
                    lambda x, y: [_top(y), 0.1, 0.0, 1.0]),
        CurveFamily("janoschek", ("alpha", "beta", "kappa", "delta"),
                    lambda x, al, be, ka, de: al - (al - be) * np.exp(-ka * x**de),
                    lambda x, y: [_top(y), float(y[0]), 0.1, 1.0]),
        CurveFamily("weibull", ("alpha", "beta", "kappa", "delta"),
                    lambda x, al, be, ka, de: al - (al - be) * np.exp(-((ka * x) ** de)),
                    lambda x, y: [_top(y), float(y[0]), 1.0 / _xm(x), 1.0]),
        # log(x + 1): the reference's log(x) is infinite at the first epoch, x = 1.
        CurveFamily("ilog2", ("c", "a"), lambda x, c, a: c - a / np.log(x + 1.0),
                    lambda x, y: [_top(y), 0.5]),
    ]
}


def _eval(fam: CurveFamily, x: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """``fam`` at budgets ``x`` (n,) for parameter rows ``theta`` (m, p): shape (m, n)."""
    return fam.f(x[None, :], *[theta[:, i : i + 1] for i in range(theta.shape[1])])


@dataclass
class CurvePrediction:
    """Posterior samples of the final performance, with the map back to losses.

    Attributes:
        final: samples of ``f_comb(x_lim)`` (performance units).
        sigma: the matching noise levels.
        families: the families in the model.
        theta: posterior samples of each family's parameters (performance units), by name.
        weights: posterior samples of the normalized weights, (S, K).
        loss_at: maps performance values back to losses.
    """

    final: np.ndarray
    sigma: np.ndarray
    families: list[str]
    theta: dict[str, np.ndarray]
    weights: np.ndarray
    offset: float
    scale: float

    def to_loss(self, y: np.ndarray | float) -> np.ndarray | float:
        return self.offset - self.scale * (np.asarray(y) - _Y_LO)

    def to_y(self, loss: float) -> float:
        return _Y_LO + (self.offset - float(loss)) / self.scale

    def mean_final_loss(self) -> float:
        """The posterior-mean prediction of the loss at the final budget."""
        return float(self.to_loss(np.mean(self.final)))

    def prob_better(self, best_loss: float) -> float:
        """P(loss at the final budget < ``best_loss``) under the posterior predictive."""
        y_best = self.to_y(best_loss)
        return float(np.mean(ndtr((self.final - y_best) / self.sigma)))


class LearningCurvePredictor:
    """Fits the family combination to a partial curve and samples its posterior.

    Args:
        families: names from :data:`FAMILIES` (default: all 11).
        n_walkers: ensemble size (100, as the reference).
        n_steps: MCMC steps per walker (default 300, so a stop decision takes about a second;
            the reference ran 2500, see docs/smac-early.md).
        burn_in: steps discarded (default 150; the reference discarded 500).
        thin: keep every ``thin``-th step after burn-in.
    """

    def __init__(
        self,
        families: Sequence[str] | None = None,
        n_walkers: int = 100,
        n_steps: int = 300,
        burn_in: int = 150,
        thin: int = 3,
    ):
        names = list(FAMILIES) if families is None else list(families)
        unknown = [n for n in names if n not in FAMILIES]
        if unknown or not names:
            raise ValueError(f"unknown curve families {unknown}; known: {', '.join(FAMILIES)}")
        if not 0 <= burn_in < n_steps or n_walkers < 4 or n_walkers % 2 or thin < 1:
            raise ValueError("need 0 <= burn_in < n_steps, an even n_walkers >= 4 and thin >= 1")
        self.families = [FAMILIES[n] for n in names]
        self.n_walkers, self.n_steps, self.burn_in, self.thin = n_walkers, n_steps, burn_in, thin

    # ------------------------------------------------------------------------------ fitting
    def _fit_family(self, fam: CurveFamily, x: np.ndarray, y: np.ndarray, x_lim: float) -> np.ndarray | None:
        def resid(theta):
            r = _eval(fam, x, theta[None, :])[0] - y
            return np.where(np.isfinite(r), r, 1e3)

        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                sol = least_squares(resid, np.asarray(fam.start(x, y), dtype=float), method="lm", max_nfev=20 * len(fam.params))
                vals = _eval(fam, np.array([x[0], x[-1], x_lim]), sol.x[None, :])[0]
        except (ValueError, FloatingPointError):
            return None
        if not np.all(np.isfinite(vals)) or not np.all(np.isfinite(sol.fun)) or np.max(np.abs(sol.fun)) >= 1e3:
            return None
        return sol.x

    def fit(self, x: Sequence[float], losses: Sequence[float], x_lim: float, rng: np.random.Generator) -> CurvePrediction:
        """Sample the posterior given losses at budgets ``x`` (increasing), for the final budget ``x_lim``.

        Raises:
            ValueError: fewer than 3 points, or no family fits the curve.
        """
        x = np.asarray(x, dtype=float)
        loss = np.asarray(losses, dtype=float)
        if len(x) < 3 or len(x) != len(loss) or not np.all(np.isfinite(loss)) or np.any(np.diff(x) <= 0):
            raise ValueError("need at least 3 finite losses at increasing budgets")
        offset = float(np.max(loss))
        scale = max(float(np.ptp(loss)), 1e-9 * max(1.0, abs(offset))) / (_Y_HI - _Y_LO)
        y = _Y_LO + (offset - loss) / scale
        fitted = [(fam, th) for fam in self.families if (th := self._fit_family(fam, x, y, x_lim)) is not None]
        if not fitted:
            raise ValueError("no curve family fits these losses")
        fams = [f for f, _ in fitted]
        sizes = [len(f.params) for f in fams]
        K, P = len(fams), sum(sizes)
        grid = np.unique(np.concatenate([x, np.linspace(x[0], x_lim, 12)]))
        obs_idx = np.searchsorted(grid, x)
        lim_idx = len(grid) - 1
        y_min = _Y_LO - 1.0

        def curves(theta: np.ndarray) -> np.ndarray:
            """(m, K, len(grid)) family values for packed parameter rows."""
            out, i = [], 0
            for fam, p in zip(fams, sizes):
                out.append(_eval(fam, grid, theta[:, i : i + p]))
                i += p
            return np.stack(out, axis=1)

        def log_prob(Z: np.ndarray) -> np.ndarray:
            theta, w, log_sigma = Z[:, :P], Z[:, P : P + K], Z[:, -1]
            lp = np.full(len(Z), -np.inf)
            ok = np.all((w >= 0) & (w <= 1), axis=1) & (w.sum(axis=1) > 0) & (log_sigma > -12) & (log_sigma < 1)
            if not ok.any():
                return lp
            wn = w[ok] / w[ok].sum(axis=1, keepdims=True)
            with np.errstate(all="ignore"):
                F = curves(theta[ok])
                comb = np.einsum("mk,mkn->mn", wn, F)
                finite = np.all(np.isfinite(comb), axis=1)
                monotone = np.all(comb[:, 1:] - comb[:, :-1] >= -1e-9, axis=1)
                bounded = (comb[:, lim_idx] <= Y_UPPER) & (comb[:, lim_idx] >= y_min)
                s = np.exp(log_sigma[ok])
                r = (comb[:, obs_idx] - y[None, :]) / s[:, None]
                ll = -0.5 * np.sum(r**2, axis=1) - len(y) * np.log(s)
            good = finite & monotone & bounded
            lp[np.flatnonzero(ok)[good]] = ll[good]
            return lp

        theta0 = np.concatenate([th for _, th in fitted])
        with np.errstate(all="ignore"):
            fits = [_eval(f, x, th[None, :])[0] for f, th in fitted]
        comb0 = np.mean(fits, axis=0)
        sigma0 = max(float(np.std(comb0 - y)), 1e-3)
        z0 = np.concatenate([theta0, np.full(K, 1.0 / K), [math.log(sigma0)]])
        spread = np.concatenate([1e-3 * np.maximum(np.abs(theta0), 1e-2), np.full(K, 1e-3), [1e-2]])
        W = self.n_walkers
        walkers = z0 + spread * rng.standard_normal((W, len(z0)))
        walkers[:, P : P + K] = np.abs(walkers[:, P : P + K])
        lp0 = log_prob(walkers)
        if not np.isfinite(log_prob(z0[None, :])[0]):
            # The equal-weight start violates the prior (e.g. one family's fit falls off at x_lim):
            # start from the family fit alone that fits best instead.
            best = int(np.argmin([np.sum((v - y) ** 2) for v in fits]))
            z0[P : P + K] = 1e-3
            z0[P + best] = 1.0
            walkers = z0 + spread * rng.standard_normal((W, len(z0)))
            walkers[:, P : P + K] = np.abs(walkers[:, P : P + K])
            lp0 = log_prob(walkers)
        bad = ~np.isfinite(lp0)
        walkers[bad] = z0
        chain = stretch_sampler(log_prob, walkers, self.n_steps, rng)
        samples = chain[self.burn_in :: self.thin].reshape(-1, len(z0))
        samples = samples[np.isfinite(log_prob(samples))]
        if len(samples) == 0:
            samples = z0[None, :]
        theta, w = samples[:, :P], samples[:, P : P + K]
        wn = w / w.sum(axis=1, keepdims=True)
        with np.errstate(all="ignore"):
            final = np.einsum("mk,mk->m", wn, curves(theta)[:, :, lim_idx])
        per_family, i = {}, 0
        for fam, p in zip(fams, sizes):
            per_family[fam.name] = theta[:, i : i + p]
            i += p
        return CurvePrediction(final, np.exp(samples[:, -1]), [f.name for f in fams], per_family, wn, offset, scale)
