"""Hyperband and its family (Li, Jamieson, DeSalvo, Rostamizadeh, Talwalkar, JMLR 18(185), 2018).

The package is split by role:

* :mod:`.schedule` — the bracket arithmetic (:func:`schedule`, :class:`Bracket`,
  :func:`s_max`, :func:`plan_total`, :func:`infinite_brackets`), exact fractions;
* :mod:`.plan` — plans as text and JSON (:func:`format_plan`, :func:`plan_dict`,
  :func:`plan_text`, what ``hpobench plan`` prints);
* :mod:`.settings` — :class:`HyperbandSettings`, the options every family member shares;
* :mod:`.sources` — where new configurations come from (:class:`RandomSource` by default,
  :class:`OptimizerSource` to let any single-fidelity optimizer propose them);
* :mod:`.brackets` — :class:`BracketRunner`, SuccessiveHalving over a sequence of brackets;
* :mod:`.optimizers` — :class:`Hyperband` (``"hyperband"``), :class:`SuccessiveHalving`
  (``"sh"``), :class:`BracketRepeat` (``"bracket-s<k>"``) and :class:`HyperbandInfinite`
  (``"hyperband-inf"``).

Example:
    >>> [b.n_configs for b in schedule(81)]
    [81, 34, 15, 8, 5]
"""

from __future__ import annotations

from .brackets import BracketRunner
from .optimizers import BracketRepeat, Hyperband, HyperbandInfinite, SuccessiveHalving
from .plan import format_plan, plan_dict, plan_text
from .schedule import ROUNDINGS, Bracket, infinite_brackets, plan_total, s_max, schedule
from .settings import HyperbandSettings
from .sources import ConfigSource, OptimizerSource, RandomSource

__all__ = [
    "ROUNDINGS",
    "Bracket",
    "BracketRepeat",
    "BracketRunner",
    "ConfigSource",
    "Hyperband",
    "HyperbandInfinite",
    "HyperbandSettings",
    "OptimizerSource",
    "RandomSource",
    "SuccessiveHalving",
    "format_plan",
    "infinite_brackets",
    "plan_dict",
    "plan_text",
    "plan_total",
    "s_max",
    "schedule",
]
