"""Readers of data sets a user already has on disk (MNIST and Fashion-MNIST IDX files, CIFAR-10
python batches, SVHN ``.mat`` files), each with the file checks that name what is missing."""

from __future__ import annotations

import gzip
import os
import pathlib
import pickle

import numpy as np

from .conventions import Split, _as_split, _balanced_take, _missing, _resolve_dir

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
