"""The Hyperband family's shared options, written once.

Every optimizer of the family (``hyperband``, ``sh``, ``bracket-s<k>``, ``hyperband-inf``,
``bohb``) takes the same block of schedule options. They are fields of the frozen
:class:`HyperbandSettings`; each class accepts the fields it uses either as one ``settings=``
object or as plain keyword options (what ``--optimizer-option eta=4`` passes).

Example:
    >>> s = HyperbandSettings(eta=4)
    >>> s.eta, s.rounding, s.resume
    (4, 'ceil_formula', True)
    >>> split_settings(None, {"eta": 2, "s": 1}, ("eta", "resume"), {})
    (HyperbandSettings(max_budget=None, min_budget=None, eta=2, rounding='ceil_formula', resume=True, n_max=None, s_min=0, n_iterations=None), {'s': 1})
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from ...benchmarks.base import Fidelity

__all__ = ["HyperbandSettings", "resolve_budgets", "split_settings"]

_EPS = 1e-9


@dataclass(frozen=True)
class HyperbandSettings:
    """The schedule options of the Hyperband family.

    Attributes:
        max_budget: the largest budget (R * min_budget); default: the benchmark's fidelity max.
        min_budget: one unit; default: the benchmark's fidelity min.
        eta: elimination rate (3 is the paper's default; its CNN experiments used 4).
        rounding: ``"ceil_formula"`` (Algorithm 1), ``"floor_table"`` (JMLR Table 1,
            HpBandSter) or ``"authors_code"``; see docs/hyperband.md.
        resume: promoted configurations continue from their previous budget (the paper's
            semantics); False retrains them from scratch (charged the full budget).
        n_max: cap on the configurations of the most exploratory bracket.
        s_min: lowest bracket run.
        n_iterations: number of outer loops (or bracket repetitions); None runs forever.
    """

    max_budget: float | None = None
    min_budget: float | None = None
    eta: float = 3
    rounding: str = "ceil_formula"
    resume: bool = True
    n_max: int | None = None
    s_min: int = 0
    n_iterations: int | None = None


_FIELDS = tuple(f.name for f in dataclasses.fields(HyperbandSettings))


def split_settings(
    settings: HyperbandSettings | None, options: dict[str, Any], accepted: tuple[str, ...], defaults: dict[str, Any]
) -> tuple[HyperbandSettings, dict[str, Any]]:
    """Separate the settings a class ``accepted`` from its other keyword ``options``.

    Keyword options override the fields of ``settings`` (or of ``HyperbandSettings(**defaults)``
    when ``settings`` is None). A settings field the class does not use stays among the returned
    options, so the optimizer base class rejects it as an unknown option; so does a ``settings``
    object that sets such a field away from its default.

    Returns:
        ``(settings, remaining_options)``.
    """
    given = {k: options[k] for k in accepted if k in options}
    rest = {k: v for k, v in options.items() if k not in given}
    if settings is None:
        return HyperbandSettings(**{**defaults, **given}), rest
    if not isinstance(settings, HyperbandSettings):
        raise ValueError(f"settings must be a HyperbandSettings, got {type(settings).__name__}")
    base = HyperbandSettings()
    unused = [k for k in _FIELDS if k not in accepted and getattr(settings, k) != getattr(base, k)]
    if unused:
        raise TypeError(f"these settings do not apply here: {', '.join(unused)}")
    return dataclasses.replace(settings, **given), rest


def resolve_budgets(
    fidelity: Fidelity | None, max_budget: float | None, min_budget: float | None, who: str
) -> tuple[float, float]:
    """``(max_budget, min_budget)`` as floats, defaulting to the benchmark's fidelity; a
    ``ValueError`` names what is missing or out of range."""
    if max_budget is None:
        if fidelity is None:
            raise ValueError(
                f"{who} needs a multi-fidelity benchmark (one with a fidelity) or an explicit "
                "max_budget option; this benchmark has no fidelity"
            )
        max_budget = fidelity.max
    if min_budget is None:
        min_budget = fidelity.min if fidelity is not None else min(1.0, float(max_budget))
    hi, lo = float(max_budget), float(min_budget)
    if not (0 < lo <= hi) or not math.isfinite(hi):
        raise ValueError(f"{who}: need 0 < min_budget <= max_budget, got min_budget={min_budget!r}, max_budget={max_budget!r}")
    if fidelity is not None and (hi > fidelity.max * (1 + _EPS) or lo < fidelity.min * (1 - _EPS)):
        raise ValueError(
            f"{who}: budgets [{lo:g}, {hi:g}] lie outside the benchmark's fidelity {fidelity}"
        )
    return hi, lo
