"""SMAC's local search: parallel hill-climbing on the acquisition function over the one-exchange
neighbourhood (Hutter, Hoos & Leyton-Brown 2011, section 4.3; SMAC3 ``LocalSearch``).

Example:
    >>> import numpy as np
    >>> from hpobench.space import Float, Space
    >>> space = Space([Float("x", 0.0, 1.0)])
    >>> from hpobench.optimizers.smac.features import Featurizer
    >>> U, F, a = local_search(space, Featurizer(space), np.array([[0.2]]), lambda F: -abs(F[:, 0] - 0.5),
    ...                        np.random.default_rng(0), std=0.1)
    >>> bool(abs(U[0, 0] - 0.5) < 0.1)
    True
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ...space import Space
from .features import Featurizer

__all__ = ["local_search"]


def local_search(space: Space, featurize: Featurizer, U0: np.ndarray, acq: Callable[[np.ndarray], np.ndarray],
                 rng: np.random.Generator, n_neighbours: int = 4, std: float = 0.2,
                 n_steps_plateau_walk: int = 10, max_steps: int = 100) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hill-climb every start in parallel: move to the best neighbour while it improves the
    acquisition; a move to an equally good neighbour counts against ``n_steps_plateau_walk``.

    Args:
        space: the search space (its :meth:`~hpobench.space.Space.neighbors_array`).
        featurize: the forest's feature encoding.
        U0: (m, D) raw cube points to start from.
        acq: acquisition on features, higher is better.
        rng: source of the neighbours and of the tie-breaks.
        n_neighbours: Gaussian neighbours per numeric parameter.
        std: their standard deviation in the unit encoding.
        n_steps_plateau_walk: equal-value moves allowed before a search stops.
        max_steps: hard cap on the steps of one search.

    Returns:
        The end points (m, D), their features and acquisition values.
    """
    U = U0.copy()
    F = featurize(U)
    a = acq(F)
    plateau = np.zeros(len(U), dtype=int)
    running = np.ones(len(U), dtype=bool)
    for _ in range(int(max_steps)):
        idx = np.flatnonzero(running)
        if len(idx) == 0:
            break
        U_nb, own = space.neighbors_array(U[idx], rng, n_numeric=int(n_neighbours), std=std)
        if len(U_nb) == 0:
            break
        F_nb = featurize(U_nb)
        # Drop neighbours that decode to the point itself (integers that round back).
        differs = np.any(np.abs(F_nb - F[idx][own]) > 1e-12, axis=1)
        U_nb, F_nb, own = U_nb[differs], F_nb[differs], own[differs]
        a_nb = acq(F_nb) if len(F_nb) else np.empty(0)
        # Best neighbour per search (random tie-break): sort by owner, then value descending.
        order = np.lexsort((rng.random(len(a_nb)), -a_nb, own))
        first = np.ones(len(order), dtype=bool)
        first[1:] = own[order][1:] != own[order][:-1]
        best = order[first]
        moved_any = np.zeros(len(idx), dtype=bool)
        for b in best:
            i_local = own[b]
            i = idx[i_local]
            if a_nb[b] > a[i]:
                plateau[i] = 0
            elif a_nb[b] == a[i] and plateau[i] < n_steps_plateau_walk:
                plateau[i] += 1
            else:
                continue
            U[i], F[i], a[i] = U_nb[b], F_nb[b], a_nb[b]
            moved_any[i_local] = True
        running[idx[~moved_any]] = False
    return U, F, a
