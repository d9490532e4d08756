"""The ``smac`` optimizer: SMAC's loop of forest fit, EI maximization by local and random search,
interleaved random configurations and (with one deterministic instance) trivial intensification.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ...benchmarks.base import Fidelity, Result
from ...space import Categorical, Space
from ..acquisition import expected_improvement, log_expected_improvement
from ..base import Capabilities, Optimizer, Trial
from .costs import log_scaled_costs
from .features import INACTIVE_FEATURE, Featurizer, feature_keys
from .forest import RandomForestSurrogate
from .local_search import local_search

__all__ = ["PRESETS", "SMAC"]


#: Named default sets; see the module docstring. Keys are constructor options.
PRESETS: dict[str, dict[str, Any]] = {
    "hpolib-paper": dict(
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
        n_trials=None,
        n_random_candidates=10_000,
        n_local_search=10,
        local_search_starts="ei",
        n_random_starts=0,
        n_neighbours=4,
        neighbour_std=0.2,
        n_steps_plateau_walk=10,
        max_local_steps=100,
    ),
}
# The default: the HPOlib-era settings with SMAC3's model and local-search starts, without which
# the paper's set loses to random search (Styblinski-Tang-4: median regret 59.6 vs 40.2 at 60
# evaluations; docs/smac.md has the measurements): the forest models log-scaled costs (EI in log
# space) with fully grown trees on all features, and the local searches start from the evaluated
# configurations of lowest predicted cost instead of highest EI.
PRESETS["hpolib"] = {
    **PRESETS["hpolib-paper"],
    "log_y": True,
    "local_search_starts": "cost",
    "min_samples_split": 2,
    "ratio_features": 1.0,
}
# SMAC3's HPO facade differs from the HPOlib-era settings only in these (spelled out so the
# differences are visible at a glance).
PRESETS["smac3-hpo"] = {
    **PRESETS["hpolib"],
    "random_probability": 0.2,
    "random_schedule": "probability",
    "initial_design": "sobol",
    "n_random_starts": 10,
}


class SMAC(Optimizer):
    """SMAC with a random-forest surrogate, EI, local search and interleaved random configurations.

    Args:
        space: the search space (conditional parameters and dependent bounds are supported).
        seed: seeds :attr:`rng`, which draws everything (bootstrap samples, the trees'
            ``random_state``, candidates, neighbours, interleaving, the initial design).
        fidelity: ignored (single-fidelity: every trial runs at the benchmark's maximum).
        preset: ``"hpolib"`` (default), ``"hpolib-paper"`` (SMAC 2.x as the Hyperband paper ran
            it) or ``"smac3-hpo"`` (SMAC3's HPO facade); see the package docstring. The options
            below default to the ``hpolib-paper`` values, with the presets' differences noted.
        n_trees: trees in the forest (10).
        ratio_features: fraction of features tried per split (5/6; hpolib, smac3-hpo 1.0).
        min_samples_split: points a node needs to split (10; hpolib, smac3-hpo 2).
        min_samples_leaf: minimum points per leaf (1).
        max_depth: tree depth limit (None).
        bootstrap: bootstrap each tree's data (True).
        log_y: model log-scaled costs and use log-space EI (False; hpolib, smac3-hpo True).
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
            design; None: the runner's hint :attr:`expected_trials`, else 100.
        n_random_candidates: uniformly random configurations ranked by EI per model-based
            challenger (10,000 as the paper and the HPO facade).
        n_local_search: local searches started from evaluated configurations (10).
        local_search_starts: which ones: ``"ei"`` (highest EI, the 2011 paper) or ``"cost"``
            (lowest predicted cost, SMAC3; hpolib and smac3-hpo).
        n_random_starts: further local searches started from the best random candidates
            (0; smac3-hpo 10).
        n_neighbours: Gaussian neighbours per numeric parameter in the one-exchange
            neighbourhood (4).
        neighbour_std: their standard deviation in the unit encoding (0.2, as ConfigSpace).
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

        self._featurize = Featurizer(space)
        self._initial: list[tuple[dict, str]] | None = None  # built at the first ask (budget hint)
        self._n_challengers = 0  # model-phase asks so far (drives the interleaving)
        self._features: dict[int, np.ndarray] = {}  # trial id -> feature vector
        self.model: RandomForestSurrogate | None = None

    # ------------------------------------------------------------------------ configuration
    def _check_settings(self) -> None:
        if not 0.0 <= self.random_probability <= 1.0:
            raise ValueError(f"random_probability must be in [0, 1], got {self.random_probability}")
        if self.random_schedule not in ("alternate", "probability"):
            raise ValueError(f"random_schedule must be 'alternate' or 'probability', got {self.random_schedule!r}")
        if self.local_search_starts not in ("ei", "cost"):
            raise ValueError(f"local_search_starts must be 'ei' or 'cost', got {self.local_search_starts!r}")
        if self.initial_design not in ("default", "sobol", "random"):
            raise ValueError(f"initial_design must be 'default', 'sobol' or 'random', got {self.initial_design!r}")
        if self.n_trials is not None and int(self.n_trials) < 1:
            raise ValueError(f"n_trials must be >= 1, got {self.n_trials}")
        for key in ("n_trees", "min_samples_split", "min_samples_leaf"):
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

    @property
    def budget_hint(self) -> int:
        """The evaluation budget the initial design is sized for: ``n_trials`` when given, else
        the runner's hint (:attr:`expected_trials`), else 100."""
        if self.n_trials is not None:
            return int(self.n_trials)
        return int(self.expected_trials) if self.expected_trials else 100

    def _initial_design(self) -> list[tuple[dict, str]]:
        d = len(self.space)
        if self.initial_design == "default":
            n = 1 if self.n_initial is None else int(self.n_initial)
            configs = [(self.default_config(), "initial design: default")][:n]
            configs += [(self.space.sample(self.rng), "initial design: random") for _ in range(n - len(configs))]
            return configs
        n = int(self.n_initial) if self.n_initial is not None else int(max(1, min(10 * d, 0.25 * self.budget_hint)))
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
        if self._initial is None:
            self._initial = self._initial_design()
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
        return set(feature_keys(np.array(rows))) if rows else set()

    def _random_unseen(self) -> dict:
        seen = self._seen_keys()
        config = self.space.sample(self.rng)
        for _ in range(100):  # only tiny discrete spaces ever repeat
            if feature_keys(self._feature_of(config)[None, :])[0] not in seen:
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

        # Local search starts: the evaluated configurations of highest EI (Hutter et al. 2011) or
        # of lowest predicted cost (SMAC3), plus the best random candidates.
        starts = []
        if self.n_local_search > 0 and len(X_told):
            if self.local_search_starts == "ei":
                key = acq(X_told)
            else:
                key = -self.model.predict(X_told)[0]
            order = self._argsort_desc(key)[: int(self.n_local_search)]
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
            U_ls, F_ls, a_ls = local_search(self.space, self._featurize, np.vstack(starts), acq, self.rng,
                                            n_neighbours=int(self.n_neighbours), std=self.neighbour_std,
                                            n_steps_plateau_walk=self.n_steps_plateau_walk, max_steps=self.max_local_steps)
        else:
            U_ls, F_ls, a_ls = np.empty((0, d)), np.empty((0, d)), np.empty(0)

        U_all = np.vstack([U_ls, U_rand])
        F_all = np.vstack([F_ls, F_rand])
        a_all = np.concatenate([a_ls, a_rand])
        origins = ["local search"] * len(U_ls) + ["random search (sorted)"] * len(U_rand)
        seen = self._seen_keys()
        order = self._argsort_desc(a_all)
        keys = feature_keys(F_all[order[: min(len(order), 64)]])
        for rank, i in enumerate(order):
            key = keys[rank] if rank < len(keys) else feature_keys(F_all[i][None, :])[0]
            if key not in seen:
                return self.space.decode(U_all[i]), origins[i], float(a_all[i])
        # Every candidate was evaluated already (tiny discrete space): fall back to random.
        return self._random_unseen(), "random (candidates exhausted)", 0.0

    def _argsort_desc(self, a: np.ndarray) -> np.ndarray:
        """Indices by decreasing value, ties broken at random (SMAC3 does the same)."""
        return np.lexsort((self.rng.random(len(a)), -np.asarray(a)))
