"""hyperopt's random search (``hyperopt.rand.suggest``), the peer of our ``random``.

It reuses our TPE adapter's translation of the space into hyperopt's (conditions nested under
``hp.choice``, dependent bounds as fractions; see :mod:`hpobench.optimizers.tpe`) and its
ask/tell bookkeeping on a ``hyperopt.Trials``, with ``rand.suggest`` in place of
``tpe.suggest``. hyperopt is a core dependency, so this peer is always available.
"""

from __future__ import annotations

import functools

from ..optimizers.tpe import TPE
from .base import PeerOptimizer

__all__ = ["HyperoptRandom"]


class HyperoptRandom(PeerOptimizer, TPE):
    """hyperopt's ``rand.suggest``: i.i.d. draws from hyperopt's prior of the space."""

    name = "hyperopt-rand"
    peer_library = "hyperopt"
    peer_modules = ("hyperopt",)
    peer_extra = "hyperopt"
    space_notes = "conditions native (nested hp.choice); dependent bounds as fractions of the resolved interval"

    def __init__(self, space, seed=0, fidelity=None):
        # Every trial "from the prior" (so the trial info says model="prior", not "tpe").
        super().__init__(space, seed=seed, fidelity=fidelity, n_startup_jobs=2**31 - 1)
        from hyperopt import rand

        self._suggest = functools.partial(rand.suggest)
