"""The Hyperband family's optimizers (Li, Jamieson, DeSalvo, Rostamizadeh, Talwalkar, JMLR 2018).

All run on :class:`~.brackets.BracketRunner` and differ only in which brackets they run:
:class:`Hyperband` (``"hyperband"``, Algorithm 1), :class:`SuccessiveHalving` (``"sh"``),
:class:`BracketRepeat` (``"bracket-s<k>"``, the paper's "bracket s=4" baseline) and
:class:`HyperbandInfinite` (``"hyperband-inf"``, what the authors ran as "hyperband (infinite)").
"""

from __future__ import annotations

from typing import Any

from ...benchmarks.base import Fidelity
from ...space import Space
from .brackets import BracketRunner
from .plan import format_plan
from .schedule import Bracket, _ceil, _check_eta, _floor, _frac, _largest_power, infinite_brackets, schedule

__all__ = ["BracketRepeat", "Hyperband", "HyperbandInfinite", "SuccessiveHalving"]


class Hyperband(BracketRunner):
    """Finite-horizon Hyperband (Li et al., JMLR 2018, Algorithm 1), repeated forever.

    Each outer loop runs the brackets ``s = s_max, ..., s_min`` of :func:`~.schedule.schedule`,
    each with fresh configurations from :attr:`source` (``space.sample`` by default) and
    SuccessiveHalving inside; then the outer loop starts again. Every rung is a batch (ask all
    of it, then tell); ``ask`` returns ``None`` while a rung waits for results. A promoted trial
    has ``budget = r_i`` and, with ``resume``, ``resume_from = r_{i-1}`` (the runner then charges
    ``r_i - r_{i-1}`` on benchmarks that can continue); trial ``info`` holds ``iteration``,
    ``bracket`` (s), ``rung`` (i), ``bracket_index`` and ``config_index``.

    Args:
        space: the search space.
        seed: seeds :attr:`rng`.
        fidelity: the benchmark's fidelity; ``max_budget``/``min_budget`` default to its max/min.
        settings: :class:`~.settings.HyperbandSettings`; every field (``max_budget``,
            ``min_budget``, ``eta``, ``rounding``, ``resume``, ``n_max``, ``s_min``,
            ``n_iterations``) may also be given as a keyword option.
        source: where each bracket's configurations come from (see :class:`~.brackets.BracketRunner`).

    Example:
        >>> from hpobench.space import Space, Float
        >>> from hpobench.benchmarks.base import Fidelity
        >>> hb = Hyperband(Space([Float("x", 0, 1)]), seed=0, fidelity=Fidelity("epochs", 1, 81))
        >>> t = hb.ask(); t.budget, t.resume_from, t.info["bracket"]
        (1.0, None, 4)
    """

    name = "hyperband"
    settings_fields = ("max_budget", "min_budget", "eta", "rounding", "resume", "n_max", "s_min", "n_iterations")

    def __init__(self, space: Space, seed: int | None = 0, fidelity: Fidelity | None = None, **options: Any):
        super().__init__(space, seed=seed, fidelity=fidelity, **options)
        st = self.settings
        self.rounding = st.rounding
        #: One outer loop's brackets (the same every loop).
        self.brackets = schedule(self.max_budget, st.eta, self.min_budget, st.rounding, n_max=st.n_max, s_min=st.s_min)
        self._pos = 0

    def plan(self, iteration: int = 0) -> list[Bracket]:
        """The brackets of one outer loop (identical for every iteration)."""
        return list(self.brackets)

    def describe_plan(self) -> str | None:
        unit = self.fidelity.unit if self.fidelity is not None else ""
        text = format_plan(self.plan(), unit, label=self.name)
        return text + "\n(one outer loop; repeated with fresh configurations until the budget is used)"

    def _next_bracket(self):
        if self._pos == len(self.brackets):
            self._pos = 0
            self.iteration += 1
        if self.n_iterations is not None and self.iteration >= self.n_iterations:
            return None
        b = self.brackets[self._pos]
        self._pos += 1
        return b, {}


def _check_s(s: Any, top: int, what: str) -> int:
    """``s`` (default ``top``) as an int in ``[0, top]``; ``what`` starts the message for a bad value."""
    if s is None:
        return top
    if isinstance(s, bool) or int(s) != s or not (0 <= int(s) <= top):
        raise ValueError(f"{what}s must be in [0, {top}]")
    return int(s)


class BracketRepeat(BracketRunner):
    """One Hyperband bracket repeated forever with fresh configurations.

    The paper's "bracket s=4" baseline (Li et al. 2018, Section 4; the authors' ``s_run=4``,
    ten repetitions) is ``BracketRepeat(space, fidelity=..., s=4)``; registered as
    ``"bracket-s<k>"``. The bracket is exactly bracket ``s`` of :func:`~.schedule.schedule` (so
    its n uses Hyperband's ``B = (s_max+1) R``).

    Args:
        s: the bracket (default s_max, the most exploratory); must be in ``[0, s_max]``.
        settings / keyword options: ``max_budget``, ``min_budget``, ``eta``, ``rounding``,
            ``resume``, ``n_iterations`` as for :class:`Hyperband` (``n_iterations`` counts
            repetitions of the bracket).
    """

    name = "bracket"
    settings_fields = ("max_budget", "min_budget", "eta", "rounding", "resume", "n_iterations")

    def __init__(self, space: Space, seed: int | None = 0, fidelity: Fidelity | None = None, *, s: int | None = None, **options: Any):
        super().__init__(space, seed=seed, fidelity=fidelity, **options)
        st = self.settings
        self.rounding = st.rounding
        brackets = schedule(self.max_budget, st.eta, self.min_budget, st.rounding)
        top = brackets[0].s
        self.s = _check_s(
            s, top, f"bracket s={s!r} does not exist for max_budget={self.max_budget:g}, min_budget={self.min_budget:g}, eta={st.eta}: "
        )
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
        settings / keyword options: ``max_budget``, ``min_budget``, ``eta``, ``resume``,
            ``n_iterations`` as for :class:`Hyperband`.
    """

    name = "sh"
    settings_fields = ("max_budget", "min_budget", "eta", "resume", "n_iterations")

    def __init__(
        self, space: Space, seed: int | None = 0, fidelity: Fidelity | None = None, *, n: int | None = None, s: int | None = None, **options: Any
    ):
        BracketRunner.__init__(self, space, seed=seed, fidelity=fidelity, **options)
        self.rounding = "sh"
        eta = self.settings.eta
        e = _check_eta(eta)
        hi, lo = _frac(self.max_budget), _frac(self.min_budget)
        R = hi / lo
        self.s = _check_s(
            s, _largest_power(R, e),
            f"sh: s={s!r} halvings would start below min_budget={self.min_budget:g} (max_budget={self.max_budget:g}, eta={eta}); ",
        )
        if n is None:
            n = _ceil(e**self.s)
        if isinstance(n, bool) or int(n) != n or int(n) < 1:
            raise ValueError(f"sh: n must be a positive integer, got {n!r}")
        self.n = int(n)
        rungs = tuple((max(_floor(self.n / e**i), 1), R * e ** (i - self.s)) for i in range(self.s + 1))
        self.bracket = Bracket(self.s, rungs, R, e, lo, "sh")


class HyperbandInfinite(BracketRunner):
    """Infinite-horizon Hyperband as the authors ran it (their ``hyperband_inf.py``).

    Outer iteration k has budget ``B_k = B0 * 2**k`` units (``B0 = 2R`` by default). For each
    ``B_k`` it runs the brackets of :func:`~.schedule.infinite_brackets`: ``n = eta**j`` arms,
    most exploratory first, ``ceil(log_eta n)`` rounds; round k gives each surviving arm a
    *cumulative* allocation ``B / (n_k * rounds)`` (a promoted arm continues from its previous
    allocation when ``resume``) and keeps ``ceil(n_k / eta)``. Brackets with a first allocation
    below ``min_unit`` units or fewer than ``min_arms`` arms are skipped. Allocations above R are
    clipped to R and end the bracket, and every budget lies in ``[min_budget, max_budget]``.
    Trial ``info`` adds ``B_R`` (the outer iteration's budget in multiples of R).

    Args:
        B0: the first outer iteration's budget in units (default ``2 R``).
        min_unit: smallest per-arm allocation in units (default 1 = ``min_budget``).
        min_arms: smallest bracket (default 4).
        extra_round: one more round for the single survivor, as in the authors' code.
        settings / keyword options: ``max_budget``, ``min_budget``, ``eta`` (an integer; default
            4, as the authors ran it), ``resume``, ``n_iterations`` (number of doublings of B to
            run; None: forever; the authors ran 3).
    """

    name = "hyperband-inf"
    settings_defaults = {"eta": 4}

    def __init__(
        self,
        space: Space,
        seed: int | None = 0,
        fidelity: Fidelity | None = None,
        *,
        B0: float | None = None,
        min_unit: float = 1,
        min_arms: int = 4,
        extra_round: bool = False,
        **options: Any,
    ):
        super().__init__(space, seed=seed, fidelity=fidelity, **options)
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
                f"hyperband-inf: no bracket fits (eta={self.eta}, min_arms={min_arms}, min_unit={min_unit}) "
                "even after 64 doublings of B"
            )
        self._pending_brackets: list[Bracket] = []
        self._started = False

    def plan(self, iteration: int = 0) -> list[Bracket]:
        """The brackets of outer iteration ``iteration`` (budget ``B0 * 2**iteration``)."""
        return infinite_brackets(
            self.B0 * 2**iteration, self.R, self.eta, self.min_unit, self.min_arms, self.extra_round, self.min_budget
        )

    def describe_plan(self) -> str | None:
        """The first three outer iterations' brackets (B doubles every iteration)."""
        unit = self.fidelity.unit if self.fidelity is not None else ""
        parts = []
        for k in range(3):
            B_R = float(self.B0 * 2**k / self.R)
            parts.append(format_plan(self.plan(k), unit, title=f"{self.name} plan, outer iteration {k} (B = {B_R:g}R):"))
        parts.append("B keeps doubling; each bracket gets fresh configurations.")
        return "\n".join(parts)

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

