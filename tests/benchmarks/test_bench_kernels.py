"""One evaluation at the maximum budget of the kernel benchmarks, on one BLAS thread.

Targets (recorded in ``extra_info``, enforced only with ``HPOBENCH_ENFORCE_TARGETS=1``):
kernel least squares on MNIST-1D at R = 30 (3,000 points) <= 2 s; random features on MNIST-1D
at R = 100 (10,000 features, 3,000 points) <= 5 s. Data loading is done before timing.

    python -m pytest tests/benchmarks/test_bench_kernels.py
"""

from __future__ import annotations

import pytest

from hpobench.benchmarks.kernels import KernelLeastSquares, RandomFeatures
from hpobench.threads import limited_threads
from conftest import median_seconds

KLS_CFG = {"preprocessor": "standardize", "kernel": "rbf", "C": 1e4, "gamma": 0.01}
RF_CFG = {"preprocessor": "standardize", "lambda": 1.0, "gamma": 0.01}


@pytest.fixture(autouse=True)
def one_blas_thread():
    with limited_threads(1, torch=False):
        yield


def test_kernel_ls_mnist1d_max_budget(benchmark, target):
    b = KernelLeastSquares("mnist1d")
    b.evaluate(KLS_CFG, budget=1)  # loads (and caches) the data outside the timing
    result = benchmark.pedantic(b.evaluate, args=(KLS_CFG,), kwargs={"budget": b.fidelity.max}, rounds=3, iterations=1)
    assert result.ok and result.info["n_train"] == 3000
    target(benchmark, "median_s", median_seconds(benchmark), 2.0)


def test_random_features_mnist1d_max_budget(benchmark, target):
    b = RandomFeatures("mnist1d")
    b.evaluate(RF_CFG, budget=1)
    result = benchmark.pedantic(b.evaluate, args=(RF_CFG,), kwargs={"budget": b.fidelity.max}, rounds=3, iterations=1)
    assert result.ok and result.info["n_features"] == 10_000
    target(benchmark, "median_s", median_seconds(benchmark), 5.0)
