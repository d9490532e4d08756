"""The ``gp`` and ``gp-ml`` optimizers: Spearmint's chooser loop (Snoek, Larochelle & Adams 2012).

Each ask standardizes and warps the losses (:mod:`.warping`), updates the hyperparameters
(:mod:`.inference`), builds the integrated EI (:mod:`.acquisition`), scores a Sobol grid plus
points around the incumbent, refines the best candidates with L-BFGS-B and proposes the argmax.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.optimize as sopt
from scipy.stats import qmc

from ...benchmarks.base import config_key
from ...space import Space
from ...threads import limited_threads
from ..base import Capabilities, Optimizer
from .acquisition import IntegratedEI
from .inference import fit_ml, sweep
from .kernel import JITTER
from .model import GPHypers, GPLikelihood
from .warping import WARPS, ModelLosses, model_losses

__all__ = ["GPEIMCMC", "GPEIML"]

#: Asks that score the grid exactly after a single-precision screen fell back.
SCREEN_BACKOFF = 4

#: Initial (and, with ``noiseless``, fixed) noise variance on standardized losses (2012 code).
NOISE0 = 1e-3


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
        screen: the grid is first scored in single precision and only its ``screen`` best
            candidates (500) are scored again exactly (:meth:`.IntegratedEI.screen`); ``None``
            scores every candidate in double precision, as the 2012 code did.
        n_spray: candidates drawn around the best observed input (10).
        spray_std: their standard deviation in the unit cube (1e-3).
        n_init: results needed before the GP is used; ``None`` (default) sizes the Sobol design
            as Optuna and scikit-optimize do, 10 points, but at most a quarter of the runner's
            budget hint (:attr:`expected_trials`) and at least 2 (the 2012 code: 2).
        noiseless: fix the noise variance at 1e-3 instead of sampling it.
        standardize: fit the GP to ``(y - mean(y)) / std(y)`` (see Deviations).
        max_ls: upper end of the top-hat length-scale prior (2).
        amp2_scale: scale of the log-normal amplitude prior (0.5; the 2012 code used 1, see
            Deviations).
        noise_scale: scale of the horseshoe noise prior (0.1).
        refine: ``"joint"`` (one vectorized L-BFGS-B run over all ``grid_subset`` starts) or
            ``"separate"`` (one run per start, as in 2012).
        jitter: added to the correlation's diagonal, inside the amplitude (1e-10; the 2012
            code: 1e-6, see Deviations).
        warp: ``"yeo-johnson"`` (default) fits the GP to the standardized losses warped by a
            Yeo-Johnson power transform whose exponent is fitted by maximum likelihood at every
            ask, within [-3, 1] (:mod:`.warping`); ``"none"`` fits the standardized losses, as
            the 2012 code fitted its losses (see Deviations).

    Deviations from the 2012 code (documented in docs/gp.md):

    * Losses are standardized before fitting (``standardize=True``) so that the fixed-scale
      priors (amplitude scale 0.5, noise scale 0.1) mean the same for every objective; the 2012
      code applied them to raw losses. The chain is carried over between asks in raw-loss units.
    * The amplitude prior is narrower: scale 0.5 instead of 1 on ``log sqrt(amp2)`` of the
      standardized losses (``amp2_scale=1`` restores the 2012 value). With scale 1 the
      amplitude ran away (amp2 in the hundreds to thousands) with the length scales pinned at
      ``max_ls``, and the noise absorbed the structure near the optimum (docs/gp.md).
    * The losses are warped (``warp="yeo-johnson"``) before the fit: a monotone power transform
      that pulls in a long tail of bad losses (Rosenbrock's five orders of magnitude,
      Styblinski-Tang's walls), so that the stationary GP resolves the basins; the incumbent and
      the ranking are unchanged. ``warp="none"`` restores the 2012 fit (docs/gp.md).
    * The jitter is 1e-10 instead of 1e-6 (``jitter=1e-6`` restores it). The jitter acts as
      a noise floor of ``amp2 * jitter`` on standardized losses; at 1e-6 the GP could not
      tell apart losses within about 0.05 of each other on Branin, and EI kept proposing the
      same point next to the incumbent (docs/gp.md).
    * The initial Sobol design has 10 points (at most a quarter of the budget hint), as
      Optuna's and scikit-optimize's GP samplers start, instead of 2 (``n_init=2``).
    * The amplitude penalty is on ``log sqrt(amp2)`` as later Spearmint versions
      state; the 2012 chooser file applied it to ``log amp2``.
    * The Sobol grid is scrambled (scipy's ``Sobol``) and seeded from ``seed``, so different
      seeds start from different initial designs; 2012 used one fixed grid for every run.
    * The 20 local optimizations run in-process as one vectorized L-BFGS-B problem on the sum
      of their (separable) EIs (2012: separate runs in a process pool; ``refine="separate"``
      gives separate runs), and the objective is scaled by the largest starting EI so that
      L-BFGS-B's tolerances do not stop it early when EI values are tiny.
    * A proposal that decodes to an already-asked configuration (integer and categorical
      parameters) is skipped in favour of the next best candidate.
    * The grid is screened in single precision and its best 500 candidates are rescored in
      double precision (``screen=None`` scores all of it in double precision). Only the
      ranking of the grid changes, and only far below the candidates that are refined.
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
        screen: int | None = 500,
        n_spray: int = 10,
        spray_std: float = 1e-3,
        n_init: int | None = None,
        noiseless: bool = False,
        standardize: bool = True,
        max_ls: float = 2.0,
        amp2_scale: float = 0.5,
        noise_scale: float = 0.1,
        refine: str = "joint",
        jitter: float = JITTER,
        warp: str = "yeo-johnson",
        **options: Any,
    ):
        super().__init__(space, seed=seed, fidelity=fidelity, **options)
        if space.is_conditional:
            raise ValueError(f"{type(self).__name__} does not support conditional parameters")
        ints = dict(mcmc_iters=mcmc_iters, burnin=burnin, pending_samples=pending_samples, grid_size=grid_size,
                    grid_subset=grid_subset, n_spray=n_spray, n_init=10 if n_init is None else n_init)
        for key, val in ints.items():
            if int(val) != val or val < 0:
                raise ValueError(f"{key} must be a non-negative integer, got {val!r}")
        if screen is not None and (int(screen) != screen or screen < 1):
            raise ValueError(f"screen must be a positive integer or None, got {screen!r}")
        if grid_size < 1 or pending_samples < 1:
            raise ValueError("grid_size and pending_samples must be at least 1")
        for key, val in dict(spray_std=spray_std, max_ls=max_ls, amp2_scale=amp2_scale, noise_scale=noise_scale, jitter=jitter).items():
            if not (val > 0 and math.isfinite(val)):
                raise ValueError(f"{key} must be a positive number, got {val!r}")
        if warp not in WARPS:
            raise ValueError(f"warp must be one of {', '.join(repr(w) for w in WARPS)}, got {warp!r}")
        if refine not in ("joint", "separate"):
            raise ValueError(f"refine must be 'joint' or 'separate', got {refine!r}")
        self.refine = refine
        self.warp = warp
        self.mcmc_iters = int(mcmc_iters)
        self.burnin = int(burnin)
        self.pending_samples = int(pending_samples)
        self.grid_size = int(grid_size)
        self.grid_subset = int(grid_subset)
        self.screen = None if screen is None else int(screen)
        self.n_spray = int(n_spray)
        self.spray_std = float(spray_std)
        self._n_init = None if n_init is None else max(1, int(n_init))
        self.noiseless = bool(noiseless)
        self.standardize = bool(standardize)
        self.max_ls = float(max_ls)
        self.amp2_scale = float(amp2_scale)
        self.noise_scale = float(noise_scale)
        self.jitter = float(jitter)
        # The grid seed comes from the optimizer's own stream, drawn once here, so the grid
        # does not depend on how much randomness later asks consume.
        self.grid_seed = int(self.rng.integers(2**32)) if grid_seed is None else int(grid_seed)
        self.dim = len(space)
        self._grid: np.ndarray | None = None
        self._grid_used: np.ndarray | None = None
        self._encoded: dict[int, np.ndarray] = {}
        #: The MCMC chain's last state and the (shift, scale) of the losses it was fitted to
        #: (None after a warped fit).
        self._state: tuple[GPHypers, tuple[float, float] | None] | None = None
        self._ml_theta: np.ndarray | None = None
        #: Asks left that score the grid exactly after a screen fell back (:data:`SCREEN_BACKOFF`).
        self._screen_skip = 0
        #: The hyperparameter samples of the latest ask (standardized units).
        self.hyper_samples: list[GPHypers] = []

    # ----------------------------------------------------------------------------- helpers
    @property
    def n_init(self) -> int:
        """Results needed before the GP is used: the ``n_init`` option, else 10 capped at a
        quarter of the budget hint (at least 2)."""
        if self._n_init is not None:
            return self._n_init
        if self.expected_trials:
            return max(2, min(10, self.expected_trials // 4))
        return 10

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
        # Every matrix here is small (at most a few hundred rows): a multi-threaded BLAS spinning
        # up for each call is many times slower on a busy machine (measured 10x on 2 loaded cores).
        with limited_threads(1, torch=False, user_api="blas"):
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
        fitted = model_losses(y, self.standardize, self.warp)
        # trial.info["ei"] is reported in loss units where the fit is affine (scale), else in
        # the model's units
        ys_std, scale = fitted.values, fitted.scale
        samples = self._fit(x, fitted)
        self.hyper_samples = samples

        pend = [self._encode(t) for t in self.pending.values()]
        z = None
        if pend:
            z = self.rng.standard_normal((len(pend), self.pending_samples))
        acq = IntegratedEI(x, ys_std, samples, np.array(pend) if pend else None, z, jitter=self.jitter)

        free = np.flatnonzero(~self._grid_used)
        cand = grid[free]
        best_x = x[int(np.argmin(y))]
        spray = np.clip(best_x + self.spray_std * self.rng.standard_normal((self.n_spray, self.dim)), 0.0, 1.0)
        if not len(cand):
            ei_cand = np.empty(0)
        elif self.screen is None or self._screen_skip > 0:
            ei_cand = acq(cand)
            self._screen_skip = max(0, self._screen_skip - 1)
        else:
            ei_cand = acq.screen(cand, self.screen, need=self.grid_subset)
            # A screen that could not vouch for its ranking cost a wasted single-precision
            # pass; the conditioning that caused it persists for a while (clustered
            # observations late in a run), so the next asks score exactly before trying again.
            self._screen_skip = SCREEN_BACKOFF if acq.screen_fallback else 0
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
    def _likelihood(self, x: np.ndarray, ys: np.ndarray) -> GPLikelihood:
        return GPLikelihood(x, ys, self.max_ls, self.amp2_scale, self.noise_scale, self.noiseless, self.jitter)

    def _fit(self, x: np.ndarray, fitted: ModelLosses) -> list[GPHypers]:
        ys = fitted.values
        lik = self._likelihood(x, ys)
        if self.mcmc_iters == 0:
            return [self._fit_ml(lik)]
        if self._state is None:
            # The 2012 initial state: ls = 1, amp2 = std(y) + 1e-4, noise = 1e-3, mean = mean(y).
            h = GPHypers(float(np.mean(ys)), float(np.std(ys)) + 1e-4, NOISE0, np.ones(self.dim))
            n_sweeps = self.burnin
        else:
            prev, units = self._state
            m, a, nz = prev.mean, prev.amp2, prev.noise
            if units is not None and fitted.lam is None:
                # Both fits standardized without a warp: carry the chain in raw-loss units, as
                # the 2012 code (which fitted raw losses) did. A warp has no affine inverse, so
                # then the chain is carried in model units (both are standardized).
                shift0, scale0 = units
                m = ((m * scale0 + shift0) - fitted.shift) / fitted.scale
                a = a * scale0**2 / fitted.scale**2
                nz = nz * scale0**2 / fitted.scale**2
            lo, hi = lik.mean_bounds
            h = GPHypers(min(hi, max(lo, m)), a, nz, prev.ls.copy())
            n_sweeps = 0
        if self.noiseless:
            h = GPHypers(h.mean, h.amp2, NOISE0, h.ls)
        for _ in range(n_sweeps):
            h = self._sweep(lik, h)
        samples = []
        for _ in range(self.mcmc_iters):
            h = self._sweep(lik, h)
            samples.append(h)
        self._state = (h, None if fitted.lam is not None else (fitted.shift, fitted.scale))
        return samples

    def _sweep(self, lik: GPLikelihood, h: GPHypers) -> GPHypers:
        return sweep(lik, h, self.rng, self.noiseless)

    def _fit_ml(self, lik: GPLikelihood) -> GPHypers:
        h, self._ml_theta = fit_ml(lik, NOISE0, self.noiseless, self._ml_theta)
        return h


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
