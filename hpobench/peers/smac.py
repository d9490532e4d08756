"""SMAC3's facades driven through ``smac.ask()`` / ``smac.tell()``.

* ``smac3-hpo``: ``HyperparameterOptimizationFacade`` (random forest, log EI, Sobol initial
  design, 20 % interleaved random configurations), the peer of our ``smac``;
* ``smac3-bb``: ``BlackBoxFacade`` (Gaussian process with MCMC-free marginal-likelihood fit, EI,
  Sobol initial design), the peer of our ``gp``;
* ``smac3-hyperband``: ``HyperbandFacade`` (random configurations, SMAC's Hyperband
  intensifier, eta = 3): trials come with a budget between the benchmark's minimum and R.

The space is given as a ConfigSpace with native conditions (``EqualsCondition`` /
``InCondition``); dependent bounds as relative positions (see :mod:`hpobench.peers.translate`).
SMAC's ``Scenario`` is deterministic (one seed per configuration), seeded with our seed, and
keeps SMAC's default ``n_trials = 100``, which sizes its initial design (at most a quarter of
n_trials); ask/tell itself does not stop at n_trials. SMAC does not evaluate anything: the
facade gets no target function. SMAC insists on an output directory; it gets a private
temporary one, removed with the adapter, and the run history is not written (``save=False``).

A failed evaluation is told as ``StatusType.CRASHED`` with the worst loss so far as its cost
(an infinite cost makes SMAC's model targets NaN); failures before the first success are told
when it arrives.
SMAC3's Hyperband does not continue configurations: a promoted configuration is retrained
from scratch at the larger budget (``resume_from`` stays ``None``).
"""

from __future__ import annotations

from ..benchmarks.base import Result
from ..optimizers.base import Capabilities, Trial
from .base import PeerOptimizer, ScratchDir, library_seed
from .translate import decode, to_configspace

__all__ = ["SMAC3BlackBox", "SMAC3HPO", "SMAC3Hyperband"]


class _SMAC3(PeerOptimizer):
    peer_library = "smac"
    peer_modules = ("smac", "ConfigSpace")
    peer_extra = "smac3"
    space_notes = "conditions native (ConfigSpace conditions); dependent bounds as relative positions in [0, 1]"
    capabilities = Capabilities(conditional=True, dependent_bounds=True, multi_fidelity=False, batch=True)
    facade: str = ""

    def __init__(self, space, seed=0, fidelity=None, n_trials: int = 100):
        super().__init__(space, seed=seed, fidelity=fidelity)
        import smac

        self._smac = smac
        self._scratch = ScratchDir(self.name)
        cs = to_configspace(space, seed=library_seed(seed))
        scenario = smac.Scenario(
            cs, deterministic=True, n_trials=int(n_trials), seed=library_seed(seed),
            output_directory=self._scratch.path, **self._budgets(),
        )
        facade = getattr(smac, self.facade)
        # logging_level=40: SMAC logs every incumbent change at INFO; the runner's log is the record.
        self.smac = facade(scenario, target_function=None, logging_level=40, overwrite=True)
        _order_local_search_starts(self.smac)
        self._infos: dict[int, object] = {}
        self._deferred: list = []  # failed trials told once a loss gives their cost

    def _budgets(self) -> dict:
        return {}

    def _ask(self) -> Trial:
        info = self.smac.ask()
        self._infos[self._next_id] = info
        config = decode(self.space, dict(info.config))
        return self.new_trial(config, budget=info.budget, origin=str(info.config.origin))

    def _tell(self, trial: Trial, result: Result) -> None:
        from smac.runhistory.dataclasses import TrialValue
        from smac.runhistory.enumerations import StatusType

        info = self._infos.pop(trial.id)
        worst = self.worst_loss()
        if not result.ok:
            # SMAC's encoders turn an infinite cost into NaN targets for its model, so a crash is
            # told with the worst loss so far (as our smac imputes it); before any success it
            # waits, and is told once one arrives.
            if worst is None:
                self._deferred.append(info)
                return
            self.smac.tell(info, TrialValue(cost=worst, status=StatusType.CRASHED), save=False)
            return
        self.smac.tell(info, TrialValue(cost=float(result.loss), time=float(result.cost or 0.0)), save=False)
        for waiting in self._deferred:
            self.smac.tell(waiting, TrialValue(cost=worst if worst is not None else float(result.loss), status=StatusType.CRASHED), save=False)
        self._deferred.clear()


def _order_local_search_starts(facade) -> None:
    """Make SMAC3's local search start from its points in a reproducible order.

    SMAC3 2.x (``LocalSearch._get_initial_points``) collects the start points of its acquisition
    local search in a ``set`` of ``Configuration`` objects, whose hash is ``hash(repr(config))``:
    a string hash, so the order of the start points (and with it the random draws of every local
    search) changes with ``PYTHONHASHSEED``, i.e. from process to process. The same seed then
    gave another run in another process, and a run resumed in a new process diverged at its first
    model-based trial. The set's order carries no meaning, so the points are put in the order of
    their vector encoding; SMAC's search is otherwise unchanged.
    """
    import numpy as np

    maximizer = getattr(getattr(facade, "_config_selector", None), "_acquisition_maximizer", None)
    local = getattr(maximizer, "_local_search", None)
    if local is None or not hasattr(local, "_get_initial_points"):  # another SMAC3 layout: leave it
        return
    original = local._get_initial_points

    def ordered(*args, **kwargs):
        points = original(*args, **kwargs)
        return sorted(points, key=lambda c: tuple(np.nan_to_num(np.asarray(c.get_array(), dtype=float), nan=-1.0)))

    local._get_initial_points = ordered


class SMAC3HPO(_SMAC3):
    """SMAC3's HyperparameterOptimizationFacade (random forest + log EI), the peer of ``smac``."""

    name = "smac3-hpo"
    facade = "HyperparameterOptimizationFacade"


class SMAC3BlackBox(_SMAC3):
    """SMAC3's BlackBoxFacade (Gaussian process + EI), the peer of ``gp``."""

    name = "smac3-bb"
    facade = "BlackBoxFacade"


class SMAC3Hyperband(_SMAC3):
    """SMAC3's HyperbandFacade (random configurations, Hyperband intensifier, eta = 3)."""

    name = "smac3-hyperband"
    facade = "HyperbandFacade"
    capabilities = Capabilities(conditional=True, dependent_bounds=True, multi_fidelity=True, batch=True)

    def __init__(self, space, seed=0, fidelity=None, n_trials: int = 100):
        if fidelity is None:
            raise ValueError("smac3-hyperband needs a benchmark with a fidelity")
        super().__init__(space, seed=seed, fidelity=fidelity, n_trials=n_trials)

    def _budgets(self) -> dict:
        return {"min_budget": float(self.fidelity.min), "max_budget": float(self.fidelity.max)}
