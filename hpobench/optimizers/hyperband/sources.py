"""Where the Hyperband family's new configurations come from.

The bracket engine (:class:`~.brackets.BracketRunner`) decides *how much* resource each
configuration gets; a :class:`ConfigSource` decides *which* configurations start a new bracket,
as HpBandSter's ``config_generator`` and Syne Tune's searcher/scheduler split do. The engine
calls :meth:`ConfigSource.propose` for each configuration of a bracket's first rung, lazily,
when that trial is asked (so a model proposing the k-th configuration has seen every result
told before), and :meth:`ConfigSource.observe` for every result of every rung, so a model can
learn from all budgets. The engine keeps a bracket's configurations distinct: it asks again
(up to 32 times) when a proposal repeats one already in the bracket.

* :class:`RandomSource` (the default): draws from the space's prior, ``space.sample(rng)``,
  with the optimizer's own generator; this is what Hyperband does in the paper.
* :class:`OptimizerSource`: any single-fidelity registered optimizer proposes the
  configurations (``--optimizer-option source=tpe``); it is told each configuration's first
  result, the one at the budget where the bracket started it.
* BOHB's kernel density model lives in :mod:`hpobench.optimizers.bohb`.

Writing a source:

    >>> import numpy as np
    >>> from hpobench.space import Space, Float
    >>> class Corner(ConfigSource):
    ...     def propose(self, budget):
    ...         return {"x": 0.0}
    >>> src = Corner()
    >>> src.bind(Space([Float("x", 0, 1)]), np.random.default_rng(0), seed=0)
    >>> src.propose(1.0)
    {'x': 0.0}
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ...benchmarks.base import Result, config_key
from ...space import Space

__all__ = ["ConfigSource", "OptimizerSource", "RandomSource", "make_source"]

class ConfigSource:
    """Proposes the configurations of a new bracket and learns from every result.

    Subclasses implement :meth:`propose` and usually :meth:`observe`. The engine calls
    :meth:`bind` once, before anything else, with the optimizer's space, its random generator
    (shared, so a source that draws from it keeps the optimizer reproducible) and its seed.
    """

    space: Space
    rng: np.random.Generator

    def bind(self, space: Space, rng: np.random.Generator, seed: int | None) -> None:
        """Attach the source to an optimizer's space and random stream."""
        self.space, self.rng, self.seed = space, rng, seed

    def propose(self, budget: float) -> dict:  # pragma: no cover - abstract
        """One configuration for the first rung of a bracket, which runs at ``budget``."""
        raise NotImplementedError

    def observe(self, config: dict, budget: float | None, loss: float) -> None:
        """One result: ``loss`` of ``config`` at ``budget`` (``nan`` for a failed evaluation)."""


class RandomSource(ConfigSource):
    """Independent draws from the space's prior (Hyperband's own choice)."""

    def propose(self, budget: float) -> dict:
        return self.space.sample(self.rng)


class OptimizerSource(ConfigSource):
    """A single-fidelity optimizer proposes the configurations (an adapter).

    Each proposal is one ``ask`` of the wrapped optimizer; it is told the configuration's first
    result (at the budget where its bracket started it), so it learns from a mix of budgets,
    as a searcher fed by Syne Tune's Hyperband scheduler at each trial's first rung does. When
    the wrapped optimizer has nothing to propose (its ``ask`` returns None), the slot is filled
    from the prior.

    Args:
        optimizer: a registered name (``"tpe"``, ``"smac"``, ``module:Class``) or a built
            :class:`~hpobench.optimizers.base.Optimizer` on the same space.
        **options: options for the optimizer when it is given by name.
    """

    def __init__(self, optimizer: Any, **options: Any):
        self._spec, self._options = optimizer, options
        self.optimizer: Any = None
        self._pending: dict[str, list] = {}

    def bind(self, space: Space, rng: np.random.Generator, seed: int | None) -> None:
        super().bind(space, rng, seed)
        if isinstance(self._spec, str):
            from .. import get_optimizer_class

            cls = get_optimizer_class(self._spec)
            if cls.capabilities.multi_fidelity:
                raise ValueError(f"source {self._spec!r} chooses budgets itself; a source must be a single-fidelity optimizer")
            why = cls.capabilities.why_not(space)
            if why:
                raise ValueError(f"source {self._spec!r} {why}")
            self.optimizer = cls(space, seed=seed, **self._options)
        else:
            self.optimizer = self._spec

    def propose(self, budget: float) -> dict:
        trial = self.optimizer.ask()
        if trial is None:
            return self.space.sample(self.rng)
        self._pending.setdefault(config_key(trial.config), []).append(trial)
        return trial.config

    def observe(self, config: dict, budget: float | None, loss: float) -> None:
        waiting = self._pending.get(config_key(config))
        if not waiting:
            return  # a later rung of a configuration already told, or a prior draw
        trial = waiting.pop(0)
        if not waiting:
            del self._pending[config_key(config)]
        self.optimizer.tell(trial, Result(loss, cost=0.0 if budget is None else float(budget)))


def make_source(source: Any, default: Callable[[], ConfigSource]) -> ConfigSource:
    """A :class:`ConfigSource` from an option value: None (``default()``), a source, or the name
    of a single-fidelity optimizer to wrap in :class:`OptimizerSource`."""
    if source is None:
        return default()
    if isinstance(source, ConfigSource):
        return source
    if isinstance(source, str):
        return OptimizerSource(source)
    raise ValueError(f"source must be a ConfigSource or an optimizer name, got {type(source).__name__}")
