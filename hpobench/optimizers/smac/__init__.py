"""SMAC: sequential model-based algorithm configuration with a random forest.

Hutter, Hoos & Leyton-Brown, "Sequential Model-Based Optimization for General Algorithm
Configuration", LION 5, 2011. One iteration fits a random forest to the run history, ranks
candidate configurations by expected improvement (EI), hands the best one out as the next
challenger and interleaves uniformly random configurations. With one deterministic instance
(every benchmark here), intensification reduces to "a challenger runs once and becomes the
incumbent iff its loss is lower", so the incumbent is the best configuration observed.

Three default sets are available (``preset=``); docs/smac.md has the measurements behind them:

* ``"hpolib-paper"``: the SMAC 2.x settings of the HPOlib configuration the Hyperband paper
  ran: 10 trees, a node splits only with >= 10 points, bootstrapped data per tree, 5/6 of the
  features tried per split, no output transform (quality objective), EI with xi = 0, local search
  (4 Gaussian neighbours, std 0.2, per numeric parameter) from the 10 evaluated configurations of
  highest EI plus 10,000 uniformly random configurations, every second challenger random, the
  default configuration as the initial design.
* ``"hpolib"`` (default): ``hpolib-paper`` with SMAC3's model (log-scaled costs, log-space EI,
  fully grown trees on all features) and local searches started from the evaluated
  configurations of lowest predicted cost; the paper's set loses to random search without them.
* ``"smac3-hpo"``: SMAC3 v2's HPO facade: ``hpolib`` with random configurations drawn with
  probability 0.2, local searches also started from the 10 best random candidates, and a
  scrambled Sobol initial design sized from the budget.

Every option of the preset can be overridden by keyword.

Example:
    >>> from hpobench.benchmarks.synthetic import Branin
    >>> bench = Branin()
    >>> opt = SMAC(bench.space, seed=0, n_random_candidates=500)
    >>> for _ in range(3):
    ...     trial = opt.ask()
    ...     opt.tell(trial, bench.evaluate(trial.config))
    >>> opt.incumbent[1] < 200
    True

Modules, by role: :mod:`.forest` (the random forest), :mod:`.features` (configurations as the
forest's features), :mod:`.costs` (SMAC3's log-scaled costs), :mod:`.local_search` (hill-climbing
on EI over the one-exchange neighbourhood of :mod:`hpobench.space`), :mod:`.optimizer` (the
loop, presets, initial designs). EI is the shared :mod:`hpobench.optimizers.acquisition`.
"""

from __future__ import annotations

from ..acquisition import expected_improvement, log_expected_improvement
from .costs import log_scaled_costs
from .features import INACTIVE_FEATURE, Featurizer
from .forest import RandomForestSurrogate
from .optimizer import PRESETS, SMAC

__all__ = [
    "INACTIVE_FEATURE",
    "PRESETS",
    "SMAC",
    "Featurizer",
    "RandomForestSurrogate",
    "expected_improvement",
    "log_expected_improvement",
    "log_scaled_costs",
]
