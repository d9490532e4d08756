"""Random search (Bergstra & Bengio, JMLR 2012): i.i.d. draws from the prior of each parameter."""

from __future__ import annotations

import numpy as np

from .base import Capabilities, Optimizer


class RandomSearch(Optimizer):
    """Sample every configuration independently and uniformly (on each parameter's scale).

    Single-fidelity: every trial runs at the benchmark's maximum budget. Conditional parameters
    and dependent bounds are sampled in declaration order, so every draw is valid.
    """

    name = "random"
    capabilities = Capabilities(conditional=True, dependent_bounds=True, multi_fidelity=False, batch=True)

    def _ask(self):
        return self.space.sample(self.rng)


class RandomTwice(RandomSearch):
    """The paper's "random 2x": random search run at twice the speed.

    The authors paired two random-search trials and placed evaluation j at x = j/2 multiples of
    R (Li et al., JMLR 2018, §4.1), i.e. at any point of the resource axis "random 2x" has seen twice as many
    full-budget configurations as random search. Here every evaluation runs at the maximum
    budget but is charged half of it (``trial.resource_scale = 0.5``), which places the
    points exactly as the authors did, within one seed. Its wall time is not halved: compare it
    on the resource axis, not in seconds.
    """

    name = "random-2x"

    def __init__(self, space, seed=0, fidelity=None):
        super().__init__(space, seed=seed, fidelity=fidelity)
        # Its own stream, independent of `random` with the same seed (the authors paired
        # random-search trials of other seeds), so the two are not copies of each other.
        self.rng = np.random.default_rng(np.random.SeedSequence([0 if seed is None else seed, 2]))

    def _ask(self):
        return self.new_trial(self.space.sample(self.rng), resource_scale=0.5)
