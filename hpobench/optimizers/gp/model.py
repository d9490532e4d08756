"""The GP model of Snoek, Larochelle & Adams (NIPS 2012): hyperparameters, priors, likelihood.

Inputs are the space's unit-cube encoding; a constant mean ``mean``, the ARD Matern 5/2
covariance of :mod:`.kernel` with amplitude ``amp2`` (the jitter of 1e-6 sits inside the
amplitude) and i.i.d. Gaussian noise ``noise``::

    K = amp2 * (C + jitter I) + noise * I      (jitter 1e-10; the 2012 code: 1e-6)

Priors (the 2012 ``GPEIOptChooser``): length scales top-hat on (0, max_ls]; a log-normal
penalty ``-1/2 (log sqrt(amp2) / amp2_scale)^2`` on the amplitude; a horseshoe
``log(log(1 + (noise_scale / noise)^2))`` on the noise; the mean flat on ``[min y, max y]``.
See docs/gp.md for the scales used and why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
from scipy.linalg.lapack import dpotrf, dtrtrs

from .kernel import JITTER, cholesky, matern_from_r2

__all__ = ["GPHypers", "GPLikelihood", "log_prior_amp2", "log_prior_noise", "ls_in_prior"]


@dataclass(frozen=True)
class GPHypers:
    """One setting of the GP hyperparameters (on the scale of the standardized losses)."""

    mean: float
    amp2: float
    noise: float
    ls: np.ndarray

    def as_dict(self) -> dict:
        return {"mean": self.mean, "amp2": self.amp2, "noise": self.noise, "ls": [float(v) for v in self.ls]}



def log_prior_amp2(amp2: float, scale: float) -> float:
    """Log-normal penalty on the amplitude: ``-1/2 (log sqrt(amp2) / scale)^2``."""
    return -0.5 * (math.log(math.sqrt(amp2)) / scale) ** 2


def log_prior_noise(noise: float, scale: float) -> float:
    """Horseshoe prior on the noise variance: ``log(log(1 + (scale / noise)^2))``."""
    return math.log(math.log1p((scale / noise) ** 2))


def ls_in_prior(ls: np.ndarray, max_ls: float) -> bool:
    """Whether length scales lie in the support of the top-hat prior (0, max_ls]."""
    return not (np.any(ls <= 0) or np.any(ls > max_ls))


class GPLikelihood:
    """GP marginal likelihood and the 2012 priors on one data set (standardized losses).

    Args:
        x: (N, D) inputs in the unit cube.
        y: (N,) standardized losses.
        max_ls: upper end of the top-hat length-scale prior.
        amp2_scale: scale of the log-normal amplitude prior.
        noise_scale: scale of the horseshoe noise prior.
        noiseless: leave the noise prior out (the noise is then fixed by the caller).
        jitter: added to the correlation's diagonal, inside the amplitude.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, max_ls: float, amp2_scale: float, noise_scale: float, noiseless: bool,
                 jitter: float = JITTER):
        self.x, self.y = x, y
        self.jitter = float(jitter)
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
        return matern_from_r2((self.sqd_flat @ (1.0 / ls**2)).reshape(self.n, self.n))

    def _log_prior_mean_amp_noise(self, mean: float, amp2: float, noise: float) -> float:
        lo, hi = self.mean_bounds
        if not (lo <= mean <= hi) or amp2 <= 0 or noise <= 0:
            return -math.inf
        lp = log_prior_amp2(amp2, self.amp2_scale)
        if not self.noiseless:
            lp += log_prior_noise(noise, self.noise_scale)
        return lp

    def sampler_for_mean_amp_noise(self, ls: np.ndarray):
        """log p(mean, amp2, noise | ls, data) via one eigendecomposition of the correlation
        (each evaluation is then O(N) instead of a Cholesky)."""
        lam, q = np.linalg.eigh(self.corr(ls))
        lam = lam + self.jitter
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
        k.flat[self._diag] += h.amp2 * self.jitter + h.noise
        chol, info = dpotrf(k, lower=1, clean=0, overwrite_a=1)
        if info != 0:
            return -math.inf
        sol, info = dtrtrs(chol, self.y - h.mean, lower=1)
        return -float(np.sum(np.log(chol.flat[self._diag]))) - 0.5 * float(sol @ sol)

    def log_lik_ls(self, h: GPHypers, ls: np.ndarray) -> float:
        if not ls_in_prior(ls, self.max_ls):
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
        k = amp2 * (corr + self.jitter * self.eye) + noise * self.eye
        try:
            chol = cholesky(k)
        except sla.LinAlgError:
            return 1e25, np.zeros_like(theta)
        res = self.y - mean
        alpha = sla.cho_solve((chol, True), res, check_finite=False)
        nll = float(np.sum(np.log(np.diag(chol)))) + 0.5 * float(res @ alpha)
        kinv = sla.cho_solve((chol, True), self.eye, check_finite=False)
        a = np.outer(alpha, alpha) - kinv  # d log p / d K = a / 2
        grad = np.empty_like(theta)
        grad[0] = 0.5 * np.sum(a * (corr + self.jitter * self.eye)) * amp2
        grad[1] = 0.5 * np.trace(a) * noise
        # d corr / d log ls_d = g'(r2) * (-2 sqd_d / ls_d^2), g'(r2) = -5/6 (1 + r) e^-r
        dg = (-5.0 / 6.0) * (1.0 + r) * e
        grad[2:] = 0.5 * amp2 * np.einsum("ij,dij->d", a * dg, self.sqd) * (-2.0 / ls**2)
        return nll, -grad

