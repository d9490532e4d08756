"""Peer adapters: other libraries' optimizers (Optuna, scikit-optimize, SMAC3, hyperopt, Ray Tune,
Keras Tuner, Syne Tune, DEHB) behind hpobench's ask/tell interface, so that ``compare`` runs them
through the same budgets, logs and analysis as ours.

Each library is optional (one extra per library, ``pip install "hpobench[optuna]"``, or
``hpobench[peers]`` for the set that installs together); its adapter module imports it only
when an adapter is built, and raises :class:`MissingPeerError` with the install line if it is
missing. See docs/peers.md.
"""

from __future__ import annotations

from .base import MissingPeerError, PeerOptimizer

__all__ = ["MissingPeerError", "PeerOptimizer"]
