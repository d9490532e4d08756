"""Ray Tune's ASHA scheduler (``AsyncHyperBandScheduler``) making the promotion decisions in
our ask/tell loop.

Ray Tune has no ask/tell API: its schedulers are called by Ray's ``TuneController`` with
``on_trial_add`` / ``on_trial_result`` / ``on_trial_complete``. ``AsyncHyperBandScheduler``
reads nothing from the controller but the trial's id, so the adapter makes exactly those calls,
with Ray's own ``Trial`` objects (``stub=True``: no trainable is registered and no Ray cluster
is started), and runs the trials rung by rung as :mod:`hpobench.peers.stepping` describes (the
stopping-type ASHA of Li et al. 2018; ``grace_period = 1`` level, ``reduction_factor = eta = 3``,
one bracket, Ray's defaults otherwise). Configurations are Ray's random search: each parameter
drawn with Ray's ``tune.uniform`` / ``loguniform`` / ``randint`` / ``lograndint`` / ``choice``
samplers from a seeded ``numpy.random.RandomState`` (what ``BasicVariantGenerator`` does with
a ``random_state``). Ray has no conditions and no dependent bounds: the flat view of
:mod:`hpobench.peers.translate` is used.

Deviation: Ray's own loop is not run, so Ray's placement, concurrency and checkpointing play no
part; the decisions are Ray's scheduler code. ``on_trial_add`` draws the bracket with
``np.random.choice``; with one bracket that choice is fixed (reproducible, but NumPy's global RNG
advances). Ray Tune's synchronous ``HyperBandScheduler`` pauses and unpauses trials through the
controller, so ``ray-hyperband`` runs Ray's own loop instead (:mod:`hpobench.peers.ray_loop`).
"""

from __future__ import annotations

import numpy as np

from .base import library_seed
from .stepping import SteppingPeer
from .translate import flat_params

__all__ = ["RayASHA", "ray_space"]

_METRIC, _LEVEL = "loss", "training_iteration"


def ray_space(space) -> dict:
    """The flat view of ``space`` as Ray Tune search-space domains."""
    from ray import tune

    out = {}
    for fp in flat_params(space):
        if fp.kind == "categorical":
            out[fp.name] = tune.choice(list(fp.labels))
        elif fp.kind == "int":
            # Ray's randint excludes the upper bound.
            out[fp.name] = (tune.lograndint if fp.log else tune.randint)(int(fp.low), int(fp.high) + 1)
        else:
            out[fp.name] = (tune.loguniform if fp.log else tune.uniform)(float(fp.low), float(fp.high))
    return out


class RayASHA(SteppingPeer):
    """Ray Tune's ASHA (``AsyncHyperBandScheduler``), random search, one bracket."""

    name = "ray-asha"
    peer_library = "ray"
    peer_modules = ("ray.tune",)
    peer_extra = "ray"
    space_notes = "no conditions (inactive parameters sampled, dropped after decoding); dependent bounds as relative positions"

    def __init__(self, space, seed=0, fidelity=None, eta: int = 3):
        super().__init__(space, seed=seed, fidelity=fidelity, eta=eta)
        from ray.tune.schedulers import AsyncHyperBandScheduler

        self.scheduler = AsyncHyperBandScheduler(
            time_attr=_LEVEL, metric=_METRIC, mode="min", max_t=self.max_level, grace_period=1,
            reduction_factor=self.eta, brackets=1,
        )
        self._milestones = sorted(int(m) for m, _ in self.scheduler._brackets[0]._rungs)
        self._domains = ray_space(space)
        self._random_state = np.random.RandomState(library_seed(seed))
        self._ray_ids = 0

    def _start(self):
        from ray.tune.experiment import Trial as RayTrial

        config = {k: d.sample(random_state=self._random_state) for k, d in self._domains.items()}
        trial = RayTrial("hpobench", config=config, trial_id=f"{self._ray_ids:05d}", stub=True)
        self._ray_ids += 1
        self.scheduler.on_trial_add(None, trial)
        return trial, config

    def _report(self, trial, loss, level):
        from ray.tune.schedulers import TrialScheduler

        return self.scheduler.on_trial_result(None, trial, {_METRIC: loss, _LEVEL: level}) == TrialScheduler.CONTINUE

    def _complete(self, trial, loss, level):
        self.scheduler.on_trial_complete(None, trial, {_METRIC: loss, _LEVEL: level})

    def _stopped(self, trial):
        self.scheduler.on_trial_remove(None, trial)

    def _failed(self, trial):
        self.scheduler.on_trial_remove(None, trial)
