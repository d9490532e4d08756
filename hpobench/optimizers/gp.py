"""Spearmint-style Gaussian-process Bayesian optimization (Snoek, Larochelle, Adams, NIPS 2012).

Two registered optimizers share this module:

* :class:`GPEIMCMC` (``gp``): the paper's "GP EI MCMC", i.e. the 2012 code's default chooser
  ``GPEIOptChooser``. The GP hyperparameters are slice-sampled and expected improvement is
  integrated over the samples (and over fantasized outcomes of pending evaluations).
* :class:`GPEIML` (``gp-ml``): the same chooser with ``mcmc_iters = 0``, i.e. a type-II maximum
  likelihood point estimate of the hyperparameters ("GP EI Opt" in the paper's plots).

The model (SPEC.md section 2): inputs are the space's unit-cube encoding; a constant mean ``m``,
an ARD Matern 5/2 covariance with amplitude ``amp2`` and a jitter of 1e-6 inside the amplitude,
and i.i.d. Gaussian noise ``noise``::

    k(x, x') = amp2 * (1 + sqrt(5 r2) + 5/3 r2) * exp(-sqrt(5 r2)),  r2 = sum_d (x_d - x'_d)^2 / ls_d^2
    K = amp2 * (C + 1e-6 I) + noise * I

Priors: length scales top-hat on (0, 2]; a log-normal penalty ``-1/2 (log sqrt(amp2))^2`` on the
amplitude; a horseshoe ``log(log(1 + (0.1 / noise)^2))`` on the noise; the mean flat on
``[min y, max y]``.

Example:
    >>> from hpobench.benchmarks.synthetic import Branin
    >>> bench = Branin()
    >>> opt = GPEIMCMC(bench.space, seed=0, grid_size=256, burnin=10, mcmc_iters=2)
    >>> for _ in range(4):
    ...     trial = opt.ask()
    ...     opt.tell(trial, bench.evaluate(trial.config))
    >>> len(opt.history)
    4
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg as sla
import scipy.optimize as sopt
from scipy.linalg.blas import dtrmm
from scipy.linalg.lapack import dpotrf, dtrtrs
from scipy.special import ndtr
from scipy.stats import qmc

from ..benchmarks.base import config_key
from ..space import Space
from .base import Capabilities, Optimizer
from .slice_sampler import slice_sample_compwise, slice_sample_direction

__all__ = ["GPEIMCMC", "GPEIML", "GPHypers", "IntegratedEI", "matern52"]

SQRT5 = math.sqrt(5.0)
#: Jitter added to the correlation matrix diagonal, inside the amplitude (as in the 2012 code).
JITTER = 1e-6
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
#: Entries of one (candidates x observations) block when scoring many candidates: small enough
#: that the temporaries stay in cache.
_BLOCK = 200_000


_CONTROLLER: Any = None


def _single_thread_blas():
    """Limit BLAS to one thread: every matrix here is small (at most a few hundred rows), and a
    multi-threaded BLAS spinning up for each small call is many times slower on a busy machine
    (measured 10x on 2 loaded cores)."""
    global _CONTROLLER
    try:
        if _CONTROLLER is None:
            import threadpoolctl

            _CONTROLLER = threadpoolctl.ThreadpoolController()
        return _CONTROLLER.limit(limits=1, user_api="blas")
    except Exception:  # pragma: no cover - threadpoolctl missing or unusable
        return contextlib.nullcontext()


# ------------------------------------------------------------------------------------ kernel


def _sq_dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances between the rows of ``a`` (..., M, D) and ``b`` (..., N, D)."""
    r2 = np.sum(a * a, axis=-1)[..., :, None] + np.sum(b * b, axis=-1)[..., None, :]
    r2 -= 2.0 * (a @ np.swapaxes(b, -1, -2))
    return np.maximum(r2, 0.0, out=r2)


def _matern_from_r2(r2: np.ndarray) -> np.ndarray:
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
    return _matern_from_r2(_sq_dist(a, b))


def _cholesky(k: np.ndarray) -> np.ndarray:
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


def _psd_factor(k: np.ndarray) -> np.ndarray:
    """A matrix ``f`` with ``f f^T = k`` for a covariance that may be singular (pending points
    next to observed ones): Cholesky when it works, else a clipped eigendecomposition."""
    try:
        return sla.cholesky(k, lower=True, check_finite=False)
    except sla.LinAlgError:
        lam, q = np.linalg.eigh(0.5 * (k + k.T))
        return q * np.sqrt(np.maximum(lam, 0.0))


@dataclass(frozen=True)
class GPHypers:
    """One setting of the GP hyperparameters (on the scale of the standardized losses)."""

    mean: float
    amp2: float
    noise: float
    ls: np.ndarray

    def as_dict(self) -> dict:
        return {"mean": self.mean, "amp2": self.amp2, "noise": self.noise, "ls": [float(v) for v in self.ls]}


# ---------------------------------------------------------------------------- acquisition


class IntegratedEI:
    """Expected improvement averaged over hyperparameter samples and pending-outcome fantasies.

    For each hyperparameter sample the GP is conditioned on the observations ``(x, y)``. With
    pending inputs, ``z.shape[1]`` joint posterior draws of their (latent) outcomes are appended
    to the data as fantasies, each with its own incumbent ``min(y ∪ fantasy)`` (SPEC section
    2.6); the same standard-normal draws ``z`` serve every sample, which makes the acquisition
    a deterministic function for the local optimizer.

    Args:
        x: (N, D) observed inputs.
        y: (N,) observed losses.
        samples: hyperparameter samples to average over.
        pending: (J, D) inputs still being evaluated, or ``None``.
        z: (J, P) standard-normal draws for the fantasies (needed when ``pending`` is given).
    """

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        samples: list[GPHypers],
        pending: np.ndarray | None = None,
        z: np.ndarray | None = None,
    ):
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        n = len(y)
        has_pending = pending is not None and len(pending) > 0
        xa = np.vstack([x, pending]) if has_pending else x
        self.d = x.shape[1]
        self.samples = list(samples)
        xs, alphas, linvs, bests = [], [], [], []
        for h in self.samples:
            ls = np.asarray(h.ls, dtype=float)
            corr = matern52(ls, xa)
            k = h.amp2 * (corr + JITTER * np.eye(len(xa))) + h.noise * np.eye(len(xa))
            chol = _cholesky(k)
            if has_pending:
                # Joint posterior of the latent values at the pending inputs given the data;
                # the leading block of the joint factor is the factor of the observed block.
                c11 = chol[:n, :n]
                a = sla.cho_solve((c11, True), y - h.mean, check_finite=False)
                kcp = h.amp2 * corr[:n, n:]
                kpp = h.amp2 * (corr[n:, n:] + JITTER * np.eye(len(pending)))
                v = sla.solve_triangular(c11, kcp, lower=True, check_finite=False)
                pend_mean = kcp.T @ a + h.mean
                pend_chol = _psd_factor(kpp - v.T @ v)
                fant = pend_mean[:, None] + pend_chol @ z
                vals = np.vstack([np.repeat(y[:, None], z.shape[1], axis=1), fant])
                best = np.min(vals, axis=0)
            else:
                vals = y[:, None]
                best = np.array([np.min(y)])
            alphas.append(sla.cho_solve((chol, True), vals - h.mean, check_finite=False))
            linvs.append(sla.solve_triangular(chol, np.eye(len(xa)), lower=True, check_finite=False))
            xs.append(xa / ls)
            bests.append(best)
        self._x = xa
        self._xs = np.stack(xs)  # (S, N', D) inputs divided by each sample's length scales
        self._xs_sq = np.sum(self._xs**2, axis=-1)  # (S, N')
        self._alpha = np.stack(alphas)  # (S, N', P)
        self._linv = np.stack(linvs)  # (S, N', N') inverse of the Cholesky factor
        self._linv_t = np.ascontiguousarray(np.swapaxes(self._linv, 1, 2))
        self._best = np.stack(bests)  # (S, P)
        self._ls = np.stack([np.asarray(h.ls, dtype=float) for h in self.samples])  # (S, D)
        self._amp2 = np.array([h.amp2 for h in self.samples])
        self._mean = np.array([h.mean for h in self.samples])
        # For the fast scoring path: sqrt(5)/ls scaling, augmented inputs [-2 x, 1, |x|^2]
        # (transposed), and the amplitude folded into alpha and L^-1.
        self._w5 = SQRT5 / self._ls
        x5 = self._xs * SQRT5
        self._aug = np.ascontiguousarray(
            np.concatenate([-2.0 * x5, np.ones(x5.shape[:2] + (1,)), np.sum(x5 * x5, axis=-1)[..., None]], axis=-1).transpose(0, 2, 1)
        )
        self._alpha_amp = self._alpha * self._amp2[:, None, None]
        self._xs_alpha = (self._xs[:, :, :, None] * self._alpha[:, :, None, :]).reshape(len(self.samples), len(xa), -1)
        self._linv_amp = [np.asfortranarray(li * amp2) for li, amp2 in zip(self._linv, self._amp2)]

    @property
    def n_fantasies(self) -> int:
        return self._best.shape[1]

    def _cross(self, c: np.ndarray):
        a = c[None, :, :] / self._ls[:, None, :]  # (S, M, D)
        r2 = np.sum(a * a, axis=-1)[:, :, None] + self._xs_sq[:, None, :]
        r2 -= 2.0 * (a @ np.swapaxes(self._xs, 1, 2))
        np.maximum(r2, 0.0, out=r2)
        r = np.sqrt(r2, out=r2)
        r *= SQRT5
        e = np.exp(-r)
        k = r * r
        k /= 3.0
        k += r
        k += 1.0
        k *= e
        k *= self._amp2[:, None, None]  # (S, M, N') cross-covariances
        return a, r, e, k

    def predict(self, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean (S, M, P) and variance (S, M) of the latent function at ``xs``.

        ``P`` is 1 without pending points (the mean is then the ordinary predictive mean) and
        the number of fantasies otherwise. The variance is ``amp2 (1 + 1e-6) - k^T K^-1 k``.
        """
        c = np.atleast_2d(np.asarray(xs, dtype=float))
        _, _, _, k = self._cross(c)
        mu = k @ self._alpha + self._mean[:, None, None]
        v = k @ self._linv_t
        var = self._amp2[:, None] * (1.0 + JITTER) - np.sum(v * v, axis=-1)
        return mu, var

    def __call__(self, xs: np.ndarray) -> np.ndarray:
        """Integrated EI at each row of ``xs`` (scored in blocks, one sample at a time)."""
        c = np.atleast_2d(np.asarray(xs, dtype=float))
        n, p = self._xs.shape[1], self.n_fantasies
        step = max(1, _BLOCK // max(n, p))
        out = np.zeros(len(c))
        for i in range(0, len(c), step):
            block = c[i : i + step]
            for s in range(len(self.samples)):
                out[i : i + step] += self._ei_one(block, s)
        out /= len(self.samples)
        return out

    def _ei_one(self, c: np.ndarray, s: int) -> np.ndarray:
        """EI under sample ``s`` (averaged over fantasies), written for speed: the squared
        distance comes out of one matrix product of augmented vectors, the elementwise work is
        done in place, and the triangular product uses BLAS ``trmm`` (half a full product)."""
        a = c * self._w5[s]  # sqrt(5) x / ls
        aa = np.empty((len(c), self.d + 2))
        aa[:, : self.d] = a
        aa[:, self.d] = np.einsum("ij,ij->i", a, a)
        aa[:, self.d + 1] = 1.0
        r = aa @ self._aug[s]  # (M, N'): 5 r2 = |a|^2 - 2 a.x + |x|^2
        np.maximum(r, 0.0, out=r)
        np.sqrt(r, out=r)
        e = np.negative(r)
        np.exp(e, out=e)
        k = r / 3.0
        k += 1.0
        k *= r
        k += 1.0
        k *= e  # unit-amplitude correlation; amp2 is folded into alpha and L^-1 below
        mu = k @ self._alpha_amp[s]
        mu += self._mean[s]
        vt = dtrmm(1.0, self._linv_amp[s], k.T, side=0, lower=1, trans_a=0, overwrite_b=1)
        var = self._amp2[s] * (1.0 + JITTER) - np.einsum("ij,ij->j", vt, vt)
        sd = np.sqrt(np.maximum(var, 1e-12 * self._amp2[s]))
        g = (self._best[s][None, :] - mu) / sd[:, None]
        ei = g * ndtr(g)
        ei += np.exp(-0.5 * g * g) * _INV_SQRT_2PI
        return sd * ei.mean(axis=1)

    def value_and_grad(self, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Integrated EI (M,) and its gradient with respect to the inputs (M, D)."""
        return self._ei(np.atleast_2d(np.asarray(xs, dtype=float)), grad=True)

    def _ei(self, c: np.ndarray, grad: bool):
        a, r, e, k = self._cross(c)
        mu = k @ self._alpha
        mu += self._mean[:, None, None]  # (S, M, P)
        v = k @ self._linv_t  # (S, M, N'): L^-1 k, so that k^T K^-1 k = |v|^2
        var = self._amp2[:, None] * (1.0 + JITTER) - np.sum(v * v, axis=-1)
        floor = 1e-12 * self._amp2[:, None]
        clipped = var < floor
        var = np.where(clipped, floor, var)
        sd = np.sqrt(var)  # (S, M)
        g = (self._best[:, None, :] - mu) / sd[:, :, None]
        cdf = ndtr(g)
        pdf = np.exp(-0.5 * g * g) * _INV_SQRT_2PI
        ei = sd[:, :, None] * (g * cdf + pdf)
        value = ei.mean(axis=(0, 2))
        if not grad:
            return value
        # d k / d x_d = amp2 g'(r2) 2 (x_d - X_d) / ls_d^2 with g'(r2) = -5/6 (1 + r) e^-r, so
        # d k / d x_d = w (a_d - xs_d) / ls_d; the sums over observations become products.
        w = (-5.0 / 3.0) * (1.0 + r) * e * self._amp2[:, None, None]  # (S, M, N')
        ns, m, p = mu.shape
        inv_ls = 1.0 / self._ls[:, None, :]  # (S, 1, D)
        # sum_p Phi(g_p) d mu_p / d x
        cw = np.sum(cdf * (w @ self._alpha), axis=-1)  # (S, M)
        cwx = np.einsum("smdp,smp->smd", (w @ self._xs_alpha).reshape(ns, m, self.d, p), cdf)
        gmu = (a * cw[..., None] - cwx) * inv_ls
        # d var / d x = -2 (d k / d x)^T K^-1 k
        wq = w * (v @ self._linv)  # w * K^-1 k
        dvar = -2.0 * (a * np.sum(wq, axis=-1)[..., None] - wq @ self._xs) * inv_ls  # (S, M, D)
        dvar[clipped] = 0.0
        d_var = np.sum(pdf, axis=-1) / (2.0 * sd)  # sum_p dEI_p / dvar = phi / (2 sd)
        gr = -gmu + d_var[..., None] * dvar
        return value, gr.sum(axis=0) / (gr.shape[0] * g.shape[2])


# ------------------------------------------------------------------- hyperparameter model


class _Likelihood:
    """GP marginal likelihood and the 2012 priors on one data set (standardized losses)."""

    def __init__(self, x: np.ndarray, y: np.ndarray, max_ls: float, amp2_scale: float, noise_scale: float, noiseless: bool):
        self.x, self.y = x, y
        self.n = len(y)
        self.max_ls, self.amp2_scale, self.noise_scale = max_ls, amp2_scale, noise_scale
        self.noiseless = noiseless
        lo, hi = float(np.min(y)), float(np.max(y))
        if hi - lo < 1e-12:  # all losses equal: leave the mean some room
            lo, hi = lo - 1.0, hi + 1.0
        self.mean_bounds = (lo, hi)
        self.sqd = (x[:, None, :] - x[None, :, :]).transpose(2, 0, 1) ** 2  # (D, N, N)
        self.sqd_flat = np.ascontiguousarray(self.sqd.reshape(len(self.sqd), -1).T)  # (N*N, D)
        self.eye = np.eye(self.n)
        self._diag = np.arange(self.n) * (self.n + 1)

    def corr(self, ls: np.ndarray) -> np.ndarray:
        return _matern_from_r2((self.sqd_flat @ (1.0 / ls**2)).reshape(self.n, self.n))

    def _log_prior_mean_amp_noise(self, mean: float, amp2: float, noise: float) -> float:
        lo, hi = self.mean_bounds
        if not (lo <= mean <= hi) or amp2 <= 0 or noise <= 0:
            return -math.inf
        lp = -0.5 * (math.log(math.sqrt(amp2)) / self.amp2_scale) ** 2
        if not self.noiseless:
            lp += math.log(math.log1p((self.noise_scale / noise) ** 2))
        return lp

    def sampler_for_mean_amp_noise(self, ls: np.ndarray):
        """log p(mean, amp2, noise | ls, data) via one eigendecomposition of the correlation
        (each evaluation is then O(N) instead of a Cholesky)."""
        lam, q = np.linalg.eigh(self.corr(ls))
        lam = lam + JITTER
        qy, q1 = q.T @ self.y, q.T @ np.ones(self.n)

        def logprob(mean: float, amp2: float, noise: float) -> float:
            lp = self._log_prior_mean_amp_noise(mean, amp2, noise)
            if lp == -math.inf:
                return lp
            ev = amp2 * lam + noise
            if np.any(ev <= 0):
                return -math.inf
            res = qy - mean * q1
            return lp - 0.5 * float(np.sum(np.log(ev))) - 0.5 * float(np.sum(res * res / ev))

        return logprob

    def log_lik(self, h: GPHypers, corr: np.ndarray | None = None) -> float:
        """log N(y | mean, K) up to a constant (the slice sampler's inner loop: raw LAPACK)."""
        corr = self.corr(h.ls) if corr is None else corr
        k = corr * h.amp2
        k.flat[self._diag] += h.amp2 * JITTER + h.noise
        chol, info = dpotrf(k, lower=1, clean=0, overwrite_a=1)
        if info != 0:
            return -math.inf
        sol, info = dtrtrs(chol, self.y - h.mean, lower=1)
        return -float(np.sum(np.log(chol.flat[self._diag]))) - 0.5 * float(sol @ sol)

    def log_lik_ls(self, h: GPHypers, ls: np.ndarray) -> float:
        if np.any(ls <= 0) or np.any(ls > self.max_ls):
            return -math.inf
        return self.log_lik(GPHypers(h.mean, h.amp2, h.noise, ls))

    # -------------------------------------------------------------------- type-II ML
    def neg_log_lik_and_grad(self, theta: np.ndarray, mean: float) -> tuple[float, np.ndarray]:
        """Negative log marginal likelihood in ``theta = (log amp2, log noise, log ls...)``."""
        amp2, noise, ls = math.exp(theta[0]), math.exp(theta[1]), np.exp(theta[2:])
        r2 = np.tensordot(1.0 / ls**2, self.sqd, axes=1)
        r = np.sqrt(5.0 * r2)
        e = np.exp(-r)
        corr = (1.0 + r + r * r / 3.0) * e
        k = amp2 * (corr + JITTER * self.eye) + noise * self.eye
        try:
            chol = _cholesky(k)
        except sla.LinAlgError:
            return 1e25, np.zeros_like(theta)
        res = self.y - mean
        alpha = sla.cho_solve((chol, True), res, check_finite=False)
        nll = float(np.sum(np.log(np.diag(chol)))) + 0.5 * float(res @ alpha)
        kinv = sla.cho_solve((chol, True), self.eye, check_finite=False)
        a = np.outer(alpha, alpha) - kinv  # d log p / d K = a / 2
        grad = np.empty_like(theta)
        grad[0] = 0.5 * np.sum(a * (corr + JITTER * self.eye)) * amp2
        grad[1] = 0.5 * np.trace(a) * noise
        # d corr / d log ls_d = g'(r2) * (-2 sqd_d / ls_d^2), g'(r2) = -5/6 (1 + r) e^-r
        dg = (-5.0 / 6.0) * (1.0 + r) * e
        grad[2:] = 0.5 * amp2 * np.einsum("ij,dij->d", a * dg, self.sqd) * (-2.0 / ls**2)
        return nll, -grad


# ------------------------------------------------------------------------------ optimizer


class GPEIMCMC(Optimizer):
    """Spearmint's GP-EI-MCMC (the 2012 ``GPEIOptChooser``), on the unit-cube encoding.

    Each ``ask`` (once ``n_init`` results are in) standardizes the losses, continues a slice
    sampling chain over the GP hyperparameters (``burnin`` sweeps the first time, then
    ``mcmc_iters`` sweeps kept as samples; each sweep moves (mean, amp2, noise) jointly along a
    random direction and then the length scales one at a time in random order), and maximizes
    the integrated EI: it scores a scrambled Sobol grid (less the grid points already proposed)
    plus ``n_spray`` points around the best input, refines the ``grid_subset`` best with
    L-BFGS-B on the analytic gradient, and proposes the argmax, decoded. Pending trials enter
    through ``pending_samples`` fantasies per hyperparameter sample. Until ``n_init`` results
    are in it proposes the next Sobol point.

    Integers and categoricals are handled by the encoding (a proposal is ``space.decode(x)``);
    a proposal whose decoded configuration was already asked is skipped for the next best
    candidate. Failed evaluations (non-finite loss) are left out of the fit but count as
    evaluated.

    Args:
        space: the search space (no conditional parameters).
        seed: seeds the MCMC, the spray points, the fantasies and (unless ``grid_seed`` is
            given) the Sobol grid.
        fidelity: ignored (single-fidelity: every trial runs at the maximum budget).
        mcmc_iters: hyperparameter samples per ask (10); 0 gives the ML point estimate.
        burnin: sweeps before the first samples are kept (100).
        pending_samples: fantasies per hyperparameter sample for pending trials (100).
        grid_size: Sobol candidates scored per ask (20000).
        grid_seed: scrambling seed of the Sobol grid; ``None`` derives it from ``seed``.
        grid_subset: best candidates refined by L-BFGS-B (20).
        n_spray: candidates drawn around the best observed input (10).
        spray_std: their standard deviation in the unit cube (1e-3).
        n_init: results needed before the GP is used (2).
        noiseless: fix the noise variance at 1e-3 instead of sampling it.
        standardize: fit the GP to ``(y - mean(y)) / std(y)`` (see Deviations).
        max_ls: upper end of the top-hat length-scale prior (2).
        amp2_scale: scale of the log-normal amplitude prior (1).
        noise_scale: scale of the horseshoe noise prior (0.1).
        refine: ``"joint"`` (one vectorized L-BFGS-B run over all ``grid_subset`` starts) or
            ``"separate"`` (one run per start, as in 2012).

    Deviations from the 2012 code (documented in docs/gp.md):

    * Losses are standardized before fitting (``standardize=True``) so that the fixed-scale
      priors (amplitude scale 1, noise scale 0.1) mean the same for every objective; the 2012
      code applied them to raw losses. The chain is carried over between asks in raw-loss units.
    * The amplitude penalty is on ``log sqrt(amp2)`` as SPEC.md section 2.2 and later Spearmint
      state; the 2012 chooser file applied it to ``log amp2``.
    * The Sobol grid is scrambled (scipy's ``Sobol``) and seeded from ``seed``, so different
      seeds start from different initial designs; 2012 used one fixed grid for every run.
    * The 20 local optimizations run in-process as one vectorized L-BFGS-B problem on the sum
      of their (separable) EIs (2012: separate runs in a process pool; ``refine="separate"``
      gives separate runs), and the objective is scaled by the largest starting EI so that
      L-BFGS-B's tolerances do not stop it early when EI values are tiny.
    * A proposal that decodes to an already-asked configuration (integer and categorical
      parameters) is skipped in favour of the next best candidate.
    """

    name = "gp"
    capabilities = Capabilities(conditional=False, dependent_bounds=True, multi_fidelity=False, batch=True)

    def __init__(
        self,
        space: Space,
        seed: int | None = 0,
        fidelity=None,
        *,
        mcmc_iters: int = 10,
        burnin: int = 100,
        pending_samples: int = 100,
        grid_size: int = 20000,
        grid_seed: int | None = None,
        grid_subset: int = 20,
        n_spray: int = 10,
        spray_std: float = 1e-3,
        n_init: int = 2,
        noiseless: bool = False,
        standardize: bool = True,
        max_ls: float = 2.0,
        amp2_scale: float = 1.0,
        noise_scale: float = 0.1,
        refine: str = "joint",
        **options: Any,
    ):
        super().__init__(space, seed=seed, fidelity=fidelity, **options)
        if space.is_conditional:
            raise ValueError(f"{type(self).__name__} does not support conditional parameters")
        ints = dict(mcmc_iters=mcmc_iters, burnin=burnin, pending_samples=pending_samples, grid_size=grid_size,
                    grid_subset=grid_subset, n_spray=n_spray, n_init=n_init)
        for key, val in ints.items():
            if int(val) != val or val < 0:
                raise ValueError(f"{key} must be a non-negative integer, got {val!r}")
        if grid_size < 1 or pending_samples < 1:
            raise ValueError("grid_size and pending_samples must be at least 1")
        for key, val in dict(spray_std=spray_std, max_ls=max_ls, amp2_scale=amp2_scale, noise_scale=noise_scale).items():
            if not (val > 0 and math.isfinite(val)):
                raise ValueError(f"{key} must be a positive number, got {val!r}")
        if refine not in ("joint", "separate"):
            raise ValueError(f"refine must be 'joint' or 'separate', got {refine!r}")
        self.refine = refine
        self.mcmc_iters = int(mcmc_iters)
        self.burnin = int(burnin)
        self.pending_samples = int(pending_samples)
        self.grid_size = int(grid_size)
        self.grid_subset = int(grid_subset)
        self.n_spray = int(n_spray)
        self.spray_std = float(spray_std)
        self.n_init = max(1, int(n_init))
        self.noiseless = bool(noiseless)
        self.standardize = bool(standardize)
        self.max_ls = float(max_ls)
        self.amp2_scale = float(amp2_scale)
        self.noise_scale = float(noise_scale)
        # The grid seed comes from the optimizer's own stream, drawn once here, so the grid
        # does not depend on how much randomness later asks consume.
        self.grid_seed = int(self.rng.integers(2**32)) if grid_seed is None else int(grid_seed)
        self.dim = len(space)
        self._grid: np.ndarray | None = None
        self._grid_used: np.ndarray | None = None
        self._encoded: dict[int, np.ndarray] = {}
        self._state: tuple[float, float, float, np.ndarray] | None = None  # raw-loss units
        self._ml_theta: np.ndarray | None = None
        #: The hyperparameter samples of the latest ask (standardized units).
        self.hyper_samples: list[GPHypers] = []

    # ----------------------------------------------------------------------------- helpers
    @property
    def grid(self) -> np.ndarray:
        """The Sobol candidate grid, (grid_size, D), generated on first use."""
        if self._grid is None:
            gen = np.random.default_rng(self.grid_seed)
            try:
                sobol = qmc.Sobol(self.dim, scramble=True, rng=gen)
            except TypeError:  # scipy < 1.15 calls the argument ``seed``
                sobol = qmc.Sobol(self.dim, scramble=True, seed=gen)
            m = max(0, math.ceil(math.log2(self.grid_size)))
            self._grid = sobol.random_base2(m)[: self.grid_size]
            self._grid_used = np.zeros(self.grid_size, dtype=bool)
        return self._grid

    def _encode(self, trial) -> np.ndarray:
        x = self._encoded.get(trial.id)
        if x is None:
            x = self._encoded[trial.id] = self.space.encode(trial.config)
        return x

    def _propose(self, x: np.ndarray, grid_index: int | None, **info) -> Any:
        config = self.space.decode(x)
        trial = self.new_trial(config, **info)
        if grid_index is not None:
            self._grid_used[grid_index] = True
        return trial

    def _fallback(self, taken: set[str]):
        """A fresh configuration when every candidate decodes to an asked one (tiny spaces)."""
        for _ in range(100):
            config = self.space.sample(self.rng)
            if config_key(config) not in taken:
                break
        return self.new_trial(config, source="random")

    def _initial(self, taken: set[str]):
        """The next unused Sobol point whose configuration was not asked yet."""
        grid = self.grid
        for i in np.flatnonzero(~self._grid_used):
            if config_key(self.space.decode(grid[i])) not in taken:
                return self._propose(grid[i], int(i), source="sobol")
            self._grid_used[i] = True
        return self._fallback(taken)

    # ------------------------------------------------------------------------------- ask
    def _ask(self):
        with _single_thread_blas():
            return self._ask_model()

    def _ask_model(self):
        grid = self.grid
        taken = {config_key(t.config) for t, _ in self.history}
        taken.update(config_key(t.config) for t in self.pending.values())
        xs, ys = [], []
        for t, r in self.history:
            if r.ok:
                xs.append(self._encode(t))
                ys.append(float(r.loss))
        if len(ys) < max(2, self.n_init):
            return self._initial(taken)
        x = np.array(xs)
        y = np.array(ys)
        shift, scale = (float(np.mean(y)), float(np.std(y))) if self.standardize else (0.0, 1.0)
        if not scale > 0:
            scale = 1.0
        ys_std = (y - shift) / scale
        samples = self._fit(x, ys_std, shift, scale)
        self.hyper_samples = samples

        pend = [self._encode(t) for t in self.pending.values()]
        z = None
        if pend:
            z = self.rng.standard_normal((len(pend), self.pending_samples))
        acq = IntegratedEI(x, ys_std, samples, np.array(pend) if pend else None, z)

        free = np.flatnonzero(~self._grid_used)
        cand = grid[free]
        best_x = x[int(np.argmin(y))]
        spray = np.clip(best_x + self.spray_std * self.rng.standard_normal((self.n_spray, self.dim)), 0.0, 1.0)
        ei_cand = acq(cand) if len(cand) else np.empty(0)
        ei_spray = acq(spray) if len(spray) else np.empty(0)
        starts_pool = np.vstack([spray, cand])
        ei_pool = np.concatenate([ei_spray, ei_cand])
        order = np.argsort(-ei_pool, kind="stable")[: self.grid_subset]
        refined = self._refine(acq, starts_pool[order], ei_pool[order])
        ei_ref = acq(refined) if len(refined) else np.empty(0)

        # Re-score grid and refined points; walk down the ranking past asked configurations.
        pool = np.vstack([cand, refined]) if len(refined) else cand
        scores = np.concatenate([ei_cand, ei_ref])
        ranking = np.argsort(-scores, kind="stable")
        for j in ranking[:2000]:
            config = self.space.decode(pool[j])
            if config_key(config) in taken:
                if j < len(cand):
                    self._grid_used[free[j]] = True
                continue
            grid_index = int(free[j]) if j < len(cand) else None
            return self._propose(pool[j], grid_index, source="ei", ei=float(scores[j]) * scale)
        return self._fallback(taken)

    def _refine(self, acq: IntegratedEI, starts: np.ndarray, start_values: np.ndarray) -> np.ndarray:
        """Local maximization of the integrated EI from each start (the 2012 ``optimize_pt``).

        With ``refine="joint"`` (default) all starts move in one L-BFGS-B run on the sum of
        their EIs, which is separable, so each point still climbs its own EI surface; one
        vectorized run is several times cheaper than ``grid_subset`` separate ones
        (``refine="separate"``, the 2012 way).
        """
        if len(starts) == 0:
            return starts
        top = float(np.max(start_values))
        if not top > 0:
            return starts.copy()
        m, d = starts.shape

        def f(xv):
            val, grad = acq.value_and_grad(xv.reshape(-1, d))
            return -float(np.sum(val)) / top, -grad.ravel() / top

        if self.refine == "joint":
            bounds = [(0.0, 1.0)] * (m * d)
            res = sopt.minimize(f, starts.ravel(), jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 200})
            return np.clip(res.x.reshape(m, d), 0.0, 1.0)
        out = np.empty_like(starts)
        for i, s in enumerate(starts):
            res = sopt.minimize(f, s, jac=True, method="L-BFGS-B", bounds=[(0.0, 1.0)] * d, options={"maxiter": 200})
            out[i] = np.clip(res.x, 0.0, 1.0)
        return out

    # ------------------------------------------------------------------------------- fit
    def _likelihood(self, x: np.ndarray, ys: np.ndarray) -> _Likelihood:
        return _Likelihood(x, ys, self.max_ls, self.amp2_scale, self.noise_scale, self.noiseless)

    def _fit(self, x: np.ndarray, ys: np.ndarray, shift: float, scale: float) -> list[GPHypers]:
        lik = self._likelihood(x, ys)
        if self.mcmc_iters == 0:
            return [self._fit_ml(lik)]
        if self._state is None:
            # SPEC 2.2 initial state: ls = 1, amp2 = std(y) + 1e-4, noise = 1e-3, mean = mean(y).
            h = GPHypers(float(np.mean(ys)), float(np.std(ys)) + 1e-4, 1e-3, np.ones(self.dim))
            n_sweeps = self.burnin
        else:
            m, a, nz, ls = self._state
            lo, hi = lik.mean_bounds
            h = GPHypers(min(hi, max(lo, (m - shift) / scale)), a / scale**2, nz / scale**2, ls.copy())
            n_sweeps = 0
        if self.noiseless:
            h = GPHypers(h.mean, h.amp2, 1e-3, h.ls)
        for _ in range(n_sweeps):
            h = self._sweep(lik, h)
        samples = []
        for _ in range(self.mcmc_iters):
            h = self._sweep(lik, h)
            samples.append(h)
        self._state = (h.mean * scale + shift, h.amp2 * scale**2, h.noise * scale**2, h.ls.copy())
        return samples

    def _sweep(self, lik: _Likelihood, h: GPHypers) -> GPHypers:
        """One MCMC sweep: (mean, amp2, noise) along a random direction, then each length scale."""
        lp_man = lik.sampler_for_mean_amp_noise(h.ls)
        if self.noiseless:
            v = slice_sample_direction(np.array([h.mean, h.amp2]), lambda v: lp_man(v[0], v[1], h.noise), self.rng)
            h = GPHypers(float(v[0]), float(v[1]), h.noise, h.ls)
        else:
            v = slice_sample_direction(np.array([h.mean, h.amp2, h.noise]), lambda v: lp_man(v[0], v[1], v[2]), self.rng)
            h = GPHypers(float(v[0]), float(v[1]), float(v[2]), h.ls)
        ls = slice_sample_compwise(h.ls, lambda ls: lik.log_lik_ls(h, ls), self.rng)
        return GPHypers(h.mean, h.amp2, h.noise, ls)

    def _fit_ml(self, lik: _Likelihood) -> GPHypers:
        """Type-II maximum likelihood (the 2012 ``gp.optimize_hypers``): mean fixed at mean(y),
        L-BFGS-B on log amplitude, log noise and log length scales within the 2012 bounds."""
        mean = float(np.mean(lik.y))
        amp2 = float(np.std(lik.y)) + 1e-4
        starts = [np.concatenate([[math.log(amp2), math.log(1e-3 if not self.noiseless else 1e-3)], np.zeros(self.dim)])]
        if self._ml_theta is not None:
            starts.append(self._ml_theta)
        bounds = [(-10.0, 10.0), (-10.0, 10.0)] + [(-10.0, 5.0)] * self.dim
        if self.noiseless:
            bounds[1] = (math.log(1e-3), math.log(1e-3))
        best = None
        for s in starts:
            res = sopt.minimize(lik.neg_log_lik_and_grad, s, args=(mean,), jac=True, method="L-BFGS-B", bounds=bounds)
            if best is None or res.fun < best.fun:
                best = res
        self._ml_theta = best.x.copy()
        return GPHypers(mean, math.exp(best.x[0]), math.exp(best.x[1]), np.exp(best.x[2:]))


class GPEIML(GPEIMCMC):
    """GP-EI with type-II maximum-likelihood hyperparameters (the 2012 chooser with
    ``mcmc_iters = 0``; "GP EI Opt" in the paper's plots).

    Takes the options of :class:`GPEIMCMC` except ``mcmc_iters`` and ``burnin``. The
    hyperparameters are re-optimized at every ask from the 2012 starting point and from the
    previous optimum (the better one wins); the 2012 code optimized every candidate of the grid
    with L-BFGS-B in this mode, here the ``grid_subset`` best are refined as in MCMC mode.
    """

    name = "gp-ml"

    def __init__(self, space: Space, seed: int | None = 0, fidelity=None, **options: Any):
        for key in ("mcmc_iters", "burnin"):
            if key in options:
                raise TypeError(f"GPEIML got unknown option {key!r} (it is fixed at 0; use 'gp' for MCMC)")
        super().__init__(space, seed=seed, fidelity=fidelity, mcmc_iters=0, burnin=0, **options)
