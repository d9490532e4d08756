"""The data sets that need no files from the user: scikit-learn's bundled 8×8 digits, and
MNIST-1D built procedurally by the ``mnist1d`` package and cached."""

from __future__ import annotations

import json
import os
import pathlib
import random
import tempfile
import zlib

import numpy as np

from .conventions import Split, _as_split, _stratified_take, cache_dir

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
