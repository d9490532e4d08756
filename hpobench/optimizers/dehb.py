"""DEHB (Awad, Mallik, Hutter, IJCAI 2021): differential evolution inside Hyperband's brackets.

DEHB keeps one DE subpopulation per budget level (the budgets of Hyperband's most exploratory
bracket), of the largest size any bracket uses at that level, as vectors in the unit cube (a
vector decodes to a valid configuration through the space's encoding). The subpopulations start
as random vectors of unknown (infinite) fitness.

Hyperband's brackets (its schedule, synchronous rungs) decide how many evaluations run at which
budget. Each slot of a rung at level ``L`` takes the next member of subpopulation ``L`` in turn
as its *target* and evaluates a DE trial (rand/1/bin, F = 0.5, CR = 0.5): the mutant is
``p1 + F (p2 - p3)`` with three distinct parents from the *mutation pool*, the best ``n_i``
members (``n_i``: the rung's size) of the next-lower budget's subpopulation (its own at the
lowest budget), topped up from the union of all subpopulations (the paper's global population)
when it has fewer than three; a mutant dimension outside [0, 1] is redrawn uniformly; binomial
crossover mixes target and mutant (one dimension from the mutant at least). The trial replaces
its target when its loss is no worse. In the first outer loop only, the rungs above a bracket's
first are filled as in SuccessiveHalving: the best evaluated members of the lower subpopulation
not yet in level ``L``'s are promoted (the paper's "vanilla Hyperband" initialisation).

Every evaluation trains from scratch (no ``resume_from``), as in the paper, so DEHB is charged
the full budget of each trial. Deviations: see docs/dehb.md.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..benchmarks.base import Fidelity, Result
from ..space import Space
from .base import Capabilities, Optimizer, Trial
from .hyperband.schedule import schedule
from .hyperband.settings import resolve_budgets, split_settings

__all__ = ["DEHB"]


class _Member:
    """A subpopulation member: its vector and loss (inf until known or when it failed)."""

    __slots__ = ("vector", "loss")

    def __init__(self, vector: np.ndarray, loss: float):
        self.vector, self.loss = vector, loss


class DEHB(Optimizer):
    """Differential evolution per budget, scheduled by Hyperband's brackets.

    Args:
        space: the search space.
        seed: seeds :attr:`rng`.
        fidelity: the benchmark's fidelity; ``max_budget``/``min_budget`` default to its max/min.
        mutation_factor: F (0.5).
        crossover_prob: CR (0.5).
        settings / keyword options: ``max_budget``, ``min_budget``, ``eta``, ``rounding`` and
            ``n_iterations`` of
            :class:`~hpobench.optimizers.hyperband.HyperbandSettings`.

    Trial ``info`` holds ``iteration``, ``bracket`` (s), ``rung``, ``target`` (the index of
    the subpopulation member it competes with) and ``origin`` (``"promoted"`` or ``"de"``).

    Example:
        >>> from hpobench.space import Space, Float
        >>> from hpobench.benchmarks.base import Fidelity
        >>> opt = DEHB(Space([Float("x", 0, 1)]), seed=0, fidelity=Fidelity("epochs", 1, 9))
        >>> opt.pop_sizes
        [9, 5, 3]
    """

    name = "dehb"
    capabilities = Capabilities(conditional=True, dependent_bounds=True, multi_fidelity=True, batch=True)
    settings_fields = ("max_budget", "min_budget", "eta", "rounding", "n_iterations")

    def __init__(
        self,
        space: Space,
        seed: int | None = 0,
        fidelity: Fidelity | None = None,
        *,
        mutation_factor: float = 0.5,
        crossover_prob: float = 0.5,
        settings: Any = None,
        **options: Any,
    ):
        settings, options = split_settings(settings, options, self.settings_fields, {})
        super().__init__(space, seed=seed, fidelity=fidelity, **options)
        if not 0 < mutation_factor <= 2 or not 0 <= crossover_prob <= 1:
            raise ValueError(f"need 0 < mutation_factor <= 2 and 0 <= crossover_prob <= 1, got {mutation_factor!r}, {crossover_prob!r}")
        self.F, self.CR = float(mutation_factor), float(crossover_prob)
        self.settings = settings
        self.max_budget, self.min_budget = resolve_budgets(fidelity, settings.max_budget, settings.min_budget, self.name)
        self.eta = settings.eta
        self.n_iterations = settings.n_iterations
        #: One outer loop's brackets (Hyperband's schedule), most exploratory first.
        self.brackets = schedule(self.max_budget, self.eta, self.min_budget, settings.rounding)
        top = self.brackets[0]
        #: Budget of each level (the most exploratory bracket's rungs).
        self.levels = top.budgets
        size = [0] * len(self.levels)
        for b in self.brackets:
            for i, (n, _r) in enumerate(b.rungs):
                lvl = top.s - b.s + i
                size[lvl] = max(size[lvl], n)
        #: Per level, the subpopulation size; :attr:`pops` holds the members.
        self.pop_sizes = size
        d = len(self.space.params)
        self.pops: list[list[_Member]] = [[_Member(self.rng.random(d), math.inf) for _ in range(n)] for n in size]
        self._target_ptr = [0] * len(size)
        self.iteration = 0
        self._pos = -1  # bracket position within the outer loop
        self._bracket = None
        self._done = False
        self._waiting: dict[int, tuple] = {}

    @property
    def finished(self) -> bool:
        return self._done and not self._waiting

    # --------------------------------------------------------------------------- brackets
    def _start_bracket(self) -> None:
        self._pos += 1
        if self._pos == len(self.brackets):
            self._pos = 0
            self.iteration += 1
        if self.n_iterations is not None and self.iteration >= int(self.n_iterations):
            self._done = True
            self._bracket = None
            return
        self._bracket = self.brackets[self._pos]
        self._level0 = self.brackets[0].s - self._bracket.s
        self._start_rung(0)

    def _start_rung(self, i: int) -> None:
        self._rung = i
        n = self._slots = self._bracket.rungs[i][0]
        level = self._level0 + i
        lower = self.pops[max(level - 1, 0)]
        ranked = sorted(range(len(lower)), key=lambda j: lower[j].loss)
        self._pool = [lower[j].vector for j in ranked[:n]]
        self._promote: list[np.ndarray] = []
        if self.iteration == 0 and i > 0:
            here = {m.vector.tobytes() for m in self.pops[level]}
            fresh = [lower[j].vector for j in ranked if math.isfinite(lower[j].loss) and lower[j].vector.tobytes() not in here]
            self._promote = fresh[:n] or [lower[ranked[0]].vector]

    # ---------------------------------------------------------------------------- DE parts
    def _parents(self) -> np.ndarray:
        """Three distinct parents from the mutation pool, topped up from all subpopulations."""
        pool = list(self._pool)
        if len(pool) < 3:
            everyone = [m.vector for pop in self.pops for m in pop]
            take = self.rng.choice(len(everyone), size=3 - len(pool), replace=False)
            pool += [everyone[i] for i in take]
        idx = self.rng.choice(len(pool), size=3, replace=False)
        return np.array([pool[i] for i in idx])

    def _de_vector(self, target: np.ndarray) -> np.ndarray:
        p1, p2, p3 = self._parents()
        mutant = p1 + self.F * (p2 - p3)
        outside = (mutant < 0) | (mutant > 1)
        mutant[outside] = self.rng.random(int(outside.sum()))
        cross = self.rng.random(len(target)) < self.CR
        cross[self.rng.integers(len(target))] = True
        return np.where(cross, mutant, target)

    # ---------------------------------------------------------------------------- ask/tell
    def _ask(self) -> Trial | None:
        if self._bracket is None and not self._waiting and not self._done:
            self._start_bracket()
        if self._bracket is None or self._slots == 0:
            return None
        self._slots -= 1
        level = self._level0 + self._rung
        target = self._target_ptr[level] % len(self.pops[level])
        self._target_ptr[level] += 1
        if self._promote:
            vector, origin = self._promote.pop(0), "promoted"
        else:
            vector, origin = self._de_vector(self.pops[level][target].vector), "de"
        trial = self.new_trial(
            self.space.decode(vector), self.levels[level], None,
            iteration=self.iteration, bracket=self._bracket.s, rung=self._rung, target=target, origin=origin,
        )
        self._waiting[trial.id] = (vector, level, target)
        return trial

    def _tell(self, trial: Trial, result: Result) -> None:
        where = self._waiting.pop(trial.id, None)
        if where is None:
            return
        vector, level, target = where
        loss = float(result.loss) if result.ok else math.inf
        if result.ok and loss <= self.pops[level][target].loss:
            self.pops[level][target] = _Member(vector, loss)
        if self._bracket is not None and not self._waiting and self._slots == 0:
            if self._rung + 1 < len(self._bracket.rungs):
                self._start_rung(self._rung + 1)
            else:
                self._bracket = None

    def describe_plan(self) -> str | None:
        from .hyperband.plan import format_plan

        unit = self.fidelity.unit if self.fidelity is not None else ""
        return format_plan(self.brackets, unit, label=self.name) + (
            "\n(first outer loop: vanilla Hyperband; then each rung's slots are DE trials on the "
            f"subpopulations of sizes {', '.join(map(str, self.pop_sizes))})"
        )
