"""The registered CNN benchmarks: LeNet on four data sets and the cuda-convnet CNN on two.

Each class says which network (:mod:`~hpobench.benchmarks.cnn.models`), optimizer,
learning-rate schedule, batch size and data set; the training itself is
:class:`~hpobench.benchmarks.cnn.training.TorchBenchmark`'s.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...schedules import SCHEDULE_NAMES, Schedule, StepDecay, make_schedule
from ...space import Categorical, Space
from ..base import config_key, stable_seed
from ..datasets import Split, check_dataset, load_cifar10, load_digits, load_mnist, load_mnist1d, load_svhn
from ..spaces import cuda_convnet_space, lenet_params
from .device import torch
from .models import CudaConvnet, LeNet
from .training import TorchBenchmark

__all__ = [
    "LENET_DATASETS",
    "LENET_ITERS_PER_UNIT",
    "LeNetBenchmark",
    "LeNetDigits",
    "LeNetMNIST1D",
    "LeNetMNIST",
    "LeNetFashionMNIST",
    "CNN_DATASETS",
    "CNN_MAX_BUDGET",
    "CudaConvnetBenchmark",
    "CudaConvnetCIFAR10",
    "CudaConvnetSVHN",
]


# -------------------------------------------------------------------------------------- LeNet

LENET_DATASETS = ("digits", "mnist1d", "mnist", "fashion-mnist")

#: Default iterations per unit. Digits: measured 13-17 ms per iteration on average over random
#: configurations (1 thread), so one Hyperband outer loop (R = 81, eta = 3: 1,581 units with
#: checkpoint continuation) is ~1,581 x 20 x 15 ms ~ 8 min of training; measured end to end at
#: R = 27 on a busy 2-core machine: 0.41 s per unit, ~11 min at R = 81. MNIST / Fashion-MNIST
#: use the CNN experiments' unit (100 mini-batches).
LENET_ITERS_PER_UNIT = {"digits": 20, "mnist1d": 20, "mnist": 100, "fashion-mnist": 100}


class LeNetBenchmark(TorchBenchmark):
    """LeNet trained with mini-batch SGD (momentum 0.9): the Hyperband paper's §3.3 and
    Table 2 (see docs/cnn.md).

    Space: ``lr`` log [1e-3, 1e-1], ``batch_size`` int log [10, 1000], ``k2`` int [10, 60],
    ``k1`` int [5, k2] (plus an ``lr_schedule`` categorical when ``search_lr_schedule``).
    Budget: units of ``iters_per_unit`` mini-batch iterations, 1..R with R = 81.

    Deviation: the JMLR text counts LeNet's unit as one epoch; here a unit is a fixed number of
    iterations (as in the paper's CNN experiments), so the cost of a unit grows with the batch
    size. Defaults: 20 iterations per unit on ``digits`` and ``mnist1d`` (a Hyperband outer loop
    takes minutes on a laptop core), 100 on ``mnist`` / ``fashion-mnist``.

    Args:
        dataset: ``"digits"``, ``"mnist1d"``, ``"mnist"`` or ``"fashion-mnist"``.
        iters_per_unit: iterations per unit (default per dataset, see above).
        max_budget: R (81).
        lr_schedule: learning-rate schedule applied to the searched rate, one of
            ``constant``, ``exp_decay``, ``clr``, ``one_cycle`` (:func:`~hpobench.schedules.make_schedule`:
            the searched ``lr`` is always the schedule's peak).
        search_lr_schedule: add a categorical ``lr_schedule`` parameter to the space instead.
        schedule, search_schedule: the former names of ``lr_schedule`` and
            ``search_lr_schedule``, still accepted.
        activation: ``"tanh"`` (the tutorial's) or ``"relu"``.
        padding: ``"same"`` or ``"valid"``; default ``"valid"`` (the tutorial's) for 28×28
            inputs, ``"same"`` for the small ``digits`` and ``mnist1d`` inputs.
        data_seed: seed of the train/validation/test split of ``digits`` and ``mnist1d``.
        **kwargs: see :class:`TorchBenchmark` (``checkpoint_dir``, ``data_dir``, ``device``,
            ``threads``, ``momentum``).
    """

    def __init__(
        self,
        dataset: str = "digits",
        iters_per_unit: int | None = None,
        max_budget: float = 81,
        lr_schedule: str = "constant",
        search_lr_schedule: bool = False,
        activation: str = "tanh",
        padding: str | None = None,
        data_seed: int = 0,
        schedule: str | None = None,
        search_schedule: bool | None = None,
        **kwargs: Any,
    ):
        # "schedule" alone names Hyperband's brackets elsewhere; the old option names still work
        if schedule is not None:
            lr_schedule = schedule
        if search_schedule is not None:
            search_lr_schedule = search_schedule
        if dataset not in LENET_DATASETS:
            raise ValueError(f"unknown LeNet dataset {dataset!r}; known: {', '.join(LENET_DATASETS)}")
        if lr_schedule not in SCHEDULE_NAMES:
            raise ValueError(f"unknown learning-rate schedule {lr_schedule!r}; known: {', '.join(SCHEDULE_NAMES)}")
        if activation not in ("tanh", "relu"):
            raise ValueError(f"activation must be 'tanh' or 'relu', got {activation!r}")
        if padding not in (None, "same", "valid"):
            raise ValueError(f"padding must be 'same' or 'valid', got {padding!r}")
        ipu = LENET_ITERS_PER_UNIT[dataset] if iters_per_unit is None else iters_per_unit
        super().__init__(ipu, max_budget, **kwargs)
        self.dataset = dataset
        self.name = f"lenet-{dataset}"
        self.lr_schedule_name = lr_schedule
        self.search_lr_schedule = bool(search_lr_schedule)
        self.activation = activation
        self.padding = padding or ("valid" if dataset in ("mnist", "fashion-mnist") else "same")
        self.data_seed = int(data_seed)
        params = lenet_params()
        if self.search_lr_schedule:
            params.append(Categorical("lr_schedule", list(SCHEDULE_NAMES)))
        self.space = Space(params)

    def signature(self) -> str:
        return (
            f"{super().signature()}|{self.lr_schedule_name}|{self.activation}|{self.padding}|ds={self.data_seed}"
        )

    def _load_split(self) -> Split:
        if self.dataset == "digits":
            return load_digits(self.data_seed)
        if self.dataset == "mnist1d":
            return load_mnist1d(self.data_seed)
        return load_mnist(self.data_dir, fashion=self.dataset == "fashion-mnist")

    def build_model(self, config, generator, input_shape, n_classes):
        return LeNet(
            config["k1"],
            config["k2"],
            input_shape=input_shape,
            n_classes=n_classes,
            activation=self.activation,
            padding=self.padding,
            generator=generator,
        )

    def batch_size(self, config: dict) -> int:
        return int(config["batch_size"])

    def lr_schedule(self, config: dict) -> Schedule:
        name = config.get("lr_schedule", self.lr_schedule_name) if self.search_lr_schedule else self.lr_schedule_name
        return make_schedule(name, float(config["lr"]), self.iters_per_unit, self.fidelity.max)

    def lr_range_test(self, config: dict, seed: int = 0, **options: Any):
        """Smith's LR range test (:func:`hpobench.schedules.lr_range_test`) for the network of
        ``config`` (its ``lr`` is ignored) on this benchmark's train/validation data; ``options``
        go to that function (``max_lr``, ``epochs``, ``n_points``...)."""
        from ...schedules import lr_range_test

        data = self.data()
        generator = torch.Generator().manual_seed(stable_seed(seed, config_key(config), "init"))
        model = self.build_model(config, generator, data["input_shape"], data["n_classes"])
        options.setdefault("batch_size", self.batch_size(config))
        return lr_range_test(
            model,
            data["X_train"],
            data["y_train"],
            data["X_val"],
            data["y_val"],
            seed=seed,
            device=self.device,
            momentum=self.momentum,
            **options,
        )


class LeNetDigits(LeNetBenchmark):
    """``lenet-digits``: LeNet on scikit-learn's 8×8 digits (always available)."""

    def __init__(self, **kwargs: Any):
        super().__init__("digits", **kwargs)


class LeNetMNIST1D(LeNetBenchmark):
    """``lenet-mnist1d``: the 1-D LeNet on MNIST-1D (generated offline by ``mnist1d``)."""

    def __init__(self, **kwargs: Any):
        super().__init__("mnist1d", **kwargs)


class LeNetMNIST(LeNetBenchmark):
    """``lenet-mnist``: LeNet on MNIST (IDX files under the data directory)."""

    def __init__(self, **kwargs: Any):
        super().__init__("mnist", **kwargs)


class LeNetFashionMNIST(LeNetBenchmark):
    """``lenet-fashion-mnist``: LeNet on Fashion-MNIST (IDX files under the data directory)."""

    def __init__(self, **kwargs: Any):
        super().__init__("fashion-mnist", **kwargs)


# -------------------------------------------------------------------------- cuda-convnet CNN

CNN_DATASETS = ("cifar10", "svhn")
CNN_MAX_BUDGET = {"cifar10": 300, "svhn": 600}


class CudaConvnetBenchmark(TorchBenchmark):
    """The Hyperband paper's CNN experiments (§4.1, Table 3, Appendix A.2; see docs/cnn.md).

    Space (8 parameters): ``lr`` log [5e-5, 5], ``conv1_l2``/``conv2_l2``/``conv3_l2`` log
    [5e-5, 5], ``fc4_l2`` log [5e-3, 500], ``lr_reductions`` int [0, 3], ``lrn_scale`` log
    [5e-6, 5], ``lrn_power`` [0.01, 3]. Unit = ``iters_per_unit`` (100) mini-batches of 100;
    R = 300 (CIFAR-10) or 600 (SVHN). SGD momentum 0.9; the step policy divides the rate by 10
    ``lr_reductions`` times, evenly over the **maximum** window R·unit; per-layer L2 penalties
    as per-parameter-group weight decay on the weights; biases learn at twice the rate with no
    decay; the only preprocessing is subtracting the training set's mean image, on the 0–255
    pixel scale Caffe used (the init std and the lr range are calibrated for it).

    Deviation: PyTorch's SGD applies the rate after the momentum sum (``w -= lr·v``) while
    Caffe folds it in before (``v = m·v + lr·g``); the two agree except for a transient after
    each step drop.

    Args:
        dataset: ``"cifar10"`` or ``"svhn"``.
        iters_per_unit: mini-batches per unit (100; tests use tiny units).
        max_budget: R (default 300 for CIFAR-10, 600 for SVHN).
        batch: mini-batch size (100 in all the paper's experiments).
        use_extra: SVHN only: add ``extra_32x32.mat`` to the training set (the paper's ≈600k).
        **kwargs: see :class:`TorchBenchmark`.
    """

    def __init__(
        self,
        dataset: str = "cifar10",
        iters_per_unit: int = 100,
        max_budget: float | None = None,
        batch: int = 100,
        use_extra: bool = False,
        **kwargs: Any,
    ):
        if dataset not in CNN_DATASETS:
            raise ValueError(f"unknown CNN dataset {dataset!r}; known: {', '.join(CNN_DATASETS)}")
        super().__init__(iters_per_unit, CNN_MAX_BUDGET[dataset] if max_budget is None else max_budget, **kwargs)
        self.dataset = dataset
        self.name = f"cnn-{dataset}"
        self.batch = int(batch)
        self.use_extra = bool(use_extra)
        self.space = cuda_convnet_space()

    def signature(self) -> str:
        return f"{super().signature()}|batch={self.batch}|extra={self.use_extra}"

    def _check_data(self) -> None:
        check_dataset(self.dataset, self.data_dir, use_extra=self.use_extra)

    def _load_split(self) -> Split:
        if self.dataset == "cifar10":
            return load_cifar10(self.data_dir)
        return load_svhn(self.data_dir, use_extra=self.use_extra)

    def _preprocessing(self, split: Split) -> dict:
        mean = split.X_train.mean(axis=0, dtype=np.float64).astype(np.float32)
        scale = 255.0 if float(split.X_train.max(initial=0.0)) <= 1.0 else 1.0
        return {"mean": torch.from_numpy(mean * scale).to(self.device), "scale": scale}

    def prepare(self, x):
        """Caffe-style input: pixels on the 0–255 scale minus the training mean image."""
        d = self._data
        return x * d["scale"] - d["mean"]

    def build_model(self, config, generator, input_shape, n_classes):
        return CudaConvnet(
            lrn_scale=config["lrn_scale"],
            lrn_power=config["lrn_power"],
            in_channels=input_shape[0],
            image_size=input_shape[-1],
            n_classes=n_classes,
            generator=generator,
        )

    def build_optimizer(self, model, config):
        layers = (
            (model.conv1, config["conv1_l2"]),
            (model.conv2, config["conv2_l2"]),
            (model.conv3, config["conv3_l2"]),
            (model.fc, config["fc4_l2"]),
        )
        groups = []
        for layer, decay in layers:
            groups.append({"params": [layer.weight], "weight_decay": float(decay), "lr_mult": 1.0})
            groups.append({"params": [layer.bias], "weight_decay": 0.0, "lr_mult": 2.0})
        return torch.optim.SGD(groups, lr=0.0, momentum=self.momentum)

    def batch_size(self, config: dict) -> int:
        return self.batch

    def lr_schedule(self, config: dict) -> Schedule:
        return StepDecay(float(config["lr"]), self.max_iterations, int(config["lr_reductions"]))


class CudaConvnetCIFAR10(CudaConvnetBenchmark):
    """``cnn-cifar10``: the cuda-convnet CNN on CIFAR-10 (python batches under the data directory)."""

    def __init__(self, **kwargs: Any):
        super().__init__("cifar10", **kwargs)


class CudaConvnetSVHN(CudaConvnetBenchmark):
    """``cnn-svhn``: the cuda-convnet CNN on SVHN (``.mat`` files under the data directory)."""

    def __init__(self, **kwargs: Any):
        super().__init__("svhn", **kwargs)

