"""Real CNN training benchmarks with PyTorch: the Hyperband paper's LeNet (§3.3, Table 2) and
cuda-convnet CNN experiments (§4.1, Table 3). Details and measurements: docs/cnn.md.

* :class:`LeNetBenchmark` — the deeplearning.net LeNet on ``digits`` (8×8, bundled with
  scikit-learn), ``mnist1d`` (a 1-D variant), ``mnist`` and ``fashion-mnist`` (IDX files the
  user provides).
* :class:`CudaConvnetBenchmark` — Krizhevsky's cuda-convnet "18% model" as instantiated by the
  Hyperband authors in Caffe, on ``cifar10`` and ``svhn``.

Both are ``kind = "real"`` and ``can_continue = True``: the budget is a number of *units* of
mini-batch iterations, and a configuration trained to ``r`` units keeps a checkpoint so that a
later ``evaluate(config, r2, seed, resume_from=r)`` trains only ``r2 − r`` units.

``loss`` is the validation error (fraction misclassified) after training to the budget,
``test_loss`` the test error, ``cost`` the seconds the call took; ``info`` records the
iterations trained and whether training started from scratch or from a checkpoint.

Where things are:

* :mod:`~hpobench.benchmarks.cnn.models` — the networks (``nn.Module``);
* :mod:`~hpobench.benchmarks.cnn.training` — :class:`TorchBenchmark`: data on the device,
  mini-batch order, the training loop, evaluation;
* :mod:`~hpobench.benchmarks.cnn.checkpoints` — checkpoint files;
* :mod:`~hpobench.benchmarks.cnn.benchmarks` — the registered benchmarks;
* :mod:`~hpobench.benchmarks.cnn.device` — the optional torch import and the device choice.

Example:
    >>> from hpobench.benchmarks.cnn import LeNetBenchmark
    >>> b = LeNetBenchmark("digits", iters_per_unit=5)
    >>> r = b.evaluate({"lr": 0.05, "batch_size": 32, "k2": 20, "k1": 10}, budget=1, seed=0)
    >>> r.info["iterations"], 0.0 <= r.loss <= 1.0
    (5, True)
    >>> b.close()
"""

from __future__ import annotations

from .benchmarks import (
    CNN_DATASETS,
    CNN_MAX_BUDGET,
    LENET_DATASETS,
    LENET_ITERS_PER_UNIT,
    CudaConvnetBenchmark,
    CudaConvnetCIFAR10,
    CudaConvnetSVHN,
    LeNetBenchmark,
    LeNetDigits,
    LeNetFashionMNIST,
    LeNetMNIST,
    LeNetMNIST1D,
)
from .device import TorchMissingError, require_torch, resolve_device
from .models import CudaConvnet, LeNet, WithinChannelLRN
from .training import TorchBenchmark

__all__ = [
    "LeNet",
    "CudaConvnet",
    "WithinChannelLRN",
    "TorchBenchmark",
    "LeNetBenchmark",
    "LeNetDigits",
    "LeNetMNIST1D",
    "LeNetMNIST",
    "LeNetFashionMNIST",
    "CudaConvnetBenchmark",
    "CudaConvnetCIFAR10",
    "CudaConvnetSVHN",
    "LENET_DATASETS",
    "LENET_ITERS_PER_UNIT",
    "CNN_DATASETS",
    "CNN_MAX_BUDGET",
    "TorchMissingError",
    "require_torch",
    "resolve_device",
]
