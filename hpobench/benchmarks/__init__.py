"""Benchmarks and their registry.

Names map to ``"module:Class"`` strings that are imported only when the benchmark is asked for,
so ``import hpobench`` stays light (no torch) and a missing optional dependency only affects the
benchmarks that need it.

Example:
    >>> from hpobench.benchmarks import get_benchmark
    >>> b = get_benchmark("branin")
    >>> round(b.evaluate({"x1": 3.141592653589793, "x2": 2.275}).loss, 5)
    0.39789
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any, Callable

from .base import Benchmark, Fidelity, Result, config_key, stable_seed

__all__ = [
    "Benchmark",
    "Fidelity",
    "Result",
    "config_key",
    "stable_seed",
    "get_benchmark",
    "register_benchmark",
    "benchmark_names",
    "UnknownNameError",
]


class UnknownNameError(KeyError):
    """A benchmark or optimizer name that is not registered."""

    def __str__(self) -> str:  # KeyError quotes its message; we want the plain sentence
        return str(self.args[0]) if self.args else ""


_REGISTRY: dict[str, str | Callable[..., Benchmark]] = {
    "branin": "hpobench.benchmarks.synthetic:Branin",
    "hartmann3": "hpobench.benchmarks.synthetic:Hartmann3",
    "hartmann6": "hpobench.benchmarks.synthetic:Hartmann6",
    "rosenbrock": "hpobench.benchmarks.synthetic:Rosenbrock",
    "ackley": "hpobench.benchmarks.synthetic:Ackley",
    "levy": "hpobench.benchmarks.synthetic:Levy",
    "styblinski-tang": "hpobench.benchmarks.synthetic:StyblinskiTang",
    "goldstein-price": "hpobench.benchmarks.synthetic:GoldsteinPrice",
    "six-hump-camel": "hpobench.benchmarks.synthetic:SixHumpCamel",
    "mf-branin": "hpobench.benchmarks.synthetic:MFBranin",
    "mf-hartmann3": "hpobench.benchmarks.synthetic:MFHartmann3",
    "mf-hartmann6": "hpobench.benchmarks.synthetic:MFHartmann6",
    "counting-ones": "hpobench.benchmarks.synthetic:CountingOnes",
    "lenet-digits": "hpobench.benchmarks.cnn:LeNetDigits",
    "lenet-mnist1d": "hpobench.benchmarks.cnn:LeNetMNIST1D",
    "lenet-mnist": "hpobench.benchmarks.cnn:LeNetMNIST",
    "lenet-fashion-mnist": "hpobench.benchmarks.cnn:LeNetFashionMNIST",
    "cnn-cifar10": "hpobench.benchmarks.cnn:CudaConvnetCIFAR10",
    "cnn-svhn": "hpobench.benchmarks.cnn:CudaConvnetSVHN",
    "kernel-ls-mnist1d": "hpobench.benchmarks.kernels:KernelLSMNIST1D",
    "kernel-ls-digits": "hpobench.benchmarks.kernels:KernelLSDigits",
    "random-features-mnist1d": "hpobench.benchmarks.kernels:RandomFeaturesMNIST1D",
    "random-features-digits": "hpobench.benchmarks.kernels:RandomFeaturesDigits",
}


def register_benchmark(name: str, factory: str | Callable[..., Benchmark]) -> None:
    """Register a benchmark class or factory (or a ``"module:Class"`` string) under ``name``."""
    _REGISTRY[name] = factory


def benchmark_names() -> list[str]:
    """All registered benchmark names, in registration order."""
    return list(_REGISTRY)


def resolve(target: str | Callable) -> Callable:
    """Import ``"module:attr"`` (or return a callable unchanged)."""
    if not isinstance(target, str):
        return target
    module, _, attr = target.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def get_benchmark(name: str, **options: Any) -> Benchmark:
    """Build the benchmark registered as ``name`` with keyword ``options``.

    ``"name@k"`` builds instance ``k`` of a synthetic benchmark (``instance=k``: its optimum
    moved to a seeded point of the box; see :mod:`hpobench.benchmarks.instances`).

    Raises:
        UnknownNameError: ``name`` is not registered (the message lists what is), or its
            ``@k`` suffix is not a non-negative integer.
    """
    name, at, number = name.partition("@")
    if at:
        if not number.isdigit():
            raise UnknownNameError(f"benchmark instance {name}@{number!r}: expected name@k with k a non-negative integer")
        options = {**options, "instance": int(number)}
    if name not in _REGISTRY:
        raise UnknownNameError(f"unknown benchmark {name!r}; known: {', '.join(_REGISTRY)}")
    factory = resolve(_REGISTRY[name])
    if at and "instance" not in inspect.signature(factory).parameters:
        raise UnknownNameError(f"benchmark {name!r} has no instances ({name}@{number}); synthetic functions such as 'branin@1' have")
    return factory(**options)
