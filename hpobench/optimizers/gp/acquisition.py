"""Spearmint's integrated expected improvement: EI averaged over GP hyperparameter samples and
over fantasized outcomes of pending evaluations (Snoek, Larochelle & Adams 2012, sections 3.1
and 3.3), with its gradient for the local refinement of candidates.

The EI formula itself is the shared :func:`hpobench.optimizers.acquisition.standard_ei`.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np
import scipy.linalg as sla
from scipy.linalg.blas import dtrmm, strmm
from scipy.special import ndtr

from ..acquisition import normal_pdf, standard_ei
from .kernel import JITTER, SQRT5, cholesky, matern52, psd_factor
from .model import GPHypers

__all__ = ["IntegratedEI"]

#: Entries of one (candidates x observations) block when scoring many candidates: small enough
#: that the temporaries stay in cache.
_BLOCK = 200_000


class _Precision(NamedTuple):
    """What :meth:`IntegratedEI._ei_one` needs in one floating-point precision: the centre its
    inputs are shifted by, the augmented observed inputs, alpha and L^-1 (amplitude folded in)
    and the matching BLAS triangular product."""

    centre: float
    aug: np.ndarray  # (S, D + 2, N')
    alpha_amp: np.ndarray  # (S, N', P)
    linv_amp: list  # S Fortran-ordered (N', N')
    trmm: Callable


def _augmented(x5: np.ndarray, dtype) -> np.ndarray:
    """``[-2 x, 1, |x|^2]`` for scaled inputs ``x5`` (S, N', D), transposed to (S, D + 2, N'), so
    that one product with ``[a, |a|^2, 1]`` gives every squared distance ``|a - x|^2``."""
    ones = np.ones(x5.shape[:2] + (1,))
    aug = np.concatenate([-2.0 * x5, ones, np.sum(x5 * x5, axis=-1)[..., None]], axis=-1)
    return np.ascontiguousarray(aug.transpose(0, 2, 1), dtype=dtype)


class IntegratedEI:
    """Expected improvement averaged over hyperparameter samples and pending-outcome fantasies.

    For each hyperparameter sample the GP is conditioned on the observations ``(x, y)``. With
    pending inputs, ``z.shape[1]`` joint posterior draws of their (latent) outcomes are appended
    to the data as fantasies, each with its own incumbent ``min(y ∪ fantasy)`` (Snoek et al.
    2012, section 3.3); the same standard-normal draws ``z`` serve every sample, which makes the acquisition
    a deterministic function for the local optimizer.

    Args:
        x: (N, D) observed inputs.
        y: (N,) observed losses.
        samples: hyperparameter samples to average over.
        pending: (J, D) inputs still being evaluated, or ``None``.
        z: (J, P) standard-normal draws for the fantasies (needed when ``pending`` is given).
        jitter: the model's jitter (inside the amplitude), as in :class:`~.model.GPLikelihood`.
    """

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        samples: list[GPHypers],
        pending: np.ndarray | None = None,
        z: np.ndarray | None = None,
        jitter: float = JITTER,
    ):
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        n = len(y)
        has_pending = pending is not None and len(pending) > 0
        xa = np.vstack([x, pending]) if has_pending else x
        self.d = x.shape[1]
        self.jitter = jitter = float(jitter)
        self.samples = list(samples)
        xs, alphas, linvs, bests = [], [], [], []
        for h in self.samples:
            ls = np.asarray(h.ls, dtype=float)
            corr = matern52(ls, xa)
            k = h.amp2 * (corr + jitter * np.eye(len(xa))) + h.noise * np.eye(len(xa))
            chol = cholesky(k)
            if has_pending:
                # Joint posterior of the latent values at the pending inputs given the data;
                # the leading block of the joint factor is the factor of the observed block.
                c11 = chol[:n, :n]
                a = sla.cho_solve((c11, True), y - h.mean, check_finite=False)
                kcp = h.amp2 * corr[:n, n:]
                kpp = h.amp2 * (corr[n:, n:] + jitter * np.eye(len(pending)))
                v = sla.solve_triangular(c11, kcp, lower=True, check_finite=False)
                pend_mean = kcp.T @ a + h.mean
                pend_chol = psd_factor(kpp - v.T @ v)
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
        self._alpha_amp = self._alpha * self._amp2[:, None, None]
        self._xs_alpha = (self._xs[:, :, :, None] * self._alpha[:, :, None, :]).reshape(len(self.samples), len(xa), -1)
        linv_amp = [li * amp2 for li, amp2 in zip(self._linv, self._amp2)]
        # The single-precision screening pass (:meth:`screen`) takes its squared distances from
        # inputs centred on the cube, which keeps the norms in the augmented product (and so its
        # cancellation error) small.
        self._precision = {
            False: _Precision(0.0, _augmented(self._xs * SQRT5, float), self._alpha_amp,
                              [np.asfortranarray(li) for li in linv_amp], dtrmm),
            True: _Precision(0.5, _augmented((xa - 0.5)[None, :, :] * self._w5[:, None, :], np.float32),
                             self._alpha_amp.astype(np.float32), [np.asfortranarray(li, dtype=np.float32) for li in linv_amp], strmm),
        }
        #: Whether the latest :meth:`screen` had to score every row exactly.
        self.screen_fallback = False

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
        the number of fantasies otherwise. The variance is ``amp2 (1 + jitter) - k^T K^-1 k``.
        """
        c = np.atleast_2d(np.asarray(xs, dtype=float))
        _, _, _, k = self._cross(c)
        mu = k @ self._alpha + self._mean[:, None, None]
        v = k @ self._linv_t
        var = self._amp2[:, None] * (1.0 + self.jitter) - np.sum(v * v, axis=-1)
        return mu, var

    def __call__(self, xs: np.ndarray) -> np.ndarray:
        """Integrated EI at each row of ``xs`` (scored in blocks, one sample at a time)."""
        return self._score(np.atleast_2d(np.asarray(xs, dtype=float)), single=False)

    def screen(self, xs: np.ndarray, keep: int, need: int = 1) -> np.ndarray:
        """Integrated EI at each row of ``xs``, exact for at least its ``need`` best rows
        and approximate for rows far below them.

        Every row is first scored with the (M, N') work (distances, covariances, the
        triangular product) in single precision; the posterior moments and the EI itself stay
        in double precision. The ``keep`` rows that score best are scored again exactly. Single
        precision halves the memory traffic and vectorizes ``exp`` on CPUs without AVX-512,
        which makes the first pass two to three times faster than the exact one.

        Its error grows with the conditioning of the covariance (with a jitter of 1e-10 and
        clustered observations, ``L^-1`` reaches 1e5) and matters when the largest EI is tiny.
        The rescored rows measure it: if the ``need``-th best exact score does not clear the
        best unrescored approximate score by twice the largest error seen, a better row may
        hide among the unrescored ones, and every row is scored exactly instead.
        """
        c = np.atleast_2d(np.asarray(xs, dtype=float))
        need = max(1, int(need))
        self.screen_fallback = False
        if keep >= len(c) or need > keep:
            return self._score(c, single=False)
        out = self._score(c, single=True)
        order = np.argsort(-out, kind="stable")
        top = order[:keep]
        exact = self._score(c[top], single=False)
        err = float(np.max(np.abs(exact - out[top])))
        kth = float(np.sort(exact)[-need])
        self.screen_fallback = not kth > out[order[keep]] + 2.0 * err
        if self.screen_fallback:
            return self._score(c, single=False)
        out[top] = exact
        return out

    def _score(self, c: np.ndarray, single: bool) -> np.ndarray:
        n, p = self._xs.shape[1], self.n_fantasies
        step = max(1, _BLOCK // max(n, p))
        out = np.zeros(len(c))
        for i in range(0, len(c), step):
            block = c[i : i + step]
            for s in range(len(self.samples)):
                out[i : i + step] += self._ei_one(block, s, single)
        out /= len(self.samples)
        return out

    def _ei_one(self, c: np.ndarray, s: int, single: bool = False) -> np.ndarray:
        """EI under sample ``s`` (averaged over fantasies), written for speed: the squared
        distance comes out of one matrix product of augmented vectors, the elementwise work is
        done in place, and the triangular product uses BLAS ``trmm`` (half a full product).
        With ``single`` all of the (M, N') work runs in single precision."""
        prec = self._precision[single]
        a = (c - prec.centre) * self._w5[s]  # sqrt(5) x / ls
        aa = np.empty((len(c), self.d + 2), dtype=prec.aug.dtype)
        aa[:, : self.d] = a
        aa[:, self.d] = np.einsum("ij,ij->i", a, a)
        aa[:, self.d + 1] = 1.0
        r = aa @ prec.aug[s]  # (M, N'): 5 r2 = |a|^2 - 2 a.x + |x|^2
        np.maximum(r, 0.0, out=r)
        np.sqrt(r, out=r)
        e = np.negative(r)
        np.exp(e, out=e)
        k = r / 3.0
        k += 1.0
        k *= r
        k += 1.0
        k *= e  # unit-amplitude correlation; amp2 is folded into alpha and L^-1 below
        mu = (k @ prec.alpha_amp[s]).astype(float, copy=False)
        vt = prec.trmm(1.0, prec.linv_amp[s], k.T, side=0, lower=1, trans_a=0, overwrite_b=1)
        quad = np.einsum("ij,ij->j", vt, vt).astype(float, copy=False)
        mu += self._mean[s]
        var = self._amp2[s] * (1.0 + self.jitter) - quad
        sd = np.sqrt(np.maximum(var, 1e-12 * self._amp2[s]))
        g = (self._best[s][None, :] - mu) / sd[:, None]
        return sd * standard_ei(g).mean(axis=1)

    def value_and_grad(self, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Integrated EI (M,) and its gradient with respect to the inputs (M, D)."""
        return self._ei(np.atleast_2d(np.asarray(xs, dtype=float)), grad=True)

    def _ei(self, c: np.ndarray, grad: bool):
        a, r, e, k = self._cross(c)
        mu = k @ self._alpha
        mu += self._mean[:, None, None]  # (S, M, P)
        v = k @ self._linv_t  # (S, M, N'): L^-1 k, so that k^T K^-1 k = |v|^2
        var = self._amp2[:, None] * (1.0 + self.jitter) - np.sum(v * v, axis=-1)
        floor = 1e-12 * self._amp2[:, None]
        clipped = var < floor
        var = np.where(clipped, floor, var)
        sd = np.sqrt(var)  # (S, M)
        g = (self._best[:, None, :] - mu) / sd[:, :, None]
        cdf = ndtr(g)
        pdf = normal_pdf(g)
        ei = sd[:, :, None] * standard_ei(g, cdf, pdf)
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

