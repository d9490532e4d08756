"""Hyperband's bracket arithmetic (Li, Jamieson, DeSalvo, Rostamizadeh, Talwalkar, JMLR 18(185), 2018).

Vocabulary: the benchmark's fidelity runs from ``min_budget`` to ``max_budget``; one *unit* is
``min_budget`` and ``R = max_budget / min_budget`` is the largest allocation in units. ``eta``
is the elimination rate. A *bracket* ``s`` is one SuccessiveHalving run that starts ``n``
configurations at ``R * eta**-s`` units and keeps the best ``1/eta`` of them per *rung*,
multiplying the resource by ``eta`` each time. Hyperband loops over the brackets
``s = s_max ... 0`` and repeats that outer loop forever with fresh configurations.

Everything here is exact ``fractions.Fraction`` arithmetic, so powers of ``eta`` never suffer
floating ``log`` floors, with the three rounding conventions documented in docs/hyperband.md
(Algorithm 1's formula, the JMLR Table 1 / HpBandSter floors, the authors' code).

Example:
    >>> [b.as_pairs() for b in schedule(81, eta=3, rounding="floor_table")][:2]
    [[(81, 1.0), (27, 3.0), (9, 9.0), (3, 27.0), (1, 81.0)], [(27, 3.0), (9, 9.0), (3, 27.0), (1, 81.0)]]
    >>> round(plan_total(schedule(81, eta=3)), 2)
    23.48
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

import numpy as np

__all__ = ["ROUNDINGS", "Bracket", "infinite_brackets", "plan_total", "s_max", "schedule"]

#: Accepted values of the ``rounding`` option (see :func:`schedule`).
ROUNDINGS = ("ceil_formula", "floor_table", "authors_code")

# Relative slack when comparing eta**s with a non-integer R that came from floats
# (e.g. 1 / 0.1111111111111111); integer R is compared exactly.
_REL_TOL = Fraction(1, 10**9)

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
            (an optional knob of the paper, Section 3.3): s_max is then at most ``floor(log_eta(n_max))``.

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
        s_min: run only brackets s_max .. s_min (for expensive problems, where the least
            exploratory brackets waste the budget; Li et al. 2018, Section 3.3).

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
            than training from scratch (sum of n_i r_i, the convention of the paper's Table 1).

    Example:
        >>> round(plan_total(schedule(81, rounding="floor_table")), 2), round(plan_total(schedule(81), resume=True), 2)
        (21.0, 19.52)
    """
    return float(sum(b.resource_R(resume) for b in brackets))



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

    What the authors ran as "hyperband (infinite)" (their ``hyperband_inf.py``): the candidate arm counts are ``n = eta**j``
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
        extra_round: use ``ceil(log_eta n) + 1`` rounds (authors' code) instead of the paper's
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


