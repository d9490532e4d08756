"""SMAC's random forest: per-tree bootstrap samples, a random subset of features per split, and a
predictive distribution from the spread of the trees' predictions (Hutter, Hoos &
Leyton-Brown 2011, section 4.3; SMAC3 ``RandomForest``).

Example:
    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((30, 2)); y = X[:, 0] ** 2
    >>> mean, var = RandomForestSurrogate(rng=0).fit(X, y).predict(X[:3])
    >>> mean.shape, bool(np.all(var >= 0))
    ((3,), True)
"""

from __future__ import annotations

import numpy as np
from sklearn.tree import DecisionTreeRegressor

__all__ = ["RandomForestSurrogate"]


class RandomForestSurrogate:
    """A random forest regressor with SMAC's predictive distribution.

    Each of ``n_trees`` scikit-learn regression trees is fitted on its own bootstrap sample
    (drawn here, from ``rng``, so the sample of every tree is known) and considers
    ``ratio_features`` of the features at each split. A prediction is the per-tree leaf values:
    mean = their mean, variance = their (population) variance across trees, as in SMAC.

    With ``log_y`` the targets are log costs and a leaf stores log(mean(exp(y))) over its
    training points, so it represents the mean cost in the original space (SMAC3 ``log_y``).

    Args:
        n_trees: number of trees.
        ratio_features: fraction of the features considered at each split.
        min_samples_split: a node splits only if it holds at least this many points.
        min_samples_leaf: minimum number of points in a leaf.
        max_depth: depth limit (None: unlimited).
        bootstrap: draw each tree's data with replacement (otherwise all points).
        log_y: targets are log costs (see above).
        rng: source of the bootstrap samples and of the trees' ``random_state``.
    """

    def __init__(
        self,
        n_trees: int = 10,
        ratio_features: float = 5.0 / 6.0,
        min_samples_split: int = 10,
        min_samples_leaf: int = 1,
        max_depth: int | None = None,
        bootstrap: bool = True,
        log_y: bool = False,
        rng: np.random.Generator | int | None = None,
    ):
        if n_trees < 1:
            raise ValueError(f"n_trees must be >= 1, got {n_trees}")
        if not 0.0 < ratio_features <= 1.0:
            raise ValueError(f"ratio_features must be in (0, 1], got {ratio_features}")
        self.n_trees = int(n_trees)
        self.ratio_features = float(ratio_features)
        self.min_samples_split = int(min_samples_split)
        self.min_samples_leaf = int(min_samples_leaf)
        self.max_depth = max_depth
        self.bootstrap = bool(bootstrap)
        self.log_y = bool(log_y)
        self.rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        self.estimators_: list[DecisionTreeRegressor] = []
        #: Per tree, the indices of the training points it was fitted on.
        self.samples_: list[np.ndarray] = []
        self._leaf_values: list[np.ndarray] = []

    def fit(self, X: np.ndarray, y: np.ndarray) -> RandomForestSurrogate:
        """Fit on features ``X`` (n, d) and targets ``y`` (n,)."""
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        n = len(y)
        if n == 0:
            raise ValueError("cannot fit a random forest on no data")
        X32 = np.ascontiguousarray(X, dtype=np.float32)
        max_features = None if self.ratio_features >= 1.0 else self.ratio_features
        self.estimators_, self.samples_, self._leaf_values = [], [], []
        for _ in range(self.n_trees):
            idx = self.rng.integers(0, n, size=n) if self.bootstrap else np.arange(n)
            tree = DecisionTreeRegressor(
                min_samples_split=max(2, self.min_samples_split),
                min_samples_leaf=max(1, self.min_samples_leaf),
                max_features=max_features,
                max_depth=self.max_depth,
                random_state=int(self.rng.integers(2**31 - 1)),
            )
            tree.fit(X[idx], y[idx])
            if self.log_y:
                # Leaf value = log of the mean of exp(y) over the leaf's (bootstrapped) points.
                leaves = tree.tree_.apply(X32[idx])
                shift = float(np.max(y[idx]))
                sums = np.bincount(leaves, weights=np.exp(y[idx] - shift), minlength=tree.tree_.node_count)
                counts = np.bincount(leaves, minlength=tree.tree_.node_count)
                values = np.zeros(tree.tree_.node_count)
                used = counts > 0
                values[used] = np.log(sums[used] / counts[used]) + shift
            else:
                values = tree.tree_.value[:, 0, 0].astype(float)
            self.estimators_.append(tree)
            self.samples_.append(idx)
            self._leaf_values.append(values)
        return self

    def predict_trees(self, X: np.ndarray) -> np.ndarray:
        """Per-tree predictions, shape (n_trees, n)."""
        if not self.estimators_:
            raise RuntimeError("the forest is not fitted")
        X32 = np.ascontiguousarray(np.atleast_2d(X), dtype=np.float32)
        # tree_.apply skips scikit-learn's per-call validation, which dominates for small batches.
        return np.stack([vals[tree.tree_.apply(X32)] for tree, vals in zip(self.estimators_, self._leaf_values)])

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance across trees, each of shape (n,)."""
        preds = self.predict_trees(X)
        return preds.mean(axis=0), preds.var(axis=0)
