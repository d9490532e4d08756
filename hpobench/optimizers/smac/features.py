"""SMAC's feature encoding of configurations for the random forest.

A raw point u of the unit cube decodes to a configuration exactly as
:meth:`hpobench.space.Space.decode` does (vectorized by :meth:`Space.decode_array`); its
feature vector has, per parameter, the canonical unit position of the decoded value for numeric
parameters, the choice index for categoricals (the forest splits on the index like an ordinal),
and -1 when the parameter is inactive (SMAC3 imputes -1, outside [0, 1]).

Example:
    >>> import numpy as np
    >>> from hpobench.space import Categorical, Float, Space
    >>> fz = Featurizer(Space([Categorical("k", ["a", "b"]), Float("x", 0.0, 1.0, condition=("k", "b"))]))
    >>> fz(np.array([[0.2, 0.7], [0.9, 0.7]])).tolist()
    [[0.0, -1.0], [1.0, 0.7]]
"""

from __future__ import annotations

import numpy as np

from ...space import Categorical, Space

__all__ = ["INACTIVE_FEATURE", "Featurizer", "feature_keys"]

#: Feature value of an inactive conditional parameter (SMAC3 imputes -1, outside [0, 1]).
INACTIVE_FEATURE = -1.0


class Featurizer:
    """Maps many raw cube points (n, D) to SMAC's features (n, D) in one vectorized pass."""

    def __init__(self, space: Space):
        self.space = space
        self.is_cat = np.array([isinstance(p, Categorical) for p in space.params], dtype=bool)

    def __call__(self, U: np.ndarray) -> np.ndarray:
        values, unit = self.space.decode_array(U)
        F = np.where(self.is_cat, values, unit)
        F[np.isnan(values)] = INACTIVE_FEATURE
        return F


def feature_keys(F: np.ndarray) -> list[bytes]:
    """Hashable identities of feature rows (rounded so float noise does not matter)."""
    R = np.ascontiguousarray(np.round(F, 9) + 0.0)  # + 0.0 turns -0.0 into 0.0
    return [r.tobytes() for r in R]
