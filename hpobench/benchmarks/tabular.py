"""Tabular classification data sets for the pipeline benchmarks (Hyperband paper §4.2.1).

Every data set is a feature matrix and class labels, split once the way Li et al. (JMLR 2018,
§4.2.1) split their 117 OpenML sets: two thirds for training, the remaining third cut equally into
validation and test, the same split for every trial and every searcher (here: stratified by
class, fixed by a seed that does not depend on the run). Nothing is downloaded:

* ``digits``, ``breast-cancer``, ``wine``, ``iris`` — scikit-learn's bundled data sets;
* ``synthetic`` — scikit-learn's ``make_classification`` (Guyon's generator behind the Madelon
  data set), a fixed seed: 2,000 points, 20 features of which 6 informative and 4 redundant,
  4 classes, 3 % of labels flipped;
* ``mnist1d`` — MNIST-1D (Greydanus 2020), generated offline by the ``mnist1d`` package (the
  cached arrays of :func:`~hpobench.benchmarks.datasets.load_mnist1d`, all 5,000 signals pooled
  and re-split as above);
* a user's CSV file: :func:`load_csv` (a path and the name of the target column).

Example:
    >>> d = load_tabular("wine")
    >>> d.X_train.shape, d.X_val.shape, d.X_test.shape, d.n_classes
    ((119, 13), (30, 13), (29, 13), 3)
"""

from __future__ import annotations

import csv
import math
import os
import pathlib

import numpy as np

from .datasets import Split, load_mnist1d
from .datasets.conventions import _as_split, _stratified_take

__all__ = ["TABULAR_DATASETS", "TABULAR_SIZES", "CSVError", "load_tabular", "load_csv", "paper_split", "train_size"]

#: Bundled and generated data sets by name -> where the data comes from.
TABULAR_DATASETS: dict[str, str] = {
    "digits": "scikit-learn load_digits: 1,797 8x8 images as 64 features, 10 classes (bundled)",
    "breast-cancer": "scikit-learn load_breast_cancer: 569 tumours, 30 features, 2 classes (bundled)",
    "wine": "scikit-learn load_wine: 178 wines, 13 features, 3 classes (bundled)",
    "iris": "scikit-learn load_iris: 150 flowers, 4 features, 3 classes (bundled)",
    "mnist1d": "MNIST-1D: 5,000 length-40 signals, 10 classes, generated offline by the mnist1d package",
    "synthetic": "scikit-learn make_classification (Guyon's Madelon design): 2,000 points, 20 features (6 informative), 4 classes, seed 0",
}

#: Examples in each data set of :data:`TABULAR_DATASETS`; fixes R without loading the data.
TABULAR_SIZES: dict[str, int] = {"digits": 1797, "breast-cancer": 569, "wine": 178, "iris": 150, "mnist1d": 5000, "synthetic": 2000}

#: Share of the data used for training; validation and test get half of the rest each (§4.2.1).
TRAIN_SHARE = 2.0 / 3.0


def train_size(n: int) -> int:
    """Training examples of a data set of ``n`` under :func:`paper_split`."""
    return int(round(TRAIN_SHARE * n))


class CSVError(ValueError):
    """A CSV file that cannot serve as a classification data set; the message is one line
    naming the file and what is wrong."""


def paper_split(X: np.ndarray, y: np.ndarray, name: str, source: str, seed: int = 0) -> Split:
    """Split ``(X, y)`` 2/3 train, 1/6 validation, 1/6 test, stratified by class, fixed by ``seed``.

    Labels may be any values; they become class ids ``0..k-1`` in sorted order.
    """
    X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    classes, y = np.unique(np.asarray(y), return_inverse=True)
    rng = np.random.default_rng(np.random.SeedSequence([0x7461, int(seed)]))
    n = len(y)
    n_train = train_size(n)
    rest, test = _stratified_take(y, (n - n_train) // 2, rng)
    r_train, r_val = _stratified_take(y[rest], n - n_train - len(test), rng)
    train, val = rest[r_train], rest[r_val]
    return _as_split(name, source, len(classes), (X[train], y[train]), (X[val], y[val]), (X[test], y[test]))


def _sklearn_xy(name: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn import datasets as skd

    loader = {"digits": skd.load_digits, "breast-cancer": skd.load_breast_cancer, "wine": skd.load_wine, "iris": skd.load_iris}[name]
    d = loader()
    return d.data, d.target


def load_tabular(name: str, seed: int = 0) -> Split:
    """A data set of :data:`TABULAR_DATASETS` as 2-D features with the paper's split.

    Raises:
        KeyError: ``name`` is not one of :data:`TABULAR_DATASETS`.
    """
    if name not in TABULAR_DATASETS:
        raise KeyError(f"unknown tabular data set {name!r}; known: {', '.join(TABULAR_DATASETS)}")
    if name == "mnist1d":
        s = load_mnist1d()  # the generator's own split, pooled: only the generated signals matter here
        X = np.concatenate([s.X_train, s.X_val, s.X_test]).reshape(-1, s.X_train.shape[-1])
        y = np.concatenate([s.y_train, s.y_val, s.y_test])
    elif name == "synthetic":
        from sklearn.datasets import make_classification

        X, y = make_classification(
            n_samples=2000, n_features=20, n_informative=6, n_redundant=4, n_classes=4, flip_y=0.03, class_sep=1.0, random_state=0
        )
    else:
        X, y = _sklearn_xy(name)
    return paper_split(X, y, name, TABULAR_DATASETS[name], seed)


def _number(text: str) -> float:
    value = float(text)  # ValueError for non-numbers; "nan" / "inf" parse and are refused below
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def load_csv(path: str | os.PathLike, target: str, seed: int = 0) -> Split:
    """A classification data set from a CSV file with a header row.

    Every column but ``target`` must hold numbers (features); ``target`` holds the class labels
    (any text). Rows are split as :func:`paper_split` does.

    Args:
        path: the CSV file (comma-separated, first row = column names).
        target: the name of the label column.
        seed: the split's seed (the same for every run).

    Raises:
        CSVError: the file is missing or unreadable, has no such column, a non-numeric or empty
            feature value, fewer than two classes, or too few rows to split; the message is one
            line naming the file, the row or column, and what is accepted.
    """
    path = pathlib.Path(path).expanduser()
    where = f"CSV file {str(path)!r}"
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except FileNotFoundError:
        raise CSVError(f"{where} does not exist; give the path of a comma-separated file with a header row") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CSVError(f"{where} cannot be read as UTF-8 CSV: {exc}") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise CSVError(f"{where} is empty; expected a header row naming the columns, then one row per example")
    header = [h.strip() for h in rows[0]]
    if target not in header:
        raise CSVError(f"{where} has no column {target!r}; its columns: {', '.join(header)}")
    t = header.index(target)
    features = [j for j in range(len(header)) if j != t]
    if not features:
        raise CSVError(f"{where} has only the target column {target!r}; at least one numeric feature column is needed")
    X, y = [], []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise CSVError(f"{where} line {line} has {len(row)} fields, the header has {len(header)}")
        try:
            X.append([_number(row[j]) for j in features])
        except ValueError:
            bad = next(j for j in features if not _is_number(row[j]))
            raise CSVError(f"{where} line {line}, column {header[bad]!r}: {row[bad]!r} is not a finite number (feature columns must be numeric)") from None
        y.append(row[t].strip())
    n_classes = len(set(y))
    if n_classes < 2:
        raise CSVError(f"{where}: column {target!r} has {n_classes} distinct label(s); a classification target needs at least 2")
    if len(y) < 6 * n_classes:
        raise CSVError(f"{where} has {len(y)} rows for {n_classes} classes; at least {6 * n_classes} (6 per class) are needed to split train / validation / test")
    return paper_split(np.array(X), np.array(y), path.stem, f"CSV file {path} (target column {target!r})", seed)


def _is_number(text: str) -> bool:
    try:
        _number(text)
    except ValueError:
        return False
    return True
