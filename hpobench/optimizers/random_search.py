"""Random search (Bergstra & Bengio, JMLR 2012): i.i.d. draws from the prior of each parameter."""

from __future__ import annotations

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
