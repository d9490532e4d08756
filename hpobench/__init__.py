"""hpobench: benchmarking hyperparameter optimizers around the Hyperband paper.

Not related to automl's HPOBench, which uses the same import name.

The public API:

* spaces: :class:`Space`, :class:`Float`, :class:`Int`, :class:`Categorical`, :class:`ConfigError`
* objectives: :class:`Benchmark`, :class:`Result`, :class:`Fidelity`, :func:`get_benchmark`
* optimizers: :class:`Optimizer`, :class:`Trial`, :class:`Capabilities`, :func:`get_optimizer`
* runs: :func:`run` (one optimizer x one benchmark x one seed)
"""

from __future__ import annotations

from .benchmarks import Benchmark, Fidelity, Result, benchmark_names, get_benchmark, register_benchmark
from .optimizers import Capabilities, Optimizer, Trial, get_optimizer, optimizer_names, register_optimizer
from .space import Categorical, Condition, ConfigError, Float, Int, Space

__version__ = "0.1.0"

__all__ = [
    "Benchmark",
    "Capabilities",
    "Categorical",
    "Condition",
    "ConfigError",
    "Fidelity",
    "Float",
    "Int",
    "Optimizer",
    "Result",
    "Space",
    "Trial",
    "benchmark_names",
    "get_benchmark",
    "get_optimizer",
    "optimizer_names",
    "register_benchmark",
    "register_optimizer",
    "run",
    "__version__",
]


def run(*args, **kwargs):
    """Run one optimizer on one benchmark under a budget; see :func:`hpobench.runner.run`."""
    from .runner import run as _run

    return _run(*args, **kwargs)
