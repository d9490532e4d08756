"""Dataset loaders shared by the real benchmarks (CNNs, kernel classifiers).

(Over 500 lines because it holds one small reader per on-disk format — digits, MNIST-1D, IDX,
CIFAR-10 batches, SVHN .mat — each with its file checks; splitting them would scatter the shared
split and error conventions.)

Every loader returns a :class:`Split` — train / validation / test arrays with fixed, documented
splits — and never touches the network:

* ``digits`` — scikit-learn's bundled 8×8 digits (always available).
* ``mnist1d`` — MNIST-1D (Greydanus 2020) built *procedurally* by the ``mnist1d`` package (its
  download path is never used), cached as ``.npz`` under :func:`cache_dir` after the first build.
* ``mnist``, ``fashion-mnist``, ``cifar10``, ``svhn`` — read from files the user provides under
  :func:`data_dir` (``--data-dir`` on the command line, or ``$HPOBENCH_DATA_DIR``). A missing file
  raises :class:`DataMissingError` naming the directory searched and the exact files expected.

Arrays: ``X`` is ``float32`` with images as ``(n, C, H, W)`` and 1-D signals as ``(n, 1, L)``;
``y`` is ``int64`` class ids ``0..n_classes-1``.

Example:
    >>> from hpobench.benchmarks.datasets import load_digits
    >>> s = load_digits()
    >>> s.X_train.shape[1:], s.n_classes
    ((1, 8, 8), 10)
"""

from __future__ import annotations

import gzip
import json
import os
import pathlib
import pickle
import random
import tempfile
import zlib
from dataclasses import dataclass

import numpy as np

from .base import UnavailableError

__all__ = [
    "Split",
    "DataMissingError",
    "data_dir",
    "cache_dir",
    "load_digits",
    "load_mnist1d",
    "load_mnist",
    "load_cifar10",
    "load_svhn",
    "load_dataset",
    "dataset_present",
    "check_dataset",
    "DATASETS",
    "UnsafePickleError",
]

#: Registered dataset names -> one-line description of where the data comes from.
DATASETS: dict[str, str] = {
    "digits": "scikit-learn load_digits, 1,797 8x8 images (bundled, always available)",
    "mnist1d": "MNIST-1D, 5,000 length-40 signals, generated offline by the mnist1d package",
    "mnist": "MNIST IDX files (train-images-idx3-ubyte, ...) under DATA_DIR/mnist",
    "fashion-mnist": "Fashion-MNIST IDX files under DATA_DIR/fashion-mnist",
    "cifar10": "CIFAR-10 python batches under DATA_DIR/cifar-10-batches-py",
    "svhn": "SVHN cropped digits train_32x32.mat / test_32x32.mat under DATA_DIR/svhn",
}

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


# ------------------------------------------------------------------------------------- digits


def load_digits(seed: int = 0) -> Split:
    """scikit-learn's bundled 8×8 digits as ``(n, 1, 8, 8)`` in [0, 1].

    Split 60 / 20 / 20 (1,079 / 359 / 359), stratified by class, fixed by ``seed``.
    """
    from sklearn.datasets import load_digits as _sk_digits

    d = _sk_digits()
    X = (d.images / 16.0).astype(np.float32)[:, None, :, :]
    y = d.target.astype(np.int64)
    rng = np.random.default_rng(np.random.SeedSequence([0x6D6967, int(seed)]))
    n = len(y)
    rest, test = _stratified_take(y, round(0.2 * n), rng)
    r_train, r_val = _stratified_take(y[rest], round(0.2 * n), rng)
    train, val = rest[r_train], rest[r_val]
    return _as_split(
        "digits",
        "scikit-learn load_digits (bundled)",
        10,
        (X[train], y[train]),
        (X[val], y[val]),
        (X[test], y[test]),
    )


# ------------------------------------------------------------------------------------ MNIST-1D


def _mnist1d_args() -> dict:
    from mnist1d.data import get_dataset_args

    args = get_dataset_args(as_dict=True)
    args.pop("url", None)  # only used by the package's download path, which we never call
    return args


def _build_mnist1d(args: dict) -> dict:
    """Run the package's procedural generator with its own seed, leaving the global RNGs as they were."""
    from mnist1d.data import make_dataset
    from mnist1d.utils import ObjectView

    # make_dataset seeds and draws from the *global* numpy / random state; restore it afterwards so
    # that loading data never perturbs anyone else's randomness.
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        d = make_dataset(ObjectView(dict(args)))
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    return {"x": d["x"], "y": d["y"], "x_test": d["x_test"], "y_test": d["y_test"]}


def _atomic_savez(path: pathlib.Path, **arrays) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # several worker processes may build the cache at once: write to a temp file, then rename
    fd, tmp = tempfile.mkstemp(prefix=path.stem + ".", suffix=".tmp.npz", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def mnist1d_cache_path() -> pathlib.Path:
    """The ``.npz`` file the generated MNIST-1D arrays are cached in (keyed by the generator's arguments)."""
    args = _mnist1d_args()
    key = zlib.crc32(json.dumps(args, sort_keys=True).encode())
    return cache_dir() / f"mnist1d_{key:08x}.npz"


def load_mnist1d(seed: int = 0) -> Split:
    """MNIST-1D as ``(n, 1, 40)`` signals (standardized by the generator).

    The data set is the package's default one (``get_dataset_args()``: 5,000 signals, generator
    seed 42) built by ``mnist1d.data.make_dataset`` — procedurally, never downloaded — and cached
    under :func:`cache_dir` after the first build. Its own 4,000 / 1,000 train/test split is kept;
    1,000 validation signals are carved out of the training part, stratified, fixed by ``seed``
    (3,000 / 1,000 / 1,000).
    """
    path = mnist1d_cache_path()
    d = None
    if path.exists():
        try:
            with np.load(path) as z:
                d = {k: z[k] for k in ("x", "y", "x_test", "y_test")}
        except Exception:  # a torn or foreign file: rebuild it
            d = None
    if d is None:
        d = _build_mnist1d(_mnist1d_args())
        try:
            _atomic_savez(path, **d)
        except OSError:
            pass  # a read-only cache dir only costs a rebuild next time
    X = np.asarray(d["x"], dtype=np.float32)[:, None, :]
    y = np.asarray(d["y"], dtype=np.int64)
    Xte = np.asarray(d["x_test"], dtype=np.float32)[:, None, :]
    yte = np.asarray(d["y_test"], dtype=np.int64)
    rng = np.random.default_rng(np.random.SeedSequence([0x6D3164, int(seed)]))
    train, val = _stratified_take(y, len(y) // 4, rng)
    return _as_split(
        "mnist1d",
        f"mnist1d.data.make_dataset (generated offline, cached at {path})",
        10,
        (X[train], y[train]),
        (X[val], y[val]),
        (Xte, yte),
    )


# -------------------------------------------------------------------------------- MNIST (IDX)

MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (plain or gzip-compressed) into an array of its declared shape."""
    path = pathlib.Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number {raw[:4].hex()})")
    ndim = raw[3]
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    offset = 4 + 4 * ndim
    count = int(np.prod(dims)) if dims else 1
    if len(raw) - offset < count * dtype.itemsize:
        raise ValueError(f"{path} is truncated: header says {dims}, file holds {len(raw) - offset} data bytes")
    return np.frombuffer(raw, dtype=dtype, count=count, offset=offset).reshape(dims)


def _find_file(dirs: list[pathlib.Path], name: str) -> pathlib.Path | None:
    # "train-images-idx3-ubyte" is also distributed as "train-images.idx3-ubyte"
    variants = [name, name.replace("-idx", ".idx")]
    for d in dirs:
        for v in variants:
            for cand in (d / v, d / (v + ".gz")):
                if cand.is_file():
                    return cand
    return None


def _mnist_dirs(root: pathlib.Path, fashion: bool) -> list[pathlib.Path]:
    # our layout first, then torchvision's (root/MNIST/raw), then the files directly in root
    if fashion:
        return [root / "fashion-mnist", root / "FashionMNIST" / "raw", root]
    return [root / "mnist", root / "MNIST" / "raw", root]


def _locate_mnist(root: pathlib.Path, fashion: bool) -> dict[str, pathlib.Path]:
    """The four IDX files under ``root``, or :class:`DataMissingError` naming them."""
    dirs = _mnist_dirs(root, fashion)
    paths = {f: _find_file(dirs, f) for f in MNIST_FILES}
    if any(p is None for p in paths.values()):
        raise _missing("fashion-mnist" if fashion else "mnist", dirs, [f"{g}[.gz]" for g in MNIST_FILES])
    return paths


def load_mnist(data_dir: str | os.PathLike | None = None, fashion: bool = False) -> Split:
    """MNIST (or Fashion-MNIST) from the four IDX files, as ``(n, 1, 28, 28)`` in [0, 1].

    Files (plain or ``.gz``): ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte`` under ``DATA_DIR/mnist``
    (``DATA_DIR/fashion-mnist`` when ``fashion``), torchvision's ``DATA_DIR/MNIST/raw``, or
    ``DATA_DIR`` itself. The last 10,000 training images are the validation set (50k / 10k /
    10k, as in the Hyperband authors' MNIST loader; docs/datasets.md); a smaller file set keeps its last sixth for validation.

    Raises:
        DataMissingError: a file is missing (the message lists what was expected where).
    """
    name = "fashion-mnist" if fashion else "mnist"
    paths = _locate_mnist(_resolve_dir(data_dir), fashion)
    Xtr = read_idx(paths["train-images-idx3-ubyte"])
    ytr = read_idx(paths["train-labels-idx1-ubyte"]).astype(np.int64)
    Xte = read_idx(paths["t10k-images-idx3-ubyte"])
    yte = read_idx(paths["t10k-labels-idx1-ubyte"]).astype(np.int64)
    if len(Xtr) != len(ytr) or len(Xte) != len(yte):
        raise ValueError(f"{name}: image and label counts differ ({len(Xtr)} vs {len(ytr)}, {len(Xte)} vs {len(yte)})")
    Xtr = Xtr.astype(np.float32)[:, None] / 255.0
    Xte = Xte.astype(np.float32)[:, None] / 255.0
    n_val = min(10_000, round(len(ytr) / 6))
    cut = len(ytr) - n_val
    where = paths["train-images-idx3-ubyte"].parent
    return _as_split(
        name,
        f"IDX files in {where}",
        10,
        (Xtr[:cut], ytr[:cut]),
        (Xtr[cut:], ytr[cut:]),
        (Xte, yte),
    )


# ----------------------------------------------------------------------------------- CIFAR-10

CIFAR10_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)


def _cifar_dirs(root: pathlib.Path) -> list[pathlib.Path]:
    return [root / "cifar-10-batches-py", root / "cifar10" / "cifar-10-batches-py", root / "cifar10", root]


#: The only globals a CIFAR-10 python batch refers to: numpy's array reconstruction (numpy 1 and
#: 2 module paths, pickle protocols 0-5), numpy scalars, and ``_codecs.encode``, which Python 3
#: uses for ``bytes`` in protocols 0-2. Everything else in the format is dicts, lists, bytes,
#: strings and numbers, which need no global.
_CIFAR_GLOBALS = frozenset(
    [
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy.core.numeric", "_frombuffer"),
        ("numpy._core.numeric", "_frombuffer"),
        ("_codecs", "encode"),
    ]
)


class UnsafePickleError(pickle.UnpicklingError):
    """A data file in pickle format refers to something its format never holds."""


class _CifarUnpickler(pickle.Unpickler):
    """Builds only what a CIFAR-10 batch holds; any other global (a function that could run
    code on loading) is refused before it is called."""

    def find_class(self, module: str, name: str):
        if (module, name) not in _CIFAR_GLOBALS:
            raise UnsafePickleError(f"refers to {module}.{name}, which a CIFAR-10 batch never holds")
        return super().find_class(module, name)


def _read_cifar_batch(path: pathlib.Path) -> tuple[np.ndarray, np.ndarray]:
    with open(path, "rb") as fh:
        try:
            d = _CifarUnpickler(fh, encoding="bytes").load()
        except UnsafePickleError as exc:
            raise UnsafePickleError(f"{path} is not a CIFAR-10 python batch: it {exc}; refusing to load it") from None
    if not isinstance(d, dict):
        raise ValueError(f"{path} is not a CIFAR-10 python batch (not a dict)")
    data = d.get(b"data", d.get("data"))
    labels = d.get(b"labels", d.get("labels"))
    if data is None or labels is None:
        raise ValueError(f"{path} is not a CIFAR-10 python batch (no 'data'/'labels' keys)")
    X = np.asarray(data, dtype=np.uint8).reshape(-1, 3, 32, 32)
    return X, np.asarray(labels, dtype=np.int64)


def _locate_cifar10(root: pathlib.Path) -> pathlib.Path:
    """The directory holding all six batches, or :class:`DataMissingError` naming them."""
    dirs = _cifar_dirs(root)
    where = next((d for d in dirs if all((d / f).is_file() for f in CIFAR10_FILES)), None)
    if where is None:
        raise _missing(
            "cifar10", dirs, list(CIFAR10_FILES), "Unpack cifar-10-python.tar.gz (the 'CIFAR-10 python version') there."
        )
    return where


def load_cifar10(data_dir: str | os.PathLike | None = None) -> Split:
    """CIFAR-10 from the python pickled batches, as ``(n, 3, 32, 32)`` float32 in [0, 1].

    ``data_batch_1..4`` are the training set (40k), ``data_batch_5`` the validation set (10k) and
    ``test_batch`` the test set (10k), as in the Hyperband paper's CIFAR-10 experiments (§4.1, §4.2.2; docs/datasets.md). Looked for in
    ``DATA_DIR/cifar-10-batches-py`` (the directory the official tarball unpacks to), then
    ``DATA_DIR/cifar10``, then ``DATA_DIR``.

    Raises:
        DataMissingError: a batch file is missing.
    """
    where = _locate_cifar10(_resolve_dir(data_dir))
    parts = [_read_cifar_batch(where / f) for f in CIFAR10_FILES]
    Xtr = np.concatenate([p[0] for p in parts[:4]])
    ytr = np.concatenate([p[1] for p in parts[:4]])

    def scale(X):
        return X.astype(np.float32) / 255.0

    return _as_split(
        "cifar10",
        f"CIFAR-10 python batches in {where}",
        10,
        (scale(Xtr), ytr),
        (scale(parts[4][0]), parts[4][1]),
        (scale(parts[5][0]), parts[5][1]),
    )


# --------------------------------------------------------------------------------------- SVHN

SVHN_FILES = ("train_32x32.mat", "test_32x32.mat")


def _svhn_dirs(root: pathlib.Path) -> list[pathlib.Path]:
    return [root / "svhn", root / "SVHN", root]


def _read_svhn_mat(path: pathlib.Path) -> tuple[np.ndarray, np.ndarray]:
    from scipy.io import loadmat

    m = loadmat(str(path))
    X = np.asarray(m["X"])  # (32, 32, 3, n) uint8
    y = np.asarray(m["y"]).reshape(-1).astype(np.int64)
    y[y == 10] = 0  # SVHN labels digit 0 as 10
    return np.ascontiguousarray(X.transpose(3, 2, 0, 1)), y


def _locate_svhn(root: pathlib.Path, use_extra: bool) -> pathlib.Path:
    """The directory holding the ``.mat`` files, or :class:`DataMissingError` naming them."""
    dirs = _svhn_dirs(root)
    needed = SVHN_FILES + (("extra_32x32.mat",) if use_extra else ())
    where = next((d for d in dirs if all((d / f).is_file() for f in needed)), None)
    if where is None:
        raise _missing("svhn", dirs, list(needed), "These are the 'format 2' cropped-digit files of SVHN.")
    return where


def load_svhn(data_dir: str | os.PathLike | None = None, use_extra: bool = False, seed: int = 0) -> Split:
    """SVHN (cropped digits, format 2) from the ``.mat`` files, as ``(n, 3, 32, 32)`` float32 in [0, 1].

    Files: ``train_32x32.mat`` and ``test_32x32.mat`` (plus ``extra_32x32.mat`` when
    ``use_extra``) in ``DATA_DIR/svhn``, ``DATA_DIR/SVHN`` or ``DATA_DIR``. Label 10 is mapped to 0.

    Validation is a class-balanced set fixed by ``seed``, as in Sermanet et al. (2012): without
    ``extra``, 600 per class (6,000) taken out of train; with ``extra``, 400 per class from train
    plus 200 per class from extra (6,000), everything else being training data (≈598k / 6k /
    26k, the paper's §4.1). A set too small for that keeps a balanced twelfth of train instead.
    With ``extra`` the training array alone is about 7 GB of float32.

    Raises:
        DataMissingError: a file is missing.
    """
    where = _locate_svhn(_resolve_dir(data_dir), use_extra)
    Xtr, ytr = _read_svhn_mat(where / "train_32x32.mat")
    Xte, yte = _read_svhn_mat(where / "test_32x32.mat")
    rng = np.random.default_rng(np.random.SeedSequence([0x737668, int(seed)]))
    n_classes = 10
    if use_extra:
        Xex, yex = _read_svhn_mat(where / "extra_32x32.mat")
        per_tr, per_ex = 400, 200
        if len(ytr) < 12 * n_classes * per_tr or len(yex) < 12 * n_classes * per_ex:
            per_tr = max(1, len(ytr) // (12 * n_classes))
            per_ex = max(1, len(yex) // (12 * n_classes))
        tr_rest, tr_val = _balanced_take(ytr, per_tr, rng)
        ex_rest, ex_val = _balanced_take(yex, per_ex, rng)
        X_train = np.concatenate([Xtr[tr_rest], Xex[ex_rest]])
        y_train = np.concatenate([ytr[tr_rest], yex[ex_rest]])
        X_val = np.concatenate([Xtr[tr_val], Xex[ex_val]])
        y_val = np.concatenate([ytr[tr_val], yex[ex_val]])
        del Xex
    else:
        per = 600 if len(ytr) >= 12 * 6000 else max(1, len(ytr) // (12 * n_classes))
        rest, val = _balanced_take(ytr, per, rng)
        X_train, y_train, X_val, y_val = Xtr[rest], ytr[rest], Xtr[val], ytr[val]

    def scale(X):
        return X.astype(np.float32) / 255.0

    return _as_split(
        "svhn",
        f"SVHN .mat files in {where}" + (" (with extra)" if use_extra else ""),
        n_classes,
        (scale(X_train), y_train),
        (scale(X_val), y_val),
        (scale(Xte), yte),
    )


# -------------------------------------------------------------------------------------- lookup


def load_dataset(name: str, data_dir: str | os.PathLike | None = None, seed: int = 0) -> Split:
    """Load a dataset by its name in :data:`DATASETS`."""
    if name == "digits":
        return load_digits(seed)
    if name == "mnist1d":
        return load_mnist1d(seed)
    if name in ("mnist", "fashion-mnist"):
        return load_mnist(data_dir, fashion=(name == "fashion-mnist"))
    if name == "cifar10":
        return load_cifar10(data_dir)
    if name == "svhn":
        return load_svhn(data_dir, seed=seed)
    raise KeyError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")


def check_dataset(name: str, data_dir: str | os.PathLike | None = None, use_extra: bool = False) -> None:
    """Raise :class:`DataMissingError` (one line: what is missing, where it was looked for, how
    to provide it) unless ``name`` can be loaded on this machine.

    ``digits`` always can; ``mnist1d`` when the ``mnist1d`` package is installed; the others when
    their files are found (checked by name only: nothing is read). ``use_extra``: SVHN's
    ``extra_32x32.mat`` is needed too.
    """
    if name == "digits":
        return
    if name == "mnist1d":
        import importlib.util

        if importlib.util.find_spec("mnist1d") is None:
            raise DataMissingError("dataset 'mnist1d' is generated by the mnist1d package, which is not installed: pip install mnist1d")
        return
    root = _resolve_dir(data_dir)
    if name in ("mnist", "fashion-mnist"):
        _locate_mnist(root, name == "fashion-mnist")
    elif name == "cifar10":
        _locate_cifar10(root)
    elif name == "svhn":
        _locate_svhn(root, use_extra)
    else:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")


def dataset_present(name: str, data_dir: str | os.PathLike | None = None, use_extra: bool = False) -> bool:
    """Whether ``name`` can be loaded on this machine (:func:`check_dataset` passes)."""
    try:
        check_dataset(name, data_dir, use_extra)
    except DataMissingError:
        return False
    return True
