"""What the ``gp`` surrogate model is fitted to: normal scores of the targets, and inputs with
rotated pairs of coordinates.

**Normal scores** (:class:`NormalScores`): each target column is replaced by the standard-normal
quantile of its rank, ``Phi^-1((rank - 1/2) / n)`` (ties share their average rank), and a
prediction is mapped back through the same monotone map, interpolated between the recorded
values. The recorded errors at R are heavy-tailed: most LeNet configurations end between 0.8 %
and 3 % error, a few far above. A GP fitted to such values spends its length scales and noise on
the tail; on normal scores every rank step weighs alike, which is what the fidelity criterion
(Spearman rank correlation) measures. This is the Gaussian-copula output transform of Salinas,
Shen and Perrone, "A quantile-based approach for hyperparameter transfer learning" (ICML 2020).
Predictions stay within the recorded range of each column.

**Rotated pairs** (:func:`with_rotated_pairs`): for every pair ``(i, j)`` of ordered, always
active inputs, ``(x_i + x_j) / 2`` and ``(x_i - x_j + 1) / 2`` are appended. An ARD kernel
measures distance along the coordinate axes only; hyperparameters that act through a ratio or a
product (LeNet's learning rate and batch size set the gradient noise together) make ridges along
a diagonal, which the axis-aligned kernel can follow only with short length scales in both
coordinates. With the rotated coordinates beside the original ones, the fitted length scales
choose the directions that matter (a long length scale switches a coordinate off).

Example:
    >>> import numpy as np
    >>> Y = np.array([[0.01], [0.02], [0.02], [0.9]])
    >>> s = NormalScores.fit(Y)
    >>> bool(np.allclose(s.inverse(s.training_scores), Y))
    True
    >>> with_rotated_pairs(np.array([[0.2, 0.6]]), [(0, 1)]).round(2).tolist()
    [[0.2, 0.6, 0.4, 0.3]]
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri
from scipy.stats import rankdata

__all__ = ["NormalScores", "with_rotated_pairs"]


class NormalScores:
    """The per-column rank-to-normal-quantile map of a table of targets, and its inverse."""

    def __init__(self, values: np.ndarray, scores: np.ndarray, training_scores: np.ndarray):
        # per column: the recorded values sorted, and the score of each (non-decreasing)
        self.values, self.scores = values, scores
        #: the scores of the rows the map was fitted on, in their order: the GP's targets
        self.training_scores = training_scores
        n, P = values.shape
        self._n = n
        # one sorted 1-D array for all columns: column p's scores shifted by p * _GAP, so one
        # searchsorted finds every column's interval at once (scores lie within +-6)
        self._offset = _GAP * np.arange(P)
        self._flat = (scores + self._offset).T.ravel()
        self._column_start = n * np.arange(P)
        self._cols = np.arange(P)

    @classmethod
    def fit(cls, Y: np.ndarray) -> "NormalScores":
        """The map of the columns of ``Y`` (n, P); needs ``n >= 1`` and no ``nan``."""
        Y = np.asarray(Y, dtype=float)
        Z = ndtri((rankdata(Y, axis=0) - 0.5) / len(Y))
        order = np.argsort(Y, axis=0, kind="stable")
        return cls(np.take_along_axis(Y, order, axis=0), np.take_along_axis(Z, order, axis=0), Z)

    def inverse(self, Z: np.ndarray) -> np.ndarray:
        """Values of scores ``Z`` (m, P): linear between the recorded values, clipped to their
        range."""
        Z = np.atleast_2d(Z)
        m, P = Z.shape
        n = self._n
        if n == 1:
            return np.broadcast_to(self.values[0], Z.shape).copy()
        Zc = np.clip(Z, self.scores[0], self.scores[-1])
        # position of each score within its column: index of the first recorded score above it
        pos = np.searchsorted(self._flat, (Zc + self._offset).ravel(), side="right").reshape(m, P) - self._column_start
        upper = np.clip(pos, 1, n - 1)
        lower = upper - 1
        z0, z1 = self.scores[lower, self._cols], self.scores[upper, self._cols]
        v0, v1 = self.values[lower, self._cols], self.values[upper, self._cols]
        t = np.clip((Zc - z0) / np.maximum(z1 - z0, 1e-12), 0.0, 1.0)
        return v0 + t * (v1 - v0)


#: Spacing between the columns' scores in :attr:`NormalScores._flat`; the scores of ``n`` rows
#: lie within ``+-ndtri(1 - 1/(2n))``, under 6 for any table that fits in memory.
_GAP = 16.0


def with_rotated_pairs(X: np.ndarray, pairs: list[tuple[int, int]]) -> np.ndarray:
    """``X`` (unit-cube inputs) with ``(x_i + x_j) / 2`` and ``(x_i - x_j + 1) / 2`` appended
    for each pair ``(i, j)``: coordinates still in the unit cube."""
    if not pairs:
        return X
    i, j = np.array(pairs).T
    return np.hstack([X, (X[:, i] + X[:, j]) / 2, (X[:, i] - X[:, j] + 1) / 2])
