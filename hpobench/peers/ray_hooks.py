"""The Ray Tune callback and stopper through which ``ray-hyperband``'s loop reports to the runner
(:mod:`hpobench.peers.ray_loop`). A module of its own because it imports Ray at the top: Ray
pickles a Tuner's callbacks and stoppers, and classes defined at module level are pickled by
reference; they hold only a key into :data:`LIVE`, never the run's loop and log.
"""

from __future__ import annotations

import json
import time

from ray import tune

from ..runner import _result_from_record

__all__ = ["LIVE", "BudgetStop", "LogEvaluations"]

#: The loops running now, by key: (optimizer, OwnedLoop, {"last": perf_counter of the last report}).
LIVE: dict[str, tuple] = {}


class LogEvaluations(tune.Callback):
    """Hands each reported evaluation to the run's OwnedLoop (runs in the driver process)."""

    def __init__(self, key: str):
        self.key = key

    def on_trial_result(self, iteration, trials, trial, result, **info):
        optimizer, loop, state = LIVE[self.key]
        payload = json.loads(result["hpobench"])
        record, wall = payload["record"], float(payload["wall"])
        now = time.perf_counter()
        ours = optimizer.new_trial(
            record["config"], budget=record["budget_asked"], resume_from=record["resume_from"],
            # Ray's trial ids are "<random>_<index>": the index (creation order) is reproducible.
            level=int(record["info"]["level"]), ray_trial=int(str(trial.trial_id).rsplit("_", 1)[-1]),
        )
        optimizer._next_id += 1
        # Ray's own time for this evaluation: since the previous report, less the evaluation.
        loop.record(ours, record, _result_from_record(record), payload["worker"], max(0.0, now - state["last"] - wall))
        state["last"] = now


class BudgetStop(tune.Stopper):
    """Ends the experiment once the run's budget is used."""

    def __init__(self, key: str):
        self.key = key

    def __call__(self, trial_id, result) -> bool:
        return False

    def stop_all(self) -> bool:
        return LIVE[self.key][1].done
