"""Dataset loaders: tiny files in the real formats, fixed splits, offline MNIST-1D with a cache."""

from __future__ import annotations

import gzip
import pickle
import random
import socket
import struct

import numpy as np
import pytest

from hpobench.benchmarks import datasets as ds
from hpobench.benchmarks.datasets import DataMissingError


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("a dataset loader tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("HPOBENCH_CACHE_DIR", str(d))
    return d


# ------------------------------------------------------------------------------ file writers


def write_idx(path, arr: np.ndarray, gz: bool):
    arr = np.ascontiguousarray(arr, dtype=np.uint8)
    header = bytes([0, 0, 0x08, arr.ndim]) + b"".join(struct.pack(">I", d) for d in arr.shape)
    data = header + arr.tobytes()
    if gz:
        with gzip.open(str(path) + ".gz", "wb") as fh:
            fh.write(data)
    else:
        path.write_bytes(data)


def make_mnist(folder, n_train=60, n_test=12, gz=True, seed=0):
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    tr = rng.integers(0, 256, (n_train, 28, 28))
    te = rng.integers(0, 256, (n_test, 28, 28))
    ytr = np.arange(n_train) % 10
    yte = (np.arange(n_test) * 3) % 10
    write_idx(folder / "train-images-idx3-ubyte", tr, gz)
    write_idx(folder / "train-labels-idx1-ubyte", ytr, gz)
    write_idx(folder / "t10k-images-idx3-ubyte", te, gz)
    write_idx(folder / "t10k-labels-idx1-ubyte", yte, gz)
    return tr, ytr, te, yte


# ------------------------------------------------------------------------------------- paths


def test_data_dir_resolution(tmp_path, monkeypatch):
    monkeypatch.setenv("HPOBENCH_DATA_DIR", str(tmp_path / "env"))
    assert ds.data_dir() == tmp_path / "env"
    assert ds.data_dir(tmp_path / "x") == tmp_path / "x"
    monkeypatch.delenv("HPOBENCH_DATA_DIR")
    assert ds.data_dir().parts[-3:] == (".cache", "hpobench", "data")
    monkeypatch.setenv("HPOBENCH_CACHE_DIR", str(tmp_path / "c"))
    assert ds.cache_dir() == tmp_path / "c"


# ------------------------------------------------------------------------------------- MNIST


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_idx(tmp_path, gz):
    tr, ytr, te, yte = make_mnist(tmp_path / "mnist", gz=gz)
    s = ds.load_mnist(tmp_path)
    # 60 training images -> last sixth (10) is validation, like 50k/10k of the real 60k
    assert s.X_train.shape == (50, 1, 28, 28) and s.X_val.shape == (10, 1, 28, 28)
    assert s.X_test.shape == (12, 1, 28, 28)
    assert s.X_train.dtype == np.float32 and s.y_train.dtype == np.int64
    np.testing.assert_allclose(s.X_train[3, 0], tr[3] / 255.0, rtol=1e-6)
    np.testing.assert_allclose(s.X_val[0, 0], tr[50] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(s.y_val, ytr[50:])
    np.testing.assert_array_equal(s.y_test, yte)
    assert 0.0 <= s.X_train.min() and s.X_train.max() <= 1.0
    assert s.n_classes == 10 and s.name == "mnist" and str(tmp_path / "mnist") in s.source
    assert ds.dataset_present("mnist", tmp_path)
    assert not ds.dataset_present("fashion-mnist", tmp_path / "nowhere")


def test_fashion_mnist_and_env_var_and_flat_layout(tmp_path, monkeypatch):
    make_mnist(tmp_path / "fashion-mnist", seed=1)
    monkeypatch.setenv("HPOBENCH_DATA_DIR", str(tmp_path))
    s = ds.load_mnist(fashion=True)
    assert s.name == "fashion-mnist" and len(s.y_train) == 50
    with pytest.raises(DataMissingError):
        ds.load_mnist()  # plain MNIST is not there
    # files directly in the data directory are accepted too
    make_mnist(tmp_path / "flat", n_train=30, gz=False)
    s = ds.load_mnist(tmp_path / "flat")
    assert len(s.y_train) == 25 and len(s.y_val) == 5


def test_mnist_missing_file_message(tmp_path):
    make_mnist(tmp_path / "mnist")
    (tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataMissingError) as e:
        ds.load_mnist(tmp_path)
    msg = str(e.value)
    assert "mnist" in msg and "t10k-labels-idx1-ubyte" in msg and "train-images-idx3-ubyte" in msg
    assert str(tmp_path / "mnist") in msg and "HPOBENCH_DATA_DIR" in msg and "--data-dir" in msg
    assert isinstance(e.value, FileNotFoundError)


def test_idx_bad_magic(tmp_path):
    p = tmp_path / "bad"
    p.write_bytes(b"\x01\x02\x03\x04" + b"\x00" * 16)
    with pytest.raises(ValueError, match="not an IDX file"):
        ds.read_idx(p)


# ----------------------------------------------------------------------------------- CIFAR-10


def write_cifar(folder, n=20, seed=0):
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    batches = {}
    for i, name in enumerate(ds.CIFAR10_FILES):
        data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        labels = [int(v) for v in (np.arange(n) + i) % 10]
        with open(folder / name, "wb") as fh:
            # the real batches are Python-2 pickles read with encoding="bytes": keys are bytes
            pickle.dump({b"batch_label": name.encode(), b"labels": labels, b"data": data, b"filenames": []}, fh)
        batches[name] = (data, labels)
    return batches


def test_cifar10_batches(tmp_path):
    b = write_cifar(tmp_path / "cifar-10-batches-py")
    s = ds.load_cifar10(tmp_path)
    assert s.X_train.shape == (80, 3, 32, 32) and s.X_val.shape == (20, 3, 32, 32)
    assert s.X_test.shape == (20, 3, 32, 32) and s.X_train.dtype == np.float32
    # row-major 3072 = 3 channels x 32 x 32, as in the real files
    np.testing.assert_allclose(s.X_train[25].reshape(-1), b["data_batch_2"][0][5] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(s.y_val, b["data_batch_5"][1])
    np.testing.assert_array_equal(s.y_test, b["test_batch"][1])
    np.testing.assert_array_equal(s.y_train[:20], b["data_batch_1"][1])
    assert ds.dataset_present("cifar10", tmp_path)


def test_cifar10_missing(tmp_path):
    write_cifar(tmp_path / "cifar-10-batches-py")
    (tmp_path / "cifar-10-batches-py" / "test_batch").unlink()
    with pytest.raises(DataMissingError, match="test_batch"):
        ds.load_cifar10(tmp_path)
    assert not ds.dataset_present("cifar10", tmp_path)


# --------------------------------------------------------------------------------------- SVHN


def write_svhn(folder, n_train=240, n_test=30, n_extra=0, seed=0):
    from scipy.io import savemat

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, n in (("train", n_train), ("test", n_test), ("extra", n_extra)):
        if n == 0:
            continue
        X = rng.integers(0, 256, (32, 32, 3, n), dtype=np.uint8)
        y = (np.arange(n) % 10 + 1).reshape(-1, 1)  # labels 1..10, 10 meaning digit 0
        savemat(str(folder / f"{name}_32x32.mat"), {"X": X, "y": y})
        out[name] = (X, y.ravel())
    return out


def test_svhn_mat(tmp_path):
    raw = write_svhn(tmp_path / "svhn")
    s = ds.load_svhn(tmp_path)
    # 240 training images -> balanced twelfth (2 per class) for validation
    assert s.X_val.shape == (20, 3, 32, 32) and s.X_train.shape == (220, 3, 32, 32)
    assert s.X_test.shape == (30, 3, 32, 32)
    assert np.bincount(s.y_val, minlength=10).tolist() == [2] * 10
    assert set(np.unique(s.y_train)) == set(range(10)) and s.y_test.max() == 9
    # label 10 -> 0, and the image layout (32, 32, 3, n) -> (n, 3, 32, 32)
    X, y = raw["test"]
    assert s.y_test[9] == 0 and y[9] == 10
    np.testing.assert_allclose(s.X_test[4, 1], X[:, :, 1, 4] / 255.0, rtol=1e-6)
    # validation + training = the whole training file, nothing shared
    rows = lambda A: {a.tobytes() for a in A}  # noqa: E731
    assert not rows(s.X_val) & rows(s.X_train)
    assert len(rows(s.X_val) | rows(s.X_train)) == 240
    # fixed split
    s2 = ds.load_svhn(tmp_path)
    np.testing.assert_array_equal(s.X_val, s2.X_val)


def test_svhn_extra_and_missing(tmp_path):
    write_svhn(tmp_path / "svhn", n_extra=120)
    s = ds.load_svhn(tmp_path, use_extra=True)
    # 2 per class from train, 1 per class from extra at this tiny size
    assert len(s.y_val) == 30 and len(s.y_train) == 240 + 120 - 30
    assert "extra" in s.source
    (tmp_path / "svhn" / "extra_32x32.mat").unlink()
    with pytest.raises(DataMissingError, match="extra_32x32.mat"):
        ds.load_svhn(tmp_path, use_extra=True)
    with pytest.raises(DataMissingError, match="train_32x32.mat"):
        ds.load_svhn(tmp_path / "empty")


# ------------------------------------------------------------------------------ digits, MNIST-1D


def _disjoint(s):
    rows = lambda A: {a.tobytes() for a in A.reshape(len(A), -1)}  # noqa: E731
    a, b, c = rows(s.X_train), rows(s.X_val), rows(s.X_test)
    return not (a & b or a & c or b & c)


def test_digits_split():
    s = ds.load_digits()
    assert s.X_train.shape[1:] == (1, 8, 8) and s.X_train.dtype == np.float32
    assert len(s.y_train) + len(s.y_val) + len(s.y_test) == 1797
    assert abs(len(s.y_val) - 0.2 * 1797) <= 1 and abs(len(s.y_test) - 0.2 * 1797) <= 1
    assert 0 <= s.X_train.min() and s.X_train.max() == 1.0
    # stratified: every class within one example of its proportional share
    total = np.bincount(np.concatenate([s.y_train, s.y_val, s.y_test]))
    for part in (s.y_val, s.y_test):
        assert np.all(np.abs(np.bincount(part, minlength=10) - total * len(part) / 1797) <= 1)
    s2, s3 = ds.load_digits(), ds.load_digits(seed=1)
    np.testing.assert_array_equal(s.y_val, s2.y_val)
    np.testing.assert_array_equal(s.X_test, s2.X_test)
    assert not np.array_equal(s.X_val, s3.X_val)
    # the bundled digits contain a few exact duplicate images, so check disjointness on indices
    # through a lookup of the full set rather than row bytes
    from sklearn.datasets import load_digits

    imgs = load_digits().images.reshape(1797, -1) / 16.0
    counts = {}
    for r in imgs.astype(np.float32):
        counts[r.tobytes()] = counts.get(r.tobytes(), 0) + 1
    seen = {}
    for part in (s.X_train, s.X_val, s.X_test):
        for r in part.reshape(len(part), -1):
            seen[r.tobytes()] = seen.get(r.tobytes(), 0) + 1
    assert seen == counts  # each image used exactly as often as it exists


def test_mnist1d_offline_deterministic_and_cached(cache, monkeypatch):
    np.random.seed(123)
    random.seed(123)
    before_np, before_py = np.random.random(), random.random()
    np.random.seed(123)
    random.seed(123)
    s = ds.load_mnist1d()
    # the generator's global seeding must not leak into the caller's RNG state
    assert np.random.random() == before_np and random.random() == before_py
    assert s.X_train.shape == (3000, 1, 40) and s.X_val.shape == (1000, 1, 40) and s.X_test.shape == (1000, 1, 40)
    assert s.X_train.dtype == np.float32 and s.y_train.dtype == np.int64 and s.n_classes == 10
    assert _disjoint(s)
    assert np.all(np.abs(np.bincount(s.y_val, minlength=10) - 100) <= 10)
    files = list(cache.glob("mnist1d_*.npz"))
    assert len(files) == 1

    # second call reads the cache: the generator must not run again
    import mnist1d.data

    def boom(*a, **k):
        raise AssertionError("make_dataset called although the cache exists")

    monkeypatch.setattr(mnist1d.data, "make_dataset", boom)
    s2 = ds.load_mnist1d()
    for a, b in ((s.X_train, s2.X_train), (s.y_val, s2.y_val), (s.X_test, s2.X_test)):
        np.testing.assert_array_equal(a, b)
    s3 = ds.load_mnist1d(seed=1)
    assert not np.array_equal(s.y_val, s3.y_val)
    np.testing.assert_array_equal(s.X_test, s3.X_test)  # the package's own test split is kept

    # a torn cache file is rebuilt, not fatal
    monkeypatch.undo()
    files[0].write_bytes(b"torn")
    s4 = ds.load_mnist1d()
    np.testing.assert_array_equal(s.X_val, s4.X_val)


def test_present_and_lookup(tmp_path):
    assert ds.dataset_present("digits") and ds.dataset_present("mnist1d")
    assert not ds.dataset_present("svhn", tmp_path)
    assert set(ds.DATASETS) == {"digits", "mnist1d", "mnist", "fashion-mnist", "cifar10", "svhn"}
    assert ds.load_dataset("digits").name == "digits"
    with pytest.raises(KeyError, match="known"):
        ds.load_dataset("imagenet")
    with pytest.raises(DataMissingError, match="svhn"):
        ds.load_dataset("svhn", tmp_path)


# --------------------------------------------- issue 9, item 7: no code from planted data files


class _Planted:
    """Unpickling this calls ``open(marker, "w")``: a file appears if the pickle is executed."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_item7_planted_cifar_batch_does_not_execute_code(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    write_cifar(folder)
    marker = tmp_path / "pwned"
    with open(folder / "data_batch_3", "wb") as fh:
        pickle.dump({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 1], b"x": _Planted(marker)}, fh)
    with pytest.raises(ds.UnsafePickleError, match=r"data_batch_3 is not a CIFAR-10 python batch: it refers to io.open"):
        ds.load_cifar10(tmp_path)
    assert not marker.exists(), "reading a CIFAR-10 batch ran code planted in it"


@pytest.mark.parametrize("protocol", [0, 2, 4, 5, "numpy1"])
def test_item7_real_batch_formats_still_load(tmp_path, protocol):
    folder = tmp_path / "cifar-10-batches-py"
    written = write_cifar(folder)
    data, labels = written["data_batch_1"]
    batch = {b"batch_label": b"training batch 1 of 5", b"labels": labels, b"data": data, b"filenames": [b"a.png"] * len(labels)}
    if protocol == "numpy1":  # what numpy 1.x (and the official files) name the reconstructor
        raw = pickle.dumps(batch, protocol=2).replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
        assert b"numpy.core.multiarray\n_reconstruct" in raw
    else:
        raw = pickle.dumps(batch, protocol=protocol)
    (folder / "data_batch_1").write_bytes(raw)
    s = ds.load_cifar10(tmp_path)
    np.testing.assert_array_equal(s.y_train[:20], labels)
    np.testing.assert_allclose(s.X_train[0].reshape(-1), data[0] / 255.0, rtol=1e-6)
