"""Kernel classifiers with a data-size or feature-count fidelity (Hyperband paper §4.2.2 and §4.3).

Two real benchmarks, small enough that one evaluation at the maximum budget takes about a
second or two on one core:

* :class:`KernelLeastSquares` — multi-class kernel regularized least squares (one-vs-all one-hot
  targets, exact solve of ``(K + λI) α = Y``); the resource is the number of training points
  (paper §4.2.2, Table 4; see docs/kernels.md).
* :class:`RandomFeatures` — random Fourier features approximating the RBF kernel (Rahimi & Recht
  2007) fed to ridge regression; the resource is the number of features (paper §4.3, Table 5).

Both run on MNIST-1D (default) or scikit-learn's digits, with images flattened to vectors; the
user-provided sets of :mod:`hpobench.benchmarks.datasets` (MNIST, Fashion-MNIST, CIFAR-10, SVHN)
work too, with the training set capped by ``max_train``. ``loss`` is the validation error,
``test_loss`` the test error of the same model, ``cost`` the seconds the evaluation took.

Example:
    >>> b = KernelLeastSquares("digits")
    >>> cfg = {"preprocessor": "standardize", "kernel": "rbf", "C": 1e4, "gamma": 0.01}
    >>> r = b.evaluate(cfg)
    >>> r.loss < 0.05
    True
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
import scipy.linalg

from ..space import Categorical, Float, Space
from .base import Benchmark, Fidelity, Result, stable_seed
from .datasets import DATASETS, Split, check_dataset, dataset_present, load_dataset
from .spaces import kernel_ls_space

__all__ = [
    "KernelLeastSquares",
    "RandomFeatures",
    "KernelLSMNIST1D",
    "KernelLSDigits",
    "RandomFeaturesMNIST1D",
    "RandomFeaturesDigits",
    "TRAIN_SIZES",
]

#: Training-set size of each data set's fixed split (see :mod:`~hpobench.benchmarks.datasets`);
#: fixes R without loading the data, so ``hpobench list`` works where the files are missing.
TRAIN_SIZES: dict[str, int] = {
    "digits": 1079,
    "mnist1d": 3000,
    "mnist": 50_000,
    "fashion-mnist": 50_000,
    "cifar10": 40_000,
    "svhn": 67_257,
}

#: Largest kernel-LS training set used by default: the exact solve is O(n^3), and 4,000 points
#: keep one evaluation around a second on one core (the paper's CIFAR-10 runs used 40k points
#: and a block coordinate-descent solver).
DEFAULT_MAX_TRAIN = 4000


def _check_dataset(dataset: str) -> None:
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; known: {', '.join(DATASETS)}")


def _flatten(X: np.ndarray) -> np.ndarray:
    # float32 views of the loaded arrays; rows are cast to float64 only where they are used, so
    # CIFAR-10 / SVHN do not double in memory
    return np.ascontiguousarray(X.reshape(len(X), -1), dtype=np.float32)


#: Rows per block when predicting, so kernel / feature matrices of large validation or test
#: sets are never held whole.
_CHUNK = 2048


def _predict(rows: np.ndarray, fn) -> np.ndarray:
    """``fn`` applied to float64 blocks of ``rows``, stacked."""
    out = [fn(np.asarray(rows[i : i + _CHUNK], dtype=np.float64)) for i in range(0, len(rows), _CHUNK)]
    return np.concatenate(out) if out else np.zeros((0, 0))


class _Preprocessor:
    """min/max scaling, standardization or row normalization, fitted on training data only."""

    def __init__(self, kind: str):
        self.kind = kind

    def fit(self, X: np.ndarray) -> "_Preprocessor":
        if self.kind == "min/max":
            self.lo = X.min(axis=0)
            span = X.max(axis=0) - self.lo
            self.scale = np.where(span > 0, span, 1.0)  # constant features stay finite (0)
        elif self.kind == "standardize":
            self.lo = X.mean(axis=0)
            sd = X.std(axis=0)
            self.scale = np.where(sd > 0, sd, 1.0)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        if self.kind in ("min/max", "standardize"):
            return (X - self.lo) / self.scale
        if self.kind == "normalize":
            norm = np.linalg.norm(X, axis=1, keepdims=True)
            return X / np.where(norm > 0, norm, 1.0)
        return X  # "none"


def _error(scores: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.argmax(scores, axis=1) != y))


def _one_hot(y: np.ndarray, n_classes: int) -> np.ndarray:
    Y = np.zeros((len(y), n_classes))
    Y[np.arange(len(y)), y] = 1.0
    return Y


def _spd_solve(A: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, str]:
    """Solve ``A X = B`` for symmetric ``A``: Cholesky when positive definite, else symmetric LU.

    Returns the solution and the solver used. Indefinite systems arise from the sigmoid (never
    PSD) and polynomial (with negative coef0) kernels; the LU fallback still gives an answer.
    """
    try:
        c = scipy.linalg.cho_factor(A, lower=True, overwrite_a=False, check_finite=False)
        return scipy.linalg.cho_solve(c, B, check_finite=False), "cholesky"
    except np.linalg.LinAlgError:
        pass
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        return scipy.linalg.solve(A, B, assume_a="sym", check_finite=False), "lu"


class _DataBenchmark(Benchmark):
    """Shared lazy data handling: nothing is read until the first evaluation."""

    kind = "real"
    accepts_data_dir = True

    def __init__(self, dataset: str, data_dir=None):
        _check_dataset(dataset)
        self.dataset = dataset
        self.data_dir = data_dir
        self._split: Split | None = None

    @property
    def data_source(self) -> str:
        return DATASETS[self.dataset]

    def data_available(self) -> bool:
        return dataset_present(self.dataset, self.data_dir)

    def check_available(self) -> None:
        """Raise :class:`~hpobench.benchmarks.datasets.DataMissingError` naming the files
        expected and where, when the data set is not on this machine."""
        check_dataset(self.dataset, self.data_dir)

    def _data(self) -> tuple[np.ndarray, ...]:
        if self._split is None:
            # the split is fixed (seed 0) whatever the evaluation seed: every run and every
            # optimizer sees the same train / validation / test sets
            self._split = load_dataset(self.dataset, self.data_dir, seed=0)
            s = self._split
            self._arrays = (_flatten(s.X_train), s.y_train, _flatten(s.X_val), s.y_val, _flatten(s.X_test), s.y_test)
        return self._arrays

    def _failed(self, msg: str, t0: float, **info) -> Result:
        return Result(loss=math.nan, cost=time.perf_counter() - t0, info={"error": msg, **info})

    def close(self) -> None:
        self._split = None
        self._arrays = None


# ------------------------------------------------------------------------------ kernel LS


class KernelLeastSquares(_DataBenchmark):
    """Kernel regularized least-squares classification; resource = training points (paper §4.2.2).

    One-vs-all with one-hot targets ``Y``: solve ``(K + λ I) α = Y`` exactly (Cholesky, or a
    symmetric LU solve when ``K + λI`` is indefinite), predict ``argmax K(x, X) α``. The
    regularization follows the paper: ``λ = n / C`` for a subsample of ``n`` points, which keeps
    the data-fit / penalty trade-off constant across budgets.

    Resource: budget ``r`` trains on the first ``round(n_max · r / R)`` points of a permutation of
    the training set fixed by the evaluation seed, so larger budgets contain smaller ones. ``R =
    round(n_max / 100)``, i.e. one unit is about 100 points: MNIST-1D R = 30 (3,000 points, unit
    exactly 100); digits R = 11 (1,079 points, unit ≈ 98). The preprocessor is fitted on the
    subsample.

    Search space (Table 4): ``preprocessor`` {min/max, standardize, normalize}; ``kernel``
    {rbf, poly, sigmoid}; ``C`` log [1e-3, 1e5]; ``gamma`` log [1e-5, 10]; ``degree`` int [2, 5]
    only for poly; ``coef0`` [-1, 1] only for poly and sigmoid. Kernels are scikit-learn's:
    ``exp(-γ‖x-y‖²)``, ``(γ x·y + coef0)^degree``, ``tanh(γ x·y + coef0)``.

    Args:
        dataset: ``"mnist1d"`` (default), ``"digits"``, or a user-provided set (``"mnist"``,
            ``"fashion-mnist"``, ``"cifar10"``, ``"svhn"``).
        data_dir: where user-provided data lives (see :func:`~hpobench.benchmarks.datasets.data_dir`).
        max_train: cap on the training points used at the maximum budget (default: all of
            digits / MNIST-1D, 4,000 for the others; the exact solve is O(n³) time, O(n²) memory).

    Deviation from the paper: an exact dense solve instead of the authors' block coordinate
    descent (block 4,000, ≤ 3 epochs), and small data sets instead of CIFAR-10 (R = 400).
    """

    def __init__(self, dataset: str = "mnist1d", data_dir=None, max_train: int | None = None):
        super().__init__(dataset, data_dir)
        n_full = TRAIN_SIZES[dataset]
        if max_train is None:
            max_train = n_full if dataset in ("digits", "mnist1d") else DEFAULT_MAX_TRAIN
        if int(max_train) < 100:
            raise ValueError(f"max_train must be >= 100, got {max_train}")
        self.n_max = min(int(max_train), n_full)
        self.R = max(1, round(self.n_max / 100))
        self.name = f"kernel-ls-{dataset}"
        self.fidelity = Fidelity("n_train", 1, self.R, unit=f"x{self.n_max / self.R:.4g} training points")
        self.space = kernel_ls_space()

    def n_points(self, budget: float, n_available: int | None = None) -> int:
        """Training points used at ``budget`` (at least 2)."""
        n_max = self.n_max if n_available is None else min(self.n_max, n_available)
        return int(min(n_max, max(2, round(n_max * float(budget) / self.R))))

    def subsample(self, budget: float, seed: int | None) -> np.ndarray:
        """Indices of the training points used at ``budget``: a prefix of a seeded permutation."""
        Xtr = self._data()[0]
        perm = np.random.default_rng(stable_seed("kernel-ls", self.dataset, 0 if seed is None else seed)).permutation(len(Xtr))
        return perm[: self.n_points(budget, len(Xtr))]

    def kernel(self, config: dict, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        """The configured kernel matrix between the rows of ``A`` and ``B``."""
        g = float(config["gamma"])
        k = config["kernel"]
        if k == "rbf":
            sq = (A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2.0 * (A @ B.T)
            return np.exp(-g * np.maximum(sq, 0.0))
        dot = g * (A @ B.T) + float(config["coef0"])
        if k == "poly":
            return dot ** int(config["degree"])
        return np.tanh(dot)

    def _evaluate(self, config, budget, seed, **kwargs) -> Result:
        Xtr, ytr, Xva, yva, Xte, yte = self._data()  # loaded once, not part of the cost
        t0 = time.perf_counter()
        idx = self.subsample(budget, seed)
        n = len(idx)
        X = Xtr[idx].astype(np.float64)
        prep = _Preprocessor(config["preprocessor"]).fit(X)
        X = prep.transform(X)
        lam = n / float(config["C"])
        info = {"n_train": n, "lambda": lam}
        with np.errstate(over="ignore", invalid="ignore"):
            K = self.kernel(config, X, X)
            if not np.all(np.isfinite(K)):
                return self._failed("kernel matrix has non-finite entries (overflow)", t0, **info)
            K[np.diag_indices_from(K)] += lam
            try:
                alpha, solver = _spd_solve(K, _one_hot(ytr[idx], self._split.n_classes))
            except (np.linalg.LinAlgError, ValueError) as exc:
                return self._failed(f"linear solve failed: {exc}", t0, **info)
            del K
            if not np.all(np.isfinite(alpha)):
                return self._failed("solution has non-finite entries (singular system)", t0, **info)
            def scores(B):
                return self.kernel(config, prep.transform(B), X) @ alpha

            val, test = _predict(Xva, scores), _predict(Xte, scores)
        if not (np.all(np.isfinite(val)) and np.all(np.isfinite(test))):
            return self._failed("predictions have non-finite entries", t0, **info)
        info["solver"] = solver
        return Result(loss=_error(val, yva), cost=time.perf_counter() - t0, test_loss=_error(test, yte), info=info)


# ------------------------------------------------------------------------------ random features


class RandomFeatures(_DataBenchmark):
    """Random Fourier features + ridge regression; resource = number of features (paper §4.3).

    Features ``z(x) = sqrt(2/D) cos(sqrt(2γ) W x + b)`` with ``W`` standard normal and ``b``
    uniform on [0, 2π) (Rahimi & Recht 2007; ``z(x)·z(y) → exp(-γ‖x-y‖²)``). ``W`` and ``b`` for the
    largest ``D`` are drawn once per evaluation seed; budget ``r`` uses their first ``100·r``
    columns, so budgets nest and only ``γ`` rescales them. Ridge regression (with an unpenalized
    intercept) on one-hot targets, ridge penalty ``λ / D`` as in the paper; solved in the primal
    (``D ≤ n``) or the dual (``D > n``), predict the argmax.

    Resource: 1 unit = 100 features; R = ``max_features / 100`` = 100 by default (10,000
    features; the paper used R = 1000, 100k features, on CIFAR-10). The preprocessor is fitted on
    the whole training set (the resource is features, not data).

    Search space (Table 5): ``preprocessor`` {none, min/max, standardize, normalize}; ``lambda``
    log [1e-3, 1e5]; ``gamma`` log [1e-5, 10].

    ``variant="code"`` swaps ``lambda`` for the authors' code parametrization: ``C`` log
    [1e-10, 1e-2] with ridge penalty ``1 / (C · D)`` (the Hyperband authors' code; docs/kernels.md).

    Args:
        dataset: ``"mnist1d"`` (default), ``"digits"``, or a user-provided set.
        data_dir: where user-provided data lives.
        max_features: features at the maximum budget (a multiple of 100).
        max_train: cap on training points (default: all of digits / MNIST-1D, 4,000 otherwise).
        variant: ``"paper"`` (default) or ``"code"``.
    """

    UNIT = 100

    def __init__(
        self,
        dataset: str = "mnist1d",
        data_dir=None,
        max_features: int = 10_000,
        max_train: int | None = None,
        variant: str = "paper",
    ):
        super().__init__(dataset, data_dir)
        if int(max_features) < self.UNIT or int(max_features) % self.UNIT:
            raise ValueError(f"max_features must be a positive multiple of {self.UNIT}, got {max_features}")
        if variant not in ("paper", "code"):
            raise ValueError(f"variant must be 'paper' or 'code', got {variant!r}")
        n_full = TRAIN_SIZES[dataset]
        if max_train is None:
            max_train = n_full if dataset in ("digits", "mnist1d") else DEFAULT_MAX_TRAIN
        self.max_train = min(int(max_train), n_full)
        self.max_features = int(max_features)
        self.variant = variant
        self.R = self.max_features // self.UNIT
        self.name = f"random-features-{dataset}"
        self.fidelity = Fidelity("n_features", 1, self.R, unit=f"x{self.UNIT} features")
        reg = Float("lambda", 1e-3, 1e5, log=True) if variant == "paper" else Float("C", 1e-10, 1e-2, log=True)
        self.space = Space(
            [
                Categorical("preprocessor", ["none", "min/max", "standardize", "normalize"]),
                reg,
                Float("gamma", 1e-5, 10.0, log=True),
            ]
        )
        self._features: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._prepared: dict[str, tuple[np.ndarray, ...]] = {}

    def n_features(self, budget: float) -> int:
        """Features used at ``budget`` (at least 1)."""
        return int(min(self.max_features, max(1, round(self.UNIT * float(budget)))))

    def _base_features(self, seed: int | None, dim: int) -> tuple[np.ndarray, np.ndarray]:
        seed = 0 if seed is None else int(seed)
        if seed not in self._features:
            # one stream for W (drawn feature by feature, i.e. row-major in (D, dim)) and one for b,
            # so the first D features are the same whatever max_features is
            ss_w, ss_b = np.random.SeedSequence(stable_seed("random-features", self.dataset, seed)).spawn(2)
            W = np.random.default_rng(ss_w).standard_normal((self.max_features, dim)).T
            b = np.random.default_rng(ss_b).uniform(0.0, 2.0 * np.pi, self.max_features)
            self._features = {seed: (np.ascontiguousarray(W), b)}  # keep one seed: a run uses one
        return self._features[seed]

    def _prepare(self, kind: str) -> tuple[np.ndarray, ...]:
        if kind not in self._prepared:
            Xtr, ytr, Xva, yva, Xte, yte = self._data()
            if len(Xtr) > self.max_train:
                # a fixed subset (seed 0) so that the training set does not change across runs
                keep = np.sort(np.random.default_rng(stable_seed("rf-train", self.dataset)).permutation(len(Xtr))[: self.max_train])
                Xtr, ytr = Xtr[keep], ytr[keep]
            Xtr = Xtr.astype(np.float64)
            prep = _Preprocessor(kind).fit(Xtr)

            def tf(B):  # validation / test stay float32 (cast per block when predicting)
                return np.concatenate([prep.transform(B[i : i + _CHUNK].astype(np.float64)).astype(np.float32) for i in range(0, len(B), _CHUNK)])

            arrays = (prep.transform(Xtr), ytr, tf(Xva), yva, tf(Xte), yte)
            if sum(a.nbytes for a in arrays) > 64 * 2**20:
                self._prepared.clear()  # large data: keep only the latest preprocessor's arrays
            self._prepared[kind] = arrays
        return self._prepared[kind]

    def penalty(self, config: dict, D: int) -> float:
        """The ridge penalty for ``D`` features: ``λ / D`` (paper) or ``1 / (C · D)`` (code)."""
        if self.variant == "paper":
            return float(config["lambda"]) / D
        return 1.0 / (float(config["C"]) * D)

    def _evaluate(self, config, budget, seed, **kwargs) -> Result:
        Xtr, ytr, Xva, yva, Xte, yte = self._prepare(config["preprocessor"])  # cached, not part of the cost
        t0 = time.perf_counter()
        D = self.n_features(budget)
        W, b = self._base_features(seed, Xtr.shape[1])
        W = W[:, :D] * math.sqrt(2.0 * float(config["gamma"]))
        b = b[:D]
        scale = math.sqrt(2.0 / D)
        alpha = self.penalty(config, D)
        info = {"n_features": D, "alpha": alpha}

        def feats(X):
            # the phase is computed in float64; the cosine in float32, which is ~15x faster (SIMD)
            # and perturbs features by ~1e-7: still an exact feature map, fixed for (seed, γ, D).
            # The Gram matrix and the solve stay in float64.
            Z = (X @ W + b).astype(np.float32)
            np.cos(Z, out=Z)
            Z = Z.astype(np.float64)
            Z *= scale
            return Z

        with np.errstate(over="ignore", invalid="ignore"):
            Z = feats(Xtr)
            Y = _one_hot(ytr, self._split.n_classes)
            # unpenalized intercept: center features and targets
            zm, ym = Z.mean(axis=0), Y.mean(axis=0)
            Z -= zm
            Yc = Y - ym
            n = len(Z)
            try:
                if D <= n:  # primal: (Z'Z + αI) w = Z'Y, D x D
                    A = Z.T @ Z
                    A[np.diag_indices_from(A)] += alpha
                    w, solver = _spd_solve(A, Z.T @ Yc)
                else:  # dual: w = Z' (ZZ' + αI)^-1 Y, n x n
                    A = Z @ Z.T
                    A[np.diag_indices_from(A)] += alpha
                    beta, solver = _spd_solve(A, Yc)
                    w = Z.T @ beta
            except (np.linalg.LinAlgError, ValueError) as exc:
                return self._failed(f"linear solve failed: {exc}", t0, **info)
            del A, Z
            if not np.all(np.isfinite(w)):
                return self._failed("ridge solution has non-finite entries", t0, **info)
            offset = ym - zm @ w

            def scores(B):
                return feats(B) @ w + offset

            val, test = _predict(Xva, scores), _predict(Xte, scores)
        info["solver"] = solver
        return Result(loss=_error(val, yva), cost=time.perf_counter() - t0, test_loss=_error(test, yte), info=info)

    def close(self) -> None:
        super().close()
        self._features = {}
        self._prepared = {}


# ------------------------------------------------------------------ registered variants
# One class per registered name, so the registry can name them as "module:Class" strings.


class KernelLSMNIST1D(KernelLeastSquares):
    """``kernel-ls-mnist1d``: :class:`KernelLeastSquares` on MNIST-1D (R = 30 × 100 points)."""

    def __init__(self, **options):
        super().__init__(dataset="mnist1d", **options)


class KernelLSDigits(KernelLeastSquares):
    """``kernel-ls-digits``: :class:`KernelLeastSquares` on scikit-learn's digits (R = 11 × ≈98 points)."""

    def __init__(self, **options):
        super().__init__(dataset="digits", **options)


class RandomFeaturesMNIST1D(RandomFeatures):
    """``random-features-mnist1d``: :class:`RandomFeatures` on MNIST-1D (R = 100 × 100 features)."""

    def __init__(self, **options):
        super().__init__(dataset="mnist1d", **options)


class RandomFeaturesDigits(RandomFeatures):
    """``random-features-digits``: :class:`RandomFeatures` on scikit-learn's digits (R = 100 × 100 features)."""

    def __init__(self, **options):
        super().__init__(dataset="digits", **options)
