"""Space translation shared by the peer adapters: an hpobench :class:`~hpobench.space.Space` as
the flat list of typed parameters that other libraries understand, and back.

Every library here can express floats and ints on linear or log scales and categoricals. What
differs is conditions and dependent bounds, so the translation offers one flat view that every
library can take and that loses nothing:

* **Dependent bounds** (``Int("k1", 5, "k2")``): no peer library can bound one parameter by
  another's value, so the library sees ``k1`` as a float in ``[0, 1]``, its *relative
  position* within the bounds its parents allow (on the parameter's own scale, ints widened by
  half a unit), and :func:`decode` maps it back with the space's own ``from_unit``. Every
  proposal is then valid; the library models the position, not the value (our ``tpe`` and
  ``gp`` do the same).
* **Conditions**: :func:`flat_params` lists every parameter, conditional ones included, and
  :func:`decode` drops those whose condition does not hold. A library without conditions
  samples (and models) the inactive ones as noise dimensions; a library with conditions
  (ConfigSpace, Optuna's define-by-run, Keras Tuner's ``conditional_scope``) can read
  :attr:`FlatParam.condition` and sample only active ones.
* **Categoricals** are given to libraries as string labels (``str(choice)``; the index where
  two choices print alike) so that no library orders them or treats numbers as numeric.

Example:
    >>> from hpobench.space import Space, Float, Int
    >>> space = Space([Int("k2", 10, 60), Int("k1", 5, "k2")])
    >>> [(p.name, p.kind, p.low, p.high, p.relative) for p in flat_params(space)]
    [('k2', 'int', 10, 60, False), ('k1', 'float', 0.0, 1.0, True)]
    >>> decode(space, {"k2": 20, "k1": 1.0})
    {'k2': 20, 'k1': 20}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..space import Categorical, Condition, Space, _Numeric

__all__ = ["FlatParam", "decode", "flat_params", "to_configspace"]


@dataclass(frozen=True)
class FlatParam:
    """One parameter as a peer library sees it.

    Attributes:
        name: the hpobench name (libraries use it as their key).
        kind: ``"float"``, ``"int"`` or ``"categorical"``.
        low, high: numeric bounds (``0.0, 1.0`` for a relative parameter).
        log: sample on a log scale.
        labels: the categorical's choices as distinct strings (empty for numeric ones).
        relative: the value is the position within bounds that name another parameter.
        condition: the hpobench condition with the parent's values given as the library sees
            them (labels for a categorical parent), or ``None``.
    """

    name: str
    kind: str
    low: float = 0.0
    high: float = 1.0
    log: bool = False
    labels: tuple[str, ...] = ()
    relative: bool = False
    condition: Condition | None = None


def choice_labels(p: Categorical) -> tuple[str, ...]:
    """``str`` of every choice, or ``"0", "1", ...`` when two choices print alike."""
    labels = tuple(str(c) for c in p.choices)
    return labels if len(set(labels)) == len(labels) else tuple(str(i) for i in range(len(p.choices)))


def flat_params(space: Space) -> list[FlatParam]:
    """The space as :class:`FlatParam` objects, in declaration order (parents before children)."""
    out: list[FlatParam] = []
    for p in space.params:
        cond = p.condition
        if cond is not None and isinstance(space[cond.parent], Categorical):
            parent = space[cond.parent]
            labels = choice_labels(parent)
            cond = Condition(cond.parent, tuple(labels[parent.index(v)] for v in cond.values))
        if isinstance(p, Categorical):
            out.append(FlatParam(p.name, "categorical", labels=choice_labels(p), condition=cond))
        elif p.depends_on:
            out.append(FlatParam(p.name, "float", 0.0, 1.0, relative=True, condition=cond))
        else:
            assert isinstance(p, _Numeric)
            kind = "int" if p.is_int else "float"
            low, high = (int(p.low), int(p.high)) if p.is_int else (float(p.low), float(p.high))
            out.append(FlatParam(p.name, kind, low, high, p.log, condition=cond))
    return out


def decode(space: Space, values: dict[str, Any], partial: bool = False) -> dict:
    """Map a library's proposal (name → value, inactive names allowed) to a valid configuration.

    Inactive parameters are dropped, relative ones decoded within their resolved bounds, ints
    rounded and clipped, floats clipped, labels mapped back to choices.

    Args:
        space: the hpobench space.
        values: the library's values by parameter name.
        partial: skip active parameters that have no value yet (define-by-run libraries decode
            as they go, to know which parameters their parents activate).

    Raises:
        ValueError: if an active parameter has no value (the library dropped it) and not ``partial``.
    """
    config: dict = {}
    for p in space.params:
        if not space.is_active(p, config):
            continue
        if p.name not in values:
            if partial:
                continue
            raise ValueError(f"the library proposed no value for active parameter {p.name!r}")
        raw = values[p.name]
        if isinstance(p, Categorical):
            config[p.name] = p.choices[choice_labels(p).index(str(raw))]
            continue
        config[p.name] = p.from_raw(raw, config)
    return config


def to_configspace(space: Space, seed: int | None = None, conditions: bool = True):
    """A ``ConfigSpace.ConfigurationSpace`` (SMAC3, DEHB, ...) of :func:`flat_params`.

    Args:
        space: the hpobench space.
        seed: seeds the ConfigurationSpace's own sampler.
        conditions: add ``EqualsCondition``/``InCondition`` for conditional parameters (else
            they are plain parameters, dropped by :func:`decode` when inactive).
    """
    import ConfigSpace as CS

    cs = CS.ConfigurationSpace(seed=seed)
    hps = {}
    for fp in flat_params(space):
        if fp.kind == "categorical":
            hp = CS.Categorical(fp.name, list(fp.labels))
        elif fp.kind == "int":
            hp = CS.Integer(fp.name, (int(fp.low), int(fp.high)), log=fp.log)
        else:
            hp = CS.Float(fp.name, (float(fp.low), float(fp.high)), log=fp.log)
        hps[fp.name] = hp
        cs.add(hp)
        if conditions and fp.condition is not None:
            parent = hps[fp.condition.parent]
            values = list(fp.condition.values)
            cond = CS.EqualsCondition(hp, parent, values[0]) if len(values) == 1 else CS.InCondition(hp, parent, values)
            cs.add(cond)
    return cs
