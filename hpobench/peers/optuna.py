"""Optuna's samplers (TPE, GP, CMA-ES) and its HyperbandPruner, driven through ``study.ask`` /
``study.tell``.

Each :meth:`ask` opens an Optuna trial with ``study.ask()`` and samples the configuration
define-by-run (``trial.suggest_*`` in declaration order), so a conditional parameter is only
suggested when its condition holds: Optuna sees conditions natively. Dependent bounds are given
as relative positions (see :mod:`hpobench.peers.translate`). A failed evaluation is told as
``TrialState.FAIL``, which Optuna's samplers ignore.

The study is in memory with a fixed name (``hpobench-<seed>``; the HyperbandPruner assigns
brackets by a CRC of the study name and trial number, so a random name would break
reproducibility) and a seeded sampler. Library defaults are kept (TPE: 10 start-up trials,
univariate; GP: 10 start-up trials; CMA-ES: categoricals go to its independent random sampler).
"""

from __future__ import annotations

from collections import deque

from ..benchmarks.base import Result
from ..optimizers.base import Capabilities, Trial
from .base import PeerOptimizer, library_seed
from .translate import decode, flat_params

__all__ = ["OptunaCmaEs", "OptunaGP", "OptunaHyperband", "OptunaTPE"]


class _OptunaSampler(PeerOptimizer):
    """Shared: a study with one of Optuna's samplers; every trial at the maximum budget."""

    peer_library = "optuna"
    peer_modules = ("optuna",)
    peer_extra = "optuna"
    space_notes = "conditions native (define-by-run); dependent bounds as relative positions in [0, 1]"
    capabilities = Capabilities(conditional=True, dependent_bounds=True, multi_fidelity=False, batch=True)

    def __init__(self, space, seed=0, fidelity=None):
        super().__init__(space, seed=seed, fidelity=fidelity)
        import optuna

        # Optuna logs one INFO line per told trial; the runner's log is the record here.
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self._optuna = optuna
        self._flat = flat_params(space)
        self.study = optuna.create_study(
            study_name=f"hpobench-{library_seed(seed)}",
            direction="minimize",
            sampler=self._sampler(library_seed(seed)),
            pruner=self._pruner(),
        )
        self._open: dict[int, object] = {}  # our trial id -> optuna Trial

    def _sampler(self, seed: int):  # pragma: no cover - overridden
        raise NotImplementedError

    def _pruner(self):
        return self._optuna.pruners.NopPruner()

    def _suggest(self, ot) -> dict:
        """Define-by-run: suggest every active parameter of the space, parents first."""
        raw: dict = {}
        config: dict = {}
        for fp, p in zip(self._flat, self.space.params):
            if not self.space.is_active(p, config):
                continue
            if fp.kind == "categorical":
                raw[fp.name] = ot.suggest_categorical(fp.name, list(fp.labels))
            elif fp.kind == "int":
                raw[fp.name] = ot.suggest_int(fp.name, int(fp.low), int(fp.high), log=fp.log)
            else:
                raw[fp.name] = ot.suggest_float(fp.name, float(fp.low), float(fp.high), log=fp.log)
            config = decode(self.space, raw, partial=True)
        return config

    def _ask(self) -> Trial:
        ot = self.study.ask()
        config = self._suggest(ot)
        self._open[self._next_id] = ot
        return self.new_trial(config, optuna_trial=ot.number)

    def _tell(self, trial: Trial, result: Result) -> None:
        ot = self._open.pop(trial.id)
        if result.ok:
            self.study.tell(ot, float(result.loss))
        else:
            self.study.tell(ot, state=self._optuna.trial.TrialState.FAIL)


class OptunaTPE(_OptunaSampler):
    """Optuna's TPESampler (library defaults: univariate, 10 random start-up trials)."""

    name = "optuna-tpe"

    def _sampler(self, seed: int):
        return self._optuna.samplers.TPESampler(seed=seed)


class OptunaGP(_OptunaSampler):
    """Optuna's GPSampler (Matérn-5/2 GP fitted by marginal likelihood, log EI; needs torch)."""

    name = "optuna-gp"
    peer_modules = ("optuna", "torch")

    def _sampler(self, seed: int):
        # Conditional parameters go to its independent sampler (as Optuna documents); the
        # per-trial warning would flood a study's output.
        return self._optuna.samplers.GPSampler(seed=seed, warn_independent_sampling=False)


class OptunaCmaEs(_OptunaSampler):
    """Optuna's CmaEsSampler (needs the ``cmaes`` package; categoricals and conditional
    parameters go to its independent random sampler, as in Optuna)."""

    name = "optuna-cmaes"
    peer_modules = ("optuna", "cmaes")
    space_notes = (
        "conditions native (define-by-run; conditional and categorical parameters are sampled at "
        "random, outside CMA-ES); dependent bounds as relative positions"
    )

    def _sampler(self, seed: int):
        import warnings

        with warnings.catch_warnings():  # "CmaEsSampler falls back to RandomSampler for ..." per trial
            warnings.simplefilter("ignore")
            return self._optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)


class OptunaHyperband(OptunaTPE):
    """Optuna's HyperbandPruner (with its default partner, TPESampler) driving continuation.

    Budgets map to Optuna's integer steps: step ``s`` is budget ``s * fidelity.min`` (``min_resource
    = 1``, ``max_resource = round(R / r_min)``, ``reduction_factor = eta``). A new Optuna trial
    lands in a bracket (chosen by the pruner) and is first evaluated at that bracket's first rung;
    after each evaluation the loss is reported at that step and ``trial.should_prune()`` asked.
    Pruned: the trial is told ``PRUNED``. Kept: the next :meth:`ask` continues it to the next rung
    (``resume_from`` = the budget it reached), until it completes at R and is told ``COMPLETE``.
    Continuations are served before new trials. The pruner decides asynchronously against the
    trials that reached the rung so far (the first trial at a rung is always promoted), so this
    is per-bracket asynchronous SH, not the paper's synchronous Hyperband.
    """

    name = "optuna-hyperband"
    capabilities = Capabilities(conditional=True, dependent_bounds=True, multi_fidelity=True, batch=True)

    def __init__(self, space, seed=0, fidelity=None, eta: int = 3):
        if fidelity is None:
            raise ValueError("optuna-hyperband needs a benchmark with a fidelity")
        if int(eta) != eta or eta < 2:
            raise ValueError(f"eta must be an integer >= 2, got {eta}")
        self.eta = int(eta)
        self._steps = max(1, int(round(fidelity.max / fidelity.min)))
        super().__init__(space, seed=seed, fidelity=fidelity)
        self.study.pruner._try_initialization(self.study)  # fixes the brackets before the first trial
        self._ready: deque = deque()  # (optuna trial, config, step reached) promoted, waiting to run

    def _pruner(self):
        return self._optuna.pruners.HyperbandPruner(min_resource=1, max_resource=self._steps, reduction_factor=self.eta)

    def _budget(self, step: int) -> float:
        return min(float(self.fidelity.max), step * float(self.fidelity.min))

    def _next_step(self, ot) -> int:
        """The step at which the pruner next decides on ``ot`` (its bracket's next rung), at most R."""
        pruner = self.study.pruner
        frozen = self.study._storage.get_trial(ot._trial_id)
        bracket = pruner._get_bracket_id(self.study, frozen)
        rung = 0
        while f"completed_rung_{rung}" in frozen.system_attrs:
            rung += 1
        return min(self._steps, self.eta ** (bracket + rung))

    def _ask(self) -> Trial:
        if self._ready:
            ot, config, reached = self._ready.popleft()
        else:
            ot = self.study.ask()
            config, reached = self._suggest(ot), 0
        step = self._next_step(ot)
        self._open[self._next_id] = ot
        resume = self._budget(reached) if reached else None
        return self.new_trial(config, budget=self._budget(step), resume_from=resume, optuna_trial=ot.number, step=step)

    def _tell(self, trial: Trial, result: Result) -> None:
        ot = self._open.pop(trial.id)
        step = int(trial.info["step"])
        if not result.ok:
            self.study.tell(ot, state=self._optuna.trial.TrialState.FAIL)
            return
        loss = float(result.loss)
        ot.report(loss, step)
        if step >= self._steps:
            self.study.tell(ot, loss)
        elif ot.should_prune():
            self.study.tell(ot, state=self._optuna.trial.TrialState.PRUNED)
        else:
            self._ready.append((ot, trial.config, step))

