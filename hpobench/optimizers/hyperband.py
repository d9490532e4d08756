"""Hyperband and SuccessiveHalving (Li, Jamieson, DeSalvo, Rostamizadeh, Talwalkar, JMLR 18(185), 2018).

Vocabulary (SPEC.md §1.1): the benchmark's fidelity runs from ``min_budget`` to ``max_budget``;
one *unit* is ``min_budget`` and ``R = max_budget / min_budget`` is the largest allocation in
units. ``eta`` is the elimination rate. A *bracket* ``s`` is one SuccessiveHalving run that
starts ``n`` configurations at ``R * eta**-s`` units and keeps the best ``1/eta`` of them per
*rung*, multiplying the resource by ``eta`` each time. Hyperband loops over the brackets
``s = s_max ... 0`` and repeats that outer loop forever with fresh configurations.

This module has two halves:

* the **schedule** (:func:`schedule`, :class:`Bracket`, :func:`plan_total`,
  :func:`format_plan`, :func:`plan_dict`): exact ``fractions.Fraction`` arithmetic, so powers of
  ``eta`` never suffer floating ``log`` floors, with the three rounding conventions of SPEC §1.2;
* the **optimizers**, all ask/tell :class:`~hpobench.optimizers.base.Optimizer` subclasses that
  run the brackets rung by rung as batches: :class:`Hyperband` (``"hyperband"``, Algorithm 1),
  :class:`SuccessiveHalving` (``"sh"``), :class:`BracketRepeat` (``"bracket-s<k>"``, the paper's
  "bracket s=4" baseline) and :class:`HyperbandInfinite` (``"hyperband-inf"``, what the authors
  ran as "hyperband (infinite)", SPEC §1.3).

Example:
    >>> [b.as_pairs() for b in schedule(81, eta=3, rounding="floor_table")][:2]
    [[(81, 1.0), (27, 3.0), (9, 9.0), (3, 27.0), (1, 81.0)], [(27, 3.0), (9, 9.0), (3, 27.0), (1, 81.0)]]
    >>> round(plan_total(schedule(81, eta=3)), 2)
    23.48
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

import numpy as np

from ..benchmarks.base import Fidelity, Result, config_key
from ..space import Float, Space
from .base import Capabilities, Optimizer, Trial

__all__ = [
    "ROUNDINGS",
    "Bracket",
    "BracketRepeat",
    "Hyperband",
    "HyperbandInfinite",
    "SuccessiveHalving",
    "format_plan",
    "infinite_brackets",
    "plan_command",
    "plan_dict",
    "plan_for_optimizer",
    "plan_total",
    "s_max",
    "schedule",
]

#: Accepted values of the ``rounding`` option (SPEC §1.2).
ROUNDINGS = ("ceil_formula", "floor_table", "authors_code")

# Relative slack when comparing eta**s with a non-integer R that came from floats
# (e.g. 1 / 0.1111111111111111); integer R is compared exactly.
_REL_TOL = Fraction(1, 10**9)

# Redraws per slot before a bracket concludes that the space has run out of distinct configurations.
_DEDUPE_TRIES = 32

_EPS = 1e-9


# ---------------------------------------------------------------------------------- arithmetic
def _frac(x: Any, what: str = "value") -> Fraction:
    """An exact Fraction; floats go through their shortest repr so 0.01 becomes 1/100."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, (bool, np.bool_)):
        raise ValueError(f"{what} must be a number, got {x!r}")
    if isinstance(x, (int, np.integer)):
        return Fraction(int(x))
    try:
        xf = float(x)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, got {x!r}") from None
    if not math.isfinite(xf):
        raise ValueError(f"{what} must be finite, got {x!r}")
    return Fraction(repr(xf))


def _floor(x: Fraction) -> int:
    return x.numerator // x.denominator


def _ceil(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


def _largest_power(limit: Fraction, eta: Fraction) -> int:
    """The largest integer s >= 0 with eta**s <= limit, by multiplying (no log).

    An integer ``limit`` is compared exactly (so 3**20 - 1 gives 19); a non-integer one, which
    may carry float error (1 / 0.1111111111111111), with a relative slack of 1e-9.
    """
    bound = limit if limit.denominator == 1 else limit * (1 + _REL_TOL)
    s, p = 0, eta
    while p <= bound:
        s += 1
        p *= eta
    return s


def _check_eta(eta: Any) -> Fraction:
    e = _frac(eta, "eta")
    if e <= 1:
        raise ValueError(f"eta must be > 1, got {eta!r}")
    return e


def _check_range(max_budget: Any, min_budget: Any) -> tuple[Fraction, Fraction]:
    hi, lo = _frac(max_budget, "max_budget"), _frac(min_budget, "min_budget")
    if not (0 < lo <= hi):
        raise ValueError(f"need 0 < min_budget <= max_budget, got min_budget={min_budget!r}, max_budget={max_budget!r}")
    return hi, lo


def s_max(max_budget: float, eta: float = 3, min_budget: float = 1, n_max: int | None = None) -> int:
    """The most exploratory bracket: the largest s with ``eta**s <= R`` (and ``<= n_max``).

    Computed by multiplying exact fractions, never by flooring a floating logarithm, so
    ``s_max(81, 3) == 4`` and ``s_max(3**20, 3) == 20``.

    Args:
        max_budget: the largest budget, in the benchmark's units.
        eta: the elimination rate (> 1).
        min_budget: the budget of one unit; ``R = max_budget / min_budget``.
        n_max: optional cap on the number of configurations of the most exploratory bracket
            (SPEC §1.2 "optional knobs"): s_max is then at most ``floor(log_eta(n_max))``.

    Returns:
        s_max as an int.

    Example:
        >>> s_max(81), s_max(100), s_max(80), s_max(729, min_budget=9), s_max(81, n_max=10)
        (4, 4, 3, 4, 2)
    """
    e = _check_eta(eta)
    hi, lo = _check_range(max_budget, min_budget)
    s = _largest_power(hi / lo, e)
    if n_max is not None:
        if int(n_max) < 1:
            raise ValueError(f"n_max must be >= 1, got {n_max!r}")
        s = min(s, _largest_power(_frac(n_max, "n_max"), e))
    return s


# ------------------------------------------------------------------------------------ schedule
@dataclass(frozen=True)
class Bracket:
    """One SuccessiveHalving bracket: ``rungs[i] = (n_i, r_i)`` with r_i in *units*.

    Attributes:
        s: the bracket index (number of halvings; the most exploratory bracket has s = s_max).
        rungs: ``(n_i, r_i)`` per rung; ``r_i`` is exact (a Fraction) and counted in units of
            ``min_budget`` (so the last rung of a Hyperband bracket has ``r_s = R``).
        R: ``max_budget / min_budget``.
        eta: the elimination rate.
        min_budget: the size of one unit in the benchmark's budget units.
        rounding: the convention that produced the rung sizes (for display).
    """

    s: int
    rungs: tuple[tuple[int, Fraction], ...]
    R: Fraction
    eta: Fraction
    min_budget: Fraction
    rounding: str = "ceil_formula"

    @property
    def max_budget(self) -> Fraction:
        return self.R * self.min_budget

    @property
    def n_configs(self) -> int:
        """Configurations sampled for this bracket (the size of rung 0)."""
        return self.rungs[0][0]

    @property
    def n_evaluations(self) -> int:
        """Evaluations the bracket asks for when nothing fails (sum of the rung sizes)."""
        return sum(n for n, _ in self.rungs)

    def budget(self, i: int) -> float:
        """Rung ``i``'s budget in the benchmark's units, clipped into [min_budget, max_budget]."""
        b = self.rungs[i][1] * self.min_budget
        return float(min(max(b, self.min_budget), self.max_budget))

    @property
    def budgets(self) -> list[float]:
        return [self.budget(i) for i in range(len(self.rungs))]

    def as_pairs(self) -> list[tuple[int, float]]:
        """``[(n_i, r_i), ...]`` with r_i in the benchmark's budget units (``r_i * min_budget``)."""
        return [(n, self.budget(i)) for i, (n, _) in enumerate(self.rungs)]

    @property
    def total_resource(self) -> float:
        """Sum of n_i r_i in units: the bracket's resource when every rung trains from scratch."""
        return float(sum(n * r for n, r in self.rungs))

    @property
    def total_resource_resumed(self) -> float:
        """Resource in units when promoted configurations continue: sum of n_i (r_i - r_{i-1})."""
        total, prev = Fraction(0), Fraction(0)
        for n, r in self.rungs:
            total += n * max(r - prev, Fraction(0))
            prev = r
        return float(total)

    def resource_R(self, resume: bool = False) -> float:
        """The bracket's resource in multiples of R (from scratch, or resumed)."""
        units = self.total_resource_resumed if resume else self.total_resource
        return units / float(self.R)

    def __str__(self) -> str:
        return f"s={self.s}: " + ", ".join(f"{n}@{b:g}" for n, b in self.as_pairs())


def schedule(
    max_budget: float,
    eta: float = 3,
    min_budget: float = 1,
    rounding: str = "ceil_formula",
    n_max: int | None = None,
    s_min: int = 0,
) -> list[Bracket]:
    """The brackets of one outer loop of finite-horizon Hyperband, s = s_max first.

    With ``R = max_budget / min_budget`` (units), ``s_max`` = the largest s with
    ``eta**s <= R`` and ``B = (s_max + 1) R``, bracket s has rungs i = 0..s with:

    * ``"ceil_formula"`` (Algorithm 1, the default): ``n = ceil(B/R * eta**s / (s+1))``,
      ``n_i = floor(n * eta**-i)``, ``r_i = R * eta**(i-s)`` (exact; may be fractional units
      when R is not a power of eta, e.g. R = 100, eta = 3 starts at 100/81 units);
    * ``"floor_table"`` (JMLR Table 1, Jamieson's pseudo-code, HpBandSter):
      ``n0 = floor(B/R / (s+1)) * eta**s``, ``n_i = max(floor(n0 * eta**-i), 1)``, same r_i;
    * ``"authors_code"`` (``hyperband_alg.py``): ``n = int(B/R * eta**s / (s+1))``,
      ``n_i = int(n * eta**-i)`` and ``r_i = int(max_budget * eta**(i-s))`` floored in the
      benchmark's *raw* budget units, as the authors floored raw iterations (never below
      ``min_budget``; with ``min_budget = 1`` this is ``int(R * eta**(i-s))`` units). When
      ``min_budget < 1`` (a fractional budget axis) it floors ``R * eta**(i-s)`` in units.

    Args:
        max_budget: the largest budget (the benchmark's ``fidelity.max``).
        eta: elimination rate (> 1; an integer in every experiment of the paper).
        min_budget: one unit (the benchmark's ``fidelity.min``).
        rounding: one of :data:`ROUNDINGS`.
        n_max: cap on the configurations of the most exploratory bracket (s_max <= log_eta n_max).
        s_min: run only brackets s_max .. s_min (SPEC §1.2, for expensive problems).

    Returns:
        The list of :class:`Bracket`, most exploratory first.

    Example:
        >>> [b.n_configs for b in schedule(81)]
        [81, 34, 15, 8, 5]
        >>> [b.n_configs for b in schedule(300, eta=4, rounding="authors_code")]
        [256, 80, 26, 10, 5]
    """
    if rounding not in ROUNDINGS:
        raise ValueError(f"unknown rounding {rounding!r}; use one of {', '.join(ROUNDINGS)}")
    e = _check_eta(eta)
    hi, lo = _check_range(max_budget, min_budget)
    R = hi / lo
    top = s_max(max_budget, eta, min_budget, n_max)
    if not (0 <= int(s_min) <= top):
        raise ValueError(f"s_min must be in [0, s_max={top}], got {s_min!r}")
    S = top + 1  # B / R: every bracket is budgeted about (s_max + 1) R
    brackets = []
    for s in range(top, int(s_min) - 1, -1):
        rungs: list[tuple[int, Fraction]] = []
        if rounding == "ceil_formula":
            n = _ceil(S * e**s / (s + 1))
            for i in range(s + 1):
                rungs.append((max(_floor(n / e**i), 1), R * e ** (i - s)))
        elif rounding == "floor_table":
            n0 = (S // (s + 1)) * e**s
            for i in range(s + 1):
                rungs.append((max(_floor(n0 / e**i), 1), R * e ** (i - s)))
        else:  # authors_code
            n = _floor(S * e**s / (s + 1))
            for i in range(s + 1):
                if lo >= 1:  # budgets are counts (iterations, epochs): floor them as the authors did
                    units = max(Fraction(_floor(hi * e ** (i - s))), lo) / lo
                else:  # a fractional budget axis: floor in units of min_budget instead
                    units = Fraction(max(_floor(R * e ** (i - s)), 1))
                rungs.append((max(_floor(n / e**i), 1), units))
        brackets.append(Bracket(s, tuple(rungs), R, e, lo, rounding))
    return brackets


def plan_total(brackets: Sequence[Bracket], resume: bool = False) -> float:
    """Total resource of ``brackets`` in multiples of R.

    Args:
        brackets: e.g. ``schedule(81)`` (one outer loop).
        resume: count promoted configurations as continuing (sum of n_i (r_i - r_{i-1})) rather
            than training from scratch (sum of n_i r_i, the convention of SPEC's tables).

    Example:
        >>> round(plan_total(schedule(81, rounding="floor_table")), 2), round(plan_total(schedule(81), resume=True), 2)
        (21.0, 19.52)
    """
    return float(sum(b.resource_R(resume) for b in brackets))


def _fmt(x: float) -> str:
    return f"{x:g}"


def plan_dict(brackets: Sequence[Bracket]) -> dict:
    """A JSON-ready description of ``brackets`` (for ``hpobench plan --json``).

    Keys: ``max_budget``, ``min_budget``, ``R``, ``eta``, ``rounding``, ``s_max`` (the largest
    s in ``brackets``), ``brackets``
    (each with ``s``, ``rungs`` = [{``n``, ``budget``, ``units``}], ``configs``, ``evaluations``,
    ``resource_R``, ``resource_resumed_R``) and ``total`` (``configs``, ``evaluations``,
    ``resource_R``, ``resource_resumed_R``).
    """
    if not brackets:
        raise ValueError("plan_dict needs at least one bracket")
    b0 = brackets[0]
    out_brackets = []
    for b in brackets:
        out_brackets.append(
            {
                "s": b.s,
                "rungs": [
                    {"n": n, "budget": b.budget(i), "units": float(r)} for i, (n, r) in enumerate(b.rungs)
                ],
                "configs": b.n_configs,
                "evaluations": b.n_evaluations,
                "resource_R": b.resource_R(False),
                "resource_resumed_R": b.resource_R(True),
            }
        )
    return {
        "max_budget": float(b0.max_budget),
        "min_budget": float(b0.min_budget),
        "R": float(b0.R),
        "eta": float(b0.eta) if b0.eta.denominator != 1 else int(b0.eta),
        "rounding": b0.rounding,
        "s_max": max(b.s for b in brackets),
        "brackets": out_brackets,
        "total": {
            "configs": sum(b.n_configs for b in brackets),
            "evaluations": sum(b.n_evaluations for b in brackets),
            "resource_R": plan_total(brackets, False),
            "resource_resumed_R": plan_total(brackets, True),
        },
    }


def format_plan(brackets: Sequence[Bracket], unit: str = "", title: str | None = None, label: str = "Hyperband") -> str:
    """A readable table of ``brackets``: one row per bracket, then totals.

    Columns: bracket s, rungs as ``n_i@r_i`` (r_i in the benchmark's budget units), configurations
    sampled, evaluations, resource in multiples of R from scratch (SPEC's convention) and with
    promoted configurations resuming.

    Args:
        brackets: from :func:`schedule` (or any optimizer's ``plan()``).
        unit: the budget's unit name, shown in the header (e.g. ``"epochs"``).
        title: first line; by default it states R, eta and the rounding.
        label: the first word of the default title.

    Example:
        >>> print(format_plan(schedule(9, eta=3)))
        Hyperband plan: max_budget 9, min_budget 1 (R = 9 units), eta 3, rounding ceil_formula, brackets s=2..0
          s  configs  evals  rungs n_i@r_i  resource/R  resumed/R
          2        9     13  9@1 3@3 1@9          3.00       2.33
          1        5      6  5@3 1@9              2.67       2.33
          0        3      3  3@9                  3.00       3.00
        total     17     22                       8.67       7.67
    """
    if not brackets:
        raise ValueError("format_plan needs at least one bracket")
    b0 = brackets[0]
    u = f" {unit}" if unit else ""
    if title is None:
        title = (
            f"{label} plan: max_budget {_fmt(float(b0.max_budget))}{u}, min_budget {_fmt(float(b0.min_budget))}{u} "
            f"(R = {_fmt(float(b0.R))} units), eta {_fmt(float(b0.eta))}, rounding {b0.rounding}, "
            + (f"brackets s={brackets[0].s}..{brackets[-1].s}" if len(brackets) > 1 else f"bracket s={b0.s}")
        )
    rung_txt = [" ".join(f"{n}@{_fmt(r)}" for n, r in b.as_pairs()) for b in brackets]
    w = max(len("rungs n_i@r_i"), *(len(t) for t in rung_txt))
    lines = [title, f"  s  configs  evals  {'rungs n_i@r_i':<{w}}  resource/R  resumed/R"]
    for b, txt in zip(brackets, rung_txt):
        lines.append(
            f"{b.s:>3}  {b.n_configs:>7}  {b.n_evaluations:>5}  {txt:<{w}}  {b.resource_R(False):>10.2f}  {b.resource_R(True):>9.2f}"
        )
    lines.append(
        f"{'total':<5}  {sum(b.n_configs for b in brackets):>5}  {sum(b.n_evaluations for b in brackets):>5}  "
        f"{'':<{w}}  {plan_total(brackets, False):>10.2f}  {plan_total(brackets, True):>9.2f}"
    )
    return "\n".join(lines)


def infinite_brackets(
    B: float,
    R: float,
    eta: int = 4,
    min_unit: float = 1,
    min_arms: int = 4,
    extra_round: bool = False,
    min_budget: float = 1,
) -> list[Bracket]:
    """The SuccessiveHalving brackets infinite-horizon Hyperband runs for one budget ``B``.

    SPEC §1.3 ("what the authors actually ran"): the candidate arm counts are ``n = eta**j``
    (j >= 1), most exploratory first; a bracket does ``rounds = ceil(log_eta n)`` halving rounds
    (``+ 1`` with ``extra_round``, as in the authors' ``hyperband_inf.py``, where the single
    survivor gets a last round of its own); round k gives each of its ``n_k`` arms a *cumulative*
    allocation of ``B / (n_k * rounds)`` units and keeps ``ceil(n_k / eta)``. A bracket whose
    first-round allocation is below ``min_unit`` units or with fewer than ``min_arms`` arms is
    skipped. An allocation above R is clipped to R, and the bracket ends after that round
    (further rounds could not add resource, and the ranking at R is final).

    Args:
        B: the budget of every bracket, in units.
        R: max_budget / min_budget.
        eta: integer elimination rate (arm counts are its powers).
        min_unit: smallest allowed per-arm allocation, in units.
        min_arms: smallest allowed bracket.
        extra_round: use ``ceil(log_eta n) + 1`` rounds (authors' code) instead of the SPEC's
            ``ceil(log_eta n)``.
        min_budget: one unit in the benchmark's budget units (only for the returned brackets'
            ``as_pairs``).

    Returns:
        Brackets with ``s = j = log_eta n``, most exploratory first (possibly empty when B is
        too small for any bracket).

    Example:
        >>> [str(b) for b in infinite_brackets(600, 300, eta=4)]
        ['s=3: 64@3.125, 16@12.5, 4@50', 's=2: 16@18.75, 4@75', 's=1: 4@150']
    """
    e = int(eta)
    if e != eta or e < 2:
        raise ValueError(f"hyperband-inf needs an integer eta >= 2, got {eta!r}")
    Bf, Rf, mu = _frac(B, "B"), _frac(R, "R"), _frac(min_unit, "min_unit")
    if Bf <= 0 or Rf < 1 or mu <= 0:
        raise ValueError(f"need B > 0, R >= 1 and min_unit > 0, got B={B!r}, R={R!r}, min_unit={min_unit!r}")
    lo = _frac(min_budget, "min_budget")

    def n_rounds(j: int) -> int:
        return j + 1 if extra_round else j

    # The first-round allocation B / (eta**j * rounds(j)) shrinks as j grows: find the largest j.
    j_top = 0
    while Bf / (e ** (j_top + 1) * n_rounds(j_top + 1)) >= mu:
        j_top += 1
    out = []
    for j in range(j_top, 0, -1):
        n = e**j
        if n < int(min_arms):
            continue
        rounds = n_rounds(j)
        rungs: list[tuple[int, Fraction]] = []
        n_k = n
        for _ in range(rounds):
            alloc = Bf / (n_k * rounds)
            if alloc >= Rf:
                rungs.append((n_k, Rf))
                break
            rungs.append((n_k, alloc))
            n_k = -(-n_k // e)
        out.append(Bracket(j, tuple(rungs), Rf, Fraction(e), lo, "infinite"))
    return out


# --------------------------------------------------------------------------------- optimizers
class _Entry:
    """A configuration's place in a running bracket."""

    __slots__ = ("config", "index", "last_budget", "key")

    def __init__(self, config: dict, index: int, key: str):
        self.config = config
        self.index = index
        self.key = key
        self.last_budget: float | None = None


def _resolve_budgets(
    fidelity: Fidelity | None, max_budget: float | None, min_budget: float | None, who: str
) -> tuple[float, float]:
    """max/min budgets from the options, defaulting to the benchmark's fidelity."""
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


class _BracketRunner(Optimizer):
    """Runs a sequence of brackets with SuccessiveHalving, one rung (a batch) at a time.

    Subclasses implement :meth:`_next_bracket`. Each rung is a batch: all its trials may be asked
    before any is told; ``ask`` returns ``None`` while the rung waits for results. When the last
    result of rung i arrives, the best ``n_{i+1}`` configurations by loss are promoted (failed,
    non-finite results rank last and are never promoted; among equal candidates distinct
    configurations go first); if no configuration of the rung succeeded, the bracket ends and
    the next one starts.
    """

    capabilities = Capabilities(conditional=True, dependent_bounds=True, multi_fidelity=True, batch=True)

    def describe_plan(self) -> str | None:
        """The brackets this optimizer runs (printed by ``run``/``compare`` before they start)."""
        return describe_plan(self, self.name or type(self).__name__)

    def __init__(
        self,
        space: Space,
        seed: int | None = 0,
        fidelity: Fidelity | None = None,
        *,
        max_budget: float | None = None,
        min_budget: float | None = None,
        eta: float = 3,
        resume: bool = True,
        n_iterations: int | None = None,
        **options: Any,
    ):
        super().__init__(space, seed=seed, fidelity=fidelity, **options)
        who = self.name or type(self).__name__
        self.max_budget, self.min_budget = _resolve_budgets(fidelity, max_budget, min_budget, who)
        self.eta = eta
        _check_eta(eta)
        self.resume = bool(resume)
        if n_iterations is not None and int(n_iterations) < 1:
            raise ValueError(f"n_iterations must be >= 1 or None (forever), got {n_iterations!r}")
        self.n_iterations = None if n_iterations is None else int(n_iterations)
        #: Outer-loop iteration of the bracket now running (0-based).
        self.iteration = 0
        #: How many brackets have been started.
        self.brackets_started = 0
        self._bracket: Bracket | None = None
        self._budgets: list[float] = []
        self._bracket_info: dict = {}
        self._rung = 0
        self._queue: deque[_Entry] = deque()
        self._waiting: dict[int, _Entry] = {}
        self._results: list[tuple[float, int, _Entry]] = []
        self._done = False
        self._best: tuple[float, dict] | None = None
        self._best_max: tuple[float, dict] | None = None

    # ------------------------------------------------------------------ subclass interface
    def _next_bracket(self) -> tuple[Bracket, dict] | None:  # pragma: no cover - abstract
        """The next bracket to run and extra trial info, or None when finished.

        Implementations advance :attr:`iteration` when a new outer loop starts.
        """
        raise NotImplementedError

    def plan(self, iteration: int = 0) -> list[Bracket]:  # pragma: no cover - abstract
        """The brackets of outer-loop ``iteration`` (for ``hpobench plan`` and logs)."""
        raise NotImplementedError

    # ------------------------------------------------------------------------------- state
    @property
    def finished(self) -> bool:
        return self._done and not self._waiting

    @property
    def current_bracket(self) -> Bracket | None:
        """The bracket now running (None between brackets)."""
        return self._bracket

    def incumbent(self, at_max_budget_only: bool = False) -> tuple[dict | None, float]:
        """The configuration with the smallest loss seen so far and that loss.

        Args:
            at_max_budget_only: consider only evaluations at the maximum budget (otherwise any
                budget, which is what Algorithm 1 returns).

        Returns:
            ``(config, loss)``, or ``(None, inf)`` before any successful evaluation.
        """
        best = self._best_max if at_max_budget_only else self._best
        if best is None:
            return None, math.inf
        return best[1], best[0]

    # ----------------------------------------------------------------------------- helpers
    def _sample_configs(self, n: int) -> list[_Entry]:
        """n fresh configurations, distinct within the bracket while the space allows.

        A draw that repeats a configuration already in the bracket is redrawn up to 32 times;
        if that fails the space is taken to be exhausted and the remaining slots are filled by
        plain sampling with replacement, so the schedule's sizes are kept.
        """
        seen: set[str] = set()
        out = []
        exhausted = False
        for idx in range(n):
            config = self.space.sample(self.rng)
            key = config_key(config)
            if not exhausted and key in seen:
                for _ in range(_DEDUPE_TRIES):
                    config = self.space.sample(self.rng)
                    key = config_key(config)
                    if key not in seen:
                        break
                else:
                    exhausted = True
            seen.add(key)
            out.append(_Entry(config, idx, key))
        return out

    def _start_bracket(self) -> None:
        nxt = None if self._done else self._next_bracket()
        if nxt is None:
            self._done = True
            self._bracket = None
            return
        self._bracket, self._bracket_info = nxt
        self._budgets = self._bracket.budgets  # exact Fractions once per bracket, not per ask
        self.brackets_started += 1
        self._rung = 0
        self._results = []
        self._queue = deque(self._sample_configs(self._bracket.rungs[0][0]))

    def _end_bracket(self) -> None:
        self._bracket = None
        self._queue.clear()
        self._results = []

    # ---------------------------------------------------------------------------- ask/tell
    def _ask(self) -> Trial | None:
        if self._bracket is None and not self._waiting:
            self._start_bracket()
        if self._bracket is None or not self._queue:
            return None  # finished, or the rung waits for results
        entry = self._queue.popleft()
        b = self._bracket
        budget = self._budgets[self._rung]
        resume_from = entry.last_budget if self.resume else None
        trial = self.new_trial(
            entry.config,
            budget,
            resume_from,
            iteration=self.iteration,
            bracket=b.s,
            rung=self._rung,
            bracket_index=self.brackets_started - 1,
            config_index=entry.index,
            **self._bracket_info,
        )
        self._waiting[trial.id] = entry
        return trial

    def _tell(self, trial: Trial, result: Result) -> None:
        ok = result.ok
        if ok:
            loss = float(result.loss)
            if self._best is None or loss < self._best[0]:
                self._best = (loss, trial.config)
            if trial.budget is None or trial.budget >= self.max_budget * (1 - _EPS):
                if self._best_max is None or loss < self._best_max[0]:
                    self._best_max = (loss, trial.config)
        entry = self._waiting.pop(trial.id, None)
        if entry is None:
            return  # not one of ours (cannot happen through ask); nothing to schedule
        entry.last_budget = trial.budget
        # Failed trials rank last (loss = inf) and are filtered out before promotion.
        self._results.append((float(result.loss) if ok else math.inf, entry.index, entry))
        if not self._waiting and not self._queue:
            self._finish_rung()

    def _finish_rung(self) -> None:
        b = self._bracket
        if b is None:
            return
        i = self._rung
        if i + 1 >= len(b.rungs):
            self._end_bracket()
            return
        k = b.rungs[i + 1][0]
        ranked = sorted((r for r in self._results if math.isfinite(r[0])), key=lambda r: (r[0], r[1]))
        if not ranked:
            self._end_bracket()  # the whole rung failed: nothing to promote
            return
        # Top k, distinct configurations first (matters only when the space ran out of them).
        chosen, rest, keys = [], [], set()
        for r in ranked:
            if r[2].key in keys:
                rest.append(r)
            else:
                keys.add(r[2].key)
                chosen.append(r)
        promoted = (chosen[:k] + rest[: max(0, k - len(chosen))])[:k]
        promoted.sort(key=lambda r: (r[0], r[1]))
        self._rung = i + 1
        self._results = []
        self._queue = deque(r[2] for r in promoted)


class Hyperband(_BracketRunner):
    """Finite-horizon Hyperband (Li et al., JMLR 2018, Algorithm 1), repeated forever.

    Each outer loop runs the brackets ``s = s_max, ..., s_min`` of :func:`schedule`, each with
    fresh configurations (``space.sample``) and SuccessiveHalving inside; then the outer loop
    starts again. Every rung is a batch (ask all of it, then tell); ``ask`` returns ``None``
    while a rung waits for results. A promoted trial has ``budget = r_i`` and, with ``resume``,
    ``resume_from = r_{i-1}`` (the runner then charges ``r_i - r_{i-1}`` on benchmarks that can
    continue); trial ``info`` holds ``iteration``, ``bracket`` (s), ``rung`` (i),
    ``bracket_index`` and ``config_index``.

    Args:
        space: the search space.
        seed: seeds :attr:`rng`.
        fidelity: the benchmark's fidelity; ``max_budget``/``min_budget`` default to its max/min.
        max_budget: largest budget (R * min_budget); required when the benchmark has no fidelity.
        min_budget: one unit.
        eta: elimination rate (default 3, the paper's default; the CNN experiments used 4).
        rounding: ``"ceil_formula"`` (default), ``"floor_table"`` or ``"authors_code"``.
        resume: promoted configurations continue from their previous budget (the paper's
            semantics); False retrains them from scratch (charged the full r_i).
        n_max: cap on the configurations of the most exploratory bracket.
        s_min: lowest bracket run.
        n_iterations: number of outer loops (None: forever; ``finished`` turns True after).

    Example:
        >>> from hpobench.space import Space, Float
        >>> from hpobench.benchmarks.base import Fidelity
        >>> hb = Hyperband(Space([Float("x", 0, 1)]), seed=0, fidelity=Fidelity("epochs", 1, 81))
        >>> t = hb.ask(); t.budget, t.resume_from, t.info["bracket"]
        (1.0, None, 4)
    """

    name = "hyperband"

    def __init__(
        self,
        space: Space,
        seed: int | None = 0,
        fidelity: Fidelity | None = None,
        *,
        max_budget: float | None = None,
        min_budget: float | None = None,
        eta: float = 3,
        rounding: str = "ceil_formula",
        resume: bool = True,
        n_max: int | None = None,
        s_min: int = 0,
        n_iterations: int | None = None,
        **options: Any,
    ):
        super().__init__(
            space, seed=seed, fidelity=fidelity, max_budget=max_budget, min_budget=min_budget, eta=eta,
            resume=resume, n_iterations=n_iterations, **options,
        )
        self.rounding = rounding
        #: One outer loop's brackets (the same every loop).
        self.brackets = schedule(self.max_budget, eta, self.min_budget, rounding, n_max=n_max, s_min=s_min)
        self._pos = 0

    def plan(self, iteration: int = 0) -> list[Bracket]:
        """The brackets of one outer loop (identical for every iteration)."""
        return list(self.brackets)

    def _next_bracket(self):
        if self._pos == len(self.brackets):
            self._pos = 0
            self.iteration += 1
        if self.n_iterations is not None and self.iteration >= self.n_iterations:
            return None
        b = self.brackets[self._pos]
        self._pos += 1
        return b, {}


class BracketRepeat(_BracketRunner):
    """One Hyperband bracket repeated forever with fresh configurations.

    The paper's "bracket s=4" baseline (SPEC §1.2; authors: ``s_run=4``, ten repetitions) is
    ``BracketRepeat(space, fidelity=..., s=4)``; registered as ``"bracket-s<k>"``. The bracket is
    exactly bracket ``s`` of :func:`schedule` (so its n uses Hyperband's ``B = (s_max+1) R``).

    Args:
        s: the bracket (default s_max, the most exploratory); must be in ``[0, s_max]``.
        max_budget, min_budget, eta, rounding, resume, n_iterations: as for :class:`Hyperband`
            (``n_iterations`` counts repetitions of the bracket).
    """

    name = "bracket"

    def __init__(
        self,
        space: Space,
        seed: int | None = 0,
        fidelity: Fidelity | None = None,
        *,
        s: int | None = None,
        max_budget: float | None = None,
        min_budget: float | None = None,
        eta: float = 3,
        rounding: str = "ceil_formula",
        resume: bool = True,
        n_iterations: int | None = None,
        **options: Any,
    ):
        super().__init__(
            space, seed=seed, fidelity=fidelity, max_budget=max_budget, min_budget=min_budget, eta=eta,
            resume=resume, n_iterations=n_iterations, **options,
        )
        self.rounding = rounding
        brackets = schedule(self.max_budget, eta, self.min_budget, rounding)
        top = brackets[0].s
        if s is None:
            s = top
        if isinstance(s, bool) or int(s) != s or not (0 <= int(s) <= top):
            raise ValueError(
                f"bracket s={s!r} does not exist for max_budget={self.max_budget:g}, min_budget={self.min_budget:g}, "
                f"eta={eta}: s must be in [0, {top}]"
            )
        self.s = int(s)
        self.name = f"bracket-s{self.s}"
        self.bracket = brackets[top - self.s]

    def plan(self, iteration: int = 0) -> list[Bracket]:
        return [self.bracket]

    def _next_bracket(self):
        if self.brackets_started > 0:
            self.iteration += 1
        if self.n_iterations is not None and self.iteration >= self.n_iterations:
            return None
        return self.bracket, {}


class SuccessiveHalving(BracketRepeat):
    """SuccessiveHalving: one bracket with a chosen n and starting budget, repeated forever.

    The bracket starts ``n`` configurations at ``max_budget * eta**-s`` and has rungs
    ``n_i = max(floor(n * eta**-i), 1)`` at ``r_i = max_budget * eta**(i-s)``, i = 0..s, keeping
    the best ``n_{i+1}`` each time. Defaults: ``s = s_max`` (start at the smallest budget the
    fidelity allows in whole powers of eta) and ``n = eta**s``, which is Hyperband's most
    exploratory bracket, so ``"sh"`` with defaults is the paper's "bracket s=s_max" baseline;
    set ``n`` to trade exploration for depth, or ``min_budget``/``s`` to start higher.

    Args:
        n: configurations in the first rung (default ``eta**s``).
        s: number of halvings (default s_max); the first budget ``max_budget * eta**-s`` must not
            fall below ``min_budget``.
        max_budget, min_budget, eta, resume, n_iterations: as for :class:`Hyperband`.
    """

    name = "sh"

    def __init__(
        self,
        space: Space,
        seed: int | None = 0,
        fidelity: Fidelity | None = None,
        *,
        n: int | None = None,
        s: int | None = None,
        max_budget: float | None = None,
        min_budget: float | None = None,
        eta: float = 3,
        resume: bool = True,
        n_iterations: int | None = None,
        **options: Any,
    ):
        _BracketRunner.__init__(
            self, space, seed=seed, fidelity=fidelity, max_budget=max_budget, min_budget=min_budget, eta=eta,
            resume=resume, n_iterations=n_iterations, **options,
        )
        self.rounding = "sh"
        e = _check_eta(eta)
        hi, lo = _frac(self.max_budget), _frac(self.min_budget)
        R = hi / lo
        top = _largest_power(R, e)
        if s is None:
            s = top
        if isinstance(s, bool) or int(s) != s or not (0 <= int(s) <= top):
            raise ValueError(
                f"sh: s={s!r} halvings would start below min_budget={self.min_budget:g} "
                f"(max_budget={self.max_budget:g}, eta={eta}); s must be in [0, {top}]"
            )
        self.s = int(s)
        if n is None:
            n = _ceil(e**self.s)
        if isinstance(n, bool) or int(n) != n or int(n) < 1:
            raise ValueError(f"sh: n must be a positive integer, got {n!r}")
        self.n = int(n)
        rungs = tuple((max(_floor(self.n / e**i), 1), R * e ** (i - self.s)) for i in range(self.s + 1))
        self.bracket = Bracket(self.s, rungs, R, e, lo, "sh")


class HyperbandInfinite(_BracketRunner):
    """Infinite-horizon Hyperband as the authors ran it (SPEC §1.3, ``hyperband_inf.py``).

    Outer iteration k has budget ``B_k = B0 * 2**k`` units (``B0 = 2R`` by default). For each
    ``B_k`` it runs the brackets of :func:`infinite_brackets`: ``n = eta**j`` arms, most
    exploratory first, ``ceil(log_eta n)`` rounds; round k gives each surviving arm a
    *cumulative* allocation ``B / (n_k * rounds)`` (a promoted arm continues from its previous
    allocation when ``resume``) and keeps ``ceil(n_k / eta)``. Brackets with a first allocation
    below ``min_unit`` units or fewer than ``min_arms`` arms are skipped. Allocations above R are
    clipped to R and end the bracket, and every budget lies in ``[min_budget, max_budget]``.
    Trial ``info`` adds ``B_R`` (the outer iteration's budget in multiples of R).

    Args:
        eta: integer elimination rate (default 4, as the authors ran it).
        B0: the first outer iteration's budget in units (default ``2 R``).
        min_unit: smallest per-arm allocation in units (default 1 = ``min_budget``).
        min_arms: smallest bracket (default 4).
        extra_round: one more round for the single survivor, as in the authors' code.
        max_budget, min_budget, resume: as for :class:`Hyperband`.
        n_iterations: number of doublings of B to run (None: forever; the authors ran 3).
    """

    name = "hyperband-inf"

    def __init__(
        self,
        space: Space,
        seed: int | None = 0,
        fidelity: Fidelity | None = None,
        *,
        max_budget: float | None = None,
        min_budget: float | None = None,
        eta: int = 4,
        B0: float | None = None,
        min_unit: float = 1,
        min_arms: int = 4,
        extra_round: bool = False,
        resume: bool = True,
        n_iterations: int | None = None,
        **options: Any,
    ):
        super().__init__(
            space, seed=seed, fidelity=fidelity, max_budget=max_budget, min_budget=min_budget, eta=eta,
            resume=resume, n_iterations=n_iterations, **options,
        )
        self.R = _frac(self.max_budget) / _frac(self.min_budget)
        self.B0 = 2 * self.R if B0 is None else _frac(B0, "B0")
        self.min_unit, self.min_arms, self.extra_round = min_unit, int(min_arms), bool(extra_round)
        # Validate eagerly (integer eta, positive B0) and make sure some B yields a bracket.
        first = None
        for k in range(64):
            if self.plan(k):
                first = k
                break
        if first is None:
            raise ValueError(
                f"hyperband-inf: no bracket fits (eta={eta}, min_arms={min_arms}, min_unit={min_unit}) "
                "even after 64 doublings of B"
            )
        self._pending_brackets: list[Bracket] = []
        self._started = False

    def plan(self, iteration: int = 0) -> list[Bracket]:
        """The brackets of outer iteration ``iteration`` (budget ``B0 * 2**iteration``)."""
        return infinite_brackets(
            self.B0 * 2**iteration, self.R, self.eta, self.min_unit, self.min_arms, self.extra_round, self.min_budget
        )

    def _next_bracket(self):
        while not self._pending_brackets:
            if self._started:
                self.iteration += 1
            self._started = True
            if self.n_iterations is not None and self.iteration >= self.n_iterations:
                return None
            self._pending_brackets = self.plan(self.iteration)
        b = self._pending_brackets.pop(0)
        return b, {"B_R": float(self.B0 * 2**self.iteration / self.R)}


# ---------------------------------------------------------------------------- CLI helpers
_PLAN_CLASSES = {"hyperband": Hyperband, "sh": SuccessiveHalving, "hyperband-inf": HyperbandInfinite}


def plan_for_optimizer(optimizer: str, fidelity: Fidelity | None, **options: Any) -> str | None:
    """The bracket plan a registered Hyperband-family optimizer will run, as text, or None.

    Used by ``hpobench run`` / ``compare`` before they start: ``optimizer`` is the registry name
    (``"hyperband"``, ``"sh"``, ``"bracket-s<k>"``, ``"hyperband-inf"``), ``options`` the
    optimizer options given on the command line. Other names, a benchmark without a fidelity,
    or options the optimizer rejects give None (the run itself then reports the error).

    Example:
        >>> print(plan_for_optimizer("bracket-s2", Fidelity("epochs", 1, 9)).splitlines()[2])
          2        9     13  9@1 3@3 1@9          3.00       2.33
    """
    if fidelity is None:
        return None
    name = str(optimizer)
    options = dict(options)
    if name.startswith("hpobench.optimizers.hyperband:"):  # given as module:Class
        by_class = {c.__name__: n for n, c in _PLAN_CLASSES.items()}
        by_class["BracketRepeat"] = "bracket"
        name = by_class.get(name.partition(":")[2], name)
    if name == "bracket":
        cls: type[_BracketRunner] = BracketRepeat
    elif name.startswith("bracket-s") and name[len("bracket-s"):].isdigit():
        cls = BracketRepeat
        options.setdefault("s", int(name[len("bracket-s"):]))
    elif name in _PLAN_CLASSES:
        cls = _PLAN_CLASSES[name]
    else:
        return None
    options.pop("seed", None)
    try:
        opt = cls(Space([Float("_", 0.0, 1.0)]), seed=0, fidelity=fidelity, **options)
    except (TypeError, ValueError):
        return None
    return describe_plan(opt, name)


def describe_plan(opt: "_BracketRunner", name: str) -> str:
    """The plan ``opt`` will run, as text headed by ``name``."""
    unit = opt.fidelity.unit if opt.fidelity is not None else ""
    if isinstance(opt, HyperbandInfinite):
        parts = []
        for k in range(3):
            B_R = float(opt.B0 * 2**k / opt.R)
            parts.append(format_plan(opt.plan(k), unit, title=f"{name} plan, outer iteration {k} (B = {B_R:g}R):"))
        parts.append("B keeps doubling; each bracket gets fresh configurations.")
        return "\n".join(parts)
    text = format_plan(opt.plan(), unit, label=name)
    what = "one outer loop" if isinstance(opt, Hyperband) else "one bracket"
    return text + f"\n({what}; repeated with fresh configurations until the budget is used)"


def plan_command(args: Any) -> int:
    """``hpobench plan``: print :func:`format_plan` (or :func:`plan_dict` as JSON with ``--json``).

    ``args`` needs ``max_budget``, ``eta``, ``min_budget``, ``rounding`` and ``json``
    (optional: ``n_max``, ``s_min``). Bad values print one line to stderr and return 2.
    """
    import json
    import sys

    try:
        brackets = schedule(
            args.max_budget,
            eta=args.eta,
            min_budget=getattr(args, "min_budget", 1) or 1,
            rounding=getattr(args, "rounding", "ceil_formula"),
            n_max=getattr(args, "n_max", None),
            s_min=getattr(args, "s_min", 0) or 0,
        )
    except ValueError as exc:
        print(f"hpobench: error: {exc}", file=sys.stderr)
        return 2
    if getattr(args, "json", False):
        print(json.dumps(plan_dict(brackets), indent=2))
    else:
        print(format_plan(brackets))
    return 0
