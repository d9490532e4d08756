"""scikit-learn pipelines with a training-set-subsample fidelity (Hyperband paper §4.2.1).

Li et al. (JMLR 18(185), 2018, §4.2.1) ran Hyperband against SMAC, TPE and random search on 117
OpenML data sets in auto-sklearn's search space (Feurer et al. 2015: 15 classifiers, 14 feature
preprocessors, 4 data preprocessors, 110 conditional hyperparameters), with the **training-set
subsample size** as the resource: R = the full training set, eta = 3, and Hyperband's most
exploratory bracket using at least 1/9 of it (n_max = max{9, R/1000}). This module is that
benchmark family, smaller: seven classifiers, four preprocessors, 20 hyperparameters (18 conditional)
(:func:`pipeline_space`), on small data sets that load offline (:mod:`~hpobench.benchmarks.tabular`).
See docs/pipeline.md.

Example:
    >>> b = PipelineBenchmark("wine")
    >>> r = b.evaluate({"preprocessor": "standardize", "classifier": "logreg", "logreg_C": 1.0}, seed=0)
    >>> r.loss < 0.2, r.info["n_train"]
    (True, 119)
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np

from ..space import Categorical, Float, Int, Space
from .base import Benchmark, Fidelity, Result, stable_seed
from .datasets import Split, check_dataset, dataset_present
from .tabular import TABULAR_DATASETS, TABULAR_SIZES, load_csv, load_tabular, train_size

__all__ = [
    "CLASSIFIERS",
    "PREPROCESSORS",
    "pipeline_space",
    "PipelineBenchmark",
    "CSVPipeline",
    "subsample_order",
    "n_max_brackets",
]

#: Feature preprocessors (auto-sklearn's data and feature preprocessing, reduced to four).
PREPROCESSORS = ("none", "standardize", "min/max", "pca")
#: Classifiers (a cheap subset of auto-sklearn's 15).
CLASSIFIERS = ("logreg", "linear_svm", "rbf_svm", "knn", "random_forest", "extra_trees", "gradient_boosting")

#: Trees per forest: auto-sklearn fixes random forests and extra trees at 100 trees; 50 keep one
#: evaluation around a second on one core (the subsample is the resource, not the trees).
N_TREES = 50
#: Boosting iterations of the histogram gradient boosting classifier (auto-sklearn: up to 512
#: with early stopping); fixed so that the training-set size alone sets the cost.
N_BOOSTING = 50


def _forest_params(prefix: str, cond) -> list:
    return [
        Categorical(f"{prefix}_criterion", ["gini", "entropy"], condition=cond),
        Float(f"{prefix}_max_features", 0.05, 1.0, condition=cond),
        Int(f"{prefix}_min_samples_leaf", 1, 20, condition=cond),
    ]


def pipeline_space() -> Space:
    """The pipeline search space: a preprocessor, then a classifier, each with its own
    conditional hyperparameters (the ranges are auto-sklearn's where it has the parameter).

    * ``preprocessor`` in :data:`PREPROCESSORS`; ``pca_keep_variance`` [0.5, 0.9999] only for PCA.
    * ``classifier`` in :data:`CLASSIFIERS`, and only the chosen classifier's parameters:
      ``logreg_C`` log [1e-4, 1e4]; ``linear_svm_C`` and ``rbf_svm_C`` log [2^-5, 2^15];
      ``rbf_svm_gamma`` log [2^-15, 8]; ``knn_n_neighbors`` log-int [1, 100], ``knn_weights``,
      ``knn_p`` in {1, 2}; random forest and extra trees: ``*_criterion`` {gini, entropy},
      ``*_max_features`` (share of features per split) [0.05, 1], ``*_min_samples_leaf`` [1, 20];
      gradient boosting: ``gradient_boosting_learning_rate`` log [0.01, 1],
      ``gradient_boosting_max_leaf_nodes`` log-int [3, 255], ``gradient_boosting_min_samples_leaf``
      log-int [1, 100], ``gradient_boosting_l2_regularization`` log [1e-10, 1].
    """
    def on(name):
        return ("classifier", [name])

    return Space(
        [
            Categorical("preprocessor", list(PREPROCESSORS)),
            Float("pca_keep_variance", 0.5, 0.9999, condition=("preprocessor", ["pca"])),
            Categorical("classifier", list(CLASSIFIERS)),
            Float("logreg_C", 1e-4, 1e4, log=True, condition=on("logreg")),
            Float("linear_svm_C", 2.0**-5, 2.0**15, log=True, condition=on("linear_svm")),
            Float("rbf_svm_C", 2.0**-5, 2.0**15, log=True, condition=on("rbf_svm")),
            Float("rbf_svm_gamma", 2.0**-15, 8.0, log=True, condition=on("rbf_svm")),
            Int("knn_n_neighbors", 1, 100, log=True, condition=on("knn")),
            Categorical("knn_weights", ["uniform", "distance"], condition=on("knn")),
            Categorical("knn_p", [1, 2], condition=on("knn")),
            *_forest_params("random_forest", on("random_forest")),
            *_forest_params("extra_trees", on("extra_trees")),
            Float("gradient_boosting_learning_rate", 0.01, 1.0, log=True, condition=on("gradient_boosting")),
            Int("gradient_boosting_max_leaf_nodes", 3, 255, log=True, condition=on("gradient_boosting")),
            Int("gradient_boosting_min_samples_leaf", 1, 100, log=True, condition=on("gradient_boosting")),
            Float("gradient_boosting_l2_regularization", 1e-10, 1.0, log=True, condition=on("gradient_boosting")),
        ]
    )


def n_max_brackets(n_train: int) -> float:
    """The paper's ``n_max = max{9, R/1000}`` for ``R = n_train`` training points: the most
    exploratory bracket trains on ``R / n_max`` points, at least 9 times fewer than R."""
    return max(9.0, n_train / 1000.0)


def subsample_order(y: np.ndarray, seed: int) -> np.ndarray:
    """An order of the training indices whose every prefix keeps the class proportions (within
    one example per class), fixed by ``seed``: budget ``n`` trains on the first ``n``, so larger
    budgets contain smaller ones and a small subsample still sees every class."""
    rng = np.random.default_rng(seed)
    keys = np.empty(len(y))
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        idx = idx[rng.permutation(len(idx))]
        # the k-th example of a class of size m is due at fraction (k + u) / m of the data
        keys[idx] = (np.arange(len(idx)) + rng.uniform(0.0, 1.0, len(idx))) / len(idx)
    return np.argsort(keys, kind="stable")


def _build(config: dict, n_train: int, random_state: int):
    """The configured scikit-learn pipeline, and the notes on values adapted to the subsample."""
    from sklearn.decomposition import PCA
    from sklearn.ensemble import ExtraTreesClassifier, HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler, StandardScaler
    from sklearn.svm import SVC, LinearSVC

    notes: dict = {}
    steps = []
    prep = config["preprocessor"]
    if prep == "standardize":
        steps.append(StandardScaler())
    elif prep == "min/max":
        steps.append(MinMaxScaler())
    elif prep == "pca":
        # auto-sklearn's PCA: keep the components that explain this share of the variance
        steps.append(PCA(n_components=float(config["pca_keep_variance"]), svd_solver="full", random_state=random_state))
    clf = config["classifier"]
    if clf == "logreg":
        model = LogisticRegression(C=float(config["logreg_C"]), max_iter=200, random_state=random_state)
    elif clf == "linear_svm":
        model = LinearSVC(C=float(config["linear_svm_C"]), max_iter=2000, random_state=random_state)
    elif clf == "rbf_svm":
        model = SVC(C=float(config["rbf_svm_C"]), gamma=float(config["rbf_svm_gamma"]), kernel="rbf", random_state=random_state)
    elif clf == "knn":
        k = int(config["knn_n_neighbors"])
        if k > n_train:  # more neighbours than training points: use them all
            notes["n_neighbors_used"] = k = n_train
        model = KNeighborsClassifier(n_neighbors=k, weights=config["knn_weights"], p=int(config["knn_p"]))
    elif clf in ("random_forest", "extra_trees"):
        cls = RandomForestClassifier if clf == "random_forest" else ExtraTreesClassifier
        model = cls(
            n_estimators=N_TREES, criterion=config[f"{clf}_criterion"], max_features=float(config[f"{clf}_max_features"]),
            min_samples_leaf=int(config[f"{clf}_min_samples_leaf"]), n_jobs=1, random_state=random_state,
        )
    else:
        model = HistGradientBoostingClassifier(
            learning_rate=float(config["gradient_boosting_learning_rate"]), max_iter=N_BOOSTING,
            max_leaf_nodes=int(config["gradient_boosting_max_leaf_nodes"]),
            min_samples_leaf=int(config["gradient_boosting_min_samples_leaf"]),
            l2_regularization=float(config["gradient_boosting_l2_regularization"]), early_stopping=False, random_state=random_state,
        )
    steps.append(model)
    return make_pipeline(*steps), notes


class PipelineBenchmark(Benchmark):
    """A preprocessor + classifier pipeline on one tabular data set; resource = training points.

    The data set is split once (2/3 train, 1/6 validation, 1/6 test, stratified; the same split
    for every run). Budget ``r`` (in training points, ``R`` = the whole training set) fits the
    pipeline on the first ``round(r)`` points of :func:`subsample_order` seeded by the
    evaluation seed, so larger budgets contain smaller ones and every run (seed) draws its own
    subsamples, as the paper's trials did. The smallest budget is ``R / n_max`` with the paper's
    ``n_max = max{9, R/1000}`` (:func:`n_max_brackets`), so Hyperband with eta = 3 gets three
    brackets here (s_max = 2).

    ``loss``: validation error; ``test_loss``: test error of the same fitted pipeline; ``cost``:
    the measured seconds of fitting and predicting (loading the data is not counted). A pipeline
    that raises while fitting (e.g. a solver failing on a degenerate subsample) is a failed
    evaluation with the error in ``info``, not a crash.

    Args:
        dataset: a name of :data:`~hpobench.benchmarks.tabular.TABULAR_DATASETS`.
    """

    kind = "real"

    def __init__(self, dataset: str = "digits"):
        if dataset not in TABULAR_DATASETS:
            raise ValueError(f"unknown data set {dataset!r}; known: {', '.join(TABULAR_DATASETS)} (or pipeline-csv with path= and target=)")
        self.dataset = dataset
        self._split: Split | None = None  # loaded on the first evaluation, so `hpobench list` stays quick
        self._setup(dataset, train_size(TABULAR_SIZES[dataset]))

    def _setup(self, name: str, n_train: int) -> None:
        self.R = n_train
        self.name = f"pipeline-{name}"
        self.fidelity = Fidelity("n_train", self.R / n_max_brackets(self.R), float(self.R), unit="training points")
        self.space = pipeline_space()

    def _data(self) -> Split:
        if self._split is None:
            self._split = load_tabular(self.dataset)
            assert len(self._split.y_train) == self.R, (self.dataset, len(self._split.y_train), self.R)
        return self._split

    @property
    def data_source(self) -> str:
        return TABULAR_DATASETS[self.dataset]

    def check_available(self) -> None:
        """MNIST-1D needs the ``mnist1d`` package (one line naming it if it is missing); the
        scikit-learn data sets are always there."""
        if self.dataset == "mnist1d":
            check_dataset("mnist1d")

    def data_available(self) -> bool:
        return self.dataset != "mnist1d" or dataset_present("mnist1d")

    def n_points(self, budget: float) -> int:
        """Training points used at ``budget`` (at least 2, at most R)."""
        return int(min(self.R, max(2, round(float(budget)))))

    def subsample(self, budget: float, seed: int | None) -> np.ndarray:
        """Indices into the training set used at ``budget`` by a run with ``seed``."""
        split = self._data()
        order = subsample_order(split.y_train, stable_seed("pipeline-subsample", split.name, 0 if seed is None else seed))
        return order[: self.n_points(budget)]

    def _evaluate(self, config, budget, seed, **kwargs) -> Result:
        s = self._data()  # loaded once, not part of the cost
        t0 = time.perf_counter()
        idx = self.subsample(budget, seed)
        Xtr, ytr = s.X_train[idx], s.y_train[idx]
        info: dict = {"n_train": len(idx)}
        random_state = stable_seed("pipeline-model", s.name, 0 if seed is None else seed) % (2**31)
        try:
            model, notes = _build(config, len(idx), random_state)
            info.update(notes)
            with warnings.catch_warnings():
                # an unconverged solver is part of what a configuration costs, not an error
                warnings.simplefilter("ignore")
                model.fit(Xtr, ytr)
                val_err = float(np.mean(model.predict(s.X_val) != s.y_val))
                test_err = float(np.mean(model.predict(s.X_test) != s.y_test))
        except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
            return Result(loss=math.nan, cost=time.perf_counter() - t0, info={**info, "error": f"{type(exc).__name__}: {exc}"})
        return Result(loss=val_err, cost=time.perf_counter() - t0, test_loss=test_err, info=info)


class CSVPipeline(PipelineBenchmark):
    """``pipeline-csv``: :class:`PipelineBenchmark` on a user's CSV file.

    Args:
        path: a comma-separated file with a header row; every column but ``target`` numeric.
        target: the name of the label column.

    The file is read when the benchmark is built, so a bad path, column or value is one clear
    error before a study starts (:class:`~hpobench.benchmarks.tabular.CSVError`).
    """

    def __init__(self, path: str | None = None, target: str | None = None):
        if not path or not target:
            raise ValueError("pipeline-csv needs path=FILE.csv and target=COLUMN (benchmark options)")
        self.path, self.target = str(path), str(target)
        self.dataset = "csv"
        self._split = load_csv(self.path, self.target)
        self._setup(self._split.name, len(self._split.y_train))

    @property
    def data_source(self) -> str:
        return self._split.source


# ------------------------------------------------------------------ registered variants
# One class per registered name, so the registry can name them as "module:Class" strings.


class PipelineDigits(PipelineBenchmark):
    """``pipeline-digits``: scikit-learn's digits (R = 1,198 training points)."""

    def __init__(self):
        super().__init__("digits")


class PipelineBreastCancer(PipelineBenchmark):
    """``pipeline-breast-cancer``: scikit-learn's breast cancer set (R = 379 training points)."""

    def __init__(self):
        super().__init__("breast-cancer")


class PipelineWine(PipelineBenchmark):
    """``pipeline-wine``: scikit-learn's wine set (R = 119 training points)."""

    def __init__(self):
        super().__init__("wine")


class PipelineIris(PipelineBenchmark):
    """``pipeline-iris``: scikit-learn's iris set (R = 100 training points)."""

    def __init__(self):
        super().__init__("iris")


class PipelineSynthetic(PipelineBenchmark):
    """``pipeline-synthetic``: a Madelon-style ``make_classification`` set (R = 1,333 training points)."""

    def __init__(self):
        super().__init__("synthetic")


class PipelineMNIST1D(PipelineBenchmark):
    """``pipeline-mnist1d``: MNIST-1D, 40 features (R = 3,333 training points)."""

    def __init__(self):
        super().__init__("mnist1d")
