"""DEHB (Awad, Mallik, Hutter, IJCAI 2021) driven through ``DEHB.ask`` / ``DEHB.tell``.

DEHB evolves vectors in the unit cube. It is given the cube of our own encoding
(``configspace=False``, one dimension per parameter) and each proposed vector is decoded with
:meth:`hpobench.space.Space.decode`, which applies log scales, integer rounding, categoricals,
conditions (inactive dimensions are ignored) and dependent bounds (a dependent parameter's
coordinate is its position within the bounds its parents allow). This is exactly what DEHB does
with a ConfigSpace, with our decoding in place of ConfigSpace's.

Budgets: ``min_fidelity`` / ``max_fidelity`` are the benchmark's minimum and R, ``eta = 3``.
DEHB does not continue configurations (a promoted configuration is re-evaluated from scratch at
the larger budget; ``resume_from`` stays ``None``). A failed evaluation is told with fitness
``inf``. DEHB writes a log file and checkpoints into an output directory: it gets a private
temporary one, its loguru file sink is removed again, and checkpoints are off (``save_freq="end"``
only saves at the end of DEHB's own ``run`` loop, which is never called).
"""

from __future__ import annotations

import math

import numpy as np

from ..benchmarks.base import Result
from ..optimizers.base import Capabilities, Trial
from .base import PeerOptimizer, ScratchDir, library_seed

__all__ = ["DEHBOptimizer"]


class DEHBOptimizer(PeerOptimizer):
    """DEHB: differential evolution inside Hyperband's brackets (library defaults: mutation 0.5,
    crossover 0.5, ``rand1_bin``, asynchronous ``immediate`` strategy)."""

    name = "dehb-automl"
    peer_library = "dehb"
    peer_modules = ("dehb",)
    peer_extra = "dehb"
    space_notes = "DEHB searches our unit-cube encoding, so conditions and dependent bounds are exact"
    capabilities = Capabilities(conditional=True, dependent_bounds=True, multi_fidelity=True, batch=True)

    def __init__(self, space, seed=0, fidelity=None, eta: int = 3):
        if fidelity is None:
            raise ValueError("dehb needs a benchmark with a fidelity")
        super().__init__(space, seed=seed, fidelity=fidelity)
        from dehb import DEHB
        from loguru import logger

        self._scratch = ScratchDir("dehb")
        before = set(logger._core.handlers)  # DEHB adds a file sink per instance; removed below
        self.dehb = DEHB(
            f=None, cs=None, dimensions=len(space), min_fidelity=float(fidelity.min),
            max_fidelity=float(fidelity.max), eta=int(eta), n_workers=1, seed=library_seed(seed),
            output_path=self._scratch.path, save_freq="end",
        )
        for handler_id in set(logger._core.handlers) - before:
            logger.remove(handler_id)
        self._jobs: dict[int, dict] = {}

    def _ask(self) -> Trial:
        job = self.dehb.ask()
        self._jobs[self._next_id] = job
        vector = np.clip(np.asarray(job["config"], dtype=float), 0.0, 1.0)
        budget = min(float(self.fidelity.max), max(float(self.fidelity.min), float(job["fidelity"])))
        return self.new_trial(self.space.decode(vector), budget=budget, bracket=int(job["bracket_id"]))

    def _tell(self, trial: Trial, result: Result) -> None:
        job = self._jobs.pop(trial.id)
        fitness = float(result.loss) if result.ok else math.inf
        self.dehb.tell(job, {"fitness": fitness, "cost": float(result.cost or 0.0)})
