"""Optimizers and their registry.

Built-in names map to ``"module:Class"`` strings imported on first use. Third-party optimizers
plug in three ways: :func:`register_optimizer` in code, the entry-point group
``hpobench.optimizers`` in a package's metadata, or ``module:Class`` given as the name on the
command line.

Example:
    >>> from hpobench.space import Space, Float
    >>> opt = get_optimizer("random", Space([Float("x", 0, 1)]), seed=1)
    >>> opt.ask().id
    0
"""

from __future__ import annotations

import functools
import re
from typing import Any

from ..benchmarks import UnknownNameError, check_registration, entry_points, resolve
from ..space import Space
from .base import Capabilities, Optimizer, Trial

__all__ = [
    "Capabilities",
    "Optimizer",
    "Trial",
    "get_optimizer",
    "get_optimizer_class",
    "optimizer_names",
    "register_optimizer",
]

ENTRY_POINT_GROUP = "hpobench.optimizers"

_REGISTRY: dict[str, Any] = {
    "random": "hpobench.optimizers.random_search:RandomSearch",
    "random-2x": "hpobench.optimizers.random_search:RandomTwice",
    "gp": "hpobench.optimizers.gp:GPEIMCMC",
    "gp-ml": "hpobench.optimizers.gp:GPEIML",
    "smac": "hpobench.optimizers.smac:SMAC",
    "tpe": "hpobench.optimizers.tpe:TPE",
    "hyperband": "hpobench.optimizers.hyperband:Hyperband",
    "sh": "hpobench.optimizers.hyperband:SuccessiveHalving",
    "bracket-s4": "hpobench.optimizers.hyperband:BracketRepeat",
    "hyperband-inf": "hpobench.optimizers.hyperband:HyperbandInfinite",
    "bohb": "hpobench.optimizers.bohb:BOHB",
    "asha": "hpobench.optimizers.asha:ASHA",
    "hyperband-async": "hpobench.optimizers.asha:AsyncHyperband",
    "dehb": "hpobench.optimizers.dehb:DEHB",
    "smac-early": "hpobench.optimizers.smac_early:SMACEarly",
    # Peers: other libraries' optimizers (optional extras; hpobench.peers, docs/peers.md).
    "optuna-tpe": "hpobench.peers.optuna:OptunaTPE",
    "optuna-gp": "hpobench.peers.optuna:OptunaGP",
    "optuna-cmaes": "hpobench.peers.optuna:OptunaCmaEs",
    "optuna-hyperband": "hpobench.peers.optuna:OptunaHyperband",
    "skopt-gp": "hpobench.peers.skopt:SkoptGP",
    "smac3-hpo": "hpobench.peers.smac:SMAC3HPO",
    "smac3-bb": "hpobench.peers.smac:SMAC3BlackBox",
    "smac3-hyperband": "hpobench.peers.smac:SMAC3Hyperband",
    "hyperopt-rand": "hpobench.peers.hyperopt:HyperoptRandom",
    "ray-asha": "hpobench.peers.ray:RayASHA",
    "ray-hyperband": "hpobench.peers.ray_loop:RayHyperband",
    "keras-tuner-hyperband": "hpobench.peers.keras_tuner:KerasTunerHyperband",
    "keras-tuner-bayesian": "hpobench.peers.keras_tuner:KerasTunerBayesian",
    "syne-tune-asha": "hpobench.peers.syne_tune:SyneTuneASHA",
    "syne-tune-bohb": "hpobench.peers.syne_tune:SyneTuneBOHB",
    "dehb-automl": "hpobench.peers.dehb:DEHBOptimizer",  # the DEHB authors' library; "dehb" is ours
}

#: Parametrized names: ``bracket-s<k>`` is the paper's "bracket s=k" baseline (one
#: Successive Halving bracket repeated), built as ``BracketRepeat(..., s=k)``.
_PATTERNS: list[tuple[re.Pattern, str, str]] = [
    (re.compile(r"^bracket-s(\d+)$"), "hpobench.optimizers.hyperband:BracketRepeat", "s"),
]


def register_optimizer(name: str, cls: Any, replace: bool = False) -> None:
    """Register an :class:`Optimizer` subclass (or ``"module:Class"``) under ``name``.

    Raises:
        NameTakenError: ``name`` is registered already and ``replace`` is False.
    """
    check_registration(_REGISTRY, name, "optimizer", replace)
    _REGISTRY[name] = cls


def _entry_points() -> dict[str, Any]:
    return entry_points(ENTRY_POINT_GROUP)


def optimizer_names(include_plugins: bool = True) -> list[str]:
    """Registered names (built-ins first, then entry-point plug-ins)."""
    names = list(_REGISTRY)
    if include_plugins:
        names += [n for n in _entry_points() if n not in _REGISTRY]
    return names


@functools.lru_cache(maxsize=None)
def _bound_subclass(target: str, key: str, value: int) -> type[Optimizer]:
    """A subclass of ``target`` with ``key=value`` fixed, named after the pattern (so that
    ``bracket-s3`` is a class of its own, with the same capabilities, that compare can build)."""
    base = resolve(target)

    def __init__(self, space, seed=0, fidelity=None, **options):
        options.setdefault(key, value)
        base.__init__(self, space, seed=seed, fidelity=fidelity, **options)

    return type(f"{base.__name__}_{key}{value}", (base,), {"__init__": __init__, "__doc__": base.__doc__, "__module__": base.__module__})


def registered_in_code(name: str) -> type[Optimizer] | None:
    """The class registered under ``name`` with an object (not a ``"module:Class"`` string),
    else None; see :func:`hpobench.benchmarks.registered_in_code`."""
    target = _REGISTRY.get(name)
    return None if target is None or isinstance(target, str) else target


def get_optimizer_class(name: str) -> type[Optimizer]:
    """Resolve a registered name, a parametrized name (``bracket-s3``), an entry-point name
    or ``module:Class`` to a class."""
    for pattern, target, key in _PATTERNS:
        m = pattern.match(name)
        if m:
            return _bound_subclass(target, key, int(m.group(1)))
    if name in _REGISTRY:
        return resolve(_REGISTRY[name])
    eps = _entry_points()
    if name in eps:
        return eps[name].load()
    if ":" in name:
        try:
            cls = resolve(name)
        except (ImportError, AttributeError) as exc:
            raise UnknownNameError(f"cannot import optimizer {name!r}: {exc}") from None
        if not (isinstance(cls, type) and issubclass(cls, Optimizer)):
            raise UnknownNameError(f"{name!r} is not a subclass of hpobench.optimizers.Optimizer")
        return cls
    raise UnknownNameError(
        f"unknown optimizer {name!r}; known: {', '.join(optimizer_names())} (or give module:Class)"
    )


def get_optimizer(name: str, space: Space, seed: int | None = 0, **options: Any) -> Optimizer:
    """Build the optimizer registered as ``name`` on ``space``."""
    return get_optimizer_class(name)(space, seed=seed, **options)
