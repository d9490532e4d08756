"""Benchmarks built on recorded learning curves (``surrogates/<benchmark>/``).

* :class:`SurrogateBenchmark` (``*-surrogate``) — a model fitted on the recorded curves (a
  Gaussian process or a tree ensemble, :mod:`hpobench.surrogates.model`) predicts validation error, test error and seconds at any
  budget of the continuous fidelity, for any configuration of the source benchmark's space.
  Seeded noise with the measured seed-to-seed spread is added (validation and test noise
  correlated as in the recorded runs, :class:`~hpobench.surrogates.model.SeedNoise`); a
  configuration's value at budget ``b`` depends only on ``(config, b, seed)``, so a promoted
  configuration continues its own curve. With noise, the errors returned are whole counts of
  the recorded validation and test sets (multiples of ``1/n``, ``n`` read off the recorded
  errors), as one real run's are, and no fewer than the fewest any recorded run made; the
  noise-free prediction (``seed=None``) is the expected error. ``cost`` is the predicted
  seconds (of the continuation only, when resumed).
* :class:`TableBenchmark` (``*-table``) — only recorded values: a configuration is looked up as
  its nearest recorded configuration (Euclidean distance in the unit-cube encoding of the
  space), a budget as the smallest recorded budget at or above it, and the values recorded there
  for the first recorded seed are returned exactly (``info`` names the configuration id, the
  distance and the budget used). A result on the table is a result on real training.

Both read the table and fit once per process (cached by the table's checksum); nothing fitted is
read from disk. A missing table raises :class:`~hpobench.surrogates.table.TableMissingError`
(a ``FileNotFoundError``) when the benchmark is built.

Example:
    >>> from hpobench.benchmarks import get_benchmark
    >>> b = get_benchmark("kernel-ls-digits-surrogate")    # doctest: +SKIP
    >>> b.evaluate(b.space.sample(np.random.default_rng(0)), budget=3, seed=0).loss  # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..surrogates.model import KINDS, LOG_EPS, CurveData, CurveModel, SeedNoise, error_grid
from ..surrogates.table import TABLE_FILE, TableMissingError, file_sha256, read_manifest, read_rows
from .base import Benchmark, Fidelity, Result, config_key, stable_seed

__all__ = [
    "surrogates_root",
    "RecordedBenchmark",
    "SurrogateBenchmark",
    "TableBenchmark",
]

#: Fitted models and loaded tables, per process: ``{(directory, sha256, settings): object}``.
_CACHE: dict[tuple, Any] = {}


def surrogates_root() -> Path:
    """Where recorded tables live: ``$HPOBENCH_SURROGATES``, else the ``surrogates/`` directory
    of the source checkout this package runs from, else ``./surrogates``."""
    env = os.environ.get("HPOBENCH_SURROGATES")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[2] / "surrogates"
    return repo if repo.is_dir() else Path("surrogates")


class RecordedBenchmark(Benchmark):
    """Shared part: the recorded table of ``source`` and the source benchmark's space.

    Args:
        source: the recorded benchmark (default: the class's).
        root: the directory holding ``<source>/`` (default :func:`surrogates_root`).
    """

    kind = "surrogate"
    source: ClassVar[str] = ""
    suffix: ClassVar[str] = ""
    #: Spearman's rank correlation at R that ``surrogate validate`` requires.
    validation_threshold: ClassVar[float] = 0.85
    #: The cost is the recorded (or predicted) training seconds, not time spent here: runs use
    #: the simulated clock, so curves against time with K workers come out in seconds.
    simulated_cost: ClassVar[bool] = True

    def __init__(self, source: str | None = None, root: str | os.PathLike | None = None):
        from . import get_benchmark

        self.source = source or type(self).source
        self.directory = Path(root) if root is not None else surrogates_root()
        self.directory = self.directory / self.source
        table = self.directory / TABLE_FILE
        if not table.is_file():
            raise TableMissingError(
                f"no recorded table for {self.source!r} at {table}; record one with "
                f"`python -m hpobench surrogate record {self.source} --configs N`"
            )
        self.manifest = read_manifest(self.directory)
        self.sha256 = file_sha256(table)
        # the process-wide cache key of this table, resolved once: resolving a path touches the
        # file system, and the model is looked up at every evaluation
        self._cache_prefix = (str(self.directory.resolve()), self.sha256)
        src = get_benchmark(self.source, **self.manifest.get("options", {}))
        self.space = src.space
        f = src.fidelity
        self.fidelity = Fidelity(f.name, f.min, f.max, f.unit)
        self.source_can_continue = bool(self.manifest.get("can_continue", src.can_continue))
        # promoted configurations continue (and are charged the difference) only where the
        # recorded benchmark does
        self.can_continue = self.source_can_continue
        self.name = f"{self.source}-{self.suffix}"
        # the recorder appends whole curves only, so the manifest's count is of complete curves
        if not self.manifest.get("curves"):
            raise TableMissingError(f"the table for {self.source!r} at {self.directory} has no complete curve yet")
        self.budgets = np.asarray(self.manifest["budgets"], dtype=float)

    @property
    def data(self) -> CurveData:
        """The recorded curves, read on first use (once per process per table): listing or
        planning a study needs only the manifest."""
        return self._cached(("data",), self._load)

    def _cached(self, key: tuple, build):
        key = self._cache_prefix + key
        if key not in _CACHE:
            _CACHE[key] = build()
        return _CACHE[key]

    def _load(self) -> CurveData:
        return CurveData.from_rows(read_rows(self.directory), self.space, self.manifest["budgets"])

    @property
    def data_source(self) -> str:
        return f"curves recorded from {self.source} ({self.directory})"

    def data_available(self) -> bool:
        return (self.directory / TABLE_FILE).is_file()

    def _cost(self, at: float, resume_from: float | None, lookup) -> float:
        """Seconds charged for reaching ``at``: the continuation only when resumed and the
        source continues from checkpoints (cumulative seconds), else the whole evaluation."""
        cost = lookup(at)
        if self.source_can_continue and resume_from is not None:
            cost -= lookup(float(resume_from))
        return max(0.0, float(cost))


class SurrogateBenchmark(RecordedBenchmark):
    """A surrogate of a recorded benchmark (see the module docstring).

    Args:
        source, root: see :class:`RecordedBenchmark`.
        model: ``"gp"``, ``"curve"`` or ``"point"`` (:class:`~hpobench.surrogates.model.CurveModel`);
            ``None`` takes the class's :attr:`default_model`, the kind that validated best on
            its table (docs/surrogates.md).
        n_trees: trees of the error forest (forest models only).
        noise: multiplier of the measured seed-to-seed spread (0 turns the noise off).
    """

    suffix = "surrogate"
    #: The model kind used when none is asked for.
    default_model = "gp"

    def __init__(self, source: str | None = None, root=None, model: str | None = None, n_trees: int = 64, noise: float = 1.0):
        super().__init__(source, root)
        if noise < 0:
            raise ValueError(f"noise must be >= 0, got {noise}")
        model = self.default_model if model is None else model
        if model not in KINDS:
            raise ValueError(f"model must be one of {', '.join(KINDS)}, got {model!r}")
        self.model_kind, self.n_trees, self.noise_scale = model, int(n_trees), float(noise)
        self._curves: dict = {}
        self.optimum = None  # like the real benchmark: the best achievable test error is unknown

    @property
    def recorded_best(self) -> float:
        """The lowest recorded validation error at R."""
        return float(np.nanmin(self.data.val[:, -1]))

    @property
    def model(self) -> CurveModel:
        """The fitted model, fitted on first use (once per process), so that listing or
        planning a study does not pay for it."""
        return self._cached(("model", self.model_kind, self.n_trees), lambda: CurveModel(self.model_kind, self.n_trees).fit(self.data))

    @property
    def seed_noise(self) -> SeedNoise:
        """The table's measured seed-to-seed spread (validation and test, their correlation)."""
        return self._cached(("noise",), self.data.noise)

    @property
    def noise_sd(self) -> np.ndarray:
        """Per-budget seed-to-seed standard deviation of the log validation error."""
        return self.seed_noise.val_sd

    @property
    def error_grids(self) -> tuple[int | None, int | None]:
        """The number of validation and of test examples the recorded errors were counted on
        (:func:`~hpobench.surrogates.model.error_grid`; None for a continuous loss)."""
        return tuple(n for n, _ in self._counting)

    @property
    def _counting(self) -> tuple[tuple[int | None, int], ...]:
        """Per set (validation, test): its size ``n`` and the fewest errors any recorded run
        made, both read off the table once."""

        def sets():
            out = []
            for errors in (self.data.val, self.data.test):
                n = error_grid(errors)
                out.append((n, round(float(np.nanmin(errors)) * n) if n else 0))
            return tuple(out)

        return self._cached(("counting",), sets)

    def _counted(self, error: float, which: int) -> float:
        """``error`` (0: validation, 1: test) as a whole count of the set's examples, and no
        fewer than the fewest any recorded run made (a seed's luck does not beat every real run)."""
        n, fewest = self._counting[which]
        if not n or math.isnan(error):
            return error
        return max(round(error * n), fewest) / n

    def _noisy(self, seed: int | None) -> bool:
        return self.noise_scale > 0 and seed is not None and bool(self.noise_sd.any())

    def fit_model(self, data: CurveData) -> CurveModel:
        """A model of this benchmark's kind fitted on ``data`` (for cross-validation)."""
        return CurveModel(self.model_kind, self.n_trees).fit(data)

    def curves(self, config: dict, seed: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Validation error, test error and seconds of ``config`` on the recording's budget
        grid, with the noise of ``seed`` (cached per configuration and seed)."""
        key = (config_key(config), seed)
        hit = self._curves.get(key)
        if hit is None:
            val, test, sec = (a[0] for a in self.model.predict(self.space.encode(config)[None, :]))
            if self._noisy(seed):
                rng = np.random.default_rng(stable_seed(self.name, key[0], seed))
                noise = self.seed_noise
                z_val, z_test = noise.draw(rng)
                # the spread was measured on log(error + LOG_EPS) (SeedNoise): a seed scales a
                # curve's error, it never pushes a positive error to exactly 0; validation and
                # test move together only as much as recorded runs do
                val = np.clip((val + LOG_EPS) * np.exp(self.noise_scale * noise.val_sd * z_val) - LOG_EPS, 0.0, 1.0)
                test = np.clip((test + LOG_EPS) * np.exp(self.noise_scale * noise.test_sd * z_test) - LOG_EPS, 0.0, 1.0)
            if len(self._curves) > 50_000:
                self._curves.clear()
            hit = self._curves[key] = (val, test, sec)
        return hit

    def _evaluate(self, config, budget, seed, resume_from: float | None = None, **kwargs) -> Result:
        val, test, sec = self.curves(config, seed)
        lb = np.log(self.budgets)

        def at(curve, b):
            return float(np.interp(math.log(b), lb, curve))

        cost = self._cost(budget, resume_from, lambda b: at(sec, b))
        loss, test_loss = at(val, budget), at(test, budget)
        if self._noisy(seed):
            # one training run's error is a count of misclassified examples over the set's
            # size, as recorded: a run ties with another as real runs do, where a continuous
            # value would always tell the two apart
            loss, test_loss = self._counted(loss, 0), self._counted(test_loss, 1)
        return Result(loss=loss, cost=cost, test_loss=test_loss, info={"surrogate": self.model_kind})


class TableBenchmark(RecordedBenchmark):
    """Recorded values only, by nearest recorded configuration and next recorded budget (see the
    module docstring)."""

    suffix = "table"

    def __init__(self, source: str | None = None, root=None):
        super().__init__(source, root)
        self.optimum = None  # like the real benchmark: the best achievable test error is unknown

    @property
    def table(self) -> CurveData:
        """Each recorded configuration's first-seed curve, the values this benchmark returns."""
        return self._cached(("first-seed",), lambda: self.data.subset(self.data.first_seed()))

    @property
    def recorded_best(self) -> float:
        """The lowest recorded (first-seed) validation error at R."""
        return float(np.nanmin(self.table.val[:, -1]))

    def lookup(self, config: dict) -> tuple[int, float]:
        """Row of the nearest recorded configuration and its distance in the unit cube."""
        x = self.space.encode(config)
        d2 = ((self.table.X - x) ** 2).sum(axis=1)
        i = int(np.argmin(d2))
        return i, float(math.sqrt(d2[i]))

    def budget_index(self, budget: float) -> int:
        """Index of the smallest recorded budget at or above ``budget``."""
        return int(min(len(self.budgets) - 1, np.searchsorted(self.budgets, float(budget) - 1e-9)))

    def _evaluate(self, config, budget, seed, resume_from: float | None = None, **kwargs) -> Result:
        i, dist = self.lookup(config)
        j = self.budget_index(budget)
        t = self.table
        cost = self._cost(budget, resume_from, lambda b: t.seconds[i, self.budget_index(b)])
        info = {"config_id": int(t.config_ids[i]), "distance": dist, "table_budget": float(self.budgets[j]), "recorded_config": t.configs[i]}
        test = t.test[i, j]
        return Result(loss=float(t.val[i, j]), cost=cost, test_loss=None if math.isnan(test) else float(test), info=info)


# --------------------------------------------------------------------- registered variants


class LeNetDigitsSurrogate(SurrogateBenchmark):
    """``lenet-digits-surrogate``."""

    source = "lenet-digits"


class LeNetMNIST1DSurrogate(SurrogateBenchmark):
    """``lenet-mnist1d-surrogate``."""

    source = "lenet-mnist1d"


class KernelLSDigitsSurrogate(SurrogateBenchmark):
    """``kernel-ls-digits-surrogate``."""

    source = "kernel-ls-digits"
    validation_threshold = 0.9
    # the forest: held-out Spearman at R 0.913 against 0.925 for the GP, but the GP's fit on
    # 1,024 configurations takes 20 s against 0.5 s, in every process (docs/surrogates.md)
    default_model = "curve"


class RandomFeaturesDigitsSurrogate(SurrogateBenchmark):
    """``random-features-digits-surrogate``."""

    source = "random-features-digits"
    validation_threshold = 0.9


class LeNetDigitsTable(TableBenchmark):
    """``lenet-digits-table``."""

    source = "lenet-digits"


class LeNetMNIST1DTable(TableBenchmark):
    """``lenet-mnist1d-table``."""

    source = "lenet-mnist1d"


class KernelLSDigitsTable(TableBenchmark):
    """``kernel-ls-digits-table``."""

    source = "kernel-ls-digits"


class RandomFeaturesDigitsTable(TableBenchmark):
    """``random-features-digits-table``."""

    source = "random-features-digits"
