"""Syne Tune's asynchronous multi-fidelity schedulers (ASHA, BOHB) driven through
``suggest`` / ``on_trial_add`` / ``on_trial_result``, the calls Syne Tune's own ``Tuner`` makes.

Both are *stopping*-type ASHA (Li et al. 2018, "A System for Massively Parallel Hyperparameter
Tuning"): a trial trains on and reports at each rung; the scheduler answers CONTINUE or STOP.
Here a trial is run rung by rung: budgets map to Syne Tune's integer resource levels (level
``s`` is budget ``s * fidelity.min``, ``grace_period = 1``, ``max_t = round(R / r_min)``,
``reduction_factor = eta``); the first evaluation runs to the first rung, each CONTINUE makes the
next :meth:`ask` continue it to the next rung (``resume_from`` = the budget reached), until STOP
or R. Continuations are served before new trials.

* ``syne-tune-asha``: ``syne_tune.optimizer.baselines.ASHA`` (random search, one bracket);
* ``syne-tune-bohb``: ``syne_tune.optimizer.baselines.BOHB`` (ASHA with a KDE searcher, as in
  BOHB but asynchronous, which Syne Tune states).

Syne Tune has no conditions and no dependent bounds: the flat view of
:mod:`hpobench.peers.translate` is used. A failed evaluation is ``on_trial_error`` and the trial
ends. Seeds go to the searchers (``random_seed``); ``on_trial_add`` draws the bracket with
NumPy's *global* RNG, which with one bracket has a single choice, so runs are still
reproducible, but the call advances ``numpy.random``'s global state.
"""

from __future__ import annotations

import datetime
import logging
from collections import deque

from ..benchmarks.base import Result
from ..optimizers.base import Capabilities, Trial
from .base import PeerOptimizer, library_seed
from .translate import decode, flat_params

__all__ = ["SyneTuneASHA", "SyneTuneBOHB", "syne_tune_space"]

_METRIC, _LEVEL = "loss", "level"


def syne_tune_space(space) -> dict:
    """The flat view of ``space`` as a Syne Tune config-space dict."""
    from syne_tune import config_space as cs

    out = {}
    for fp in flat_params(space):
        if fp.kind == "categorical":
            out[fp.name] = cs.choice(list(fp.labels))
        elif fp.kind == "int":
            out[fp.name] = (cs.lograndint if fp.log else cs.randint)(int(fp.low), int(fp.high))
        else:
            out[fp.name] = (cs.loguniform if fp.log else cs.uniform)(float(fp.low), float(fp.high))
    return out


class _SyneTune(PeerOptimizer):
    peer_library = "syne-tune"
    peer_modules = ("syne_tune",)
    peer_extra = "syne-tune"
    space_notes = "no conditions (inactive parameters sampled, dropped after decoding); dependent bounds as relative positions"
    capabilities = Capabilities(conditional=True, dependent_bounds=True, multi_fidelity=True, batch=True)

    def __init__(self, space, seed=0, fidelity=None, eta: int = 3):
        if fidelity is None:
            raise ValueError(f"{self.name} needs a benchmark with a fidelity")
        super().__init__(space, seed=seed, fidelity=fidelity)
        # Syne Tune warns on every scheduler built that points_to_evaluate is handled elsewhere.
        # and on every failed trial (which the runner's log records).
        for logger in ("syne_tune.optimizer.schedulers.searchers.last_value_multi_fidelity_searcher", "syne_tune.optimizer.schedulers.asha"):
            logging.getLogger(logger).setLevel(logging.ERROR)
        self.eta = int(eta)
        self._levels = max(1, int(round(fidelity.max / fidelity.min)))
        self.scheduler = self._scheduler(syne_tune_space(space), library_seed(seed))
        self._milestones = sorted(m for m, _ in self.scheduler.brackets[0].rungs) + [self._levels]
        self._ready: deque = deque()  # (syne trial, config, level reached)
        self._open: dict[int, object] = {}
        self._st_ids = 0

    def _scheduler(self, config_space: dict, seed: int):  # pragma: no cover - overridden
        raise NotImplementedError

    def _budget(self, level: int) -> float:
        return min(float(self.fidelity.max), level * float(self.fidelity.min))

    def _next_level(self, reached: int) -> int:
        return min(m for m in self._milestones if m > reached)

    def _ask(self) -> Trial:
        from syne_tune.backend.trial_status import Trial as SyneTrial

        if self._ready:
            st, config, reached = self._ready.popleft()
        else:
            suggestion = self.scheduler.suggest()
            if suggestion is None:
                return None
            # creation_time is bookkeeping only; a fixed value keeps runs identical.
            st = SyneTrial(self._st_ids, suggestion.config, datetime.datetime(2000, 1, 1))
            self._st_ids += 1
            self.scheduler.on_trial_add(st)
            config, reached = decode(self.space, suggestion.config), 0
        level = self._next_level(reached)
        self._open[self._next_id] = st
        resume = self._budget(reached) if reached else None
        return self.new_trial(config, budget=self._budget(level), resume_from=resume, syne_trial=st.trial_id, level=level)

    def _tell(self, trial: Trial, result: Result) -> None:
        from syne_tune.optimizer.scheduler import SchedulerDecision

        st = self._open.pop(trial.id)
        if not result.ok:
            self.scheduler.on_trial_error(st)
            self.scheduler.on_trial_remove(st)
            return
        level = int(trial.info["level"])
        report = {_METRIC: float(result.loss), _LEVEL: level}
        decision = self.scheduler.on_trial_result(st, report)
        if level >= self._levels:
            self.scheduler.on_trial_complete(st, report)
        elif decision == SchedulerDecision.CONTINUE:
            self._ready.append((st, trial.config, level))
        else:
            self.scheduler.on_trial_remove(st)


class SyneTuneASHA(_SyneTune):
    """Syne Tune's ASHA (stopping type, random search, one bracket).

    Built as ``baselines.ASHA`` builds it, except for the searcher: Syne Tune 0.16's
    ``RandomSearcher`` samples with NumPy's global RNG (its seed is unused), so the multi-fidelity
    searcher is told to keep drawing from its own seeded sampler (``num_init_random_draws`` never
    reached), which is the same uniform random search, reproducible.
    """

    name = "syne-tune-asha"

    def _scheduler(self, config_space: dict, seed: int):
        from syne_tune.optimizer.schedulers.asha import AsynchronousSuccessiveHalving
        from syne_tune.optimizer.schedulers.searchers.last_value_multi_fidelity_searcher import (
            LastValueMultiFidelitySearcher,
        )

        searcher = LastValueMultiFidelitySearcher(
            config_space=config_space, searcher="random_search", random_seed=seed, num_init_random_draws=2**62
        )
        return AsynchronousSuccessiveHalving(
            config_space, metric=_METRIC, do_minimize=True, searcher=searcher, time_attr=_LEVEL,
            max_t=self._levels, grace_period=1, reduction_factor=self.eta, brackets=1, random_seed=seed,
        )


class SyneTuneBOHB(_SyneTune):
    """Syne Tune's BOHB (asynchronous successive halving with a KDE searcher)."""

    name = "syne-tune-bohb"

    def _scheduler(self, config_space: dict, seed: int):
        from syne_tune.optimizer.schedulers.asha import AsynchronousSuccessiveHalving
        from syne_tune.optimizer.schedulers.searchers.kde import KernelDensityEstimator
        from syne_tune.optimizer.schedulers.searchers.last_value_multi_fidelity_searcher import (
            LastValueMultiFidelitySearcher,
        )

        class SeededKDE(KernelDensityEstimator):
            """Syne Tune 0.16's KDE searcher draws its random configurations (a third of all, and
            the start-up ones) with NumPy's global RNG; this draws them from its own seeded one."""

            def _get_random_config(self):
                return {k: v.sample(random_state=self.random_state) if hasattr(v, "sample") else v for k, v in self.config_space.items()}

        # baselines.BOHB's searcher settings (Syne Tune 0.16 defaults), with the seeded KDE.
        kwargs = {"num_min_data_points": None, "top_n_percent": 15, "min_bandwidth": 1e-3, "num_candidates": 64, "bandwidth_factor": 3, "random_fraction": 0.33}
        searcher = LastValueMultiFidelitySearcher(config_space=config_space, searcher=SeededKDE, random_seed=seed, searcher_kwargs=kwargs)
        return AsynchronousSuccessiveHalving(
            config_space, metric=_METRIC, do_minimize=True, searcher=searcher, time_attr=_LEVEL,
            max_t=self._levels, grace_period=1, reduction_factor=self.eta, brackets=1, random_seed=seed,
        )
