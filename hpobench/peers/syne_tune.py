"""Syne Tune's asynchronous multi-fidelity schedulers (ASHA, BOHB) driven through ``suggest`` /
``on_trial_add`` / ``on_trial_result``, the calls Syne Tune's own ``Tuner`` makes.

Both are stopping-type ASHA (Li et al. 2018, "A System for Massively Parallel Hyperparameter
Tuning"), run rung by rung as :mod:`hpobench.peers.stepping` describes (grace period 1 level,
``reduction_factor = eta = 3``, one bracket):

* ``syne-tune-asha``: ASHA with random search;
* ``syne-tune-bohb``: ASHA with a KDE searcher (BOHB, asynchronous, as Syne Tune states).

Syne Tune has no conditions and no dependent bounds: the flat view of
:mod:`hpobench.peers.translate` is used. A failed evaluation is ``on_trial_error`` and the trial
ends.

Seeds: Syne Tune 0.16's ``RandomSearcher`` and KDE searcher draw their random configurations
from NumPy's *global* RNG (the seed they are given is unused for that), so both adapters are
built as ``baselines.ASHA`` / ``baselines.BOHB`` build themselves but with searchers that draw
from their own seeded ``random_state`` (same distributions). ``on_trial_add`` still draws the
bracket with ``np.random.choice``; with one bracket that choice is fixed, so runs are
reproducible, but the call advances NumPy's global RNG state.
"""

from __future__ import annotations

import datetime
import logging

from .base import library_seed
from .stepping import SteppingPeer
from .translate import flat_params

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


class _SyneTune(SteppingPeer):
    peer_library = "syne-tune"
    peer_modules = ("syne_tune",)
    peer_extra = "syne-tune"
    space_notes = "no conditions (inactive parameters sampled, dropped after decoding); dependent bounds as relative positions"

    def __init__(self, space, seed=0, fidelity=None, eta: int = 3):
        super().__init__(space, seed=seed, fidelity=fidelity, eta=eta)
        from syne_tune.optimizer.schedulers.asha import AsynchronousSuccessiveHalving

        # Syne Tune warns on every scheduler built that points_to_evaluate is handled elsewhere,
        # and on every failed trial (which the runner's log records).
        for logger in ("syne_tune.optimizer.schedulers.searchers.last_value_multi_fidelity_searcher", "syne_tune.optimizer.schedulers.asha"):
            logging.getLogger(logger).setLevel(logging.ERROR)
        config_space = syne_tune_space(space)
        self.scheduler = AsynchronousSuccessiveHalving(
            config_space, metric=_METRIC, do_minimize=True, searcher=self._searcher(config_space, library_seed(seed)),
            time_attr=_LEVEL, max_t=self.max_level, grace_period=1, reduction_factor=self.eta, brackets=1,
            random_seed=library_seed(seed),
        )
        self._milestones = sorted(int(m) for m, _ in self.scheduler.brackets[0].rungs)
        self._st_ids = 0

    def _searcher(self, config_space: dict, seed: int):  # pragma: no cover - overridden
        raise NotImplementedError

    def _start(self):
        from syne_tune.backend.trial_status import Trial as SyneTrial

        suggestion = self.scheduler.suggest()
        if suggestion is None:
            return None
        # creation_time is bookkeeping only; a fixed value keeps runs identical.
        st = SyneTrial(self._st_ids, suggestion.config, datetime.datetime(2000, 1, 1))
        self._st_ids += 1
        self.scheduler.on_trial_add(st)
        return st, suggestion.config

    def _report(self, st, loss, level):
        from syne_tune.optimizer.scheduler import SchedulerDecision

        return self.scheduler.on_trial_result(st, {_METRIC: loss, _LEVEL: level}) == SchedulerDecision.CONTINUE

    def _complete(self, st, loss, level):
        self.scheduler.on_trial_complete(st, {_METRIC: loss, _LEVEL: level})

    def _stopped(self, st):
        self.scheduler.on_trial_remove(st)

    def _failed(self, st):
        self.scheduler.on_trial_error(st)
        self.scheduler.on_trial_remove(st)


class SyneTuneASHA(_SyneTune):
    """Syne Tune's ASHA (stopping type, random search, one bracket)."""

    name = "syne-tune-asha"

    def _searcher(self, config_space: dict, seed: int):
        from syne_tune.optimizer.schedulers.searchers.last_value_multi_fidelity_searcher import (
            LastValueMultiFidelitySearcher,
        )

        # The multi-fidelity searcher samples from its own seeded RNG until it has
        # num_init_random_draws results; never reaching it keeps random search seeded.
        return LastValueMultiFidelitySearcher(
            config_space=config_space, searcher="random_search", random_seed=seed, num_init_random_draws=2**62
        )


class SyneTuneBOHB(_SyneTune):
    """Syne Tune's BOHB (asynchronous successive halving with a KDE searcher)."""

    name = "syne-tune-bohb"

    def _searcher(self, config_space: dict, seed: int):
        from syne_tune.optimizer.schedulers.searchers.kde import KernelDensityEstimator
        from syne_tune.optimizer.schedulers.searchers.last_value_multi_fidelity_searcher import (
            LastValueMultiFidelitySearcher,
        )

        class SeededKDE(KernelDensityEstimator):
            """The KDE searcher with its random draws (a third of all, and the start-up ones)
            from its own seeded ``random_state`` instead of NumPy's global RNG."""

            def _get_random_config(self):
                return {k: v.sample(random_state=self.random_state) if hasattr(v, "sample") else v for k, v in self.config_space.items()}

        # baselines.BOHB's searcher settings (Syne Tune 0.16 defaults), with the seeded KDE.
        kwargs = {"num_min_data_points": None, "top_n_percent": 15, "min_bandwidth": 1e-3, "num_candidates": 64, "bandwidth_factor": 3, "random_fraction": 0.33}
        return LastValueMultiFidelitySearcher(config_space=config_space, searcher=SeededKDE, random_seed=seed, searcher_kwargs=kwargs)
