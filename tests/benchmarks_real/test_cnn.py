"""Real PyTorch training benchmarks: LeNet (digits, MNIST-1D, MNIST, Fashion-MNIST) and the
cuda-convnet CNN (CIFAR-10, SVHN) on tiny files written here; checkpoint continuation."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hpobench.benchmarks.cnn import (  # noqa: E402
    CudaConvnetCIFAR10,
    CudaConvnetSVHN,
    LeNet,
    LeNetBenchmark,
    LeNetDigits,
    LeNetFashionMNIST,
    LeNetMNIST,
    LeNetMNIST1D,
)
from hpobench.benchmarks.datasets import DataMissingError  # noqa: E402
from hpobench.space import Categorical, ConfigError  # noqa: E402
from hpobench.threads import limited_threads  # noqa: E402

GOOD = {"lr": 0.05, "batch_size": 32, "k2": 50, "k1": 20}
POOR = {"lr": 1e-3, "batch_size": 1000, "k2": 50, "k1": 20}
SMALL = {"lr": 0.03, "batch_size": 50, "k2": 16, "k1": 8}
CNN_CONFIG = {
    "lr": 1e-3,
    "conv1_l2": 1e-3,
    "conv2_l2": 1e-3,
    "conv3_l2": 1e-3,
    "fc4_l2": 0.5,
    "lr_reductions": 2,
    "lrn_scale": 5e-5,
    "lrn_power": 0.75,
}


@pytest.fixture(autouse=True)
def _one_thread(tmp_path, monkeypatch):
    # tests share 2 cores with other work; temporary checkpoints go under tmp_path
    monkeypatch.setenv("HPOBENCH_CACHE_DIR", str(tmp_path / "cache"))
    with limited_threads(1):
        yield


@pytest.fixture
def digits_bench():
    b = LeNetDigits(device="cpu")
    yield b
    b.close()


# ------------------------------------------------------------------------------------ LeNet


def test_lenet_space_is_table_2():
    b = LeNetDigits()
    assert b.space.names == ["lr", "batch_size", "k2", "k1"]
    lr, bs, k2, k1 = (b.space[n] for n in b.space.names)
    assert (lr.low, lr.high, lr.log) == (1e-3, 1e-1, True)
    assert (bs.low, bs.high, bs.log) == (10, 1000, True)
    assert (k2.low, k2.high) == (10, 60)
    assert (k1.low, k1.high) == (5, "k2")
    assert b.fidelity.max == 81 and b.fidelity.min == 1
    assert b.kind == "real" and b.can_continue
    assert b.name == "lenet-digits" and b.data_available()
    with pytest.raises(ConfigError):
        b.evaluate({**GOOD, "k1": 55}, budget=1)  # k1 > k2


def test_good_config_learns_and_poor_one_does_not(digits_bench):
    # reduced budgets: 9 of 81 units for the good configuration (180 iterations), 3 for the
    # poor one (60 iterations of batch 1000, i.e. ~55 epochs of data but only 60 small steps)
    good = digits_bench.evaluate(GOOD, budget=9, seed=0)
    assert good.loss < 0.03, good
    assert good.test_loss < 0.06
    assert good.info["iterations"] == 180 and good.info["trained_from"] == "scratch"
    assert good.cost > 0
    poor = digits_bench.evaluate(POOR, budget=3, seed=0)
    assert poor.loss > 0.2, poor
    assert poor.info["iterations"] == 60


def test_same_seed_same_losses():
    a, b = LeNetDigits(iters_per_unit=10, device="cpu"), LeNetDigits(iters_per_unit=10, device="cpu")
    try:
        r1 = a.evaluate(SMALL, budget=2, seed=3)
        r2 = b.evaluate(SMALL, budget=2, seed=3)
        r3 = a.evaluate(SMALL, budget=2, seed=4)
    finally:
        a.close()
        b.close()
    assert (r1.loss, r1.test_loss, r1.info["train_loss"]) == (r2.loss, r2.test_loss, r2.info["train_loss"])
    assert r3.info["train_loss"] != r1.info["train_loss"]


def _state(bench, config, seed):
    ck = bench._read_checkpoint(config, seed)
    assert ck is not None
    return ck


@pytest.mark.parametrize("lr_schedule", ["clr", "exp_decay"])
def test_training_in_steps_equals_training_at_once(tmp_path, lr_schedule):
    steps = LeNetDigits(iters_per_unit=5, lr_schedule=lr_schedule, checkpoint_dir=tmp_path / "a", device="cpu")
    once = LeNetDigits(iters_per_unit=5, lr_schedule=lr_schedule, checkpoint_dir=tmp_path / "b", device="cpu")
    prev, runs = None, []
    for r in (1, 3, 9):
        res = steps.evaluate(SMALL, budget=r, seed=7, resume_from=prev)
        runs.append(res.info)
        prev = r
    direct = once.evaluate(SMALL, budget=9, seed=7)
    # continued evaluations train only the difference
    assert [i["iterations_run"] for i in runs] == [5, 10, 30]
    assert [i["trained_from"] for i in runs] == ["scratch", "checkpoint", "checkpoint"]
    assert [i["resumed_at"] for i in runs] == [0, 5, 15]
    assert direct.info["iterations_run"] == 45
    assert res.loss == direct.loss and res.test_loss == direct.test_loss
    a, b = _state(steps, SMALL, 7), _state(once, SMALL, 7)
    assert a["iteration"] == b["iteration"] == 45
    for k in a["model"]:
        assert torch.allclose(a["model"][k], b["model"][k], rtol=1e-6, atol=1e-7), k
    # the momentum buffers went through the checkpoints too
    for (ka, sa), (kb, sb) in zip(a["optimizer"]["state"].items(), b["optimizer"]["state"].items()):
        assert torch.allclose(sa["momentum_buffer"], sb["momentum_buffer"], rtol=1e-6, atol=1e-7)


def test_resume_without_checkpoint_trains_from_scratch(tmp_path):
    b = LeNetDigits(iters_per_unit=5, checkpoint_dir=tmp_path, device="cpu")
    r = b.evaluate(SMALL, budget=3, seed=0, resume_from=1)
    assert r.info["trained_from"] == "scratch" and r.info["checkpoint_missing"]
    assert r.info["iterations_run"] == 15
    # a checkpoint of another seed is not used
    r = b.evaluate(SMALL, budget=9, seed=1, resume_from=3)
    assert r.info["trained_from"] == "scratch"
    with pytest.raises(ValueError, match="resume_from"):
        b.evaluate(SMALL, budget=1, seed=0, resume_from=3)


def test_checkpoints_persist_in_user_dir_and_vanish_at_max(tmp_path):
    first = LeNetDigits(iters_per_unit=2, max_budget=9, checkpoint_dir=tmp_path, device="cpu")
    first.evaluate(SMALL, budget=3, seed=0)
    first.close()  # a user-given directory is kept
    path = first.checkpoint_path(SMALL, 0)
    assert path.is_file()
    second = LeNetDigits(iters_per_unit=2, max_budget=9, checkpoint_dir=tmp_path, device="cpu")
    r = second.evaluate(SMALL, budget=9, seed=0, resume_from=3)
    assert r.info["trained_from"] == "checkpoint" and r.info["iterations_run"] == 12
    assert not path.exists()  # trained to R: nothing left to continue
    # different settings (iters_per_unit) never pick up the checkpoint of others
    other = LeNetDigits(iters_per_unit=3, max_budget=9, checkpoint_dir=tmp_path, device="cpu")
    second.evaluate(SMALL, budget=3, seed=0)
    assert other.evaluate(SMALL, budget=4, seed=0, resume_from=3).info["trained_from"] == "scratch"


def test_close_removes_temporary_checkpoints(tmp_path):
    b = LeNetDigits(iters_per_unit=2, device="cpu")
    b.evaluate(SMALL, budget=1, seed=0)
    d = b.checkpoint_dir
    assert d.is_dir() and str(d).startswith(str(tmp_path / "cache"))
    assert any(d.iterdir())
    b.close()
    assert not d.exists()


def test_pickled_benchmark_evaluates_the_same(tmp_path):
    b = LeNetDigits(iters_per_unit=3, checkpoint_dir=tmp_path, device="cpu")
    r1 = b.evaluate(SMALL, budget=2, seed=0)
    clone = pickle.loads(pickle.dumps(b))
    r2 = clone.evaluate(SMALL, budget=2, seed=0)
    assert r1.loss == r2.loss and r1.info["train_loss"] == r2.info["train_loss"]


def test_lr_schedule_as_searched_parameter():
    b = LeNetDigits(iters_per_unit=3, search_lr_schedule=True, device="cpu")
    try:
        assert isinstance(b.space["lr_schedule"], Categorical)
        assert list(b.space["lr_schedule"].choices) == ["constant", "exp_decay", "clr", "one_cycle"]
        losses = {}
        for s in ("constant", "one_cycle"):
            r = b.evaluate({**SMALL, "lr_schedule": s}, budget=2, seed=0)
            losses[s] = r.info["train_loss"]
        assert losses["constant"] != losses["one_cycle"]
        sched = b.lr_schedule({**SMALL, "lr_schedule": "clr"})
        assert sched.lr(0) == pytest.approx(SMALL["lr"] / 4) and sched.lr(1) > sched.lr(0)
    finally:
        b.close()
    with pytest.raises(ValueError, match="learning-rate schedule"):
        LeNetDigits(lr_schedule="cosine")


def test_former_schedule_option_names_still_work():
    old = LeNetDigits(schedule="clr", search_schedule=True)
    assert old.lr_schedule_name == "clr" and old.search_lr_schedule and "lr_schedule" in old.space.names
    with pytest.raises(ValueError, match="learning-rate schedule"):
        LeNetDigits(schedule="cosine")


def test_bad_options():
    with pytest.raises(ValueError):
        LeNetBenchmark("cifar10")
    with pytest.raises(ValueError):
        LeNetDigits(iters_per_unit=0)
    with pytest.raises(ValueError):
        LeNetDigits(device="tpu")
    with pytest.raises(ValueError):
        LeNetDigits(activation="sigmoid")


def test_lenet_shapes_and_seeded_init():
    g1, g2 = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    a = LeNet(5, 10, (1, 8, 8), generator=g1)
    b = LeNet(5, 10, (1, 8, 8), generator=g2)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert a(torch.zeros(3, 1, 8, 8)).shape == (3, 10)
    assert a.fc.out_features == 500
    valid = LeNet(20, 50, (1, 28, 28), padding="valid")
    assert valid.fc.in_features == 50 * 4 * 4  # the tutorial's 28 -> 24 -> 12 -> 8 -> 4
    one_d = LeNet(6, 12, (1, 40))
    assert isinstance(one_d.conv1, torch.nn.Conv1d) and one_d(torch.zeros(2, 1, 40)).shape == (2, 10)
    with pytest.raises(ValueError):
        LeNet(5, 10, (1, 8, 8), padding="valid")  # 8x8 is too small without padding


def test_lenet_mnist1d_beats_chance():
    pytest.importorskip("mnist1d")
    b = LeNetMNIST1D(iters_per_unit=20, device="cpu")
    try:
        r = b.evaluate({"lr": 0.05, "batch_size": 64, "k2": 32, "k1": 16}, budget=10, seed=0)
    finally:
        b.close()
    assert b.name == "lenet-mnist1d"
    assert r.loss < 0.6, r  # chance is 0.9
    assert r.info["iterations"] == 200


# ------------------------------------------------------------------------------ tiny data files


def _write_idx(path, array):
    array = np.asarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    path.write_bytes(header + array.tobytes())


def _write_mnist(root, n_train=120, n_test=30, seed=0):
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True)
    _write_idx(root / "train-images-idx3-ubyte", rng.integers(0, 256, (n_train, 28, 28)))
    _write_idx(root / "train-labels-idx1-ubyte", rng.integers(0, 10, n_train))
    _write_idx(root / "t10k-images-idx3-ubyte", rng.integers(0, 256, (n_test, 28, 28)))
    _write_idx(root / "t10k-labels-idx1-ubyte", rng.integers(0, 10, n_test))


@pytest.mark.parametrize("cls, sub", [(LeNetMNIST, "mnist"), (LeNetFashionMNIST, "fashion-mnist")])
def test_lenet_mnist_on_tiny_idx_files(tmp_path, cls, sub):
    _write_mnist(tmp_path / sub)
    b = cls(data_dir=tmp_path, iters_per_unit=2, device="cpu")
    assert b.data_available() and b.padding == "valid" and b.name == f"lenet-{sub}"
    assert b.iters_per_unit == 2 and cls(device="cpu").iters_per_unit == 100
    r1 = b.evaluate({"lr": 0.01, "batch_size": 16, "k2": 12, "k1": 6}, budget=1, seed=0)
    r2 = b.evaluate({"lr": 0.01, "batch_size": 16, "k2": 12, "k1": 6}, budget=2, seed=0, resume_from=1)
    for r in (r1, r2):
        assert 0.0 <= r.loss <= 1.0 and math.isfinite(r.info["train_loss"])
    assert r2.info["trained_from"] == "checkpoint" and r2.info["iterations_run"] == 2
    b.close()


@pytest.mark.parametrize("cls", [LeNetMNIST, LeNetFashionMNIST])
def test_missing_mnist_files_raise_data_missing_error(tmp_path, cls):
    b = cls(data_dir=tmp_path, device="cpu")
    assert not b.data_available()
    assert "IDX" in b.data_source
    with pytest.raises(DataMissingError) as err:
        b.evaluate({"lr": 0.01, "batch_size": 16, "k2": 12, "k1": 6}, budget=1)
    for name in ("train-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        assert name in str(err.value)


def _write_cifar(root, per_batch=20, seed=0):
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {
            b"data": rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
            b"labels": rng.integers(0, 10, per_batch).tolist(),
        }
        with open(root / name, "wb") as fh:
            pickle.dump(batch, fh)


def test_cnn_cifar10_on_tiny_batches(tmp_path):
    _write_cifar(tmp_path / "cifar-10-batches-py")
    b = CudaConvnetCIFAR10(data_dir=tmp_path, iters_per_unit=2, device="cpu")
    assert b.data_available() and b.name == "cnn-cifar10" and b.fidelity.max == 300
    assert len(b.space) == 8 and b.space["lr_reductions"].high == 3
    r1 = b.evaluate(CNN_CONFIG, budget=1, seed=0)
    r2 = b.evaluate(CNN_CONFIG, budget=3, seed=0, resume_from=1)
    for r in (r1, r2):
        assert 0.0 <= r.loss <= 1.0 and 0.0 <= r.test_loss <= 1.0
        assert math.isfinite(r.info["train_loss"]) and not r.info["diverged"]
    assert r2.info["trained_from"] == "checkpoint" and r2.info["iterations_run"] == 4
    # the step policy spreads the reductions over the maximum window (R units)
    sched = b.lr_schedule(CNN_CONFIG)
    assert sched.stepsize == 600 // 3 and sched.lr(200) == pytest.approx(1e-4)
    # per-layer decay on the weights, biases at twice the rate without decay
    model = b.build_model(CNN_CONFIG, torch.Generator().manual_seed(0), (3, 32, 32), 10)
    groups = b.build_optimizer(model, CNN_CONFIG).param_groups
    assert [g["weight_decay"] for g in groups] == [1e-3, 0, 1e-3, 0, 1e-3, 0, 0.5, 0]
    assert [g["lr_mult"] for g in groups] == [1, 2] * 4
    assert model.conv1.weight.std().item() == pytest.approx(1e-4, rel=0.2)
    assert model.conv2.weight.std().item() == pytest.approx(1e-2, rel=0.2)
    # Caffe-style input: 0-255 scale minus the mean image
    d = b.data()
    x = b.prepare(d["X_train"])
    assert abs(float(x.mean())) < 1e-3 and float(x.abs().max()) > 50
    b.close()


def test_cnn_diverging_config_reports_a_finite_bad_loss(tmp_path):
    _write_cifar(tmp_path / "cifar-10-batches-py")
    b = CudaConvnetCIFAR10(data_dir=tmp_path, iters_per_unit=25, batch=10, device="cpu")
    wild = {**CNN_CONFIG, "lr": 5.0, "lr_reductions": 0, "fc4_l2": 500.0}
    r = b.evaluate(wild, budget=1, seed=0)
    assert r.info["diverged"] and r.info["iterations_run"] == 25
    assert not b.checkpoint_path(wild, 0).exists()  # nothing worth continuing
    assert math.isfinite(r.loss) and r.loss >= 0.7
    b.close()


def test_cnn_svhn_on_tiny_mat(tmp_path):
    from scipy.io import savemat

    rng = np.random.default_rng(0)
    (tmp_path / "svhn").mkdir()
    for name, n in (("train_32x32.mat", 240), ("test_32x32.mat", 40)):
        y = np.tile(np.arange(1, 11), n // 10).reshape(-1, 1)  # SVHN labels 1..10
        savemat(tmp_path / "svhn" / name, {"X": rng.integers(0, 256, (32, 32, 3, n), dtype=np.uint8), "y": y})
    b = CudaConvnetSVHN(data_dir=tmp_path, iters_per_unit=2, device="cpu")
    assert b.data_available() and b.name == "cnn-svhn" and b.fidelity.max == 600
    r = b.evaluate(CNN_CONFIG, budget=2, seed=0)
    assert 0.0 <= r.loss <= 1.0 and math.isfinite(r.info["train_loss"])
    b.close()


def test_missing_cifar_and_svhn(tmp_path):
    for cls, expected in ((CudaConvnetCIFAR10, "data_batch_1"), (CudaConvnetSVHN, "train_32x32.mat")):
        b = cls(data_dir=tmp_path, iters_per_unit=1, device="cpu")
        assert not b.data_available()
        with pytest.raises(DataMissingError, match=expected):
            b.evaluate(CNN_CONFIG, budget=1)


def test_lr_range_test_on_digits():
    b = LeNetDigits(device="cpu")
    try:
        res = b.lr_range_test(SMALL, max_lr=0.3, epochs=2, n_points=8)
    finally:
        b.close()
    assert len(res.lrs) == len(res.accuracies) == 8
    assert np.all(np.diff(res.lrs) > 0) and res.lrs[-1] == pytest.approx(0.3)
    assert res.accuracies.max() > 0.5  # it learned something along the way
    assert 0 < res.base_lr < res.max_lr <= 0.3


# ------------------------------------------------ issue 9, item 6: no code from checkpoint files


class _Planted:
    """Unpickling this calls ``open(marker, "w")``: a file appears if the pickle is executed."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("how", ["torch.save", "pickle.dump"])
def test_item6_planted_checkpoint_does_not_execute_code(tmp_path, how):
    b = LeNetDigits(iters_per_unit=2, checkpoint_dir=tmp_path / "shared", device="cpu")
    marker = tmp_path / "pwned"
    path = b.checkpoint_path(SMALL, 0)  # the predictable path in a shared checkpoint_dir
    payload = {"signature": b.signature(), "iteration": 0, "model": _Planted(marker)}
    if how == "torch.save":
        torch.save(payload, path)
    else:
        with open(path, "wb") as fh:
            pickle.dump(payload, fh)
    r = b.evaluate(SMALL, budget=2, seed=0, resume_from=1)
    assert not marker.exists(), "loading the checkpoint ran code planted in it"
    assert r.info["trained_from"] == "scratch" and r.info["checkpoint_missing"]
    # a genuine checkpoint still loads under weights_only
    again = b.evaluate(SMALL, budget=3, seed=0, resume_from=2)
    assert again.info["trained_from"] == "checkpoint"
