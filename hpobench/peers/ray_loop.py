"""Ray Tune's synchronous Hyperband (``HyperBandScheduler``) in Ray's own loop.

Ray's ``HyperBandScheduler`` pauses, unpauses and stops trials through Ray's ``TuneController``
and reads their run states, so it only works inside Ray's loop. ``ray-hyperband`` therefore owns
its loop (``capabilities.owns_loop``): :meth:`RayHyperband.run_loop` runs a real
``ray.tune.Tuner`` on a local Ray instance, with

* the benchmark as a *function trainable* that reports once per unit of the fidelity (level
  ``s`` is budget ``s * fidelity.min``; ``max_t = round(R / r_min)``), each report being one
  evaluation ``Trial(budget=s * r_min, resume_from=(s - 1) * r_min)`` run with the runner's own
  evaluation code in the Ray worker, and saving its level in a Ray checkpoint so that a trial
  Ray pauses at a rung continues, when Ray resumes it, from the level it reached;
* ``HyperBandScheduler(time_attr="training_iteration", max_t, reduction_factor=eta)``, Ray's
  defaults otherwise (``stop_last_trials=True``);
* Ray's random search (``BasicVariantGenerator``) seeded with the run's seed, over the flat
  view of the space (:func:`hpobench.peers.ray.ray_space`: no conditions, dependent bounds as
  relative positions);
* one trial at a time (the Ray instance gets one CPU, each trial needs one), as every other run
  here evaluates sequentially;
* a ``Callback`` that hands each reported evaluation to the runner's
  :class:`~hpobench.runner.OwnedLoop` (so it is logged like any other evaluation, with its budget
  and its continuation), and a ``Stopper`` that ends the experiment once the run's budget is used.

The log's ``optimizer_time`` of an evaluation is Ray's own time for it: the wall time since the
previous report, less the evaluation itself (scheduling, actor start, checkpointing).

Not supported: continuing a partly written log (Ray's loop does not replay through ask/tell;
``capabilities.resumable`` is False, and ``--resume`` refuses such a log with one line), and
parallel evaluations inside a run. Ray does not make the run fully deterministic: see
docs/peers.md.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
import time

from ..optimizers.base import Capabilities, Trial
from .base import PeerOptimizer, ScratchDir, library_seed, unit_levels
from .ray import ray_space
from .translate import decode

__all__ = ["RayHyperband"]

_STATE_FILE = "hpobench-level.json"


def _train(config: dict, *, evaluate, space, r_min: float, R: float, max_level: int) -> None:
    """Ray function trainable: evaluate one unit of the fidelity more per report, from the
    level saved in the trial's checkpoint (a trial Ray paused and resumed continues)."""
    from ray import tune

    level = 0
    checkpoint = tune.get_checkpoint()
    if checkpoint is not None:
        with checkpoint.as_directory() as folder:
            with open(os.path.join(folder, _STATE_FILE)) as fh:
                level = int(json.load(fh)["level"])
    ours = decode(space, config)
    while level < max_level:
        nxt = level + 1
        trial = Trial(0, ours, budget=min(R, nxt * r_min), resume_from=min(R, level * r_min) if level else None, info={"level": nxt})
        record, result, worker, wall = evaluate(trial)
        level = nxt
        with tempfile.TemporaryDirectory() as folder:
            with open(os.path.join(folder, _STATE_FILE), "w") as fh:
                json.dump({"level": level}, fh)
            tune.report(
                {
                    # Ray's scheduler compares this; a failed evaluation ranks last.
                    "loss": float(result.loss) if result.ok else math.inf,
                    "hpobench": json.dumps({"record": record, "worker": worker, "wall": wall}),
                },
                checkpoint=tune.Checkpoint.from_directory(folder),
            )


class RayHyperband(PeerOptimizer):
    """Ray Tune's synchronous Hyperband (``HyperBandScheduler``) with Ray's random search, run in
    Ray's own loop (``Tuner.fit``) with the benchmark as a function trainable."""

    name = "ray-hyperband"
    peer_library = "ray"
    peer_modules = ("ray.tune",)
    peer_extra = "ray"
    space_notes = "no conditions (inactive parameters sampled, dropped after decoding); dependent bounds as relative positions"
    reproducibility = "Ray's trial ids, timings and log directories differ between runs; with one trial at a time the sequence of evaluations is Ray's scheduler's, given the seeded searcher"
    capabilities = Capabilities(
        conditional=True, dependent_bounds=True, multi_fidelity=True, batch=False, owns_loop=True, resumable=False
    )

    def __init__(self, space, seed=0, fidelity=None, eta: int = 3):
        eta, max_level = unit_levels(self.name, fidelity, eta)
        super().__init__(space, seed=seed, fidelity=fidelity)
        self.eta, self.max_level = eta, max_level

    def _ask(self):
        raise NotImplementedError(f"{self.name} runs Ray Tune's own loop (capabilities.owns_loop); use hpobench.runner.run")

    def describe_plan(self) -> str:
        return (
            f"Ray Tune HyperBandScheduler in Ray's loop: max_t={self.max_level} units of {self.fidelity.min:g}, "
            f"reduction_factor={self.eta}, one trial at a time, reports every unit"
        )

    def _max_trials(self, loop) -> int:
        """How many Ray trials the searcher may create: enough for the run's budget (each trial
        uses at least one unit); the ``Stopper`` ends the experiment when the budget is used."""
        if loop.budget.kind == "evaluations":
            return int(loop.budget.amount)
        if loop.budget.kind == "resource":
            return max(1, math.ceil(loop.budget.amount * loop.R / float(self.fidelity.min)))
        return 100_000

    def run_loop(self, loop) -> None:
        import ray

        if not ray.is_initialized():
            # One CPU: one trial at a time. A small object store: only the trainable's arguments go there.
            ray.init(
                num_cpus=1, include_dashboard=False, log_to_driver=False, configure_logging=False,
                object_store_memory=100 * 1024 * 1024,
            )
        scratch = ScratchDir(self.name)
        # Ray pickles the Tuner's callbacks and stopper (for its restore files): they hold a key
        # into ray_hooks.LIVE, not the loop, whose log file cannot be pickled.
        from . import ray_hooks

        key = f"{id(self)}-{id(loop)}"
        ray_hooks.LIVE[key] = (self, loop, {"last": time.perf_counter()})
        try:
            self._fit(key, loop, scratch.path)
        finally:
            ray_hooks.LIVE.pop(key, None)

    def _fit(self, key: str, loop, storage: str) -> None:
        from ray import tune
        from ray.tune.schedulers import HyperBandScheduler
        from ray.tune.search import BasicVariantGenerator

        from .ray_hooks import BudgetStop, LogEvaluations

        trainable = tune.with_resources(
            tune.with_parameters(
                _train, evaluate=loop.evaluate, space=self.space, r_min=float(self.fidelity.min),
                R=float(self.fidelity.max), max_level=self.max_level,
            ),
            {"cpu": 1},
        )
        scheduler = HyperBandScheduler(
            time_attr="training_iteration", metric="loss", mode="min", max_t=self.max_level, reduction_factor=self.eta
        )
        searcher = BasicVariantGenerator(random_state=library_seed(self.seed))
        tuner = tune.Tuner(
            trainable,
            param_space=ray_space(self.space),
            tune_config=tune.TuneConfig(scheduler=scheduler, search_alg=searcher, num_samples=self._max_trials(loop), reuse_actors=True),
            run_config=tune.RunConfig(
                name=f"hpobench-seed-{self.seed}", storage_path=storage, stop=BudgetStop(key), callbacks=[LogEvaluations(key)],
                verbose=0, log_to_file=False,
            ),
        )
        # Ray warns about every trial it created but never started (the budget ended first), and
        # its new console output prints an experiment banner even at verbose=0: the runner's log
        # and progress are the record, so both are silenced for the fit.
        quiet = [logging.getLogger(name) for name in ("ray.tune", "ray.train")]
        levels = [logger.level for logger in quiet]
        # Ray's default CSV/JSON/TensorBoard result loggers are turned off too (the runner's log
        # is the record; their writer threads also complained when a Dask worker exited).
        settings = {"RAY_AIR_NEW_OUTPUT": "0", "TUNE_DISABLE_AUTO_CALLBACK_LOGGERS": "1"}
        saved = {k: os.environ.get(k) for k in settings}
        os.environ.update(settings)
        for logger in quiet:
            logger.setLevel(logging.ERROR)
        try:
            tuner.fit()
        except RuntimeError as exc:
            # After its loop, Ray builds a ResultGrid of every trial it created; a trial created
            # but never started (the budget ran out first) has no directory, and Ray 2.60 raises
            # "Should not access `trial_fs_path` without setting `trial_dir_name`". By then
            # every evaluation is in our log and the run is complete, so only that case passes.
            if not (loop.done and "trial_dir_name" in str(exc)):
                raise
        finally:
            for logger, level in zip(quiet, levels):
                logger.setLevel(level)
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
