"""The surrogate models: they predict whole learning curves from a configuration.

:class:`CurveData` arranges a recorded table as arrays: one row per recorded curve (a
configuration and a training seed), one column per budget of the recording's grid.

:class:`CurveModel` fits, by default, a multi-output forest of extremely randomized trees
(Geurts et al. 2006: random split thresholds, no bootstrap) over the encoded configuration (the
unit-cube encoding of :meth:`hpobench.space.Space.encode`) whose targets are the whole recorded
curves — the log of validation and test error at every recorded budget — and a second forest
for the log of the seconds curve. A prediction is therefore a (geometric) average of recorded
curves, with their shapes (plateaus, divergence, the double-descent bump of random features);
values between grid budgets are interpolated linearly in log budget, so a configuration's value
at budget ``b`` is one function of ``(config, b)``, whichever path reached ``b``. The log scale
matters for LeNet, whose errors fall from ~0.9 to ~0.01: on the raw scale the early budgets
alone would steer the splits.

``kind="gp"`` fits a Gaussian process to the same errors instead
(:class:`~hpobench.surrogates.gp_model.MultiOutputGP`: one ARD Matern 5/2 kernel shared by all
budgets, a configuration's seeds averaged into one row), on their normal scores and with rotated
pairs of the ordered inputs (:mod:`~hpobench.surrogates.gp_features`); it validates better on
every recorded table, and is the default of the LeNet and random-features surrogates (on the
1,024 kernel-LS configurations its fit takes 20 s, the forest's half a second).

``kind="point"`` instead fits one bootstrap random forest over (encoded configuration, log
budget) rows — the textbook surrogate, kept to compare against (``surrogate validate`` reports
both). Alternatives tried on the recorded kernel-LS table (256 configurations, 5 folds,
Spearman of held-out configurations at R): extra trees on the curves 0.86 (raw or log errors),
a bootstrap random forest on the same targets 0.80, a GP with a Matérn kernel 0.83,
5-nearest neighbours 0.82, the point forest 0.76; on the first 33 LeNet-digits configurations,
log targets 0.47 against 0.03 on the raw scale.

Prediction does not go through scikit-learn: the fitted trees are packed into flat arrays and
walked for all trees at once with numpy (:class:`PackedForest`), which takes tens of microseconds
for one configuration where ``RandomForestRegressor.predict`` takes milliseconds.

Example:
    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((40, 2))
    >>> Y = np.outer(X[:, 0], np.linspace(1, 0.5, 5))       # curves falling with budget
    >>> f = PackedForest.fit(X, Y, n_trees=20, seed=0)
    >>> bool(np.abs(f.predict(X[:3]) - Y[:3]).max() < 0.1)
    True
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import numpy as np

from ..space import Categorical, Space

__all__ = ["CurveData", "SeedNoise", "PackedForest", "CurveModel", "interpolate_log", "error_grid", "FAIL_ERROR", "KINDS", "LOG_EPS"]

#: Offset of the log-error targets, below one misclassification in the validation sets used.
LOG_EPS = 1e-3
#: The surrogate models :class:`CurveModel` can fit.
KINDS = ("curve", "gp", "point")
#: The error a failed evaluation (``nan``) counts as when fitting and scoring: chance level of
#: the ten-class problems recorded.
FAIL_ERROR = 0.9


def error_grid(values: np.ndarray, max_multiple: int = 50, tol: float = 1e-6) -> int | None:
    """The number ``n`` of examples behind recorded error rates: the smallest ``n`` for which
    every finite value is a whole multiple of ``1/n`` (an error counted on ``n`` validation or
    test examples), or None where the values are not on such a grid (a continuous loss).

    Every gap between two values is then a multiple of ``1/n``, so ``n`` is ``j`` over the
    smallest gap for some whole ``j``; ``j`` up to ``max_multiple`` is tried.
    """
    v = np.unique(np.asarray(values, dtype=float)[np.isfinite(values)])
    if len(v) < 2:
        return None
    gap = float(np.diff(v).min())
    for j in range(1, max_multiple + 1):
        n = int(round(j / gap))
        if n >= 1 and np.all(np.abs(v * n - np.round(v * n)) < tol * max(1, n)):
            return n
    return None


@dataclass
class CurveData:
    """A recorded table as arrays.

    Attributes:
        budgets: the recording's budget grid, shape ``(B,)``.
        config_ids: configuration id of each curve, ``(n,)``.
        seeds: training seed of each curve, ``(n,)``.
        configs: the configuration of each curve.
        X: encoded configurations, ``(n, d)``.
        val, test, seconds: ``(n, B)``; ``nan`` where the evaluation failed.
        ordered_dims: the inputs (columns of ``X``) of numeric parameters without a condition:
            ordered and always active, so sums and differences of them mean something.
    """

    budgets: np.ndarray
    config_ids: np.ndarray
    seeds: np.ndarray
    configs: list[dict]
    X: np.ndarray
    val: np.ndarray
    test: np.ndarray
    seconds: np.ndarray
    ordered_dims: tuple[int, ...] = ()

    @classmethod
    def from_rows(cls, rows: list[dict], space: Space, budgets: list[float]) -> "CurveData":
        """Arrange table rows; curves without every budget of the grid are left out."""
        grid = np.asarray(budgets, dtype=float)
        col = {float(b): i for i, b in enumerate(grid)}
        curves: dict[tuple[int, int], dict] = {}
        for r in rows:
            c = curves.setdefault((int(r["config_id"]), int(r["seed"])), {"config": r["config"], "rows": {}})
            c["rows"][col.get(float(r["budget"]), -1)] = r
        keys = sorted(k for k, c in curves.items() if all(i in c["rows"] for i in range(len(grid))))
        n, B = len(keys), len(grid)
        val, test, sec = np.full((n, B), np.nan), np.full((n, B), np.nan), np.full((n, B), np.nan)
        configs = []
        for i, k in enumerate(keys):
            c = curves[k]
            configs.append(c["config"])
            for j in range(B):
                r = c["rows"][j]
                val[i, j] = np.nan if r["val_error"] is None else r["val_error"]
                test[i, j] = np.nan if r["test_error"] is None else r["test_error"]
                sec[i, j] = r["seconds"]
        X = space.encode_many(configs) if configs else np.zeros((0, len(space)))
        ordered = tuple(i for i, p in enumerate(space.params) if not isinstance(p, Categorical) and p.condition is None)
        return cls(grid, np.array([k[0] for k in keys], dtype=int), np.array([k[1] for k in keys], dtype=int), configs, X, val, test, sec, ordered)

    def __len__(self) -> int:
        return len(self.config_ids)

    def subset(self, mask: np.ndarray) -> "CurveData":
        idx = np.flatnonzero(mask)
        return CurveData(
            self.budgets,
            self.config_ids[idx],
            self.seeds[idx],
            [self.configs[i] for i in idx],
            self.X[idx],
            self.val[idx],
            self.test[idx],
            self.seconds[idx],
            self.ordered_dims,
        )

    def first_seed(self) -> np.ndarray:
        """Mask of each configuration's curve with the lowest recorded seed."""
        keep = np.zeros(len(self), dtype=bool)
        seen: set[int] = set()
        for i in np.lexsort((self.seeds, self.config_ids)):
            if int(self.config_ids[i]) not in seen:
                seen.add(int(self.config_ids[i]))
                keep[i] = True
        return keep

    def seed_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Indices ``(a, b)`` of curve pairs of one configuration under two seeds (each
        configuration's lowest seed against each other seed)."""
        a, b = [], []
        first: dict[int, int] = {}
        for i in np.argsort(self.seeds, kind="stable"):
            cid = int(self.config_ids[i])
            if cid in first:
                a.append(first[cid])
                b.append(i)
            else:
                first[cid] = i
        return np.array(a, dtype=int), np.array(b, dtype=int)

    def seed_groups(self, min_seeds: int = 3) -> tuple[np.ndarray, list[np.ndarray]]:
        """For every configuration recorded with at least ``min_seeds`` seeds: the index of its
        lowest seed's curve, and the indices of its other seeds' curves."""
        groups: dict[int, list[tuple[int, int]]] = {}
        for i, (cid, seed) in enumerate(zip(self.config_ids, self.seeds)):
            groups.setdefault(int(cid), []).append((int(seed), i))
        firsts, others = [], []
        for members in groups.values():
            if len(members) >= min_seeds:
                members.sort()
                firsts.append(members[0][1])
                others.append(np.array([i for _, i in members[1:]], dtype=int))
        return np.array(firsts, dtype=int), others

    def noise(self) -> "SeedNoise":
        """The measured seed-to-seed spread (:class:`SeedNoise`), from the configurations
        recorded with several seeds; all zeros when there are none."""
        B = len(self.budgets)
        groups: dict[int, list[int]] = {}
        for i, cid in enumerate(self.config_ids):
            groups.setdefault(int(cid), []).append(i)
        dev_val, dev_test = [], []
        for idx in groups.values():
            if len(idx) < 2:
                continue
            scale = math.sqrt(len(idx) / (len(idx) - 1))  # unbiased spread from a few seeds
            for out, curves in ((dev_val, self.val), (dev_test, self.test)):
                v = np.log(np.nan_to_num(curves[idx], nan=FAIL_ERROR) + LOG_EPS)
                out.append((v - v.mean(axis=0)) * scale)
        if not dev_val:
            return SeedNoise(np.zeros(B), np.zeros(B), np.eye(B), np.eye(B), np.zeros(B))
        V, T = np.concatenate(dev_val), np.concatenate(dev_test)
        val_sd, test_sd = np.sqrt((V**2).mean(axis=0)), np.sqrt((T**2).mean(axis=0))
        both = (val_sd > 0) & (test_sd > 0)
        corr = np.where(both, (V * T).mean(axis=0) / np.where(both, val_sd * test_sd, 1.0), 0.0)
        return SeedNoise(val_sd, test_sd, _budget_correlation(V, val_sd), _budget_correlation(T, test_sd), np.clip(corr, -1.0, 1.0))


def _budget_correlation(deviations: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Correlation between budgets of a seed's deviations (rows: seed deviations, columns:
    budgets), Ledoit-Wolf shrunk towards the identity, so that a few dozen repeated runs over
    many budgets still give a positive definite matrix; budgets without spread get their own,
    uncorrelated, unit row."""
    from sklearn.covariance import LedoitWolf

    B = deviations.shape[1]
    live = sd > 0
    C = np.eye(B)
    if live.sum() >= 2 and len(deviations) >= 2:
        Z = deviations[:, live] / sd[live]
        S = LedoitWolf(assume_centered=True).fit(Z).covariance_
        d = np.sqrt(np.diag(S))
        C[np.ix_(live, live)] = S / np.outer(d, d)
    return C


@dataclass(frozen=True)
class SeedNoise:
    """The seed-to-seed spread of a recorded table, on the log-error scale.

    Measured from the configurations recorded with several seeds: the deviations of each seed's
    ``log(error + LOG_EPS)`` from the configuration's mean over its seeds, pooled. On the log
    scale because the spread is relative: at budget 1 a LeNet error of 0.3 and one of 0.02 do
    not vary by the same absolute amount, and an additive spread measured on the large errors,
    clipped at 0, turned small low-budget predictions into exact zeros that no real seed
    produces.

    Attributes:
        val_sd, test_sd: per-budget standard deviation of the validation and the test error.
        val_budget_corr, test_budget_corr: ``(B, B)`` correlation between budgets of a seed's
            validation (test) deviations, as measured (Ledoit-Wolf shrunk). Neighbouring
            budgets move together, distant ones hardly: on ``lenet-digits`` a seed's deviation
            at budget 27 correlates 0.52 with its deviation at R, at budget 1 not at all (0.00):
            a seed that is lucky early is not lucky at R, as in real runs, and its early luck
            does not make early stopping look better than it is.
        val_test_corr: per-budget correlation of a seed's validation and test deviations. Far
            from 1 where the evaluation sets are small: on ``lenet-digits`` at R it is 0.13, so
            a seed that is lucky on the 359 validation images is not lucky on the test images,
            and an optimizer that selects on validation error pays for it in test error (the
            winner's curse a table of real runs shows).
    """

    val_sd: np.ndarray
    test_sd: np.ndarray
    val_budget_corr: np.ndarray
    test_budget_corr: np.ndarray
    val_test_corr: np.ndarray

    def __post_init__(self):
        # Cholesky factors, computed once: a draw is then two matrix-vector products
        chol = lambda C: np.linalg.cholesky(C + 1e-10 * np.eye(len(C)))  # noqa: E731
        object.__setattr__(self, "_val_chol", chol(self.val_budget_corr))
        object.__setattr__(self, "_test_chol", chol(self.test_budget_corr))

    def draw(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Standardized deviations ``(z_val, z_test)`` of one seed, per budget: ``z_val`` has
        the measured correlation between budgets, and ``z_test`` is correlated with ``z_val``
        at ``val_test_corr`` budget by budget (``c z_val + sqrt(1 - c^2) w``, with ``w`` drawn
        with the test deviations' correlation between budgets)."""
        B = len(self.val_sd)
        z_val = self._val_chol @ rng.standard_normal(B)
        own = self._test_chol @ rng.standard_normal(B)
        c = self.val_test_corr
        return z_val, c * z_val + np.sqrt(1.0 - c * c) * own


class PackedForest:
    """Fitted scikit-learn forests packed into flat arrays for fast prediction.

    All trees are walked at once, one vector step per tree level. Leaf values are kept in
    float32, already divided by their forest's tree count, so a prediction is a sum over trees;
    :meth:`stack` packs several forests (with different outputs) to walk them in one pass.
    Built by :meth:`fit` or :meth:`stack`.
    """

    def __init__(self, forest=None):
        if forest is None:
            return
        feats, thrs, lefts, rights, leaf_rows, values, roots = [], [], [], [], [], [], []
        offset = n_leaves = 0
        depth = 0
        n_trees = len(forest.estimators_)
        for est in forest.estimators_:
            t = est.tree_
            n = t.node_count
            roots.append(offset)
            leaf = t.children_left == -1
            feats.append(np.where(leaf, 0, t.feature))
            thrs.append(np.where(leaf, np.inf, t.threshold))  # a leaf points to itself
            lefts.append(np.where(leaf, np.arange(n), t.children_left) + offset)
            rights.append(np.where(leaf, np.arange(n), t.children_right) + offset)
            rows = np.full(n, -1)
            rows[leaf] = n_leaves + np.arange(int(leaf.sum()))
            leaf_rows.append(rows)
            values.append(t.value[leaf, :, 0] / n_trees)
            n_leaves += int(leaf.sum())
            depth = max(depth, t.max_depth)
            offset += n
        self.feature = np.concatenate(feats).astype(np.intp)
        self.threshold = np.concatenate(thrs)
        self.left = np.concatenate(lefts).astype(np.intp)
        self.right = np.concatenate(rights).astype(np.intp)
        self.leaf_row = np.concatenate(leaf_rows).astype(np.intp)
        self.value = np.concatenate(values).astype(np.float32)
        self.roots = np.array(roots, dtype=np.intp)
        self.depth = int(depth)

    @classmethod
    def fit(
        cls, X: np.ndarray, Y: np.ndarray, n_trees: int = 100, seed: int = 0, min_samples_leaf: int = 1, max_features: float = 1.0, extra: bool = True
    ) -> "PackedForest":
        """Fit ``n_trees`` trees and pack them: extremely randomized trees (random split
        thresholds, no bootstrap; ``extra=True``) or a bootstrap random forest."""
        from sklearn.ensemble import ExtraTreesRegressor, RandomForestRegressor

        Y = np.asarray(Y, dtype=float)
        cls_ = ExtraTreesRegressor if extra else RandomForestRegressor
        forest = cls_(n_estimators=n_trees, min_samples_leaf=min_samples_leaf, max_features=max_features, random_state=seed, n_jobs=1)
        forest.fit(X, Y if Y.ndim == 2 and Y.shape[1] > 1 else Y.ravel())
        packed = cls(forest)
        if packed.value.ndim == 1:
            packed.value = packed.value[:, None]
        return packed

    @classmethod
    def stack(cls, forests: list["PackedForest"]) -> "PackedForest":
        """One walker for several forests; its outputs are theirs side by side."""
        out = cls()
        widths = [f.value.shape[1] for f in forests]
        node_off = np.cumsum([0] + [len(f.feature) for f in forests])
        leaf_off = np.cumsum([0] + [len(f.value) for f in forests])
        out.feature = np.concatenate([f.feature for f in forests])
        out.threshold = np.concatenate([f.threshold for f in forests])
        out.left = np.concatenate([f.left + o for f, o in zip(forests, node_off)])
        out.right = np.concatenate([f.right + o for f, o in zip(forests, node_off)])
        out.leaf_row = np.concatenate([np.where(f.leaf_row >= 0, f.leaf_row + o, -1) for f, o in zip(forests, leaf_off)])
        out.roots = np.concatenate([f.roots + o for f, o in zip(forests, node_off)])
        out.depth = max(f.depth for f in forests)
        out.value = np.zeros((int(leaf_off[-1]), sum(widths)), dtype=np.float32)
        col = 0
        for f, lo, w in zip(forests, leaf_off, widths):
            out.value[lo : lo + len(f.value), col : col + w] = f.value
            col += w
        return out

    def leaves(self, X: np.ndarray) -> np.ndarray:
        """Leaf node of every (row, tree), shape ``(m, n_trees)``."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        nodes = np.broadcast_to(self.roots, (len(X), len(self.roots))).copy()
        rows = np.arange(len(X))[:, None]
        for level in range(self.depth):
            go_left = X[rows, self.feature[nodes]] <= self.threshold[nodes]
            nodes = np.where(go_left, self.left[nodes], self.right[nodes])
            if level % 4 == 3 and (self.leaf_row[nodes] >= 0).all():
                break  # every tree has reached a leaf (most are shallower than the deepest)
        return nodes

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Sum over trees of the (pre-divided) leaf values, i.e. each forest's mean: ``(m, outputs)``."""
        return self.value[self.leaf_row[self.leaves(X)]].sum(axis=1, dtype=np.float64)


def interpolate_log(budgets: np.ndarray, curve: np.ndarray, b: float) -> float:
    """``curve`` (values at ``budgets``) at ``b``, linear in log budget, constant outside."""
    return float(np.interp(math.log(b), np.log(budgets), curve))


class CurveModel:
    """Predicts validation error, test error and seconds curves on the recording's grid.

    Args:
        kind: ``"curve"`` (forest over the configuration with whole curves as targets, default),
            ``"gp"`` (a Gaussian process over the configuration with whole curves as targets,
            :class:`~hpobench.surrogates.gp_model.MultiOutputGP`) or ``"point"`` (forest over
            configuration and log budget).
        n_trees: trees per forest (unused by ``"gp"``).
        seed: the forests' seed.

    Failed evaluations (``nan``) count as chance-level error ``fail_error`` in the targets.
    """

    def __init__(self, kind: str = "curve", n_trees: int = 64, seed: int = 0, fail_error: float = FAIL_ERROR):
        if kind not in KINDS:
            raise ValueError(f"model kind must be one of {', '.join(map(repr, KINDS))}, got {kind!r}")
        self.kind, self.n_trees, self.seed, self.fail_error = kind, int(n_trees), int(seed), float(fail_error)

    def fit(self, data: CurveData) -> "CurveModel":
        if len(data) == 0:
            raise ValueError("no complete curves to fit")
        self.budgets = data.budgets
        B = len(self.budgets)
        val = np.nan_to_num(data.val, nan=self.fail_error)
        test = np.nan_to_num(data.test, nan=self.fail_error)
        logsec = np.log(np.maximum(data.seconds, 1e-6))
        self.failed = np.isnan(data.val)
        if self.kind == "curve":
            # errors on a log scale: a LeNet curve falls from ~0.9 to ~0.01, and on the raw scale
            # the squared-error splits would be driven by the early budgets alone
            errors = PackedForest.fit(data.X, np.log(np.hstack([val, test]) + LOG_EPS), self.n_trees, self.seed)
            cost = PackedForest.fit(data.X, logsec, max(8, self.n_trees // 4), self.seed + 1)
            self.forest = PackedForest.stack([errors, cost])  # one walk predicts both
        elif self.kind == "gp":
            from .gp_features import NormalScores, with_rotated_pairs
            from .gp_model import MultiOutputGP

            # one row per configuration: its seeds averaged on the targets' (log) scale, with
            # the weight of the number of seeds behind the mean
            ids, row, counts = np.unique(data.config_ids, return_inverse=True, return_counts=True)
            logerr = np.log(np.hstack([val, test]) + LOG_EPS)

            def per_config(Y: np.ndarray) -> np.ndarray:
                out = np.zeros((len(ids), Y.shape[1]))
                np.add.at(out, row, Y)
                return out / counts[:, None]

            # inputs with rotated pairs of the ordered parameters, errors as normal scores
            # (gp_features explains both and docs/surrogates.md measures them)
            self.pairs = list(itertools.combinations(data.ordered_dims, 2))
            self._gp_inputs = functools.partial(with_rotated_pairs, pairs=self.pairs)
            X = self._gp_inputs(per_config(data.X))
            self.scores = NormalScores.fit(per_config(logerr))
            self.gp_errors = MultiOutputGP.fit(X, self.scores.training_scores, counts)
            self.gp_cost = MultiOutputGP.fit(X, per_config(logsec), counts)
        else:
            X = self._point_inputs(data.X)
            Y = np.stack([val.ravel(), test.ravel(), logsec.ravel()], axis=1)
            self.forest = PackedForest.fit(X, Y, self.n_trees, self.seed, min_samples_leaf=3, max_features=0.8, extra=False)
        self.B = B
        return self

    def _point_inputs(self, X: np.ndarray) -> np.ndarray:
        logb = np.log(self.budgets) / max(1e-12, math.log(self.budgets[-1] / self.budgets[0]) or 1.0)
        n, B = len(X), len(self.budgets)
        return np.hstack([np.repeat(X, B, axis=0), np.tile(logb, n)[:, None]])

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Curves of validation error, test error and seconds for encoded configurations ``X``:
        three arrays of shape ``(m, B)``."""
        X = np.atleast_2d(X)
        if self.kind == "curve":
            e = np.exp(self.forest.predict(X))
            val, test, sec = e[:, : self.B] - LOG_EPS, e[:, self.B : 2 * self.B] - LOG_EPS, e[:, 2 * self.B :]
        elif self.kind == "gp":
            X = self._gp_inputs(X)
            e = np.exp(self.scores.inverse(self.gp_errors.predict(X)))
            val, test = e[:, : self.B] - LOG_EPS, e[:, self.B :] - LOG_EPS
            # cumulative seconds never fall with the budget; a smoothed mean might
            sec = np.maximum.accumulate(np.exp(self.gp_cost.predict(X)), axis=1)
        else:
            e = self.forest.predict(self._point_inputs(X)).reshape(len(X), self.B, 3)
            val, test, sec = e[..., 0], e[..., 1], np.exp(e[..., 2])
            # the point forest need not give non-decreasing cumulative seconds; enforce it
            sec = np.maximum.accumulate(sec, axis=1)
        return np.clip(val, 0, 1), np.clip(test, 0, 1), sec
