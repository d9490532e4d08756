"""SMAC: sequential model-based algorithm configuration with a random forest.

Hutter, Hoos & Leyton-Brown, "Sequential Model-Based Optimization for General Algorithm
Configuration", LION 5, 2011. One iteration fits a random forest to the run history, ranks
candidate configurations by expected improvement (EI), hands the best one out as the next
challenger and interleaves uniformly random configurations. With one deterministic instance
(every benchmark here), intensification reduces to "a challenger runs once and becomes the
incumbent iff its loss is lower" (SPEC §3.5), so the incumbent is the best configuration observed.

Two default sets are available (``preset=``):

* ``"hpolib"`` (default): the SMAC 2.x settings of the HPOlib configuration the Hyperband paper
  ran: 10 trees, a node splits only with >= 10 points, bootstrapped data per tree, 5/6 of the
  features tried per split, no output transform (quality objective), EI with xi = 0, local search
  (4 Gaussian neighbours, std 0.2, per numeric parameter) from the 10 evaluated configurations of
  highest EI plus 10,000 uniformly random configurations, every second challenger random, the
  default configuration as the initial design.
* ``"smac3-hpo"``: SMAC3 v2's HPO facade: ratio_features 1.0, min_samples_split 2,
  min_samples_leaf 1, log-scaled costs with a log-space forest and log-space EI (``log_y``),
  random configurations with probability 0.2, neighbour std 0.05, local searches also started
  from the 10 best random candidates, and a scrambled Sobol initial design.

Every option of the preset can be overridden by keyword.

Example:
    >>> from hpobench.benchmarks.synthetic import Branin
    >>> bench = Branin()
    >>> opt = SMAC(bench.space, seed=0, n_random_candidates=500)
    >>> for _ in range(3):
    ...     trial = opt.ask()
    ...     opt.tell(trial, bench.evaluate(trial.config))
    >>> opt.incumbent[1] < 200
    True
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from scipy.special import ndtr
from sklearn.tree import DecisionTreeRegressor

from ..benchmarks.base import Fidelity, Result
from ..space import Categorical, Space
from .base import Capabilities, Optimizer, Trial

__all__ = [
    "PRESETS",
    "SMAC",
    "RandomForestSurrogate",
    "expected_improvement",
    "log_expected_improvement",
    "log_scaled_costs",
]

#: Feature value of an inactive conditional parameter (SMAC3 imputes -1, outside [0, 1]).
INACTIVE_FEATURE = -1.0

_SQRT_2PI = math.sqrt(2.0 * math.pi)

#: Named default sets; see the module docstring. Keys are constructor options.
PRESETS: dict[str, dict[str, Any]] = {
    "hpolib": dict(
        n_trees=10,
        ratio_features=5.0 / 6.0,
        min_samples_split=10,
        min_samples_leaf=1,
        max_depth=None,
        bootstrap=True,
        log_y=False,
        xi=0.0,
        random_probability=0.5,
        random_schedule="alternate",
        initial_design="default",
        n_initial=None,
        n_trials=100,
        n_random_candidates=10_000,
        n_local_search=10,
        n_random_starts=0,
        n_neighbours=4,
        neighbour_std=0.2,
        n_steps_plateau_walk=10,
        max_local_steps=100,
    ),
}
# SMAC3's HPO facade differs from the HPOlib-era settings only in these (spelled out so the
# differences are visible at a glance).
PRESETS["smac3-hpo"] = {
    **PRESETS["hpolib"],
    "ratio_features": 1.0,
    "min_samples_split": 2,
    "log_y": True,
    "random_probability": 0.2,
    "random_schedule": "probability",
    "initial_design": "sobol",
    "n_random_starts": 10,
    "neighbour_std": 0.05,
}


# ------------------------------------------------------------------------------ acquisition


def expected_improvement(mu: np.ndarray, var: np.ndarray, f_min: float, xi: float = 0.0) -> np.ndarray:
    """Expected improvement of a Gaussian prediction over ``f_min`` (minimization).

    EI = (f_min - mu - xi) * Phi(z) + sigma * phi(z) with z = (f_min - mu - xi) / sigma; EI is 0
    where sigma = 0 (as in SMAC3).

    Args:
        mu: predicted means.
        var: predicted variances (>= 0).
        f_min: the incumbent's cost.
        xi: exploration margin (0 in SMAC).

    Returns:
        EI, same shape as ``mu``.
    """
    mu = np.asarray(mu, dtype=float)
    sigma = np.sqrt(np.maximum(np.asarray(var, dtype=float), 0.0))
    zero = sigma <= 0.0
    s = np.where(zero, 1.0, sigma)
    improvement = f_min - mu - xi
    z = improvement / s
    ei = improvement * ndtr(z) + s * np.exp(-0.5 * z * z) / _SQRT_2PI
    return np.where(zero, 0.0, np.maximum(ei, 0.0))


def log_expected_improvement(mu: np.ndarray, var: np.ndarray, f_min: float) -> np.ndarray:
    """EI in the original space when the model predicts the log cost (Hutter et al. 2009).

    For Y ~ N(mu, sigma^2) the log cost and f_min the incumbent's log cost,
    E[max(exp(f_min) - exp(Y), 0)] = exp(f_min) Phi(v) - exp(mu + sigma^2 / 2) Phi(v - sigma),
    v = (f_min - mu) / sigma. EI is 0 where sigma = 0 (as in SMAC3).

    Args:
        mu: predicted means of the log cost.
        var: predicted variances of the log cost.
        f_min: the incumbent's log cost.

    Returns:
        EI, same shape as ``mu``.
    """
    mu = np.asarray(mu, dtype=float)
    var = np.maximum(np.asarray(var, dtype=float), 0.0)
    sigma = np.sqrt(var)
    zero = sigma <= 0.0
    s = np.where(zero, 1.0, sigma)
    v = (f_min - mu) / s
    ei = math.exp(f_min) * ndtr(v) - np.exp(0.5 * var + mu) * ndtr(v - s)
    return np.where(zero, 0.0, np.maximum(ei, 0.0))


def log_scaled_costs(y: np.ndarray) -> tuple[np.ndarray, Any]:
    """SMAC3's ``RunHistoryLogScaledEncoder``: log of min-max-scaled costs.

    y' = log((y - m) / (y_max - m)) with m = y_min - (p5 - y_min) - 1e-10 (p5 = 5th percentile),
    so the best cost maps to a finite, very negative value and the worst to 0.

    Args:
        y: observed costs (finite).

    Returns:
        The transformed costs and a function applying the same transform to other costs.
    """
    y = np.asarray(y, dtype=float)
    y_min, y_max = float(np.min(y)), float(np.max(y))
    p5 = float(np.percentile(y, 5))
    m = y_min - (p5 - y_min) - 1e-10
    if m == y_max:  # one distinct value and tiny magnitudes: keep the denominator non-zero
        m *= 1.0 - 1e-10
    scale = y_max - m

    def transform(values):
        return np.log(np.maximum((np.asarray(values, dtype=float) - m) / scale, 1e-300))

    return transform(y), transform


# ---------------------------------------------------------------------------- random forest


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


# ------------------------------------------------------------------------------- featurizer


class _Featurizer:
    """Vectorized ``decode`` followed by SMAC's feature encoding, for many raw cube points.

    A raw point u in [0, 1]^D decodes to a configuration exactly as :meth:`Space.decode` does;
    its feature vector has, per parameter, the unit position of the decoded value within its
    (resolved) bounds for numeric parameters, the choice index for categoricals (forest splits
    on the index like an ordinal), and -1 when the parameter is inactive.
    """

    def __init__(self, space: Space):
        self.space = space
        self.params = space.params
        self.index = {p.name: i for i, p in enumerate(self.params)}
        self.is_cat = np.array([isinstance(p, Categorical) for p in self.params], dtype=bool)
        self.n_choices = np.array([len(p.choices) if isinstance(p, Categorical) else 0 for p in self.params])
        # For each condition, the parent's matching values as indices (categorical parent) or
        # numbers (numeric parent).
        self.cond: list[tuple[int, np.ndarray] | None] = []
        for p in self.params:
            if p.condition is None:
                self.cond.append(None)
                continue
            parent = space[p.condition.parent]
            if isinstance(parent, Categorical):
                vals = np.array([parent.index(v) for v in p.condition.values], dtype=float)
            else:
                vals = np.array([float(v) for v in p.condition.values if not isinstance(v, str)], dtype=float)
            self.cond.append((self.index[parent.name], vals))

    def __call__(self, U: np.ndarray) -> np.ndarray:
        U = np.clip(np.atleast_2d(np.asarray(U, dtype=float)), 0.0, 1.0)
        n, d = U.shape
        F = np.empty((n, d))
        values = np.full((n, d), np.nan)  # decoded values (choice index for categoricals)
        active = np.ones((n, d), dtype=bool)
        for j, p in enumerate(self.params):
            c = self.cond[j]
            if c is not None:
                pj, vals = c
                active[:, j] = active[:, pj] & np.isin(values[:, pj], vals)
            a = active[:, j]
            u = U[:, j]
            if self.is_cat[j]:
                k = self.n_choices[j]
                idx = np.minimum(k - 1, np.floor(u * k)).astype(float)
                values[:, j] = np.where(a, idx, np.nan)
                F[:, j] = np.where(a, idx, INACTIVE_FEATURE)
                continue
            low = values[:, self.index[p.low]] if isinstance(p.low, str) else np.full(n, float(p.low))
            high = values[:, self.index[p.high]] if isinstance(p.high, str) else np.full(n, float(p.high))
            # Rows where this parameter is inactive may have NaN bounds; give them harmless ones.
            low = np.where(a, low, 1.0)
            high = np.where(a, high, 2.0)
            lo_e, hi_e = (low - 0.5, high + 0.5) if p.is_int else (low, high)
            if p.log:
                lo_e, hi_e = np.log(lo_e), np.log(hi_e)
            width = hi_e - lo_e
            t = lo_e + u * width
            v = np.exp(t) if p.log else t
            if p.is_int:
                v = np.rint(v)
            v = np.minimum(high, np.maximum(low, v))
            tv = np.log(v) if p.log else v
            pos = np.where(width > 0, np.clip((tv - lo_e) / np.where(width > 0, width, 1.0), 0.0, 1.0), 0.5)
            values[:, j] = np.where(a, v, np.nan)
            F[:, j] = np.where(a, pos, INACTIVE_FEATURE)
        return F


def _keys(F: np.ndarray) -> list[bytes]:
    """Hashable identities of feature rows (rounded so float noise does not matter)."""
    R = np.ascontiguousarray(np.round(F, 9) + 0.0)  # + 0.0 turns -0.0 into 0.0
    return [r.tobytes() for r in R]


# ----------------------------------------------------------------------------------- SMAC


class SMAC(Optimizer):
    """SMAC with a random-forest surrogate, EI, local search and interleaved random configurations.

    Args:
        space: the search space (conditional parameters and dependent bounds are supported).
        seed: seeds :attr:`rng`, which draws everything (bootstrap samples, the trees'
            ``random_state``, candidates, neighbours, interleaving, the initial design).
        fidelity: ignored (single-fidelity: every trial runs at the benchmark's maximum).
        preset: ``"hpolib"`` (default; SMAC 2.x as the Hyperband paper ran it) or ``"smac3-hpo"``
            (SMAC3's HPO facade). The options below default to the preset's values.
        n_trees: trees in the forest (10).
        ratio_features: fraction of features tried per split (5/6; smac3-hpo 1.0).
        min_samples_split: points a node needs to split (10; smac3-hpo 2).
        min_samples_leaf: minimum points per leaf (1).
        max_depth: tree depth limit (None).
        bootstrap: bootstrap each tree's data (True).
        log_y: model log-scaled costs and use log-space EI (False; smac3-hpo True).
        xi: EI margin (0).
        random_probability: share of challengers drawn uniformly at random (0.5; smac3-hpo 0.2).
        random_schedule: ``"alternate"`` interleaves deterministically (with 0.5: every second
            challenger, as in the paper); ``"probability"`` draws each challenger's kind
            (SMAC3's ``ProbabilityRandomDesign``).
        initial_design: ``"default"`` (the default configuration: every numeric parameter at the
            middle of its range on its scale, categoricals at their first choice), ``"sobol"``
            (scrambled Sobol points) or ``"random"``.
        n_initial: size of a Sobol/random initial design; None: min(10 per parameter,
            25% of ``n_trials``) as SMAC3 (a default design has one configuration).
        n_trials: the run's evaluation budget, only used for the SMAC3 cap of the initial
            design (the optimizer is not told the budget; default 100).
        n_random_candidates: uniformly random configurations ranked by EI per model-based
            challenger (10,000 as the paper and the HPO facade).
        n_local_search: local searches started from the evaluated configurations of highest
            EI (10).
        n_random_starts: further local searches started from the best random candidates
            (0; smac3-hpo 10).
        n_neighbours: Gaussian neighbours per numeric parameter in the one-exchange
            neighbourhood (4).
        neighbour_std: their standard deviation in the unit encoding (0.2; smac3-hpo 0.05).
        n_steps_plateau_walk: moves to an equally good neighbour a local search may make
            before stopping (10).
        max_local_steps: hard cap on the steps of one local search (100).

    Attributes:
        model: the forest fitted for the latest model-based challenger (None before).

    Notes:
        Failed evaluations (non-finite loss) enter the model with the worst finite loss
        observed. Configurations asked but not yet told (batch asks) enter the model with the
        worst observed loss too (a pessimistic constant liar: in a forest a lie at the best
        value would attract, not repel, the next proposals) and are never proposed again.
    """

    name = "smac"
    capabilities = Capabilities(conditional=True, dependent_bounds=True, multi_fidelity=False, batch=True)

    def __init__(self, space: Space, seed: int | None = 0, fidelity: Fidelity | None = None, preset: str = "hpolib", **options: Any):
        if preset not in PRESETS:
            raise ValueError(f"unknown SMAC preset {preset!r}; known: {', '.join(PRESETS)}")
        unknown = sorted(set(options) - set(PRESETS[preset]))
        if unknown:
            raise TypeError(f"SMAC got unknown options: {', '.join(unknown)}")
        super().__init__(space, seed=seed, fidelity=fidelity)
        settings = {**PRESETS[preset], **options}
        self.preset = preset
        self.settings = settings
        for key, value in settings.items():
            setattr(self, key, value)
        self._check_settings()

        self._featurize = _Featurizer(space)
        self._initial = self._initial_design()
        self._n_challengers = 0  # model-phase asks so far (drives the interleaving)
        self._features: dict[int, np.ndarray] = {}  # trial id -> feature vector
        self.model: RandomForestSurrogate | None = None

    # ------------------------------------------------------------------------ configuration
    def _check_settings(self) -> None:
        if not 0.0 <= self.random_probability <= 1.0:
            raise ValueError(f"random_probability must be in [0, 1], got {self.random_probability}")
        if self.random_schedule not in ("alternate", "probability"):
            raise ValueError(f"random_schedule must be 'alternate' or 'probability', got {self.random_schedule!r}")
        if self.initial_design not in ("default", "sobol", "random"):
            raise ValueError(f"initial_design must be 'default', 'sobol' or 'random', got {self.initial_design!r}")
        for key in ("n_trees", "min_samples_split", "min_samples_leaf", "n_trials"):
            if int(getattr(self, key)) < 1:
                raise ValueError(f"{key} must be >= 1, got {getattr(self, key)}")
        for key in ("n_random_candidates", "n_local_search", "n_random_starts", "n_neighbours", "n_steps_plateau_walk", "max_local_steps"):
            if int(getattr(self, key)) < 0:
                raise ValueError(f"{key} must be >= 0, got {getattr(self, key)}")
        if self.n_random_candidates + self.n_local_search < 1:
            raise ValueError("n_random_candidates and n_local_search cannot both be 0")
        if not self.neighbour_std > 0:
            raise ValueError(f"neighbour_std must be > 0, got {self.neighbour_std}")
        if self.n_initial is not None and int(self.n_initial) < 0:
            raise ValueError(f"n_initial must be >= 0, got {self.n_initial}")

    def default_config(self) -> dict:
        """The default configuration: numeric parameters at the middle of their range (on their
        scale, within resolved bounds), categoricals at their first choice (ConfigSpace's rule)."""
        u = np.array([0.5 / len(p.choices) if isinstance(p, Categorical) else 0.5 for p in self.space.params])
        return self.space.decode(u)

    def _initial_design(self) -> list[tuple[dict, str]]:
        d = len(self.space)
        if self.initial_design == "default":
            n = 1 if self.n_initial is None else int(self.n_initial)
            configs = [(self.default_config(), "initial design: default")][:n]
            configs += [(self.space.sample(self.rng), "initial design: random") for _ in range(n - len(configs))]
            return configs
        n = int(self.n_initial) if self.n_initial is not None else int(max(1, min(10 * d, 0.25 * self.n_trials)))
        if n == 0:
            return []
        if self.initial_design == "random":
            return [(c, "initial design: random") for c in self.space.sample_many(self.rng, n)]
        from scipy.stats import qmc

        sobol = qmc.Sobol(d=d, scramble=True, seed=int(self.rng.integers(2**31 - 1)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # n need not be a power of 2 here
            points = sobol.random(n)
        return [(self.space.decode(u), "initial design: sobol") for u in points]

    # ---------------------------------------------------------------------------- ask / tell
    @property
    def incumbent(self) -> tuple[dict, float] | None:
        """The best configuration told so far and its loss (None before any finite loss).

        With one deterministic instance a challenger runs once and replaces the incumbent iff
        its loss is lower, so this is the best observation (ties keep the earlier one).
        """
        best = None
        for trial, result in self.history:
            if result.ok and (best is None or float(result.loss) < best[1]):
                best = (trial.config, float(result.loss))
        return best

    def _ask(self) -> Trial:
        if self._initial:
            config, origin = self._initial.pop(0)
            return self._propose(config, origin)
        if not any(r.ok for _, r in self.history):
            # No model without a finite observation: keep exploring at random.
            return self._propose(self._random_unseen(), "random (no model yet)")
        k = self._n_challengers
        self._n_challengers += 1
        p = self.random_probability
        if self.random_schedule == "alternate":
            use_random = math.floor((k + 1) * p + 1e-12) > math.floor(k * p + 1e-12)
        else:
            use_random = bool(self.rng.random() < p)
        if use_random:
            return self._propose(self._random_unseen(), "random (interleaved)")
        config, origin, ei = self._model_challenger()
        return self._propose(config, origin, ei=ei)

    def _tell(self, trial: Trial, result: Result) -> None:
        if trial.id not in self._features:
            self._features[trial.id] = self._feature_of(trial.config)

    def _propose(self, config: dict, origin: str, **info) -> Trial:
        trial = self.new_trial(config, origin=origin, **info)
        self._features[trial.id] = self._feature_of(config)
        return trial

    def _feature_of(self, config: dict) -> np.ndarray:
        return self._featurize(self.space.encode(config))[0]

    def _seen_keys(self) -> set[bytes]:
        ids = [t.id for t, _ in self.history] + list(self.pending)
        rows = [self._features.get(i) for i in ids]
        rows = [r for r in rows if r is not None]
        return set(_keys(np.array(rows))) if rows else set()

    def _random_unseen(self) -> dict:
        seen = self._seen_keys()
        config = self.space.sample(self.rng)
        for _ in range(100):  # only tiny discrete spaces ever repeat
            if _keys(self._feature_of(config)[None, :])[0] not in seen:
                break
            config = self.space.sample(self.rng)
        return config

    # --------------------------------------------------------------------------------- model
    def _training_data(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """Features and raw losses of told trials (failed ones imputed with the worst loss),
        plus pending trials as pessimistic lies; also the features of the told trials."""
        told = [(t, r) for t, r in self.history]
        losses = np.array([float(r.loss) if r.ok else np.nan for _, r in told])
        worst = float(np.nanmax(losses))
        losses = np.where(np.isfinite(losses), losses, worst)
        X_told = np.array([self._features[t.id] for t, _ in told])
        pend = [self._features[i] for i in self.pending]
        if pend:
            X = np.vstack([X_told, np.array(pend)])
            y = np.concatenate([losses, np.full(len(pend), worst)])
        else:
            X, y = X_told, losses
        return X, y, X_told, float(np.min(losses))

    def _model_challenger(self) -> tuple[dict, str, float]:
        X, y, X_told, y_best = self._training_data()
        if self.log_y:
            y_fit, transform = log_scaled_costs(y)
            f_min = float(transform([y_best])[0])
        else:
            y_fit, f_min = y, y_best
        self.model = RandomForestSurrogate(
            n_trees=self.n_trees,
            ratio_features=self.ratio_features,
            min_samples_split=self.min_samples_split,
            min_samples_leaf=self.min_samples_leaf,
            max_depth=self.max_depth,
            bootstrap=self.bootstrap,
            log_y=self.log_y,
            rng=self.rng,
        ).fit(X, y_fit)

        def acq(F: np.ndarray) -> np.ndarray:
            mu, var = self.model.predict(F)
            if self.log_y:
                return log_expected_improvement(mu, var, f_min)
            return expected_improvement(mu, var, f_min, self.xi)

        d = len(self.space)
        U_rand = self.rng.random((int(self.n_random_candidates), d))
        F_rand = self._featurize(U_rand)
        a_rand = acq(F_rand) if len(F_rand) else np.empty(0)

        # Local search starts: evaluated configurations of highest EI (+ best random candidates).
        starts = []
        if self.n_local_search > 0 and len(X_told):
            a_told = acq(X_told)
            order = self._argsort_desc(a_told)[: int(self.n_local_search)]
            told_trials = [t for t, _ in self.history]
            U_told = np.array([self.space.encode(told_trials[i].config) for i in order])
            # Inactive dimensions get fresh uniform values: they are what a parameter takes if
            # a move activates it (Space.repair likewise samples newly active parameters).
            inactive = self._featurize(U_told) == INACTIVE_FEATURE
            U_told[inactive] = self.rng.random(int(inactive.sum()))
            starts.append(U_told)
        if self.n_random_starts > 0 and len(U_rand):
            starts.append(U_rand[self._argsort_desc(a_rand)[: int(self.n_random_starts)]])
        if starts:
            U_ls, F_ls, a_ls = self._local_search(np.vstack(starts), acq)
        else:
            U_ls, F_ls, a_ls = np.empty((0, d)), np.empty((0, d)), np.empty(0)

        U_all = np.vstack([U_ls, U_rand])
        F_all = np.vstack([F_ls, F_rand])
        a_all = np.concatenate([a_ls, a_rand])
        origins = ["local search"] * len(U_ls) + ["random search (sorted)"] * len(U_rand)
        seen = self._seen_keys()
        order = self._argsort_desc(a_all)
        keys = _keys(F_all[order[: min(len(order), 64)]])
        for rank, i in enumerate(order):
            key = keys[rank] if rank < len(keys) else _keys(F_all[i][None, :])[0]
            if key not in seen:
                return self.space.decode(U_all[i]), origins[i], float(a_all[i])
        # Every candidate was evaluated already (tiny discrete space): fall back to random.
        return self._random_unseen(), "random (candidates exhausted)", 0.0

    def _argsort_desc(self, a: np.ndarray) -> np.ndarray:
        """Indices by decreasing value, ties broken at random (SMAC3 does the same)."""
        return np.lexsort((self.rng.random(len(a)), -np.asarray(a)))

    # -------------------------------------------------------------------------- local search
    def _neighbours(self, U: np.ndarray, F: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One-exchange neighbours of every row: each active categorical moved to every other
        choice, each active numeric parameter to ``n_neighbours`` Gaussian draws around its
        current unit position (redrawn when outside [0, 1]). Returns (U_nb, owner row)."""
        m, d = U.shape
        blocks, owners = [], []
        rows = np.arange(m)
        fz = self._featurize
        for j in range(d):
            act = F[:, j] != INACTIVE_FEATURE
            if not act.any():
                continue
            r = rows[act]
            if fz.is_cat[j]:
                k = int(fz.n_choices[j])
                for c in range(k):
                    rc = r[F[r, j] != c]
                    if len(rc):
                        B = U[rc].copy()
                        B[:, j] = (c + 0.5) / k
                        blocks.append(B)
                        owners.append(rc)
                continue
            if self.n_neighbours == 0:
                continue
            rr = np.repeat(r, int(self.n_neighbours))
            centre = F[rr, j]
            draw = centre + self.neighbour_std * self.rng.standard_normal(len(rr))
            for _ in range(20):
                bad = (draw < 0.0) | (draw > 1.0)
                if not bad.any():
                    break
                draw[bad] = centre[bad] + self.neighbour_std * self.rng.standard_normal(int(bad.sum()))
            B = U[rr].copy()
            B[:, j] = np.clip(draw, 0.0, 1.0)
            blocks.append(B)
            owners.append(rr)
        if not blocks:
            return np.empty((0, d)), np.empty(0, dtype=int)
        return np.vstack(blocks), np.concatenate(owners)

    def _local_search(self, U0: np.ndarray, acq) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Hill-climb every start in parallel: move to the best neighbour while it improves
        EI; a move to an equally good neighbour counts against ``n_steps_plateau_walk``."""
        U = U0.copy()
        F = self._featurize(U)
        a = acq(F)
        plateau = np.zeros(len(U), dtype=int)
        running = np.ones(len(U), dtype=bool)
        for _ in range(int(self.max_local_steps)):
            idx = np.flatnonzero(running)
            if len(idx) == 0:
                break
            U_nb, own = self._neighbours(U[idx], F[idx])
            if len(U_nb) == 0:
                break
            F_nb = self._featurize(U_nb)
            # Drop neighbours that decode to the point itself (integers that round back).
            differs = np.any(np.abs(F_nb - F[idx][own]) > 1e-12, axis=1)
            U_nb, F_nb, own = U_nb[differs], F_nb[differs], own[differs]
            a_nb = acq(F_nb) if len(F_nb) else np.empty(0)
            # Best neighbour per search (random tie-break): sort by owner, then EI descending.
            order = np.lexsort((self.rng.random(len(a_nb)), -a_nb, own))
            first = np.ones(len(order), dtype=bool)
            first[1:] = own[order][1:] != own[order][:-1]
            best = order[first]
            moved_any = np.zeros(len(idx), dtype=bool)
            for b in best:
                i_local = own[b]
                i = idx[i_local]
                if a_nb[b] > a[i]:
                    plateau[i] = 0
                elif a_nb[b] == a[i] and plateau[i] < self.n_steps_plateau_walk:
                    plateau[i] += 1
                else:
                    continue
                U[i], F[i], a[i] = U_nb[b], F_nb[b], a_nb[b]
                moved_any[i_local] = True
            running[idx[~moved_any]] = False
        return U, F, a
