"""The Hyperband paper's search spaces, defined once (Li et al., JMLR 2018, §3.3 and §4, Tables 2–5).

The benchmarks build their spaces from these functions, and the conformance suite and tests use
the same ones, so a change to a table shows up everywhere.
"""

from __future__ import annotations

from ..space import Categorical, Float, Int, Parameter, Space


def lenet_params() -> list[Parameter]:
    """Table 2, LeNet: learning rate, batch size and the two kernel counts, ``k1`` in [5, ``k2``]."""
    return [
        Float("lr", 1e-3, 1e-1, log=True),
        Int("batch_size", 10, 1000, log=True),
        Int("k2", 10, 60),
        Int("k1", 5, "k2"),
    ]


def lenet_space() -> Space:
    """Table 2 as a :class:`~hpobench.space.Space`."""
    return Space(lenet_params())


def cuda_convnet_space() -> Space:
    """Table 3, the cuda-convnet CNN: learning rate, per-layer L2 penalties, learning-rate
    reductions and the response-normalization scale and power."""
    return Space(
        [
            Float("lr", 5e-5, 5.0, log=True),
            Float("conv1_l2", 5e-5, 5.0, log=True),
            Float("conv2_l2", 5e-5, 5.0, log=True),
            Float("conv3_l2", 5e-5, 5.0, log=True),
            Float("fc4_l2", 5e-3, 500.0, log=True),
            Int("lr_reductions", 0, 3),
            Float("lrn_scale", 5e-6, 5.0, log=True),
            Float("lrn_power", 0.01, 3.0),
        ]
    )


def kernel_ls_space() -> Space:
    """Table 4, kernel regularized least squares: ``degree`` only for the polynomial kernel,
    ``coef0`` for the polynomial and sigmoid kernels."""
    return Space(
        [
            Categorical("preprocessor", ["min/max", "standardize", "normalize"]),
            Categorical("kernel", ["rbf", "poly", "sigmoid"]),
            Float("C", 1e-3, 1e5, log=True),
            Float("gamma", 1e-5, 10.0, log=True),
            Int("degree", 2, 5, condition=("kernel", ["poly"])),
            Float("coef0", -1.0, 1.0, condition=("kernel", ["poly", "sigmoid"])),
        ]
    )
