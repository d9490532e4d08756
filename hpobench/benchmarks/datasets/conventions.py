"""What every dataset loader shares: the :class:`Split` it returns, where user data and the
cache live, the fixed stratified splits, and the one-line error for data that is not on this
machine (nothing is ever downloaded)."""

from __future__ import annotations

import os
import pathlib
from dataclasses import dataclass

import numpy as np

from ..base import UnavailableError

_ENV_HINT = "pass --data-dir DIR on the command line, data_dir=DIR in Python, or set HPOBENCH_DATA_DIR=DIR"


@dataclass
class Split:
    """A dataset with fixed train / validation / test parts.

    Attributes:
        X_train, y_train: training inputs (float32, ``(n, C, H, W)`` or ``(n, 1, L)``) and int64 labels.
        X_val, y_val: validation part (what optimizers see as the loss).
        X_test, y_test: held-out test part (reported as ``test_loss``, never optimized).
        n_classes: number of classes.
        name: dataset name, e.g. ``"digits"``.
        source: human-readable provenance of the data.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    name: str
    source: str

    def __repr__(self) -> str:
        return (
            f"<Split {self.name!r}: train {self.X_train.shape}, val {self.X_val.shape}, "
            f"test {self.X_test.shape}, {self.n_classes} classes>"
        )


class DataMissingError(FileNotFoundError, UnavailableError):
    """Data files a benchmark needs are not on this machine (nothing is ever downloaded).

    The message names the dataset, the directories searched, the exact file names expected and
    how to point hpobench at them.
    """


def data_dir(explicit: str | os.PathLike | None = None) -> pathlib.Path:
    """The directory user-provided data sets are read from.

    ``explicit`` if given, else ``$HPOBENCH_DATA_DIR``, else ``~/.cache/hpobench/data``.
    """
    if explicit is not None:
        return pathlib.Path(explicit).expanduser()
    env = os.environ.get("HPOBENCH_DATA_DIR")
    if env:
        return pathlib.Path(env).expanduser()
    return pathlib.Path("~/.cache/hpobench/data").expanduser()


def cache_dir() -> pathlib.Path:
    """Where derived data (the generated MNIST-1D arrays) is cached: ``$HPOBENCH_CACHE_DIR`` or ``~/.cache/hpobench``."""
    env = os.environ.get("HPOBENCH_CACHE_DIR")
    return pathlib.Path(env).expanduser() if env else pathlib.Path("~/.cache/hpobench").expanduser()


# the loaders take a ``data_dir`` argument that shadows the function
_resolve_dir = data_dir


# ------------------------------------------------------------------------------- split helpers


def _as_split(name, source, n_classes, train, val, test) -> Split:
    def xy(part):
        X, y = part
        return np.ascontiguousarray(X, dtype=np.float32), np.ascontiguousarray(y, dtype=np.int64)

    (Xtr, ytr), (Xva, yva), (Xte, yte) = xy(train), xy(val), xy(test)
    return Split(Xtr, ytr, Xva, yva, Xte, yte, int(n_classes), name, source)


def _stratified_take(y: np.ndarray, n_take: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Pick ``n_take`` indices with class proportions kept (largest remainder); return (rest, taken), sorted."""
    classes, counts = np.unique(y, return_counts=True)
    quota = counts * (n_take / len(y))
    alloc = np.floor(quota).astype(int)
    # hand the remaining slots to the classes with the largest fractional parts (ties: lower class id)
    short = n_take - alloc.sum()
    if short > 0:
        order = np.lexsort((classes, -(quota - alloc)))
        alloc[order[:short]] += 1
    taken = []
    for c, k in zip(classes, alloc):
        idx = np.flatnonzero(y == c)
        taken.append(idx[rng.permutation(len(idx))[:k]])
    taken = np.sort(np.concatenate(taken)) if taken else np.array([], dtype=int)
    rest = np.setdiff1d(np.arange(len(y)), taken, assume_unique=True)
    return rest, taken


def _balanced_take(y: np.ndarray, per_class: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Pick ``per_class`` indices from every class (fewer if a class is smaller); return (rest, taken)."""
    taken = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        taken.append(idx[rng.permutation(len(idx))[:per_class]])
    taken = np.sort(np.concatenate(taken))
    rest = np.setdiff1d(np.arange(len(y)), taken, assume_unique=True)
    return rest, taken


def _missing(dataset: str, searched: list[pathlib.Path], expected: list[str], extra: str = "") -> DataMissingError:
    dirs = ", ".join(str(d) for d in searched)
    files = ", ".join(expected)
    msg = (
        f"dataset {dataset!r} not found: looked in {dirs} for {files}. "
        f"hpobench never downloads data; put the files there or {_ENV_HINT}."
    )
    if extra:
        msg += " " + extra
    return DataMissingError(msg)
