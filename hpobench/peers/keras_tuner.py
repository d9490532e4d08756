"""Keras Tuner's oracles driven through ``create_trial`` / ``update_trial`` / ``end_trial``, the
calls a Keras Tuner ``Tuner`` makes; no model is built and no Keras training loop runs.

* ``keras-tuner-hyperband``: ``HyperbandOracle`` (Li et al.'s Hyperband, eta = ``factor`` = 3,
  ``hyperband_iterations`` unbounded). Its trials carry ``tuner/epochs`` (the budget to train
  to) and, for a configuration promoted from the previous round, ``tuner/initial_epoch`` and
  ``tuner/trial_id`` (the trial to continue). Epochs map to budgets as ``epochs * fidelity.min``
  (``max_epochs = round(R / r_min)``); a promoted trial becomes our Trial with ``resume_from`` =
  its initial epoch's budget. Keras Tuner's Hyperband waits for a round to finish before
  promoting; :meth:`ask` then returns ``None`` (status ``IDLE``).
* ``keras-tuner-bayesian``: ``BayesianOptimizationOracle`` (scikit-learn GP, Matérn-5/2, UCB
  with beta = 2.6, 3 random points per dimension first).

The space becomes a ``keras_tuner.HyperParameters`` with native conditions
(``conditional_scope``; nested for nested conditions); dependent bounds as relative positions.
Keras Tuner imports Keras 3, which needs a back-end: with no ``KERAS_BACKEND`` set, the adapter
sets ``torch`` (so TensorFlow is not needed). The oracle writes JSON files for every trial into
a project directory: it gets a private temporary one, removed with the adapter. Oracle seeds are
``seed + 1`` (Keras Tuner replaces a seed of 0 by a random one). A failed evaluation ends its
trial ``FAILED``; the limit on consecutive failures is lifted.
"""

from __future__ import annotations

import contextlib
import os

from ..benchmarks.base import Result
from ..optimizers.base import Capabilities, Trial
from .base import PeerOptimizer, ScratchDir, library_seed
from .translate import decode, flat_params

__all__ = ["KerasTunerBayesian", "KerasTunerHyperband", "keras_tuner_space"]

_OBJECTIVE = "loss"


def _import_keras_tuner():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras_tuner

    return keras_tuner


def keras_tuner_space(space):
    """``space`` as ``keras_tuner.HyperParameters`` (conditions as nested conditional scopes)."""
    kt = _import_keras_tuner()
    hp = kt.HyperParameters()
    flat = {fp.name: fp for fp in flat_params(space)}
    for fp in flat.values():
        chain = []
        parent = fp
        while parent.condition is not None:
            chain.append(parent.condition)
            parent = flat[parent.condition.parent]
        with contextlib.ExitStack() as stack:
            for cond in reversed(chain):
                stack.enter_context(hp.conditional_scope(cond.parent, list(cond.values)))
            if fp.kind == "categorical":
                hp.Choice(fp.name, list(fp.labels), ordered=False)
            elif fp.kind == "int":
                hp.Int(fp.name, int(fp.low), int(fp.high), sampling="log" if fp.log else "linear")
            else:
                hp.Float(fp.name, float(fp.low), float(fp.high), sampling="log" if fp.log else "linear")
    return hp


class _KerasTuner(PeerOptimizer):
    peer_library = "keras-tuner"
    peer_modules = ("keras_tuner", "keras", "torch")
    peer_extra = "keras-tuner"
    space_notes = "conditions native (conditional_scope); dependent bounds as relative positions in [0, 1]"
    capabilities = Capabilities(conditional=True, dependent_bounds=True, multi_fidelity=False, batch=True)

    @classmethod
    def require(cls) -> None:
        os.environ.setdefault("KERAS_BACKEND", "torch")  # before Keras is first imported
        super().require()

    def __init__(self, space, seed=0, fidelity=None):
        super().__init__(space, seed=seed, fidelity=fidelity)
        kt = _import_keras_tuner()
        self._kt = kt
        self._scratch = ScratchDir(self.name)
        self.oracle = self._oracle(kt, keras_tuner_space(space), library_seed(seed) + 1)
        self.oracle._set_project_dir(self._scratch.path, "oracle")
        self.oracle.verbose = 0  # no per-trial table on stdout
        self._open: dict[int, object] = {}

    def _oracle(self, kt, hp, seed):  # pragma: no cover - overridden
        raise NotImplementedError

    def _common(self, kt) -> dict:
        return {
            "objective": kt.Objective(_OBJECTIVE, direction="min"),
            "max_retries_per_trial": 0,
            "max_consecutive_failed_trials": 2**62,
        }

    def _ask(self) -> Trial | None:
        kt_trial = self.oracle.create_trial(f"ask-{self._next_id}")
        if kt_trial.status != "RUNNING":
            return None  # IDLE: waiting for the round's results; STOPPED: nothing more
        self._open[self._next_id] = kt_trial
        values = kt_trial.hyperparameters.values
        config = decode(self.space, {k: v for k, v in values.items() if not k.startswith("tuner/")})
        return self._trial(config, kt_trial)

    def _trial(self, config: dict, kt_trial) -> Trial:
        return self.new_trial(config, kt_trial=kt_trial.trial_id)

    def _tell(self, trial: Trial, result: Result) -> None:
        kt_trial = self._open.pop(trial.id)
        if result.ok:
            self.oracle.update_trial(kt_trial.trial_id, {_OBJECTIVE: float(result.loss)}, step=int(trial.info.get("epochs", 0)))
            kt_trial.status = "COMPLETED"
        else:
            kt_trial.status = "FAILED"
        self.oracle.end_trial(kt_trial)


class KerasTunerBayesian(_KerasTuner):
    """Keras Tuner's BayesianOptimizationOracle (GP + UCB, library defaults)."""

    name = "keras-tuner-bayesian"

    def _oracle(self, kt, hp, seed):
        return kt.oracles.BayesianOptimizationOracle(max_trials=10**9, seed=seed, hyperparameters=hp, **self._common(kt))


class KerasTunerHyperband(_KerasTuner):
    """Keras Tuner's HyperbandOracle (synchronous rounds, factor 3, continuation of promoted trials)."""

    name = "keras-tuner-hyperband"
    capabilities = Capabilities(conditional=True, dependent_bounds=True, multi_fidelity=True, batch=True)

    def __init__(self, space, seed=0, fidelity=None, eta: int = 3):
        if fidelity is None:
            raise ValueError("keras-tuner-hyperband needs a benchmark with a fidelity")
        self.eta = int(eta)
        self._epochs = max(1, int(round(fidelity.max / fidelity.min)))
        super().__init__(space, seed=seed, fidelity=fidelity)

    def _oracle(self, kt, hp, seed):
        return kt.oracles.HyperbandOracle(
            max_epochs=self._epochs, factor=self.eta, hyperband_iterations=None, seed=seed, hyperparameters=hp, **self._common(kt)
        )

    def _budget(self, epochs: int) -> float:
        return min(float(self.fidelity.max), max(float(self.fidelity.min), epochs * float(self.fidelity.min)))

    def _trial(self, config: dict, kt_trial) -> Trial:
        values = kt_trial.hyperparameters.values
        epochs = int(values["tuner/epochs"])
        initial = int(values.get("tuner/initial_epoch", 0) or 0)
        resume = self._budget(initial) if initial > 0 else None
        return self.new_trial(
            config, budget=self._budget(epochs), resume_from=resume, kt_trial=kt_trial.trial_id, epochs=epochs,
            bracket=int(values.get("tuner/bracket", 0)), round=int(values.get("tuner/round", 0)),
        )
