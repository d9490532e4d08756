"""Benchmarks and their registry.

Names map to ``"module:Class"`` strings that are imported only when the benchmark is asked for,
so ``import hpobench`` stays light (no torch) and a missing optional dependency only affects the
benchmarks that need it. Third-party benchmarks plug in as optimizers do: :func:`register_benchmark`
in code, the entry-point group ``hpobench.benchmarks`` in a package's metadata, or
``module:Class`` given as the name.

Example:
    >>> from hpobench.benchmarks import get_benchmark
    >>> b = get_benchmark("branin")
    >>> round(b.evaluate({"x1": 3.141592653589793, "x2": 2.275}).loss, 5)
    0.39789
"""

from __future__ import annotations

import importlib
import inspect
from importlib import metadata
from typing import Any, Callable

from .base import Benchmark, Fidelity, Result, UnavailableError, config_key, stable_seed

__all__ = [
    "Benchmark",
    "Fidelity",
    "Result",
    "UnavailableError",
    "config_key",
    "stable_seed",
    "get_benchmark",
    "register_benchmark",
    "benchmark_names",
    "UnknownNameError",
    "NameTakenError",
]

ENTRY_POINT_GROUP = "hpobench.benchmarks"


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
    "pipeline-digits": "hpobench.benchmarks.pipeline:PipelineDigits",
    "pipeline-breast-cancer": "hpobench.benchmarks.pipeline:PipelineBreastCancer",
    "pipeline-wine": "hpobench.benchmarks.pipeline:PipelineWine",
    "pipeline-iris": "hpobench.benchmarks.pipeline:PipelineIris",
    "pipeline-mnist1d": "hpobench.benchmarks.pipeline:PipelineMNIST1D",
    "pipeline-synthetic": "hpobench.benchmarks.pipeline:PipelineSynthetic",
    "pipeline-csv": "hpobench.benchmarks.pipeline:CSVPipeline",
    "lenet-digits-surrogate": "hpobench.benchmarks.surrogate:LeNetDigitsSurrogate",
    "lenet-mnist1d-surrogate": "hpobench.benchmarks.surrogate:LeNetMNIST1DSurrogate",
    "kernel-ls-digits-surrogate": "hpobench.benchmarks.surrogate:KernelLSDigitsSurrogate",
    "random-features-digits-surrogate": "hpobench.benchmarks.surrogate:RandomFeaturesDigitsSurrogate",
    "lenet-digits-table": "hpobench.benchmarks.surrogate:LeNetDigitsTable",
    "lenet-mnist1d-table": "hpobench.benchmarks.surrogate:LeNetMNIST1DTable",
    "kernel-ls-digits-table": "hpobench.benchmarks.surrogate:KernelLSDigitsTable",
    "random-features-digits-table": "hpobench.benchmarks.surrogate:RandomFeaturesDigitsTable",
}


class NameTakenError(ValueError):
    """A registration under a name that is already taken (pass ``replace=True`` to override)."""


def check_registration(registry: dict, name: str, what: str, replace: bool) -> None:
    """Refuse an empty name, or a taken one unless ``replace``; shared by both registries."""
    if not isinstance(name, str) or not name or name != name.strip():
        raise ValueError(f"{what} name {name!r} must be a non-empty string without surrounding spaces")
    if name in registry and not replace:
        raise NameTakenError(f"{what} name {name!r} is already registered; pass replace=True to override it")


def entry_points(group: str) -> dict[str, Any]:
    """Installed entry points of ``group`` by name (plug-ins of other packages)."""
    return {ep.name: ep for ep in metadata.entry_points(group=group)}


def register_benchmark(name: str, factory: str | Callable[..., Benchmark], replace: bool = False) -> None:
    """Register a benchmark class or factory (or a ``"module:Class"`` string) under ``name``.

    Raises:
        NameTakenError: ``name`` is registered already and ``replace`` is False.
    """
    check_registration(_REGISTRY, name, "benchmark", replace)
    _REGISTRY[name] = factory


def benchmark_names(include_plugins: bool = True) -> list[str]:
    """All registered benchmark names, in registration order, then entry-point plug-ins."""
    names = list(_REGISTRY)
    if include_plugins:
        names += [n for n in entry_points(ENTRY_POINT_GROUP) if n not in _REGISTRY]
    return names


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

    ``name`` is a registered name, an entry-point name or ``module:Class``. ``"name@k"``
    builds instance ``k`` of a synthetic benchmark (``instance=k``: its optimum moved to a
    seeded point of the box; see :mod:`hpobench.benchmarks.instances`).

    Raises:
        UnknownNameError: ``name`` is not registered (the message lists what is), or its
            ``@k`` suffix is not a non-negative integer.
    """
    name, at, number = name.partition("@")
    if at:
        if not number.isdigit():
            raise UnknownNameError(f"benchmark instance {name}@{number!r}: expected name@k with k a non-negative integer")
        options = {**options, "instance": int(number)}
    factory = get_benchmark_factory(name)
    if at and "instance" not in inspect.signature(factory).parameters:
        raise UnknownNameError(f"benchmark {name!r} has no instances ({name}@{number}); synthetic functions such as 'branin@1' have")
    return factory(**options)


def registered_in_code(name: str) -> Callable[..., Benchmark] | None:
    """The factory registered under ``name`` by :func:`register_benchmark` with an object (not
    a ``"module:Class"`` string), else None: such a name is unknown to a fresh process (a Dask
    worker), so jobs carry the object itself."""
    target = _REGISTRY.get(name)
    return None if target is None or isinstance(target, str) else target


def get_benchmark_factory(name: str) -> Callable[..., Benchmark]:
    """The class or factory behind a benchmark name (see :func:`get_benchmark`)."""
    if name in _REGISTRY:
        return resolve(_REGISTRY[name])
    eps = entry_points(ENTRY_POINT_GROUP)
    if name in eps:
        return eps[name].load()
    if ":" in name:
        try:
            factory = resolve(name)
        except (ImportError, AttributeError, ValueError) as exc:
            raise UnknownNameError(f"cannot import benchmark {name!r}: {exc}") from None
        if not callable(factory):
            raise UnknownNameError(f"{name!r} is not a benchmark class or factory")
        return factory
    raise UnknownNameError(f"unknown benchmark {name!r}; known: {', '.join(benchmark_names())} (or give module:Class)")
