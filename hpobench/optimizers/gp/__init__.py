"""Spearmint-style Gaussian-process Bayesian optimization (Snoek, Larochelle, Adams, NIPS 2012).

Two registered optimizers:

* :class:`GPEIMCMC` (``gp``): the paper's "GP EI MCMC", i.e. the 2012 code's default chooser
  ``GPEIOptChooser``. The GP hyperparameters are slice-sampled and expected improvement is
  integrated over the samples (and over fantasized outcomes of pending evaluations).
* :class:`GPEIML` (``gp-ml``): the same chooser with ``mcmc_iters = 0``, i.e. a type-II maximum
  likelihood point estimate of the hyperparameters ("GP EI Opt" in the paper's plots).

Modules, by role:

* :mod:`.kernel` - the ARD Matern 5/2 covariance and Cholesky helpers;
* :mod:`.model` - hyperparameters, priors and the marginal likelihood;
* :mod:`.warping` - what the GP is fitted to: the losses standardized and power-warped;
* :mod:`.slice_sampler` and :mod:`.inference` - the MCMC chain and the ML fit;
* :mod:`.acquisition` - the integrated expected improvement and its gradient;
* :mod:`.optimizer` - the ask/tell loop: initial design, candidate grid, refinement.

The model, its priors and every deviation from the 2012 code are described in docs/gp.md.

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

from .acquisition import IntegratedEI
from .kernel import JITTER, JITTER_2012, matern52
from .model import GPHypers, GPLikelihood
from .optimizer import GPEIML, GPEIMCMC

__all__ = ["GPEIMCMC", "GPEIML", "GPHypers", "GPLikelihood", "IntegratedEI", "JITTER", "JITTER_2012", "matern52"]
