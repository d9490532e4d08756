"""ASHA, asynchronous successive halving (Li, Jamieson, Rostamizadeh, Gonina, Ben-tzur, Hardt,
Recht, Talwalkar, MLSys 2020, Algorithm 2), and its asynchronous Hyperband.

Rung ``k`` runs at budget ``r_min * eta**(k + s)`` (``s`` is the early-stopping rate) up to the
largest rung within ``max_budget``. Every ``ask`` (the paper's ``get_job``) looks from the top rung
down for a configuration that is among the best ``floor(n_k / eta)`` of the ``n_k`` results of
rung ``k`` and has not been promoted yet; the first found is promoted to rung ``k + 1`` (it
continues from its previous budget with ``resume``). When there is none, a new configuration
starts at the bottom rung. ``ask`` therefore never waits, and with several trials in flight no
rung waits for another: each decision uses the results told so far. Sequentially (one trial at
a time) the rule is just as well defined.

:class:`AsyncHyperband` (``"hyperband-async"``) runs ASHA brackets ``s = 0 .. s_max`` side by side,
as the paper's asynchronous Hyperband: promotions are looked for in every bracket, and each new
configuration joins a bracket drawn with probability proportional to the number of
configurations synchronous Hyperband starts in it (as Syne Tune's asynchronous Hyperband does).
"""

from __future__ import annotations

import bisect
import math
from typing import Any

import numpy as np

from ..benchmarks.base import Fidelity, Result
from ..space import Space
from .base import Capabilities, Optimizer, Trial
from .hyperband.schedule import _check_eta, _frac, _largest_power, schedule
from .hyperband.settings import resolve_budgets, split_settings
from .hyperband.sources import ConfigSource, RandomSource, make_source

__all__ = ["ASHA", "AsyncHyperband"]


class _Rung:
    """One rung of an ASHA bracket: its budget, told results kept sorted, and who left it."""

    __slots__ = ("budget", "ranked", "promoted")

    def __init__(self, budget: float):
        self.budget = budget
        #: (loss, trial id, config index) of finished trials, best first; failures are not kept.
        self.ranked: list[tuple[float, int, int]] = []
        self.promoted: set[int] = set()

    def promotable(self, eta: float) -> int | None:
        """A config index among the top ``floor(n / eta)`` not yet promoted, best first, or None."""
        k = int(math.floor(len(self.ranked) / eta + 1e-12))
        for _loss, _tid, idx in self.ranked[:k]:
            if idx not in self.promoted:
                return idx
        return None


def _rung_budgets(max_budget: float, min_budget: float, eta: Any, s: int) -> list[float]:
    """Budgets ``min_budget * eta**(k + s)`` for k = 0 .. k_max (all within max_budget)."""
    e = _check_eta(eta)
    lo = _frac(min_budget)
    top = _largest_power(_frac(max_budget) / lo, e)
    if not (0 <= s <= top):
        raise ValueError(f"early-stopping rate s must be in [0, {top}] for these budgets and eta={eta}, got {s!r}")
    return [float(lo * e ** (k + s)) for k in range(top - s + 1)]


class ASHA(Optimizer):
    """Asynchronous successive halving (one bracket with early-stopping rate ``s``).

    Args:
        space: the search space.
        seed: seeds :attr:`rng`.
        fidelity: the benchmark's fidelity; ``max_budget``/``min_budget`` default to its max/min.
        s: the early-stopping rate (default 0: the bottom rung runs at ``min_budget``).
        settings / keyword options: ``max_budget`` (R), ``min_budget`` (r), ``eta`` (default 3)
            and ``resume`` of :class:`~hpobench.optimizers.hyperband.HyperbandSettings`.
        source: where new configurations come from (default: the prior), as for Hyperband.

    Trial ``info`` holds ``bracket`` (s), ``rung`` (k) and ``config_index``.

    Example:
        >>> from hpobench.space import Space, Float
        >>> from hpobench.benchmarks.base import Fidelity
        >>> opt = ASHA(Space([Float("x", 0, 1)]), seed=0, fidelity=Fidelity("epochs", 1, 9))
        >>> [opt.ask().budget for _ in range(3)]
        [1.0, 1.0, 1.0]
    """

    name = "asha"
    capabilities = Capabilities(conditional=True, dependent_bounds=True, multi_fidelity=True, batch=True)
    settings_fields = ("max_budget", "min_budget", "eta", "resume")

    def __init__(
        self,
        space: Space,
        seed: int | None = 0,
        fidelity: Fidelity | None = None,
        *,
        s: int = 0,
        settings: Any = None,
        source: ConfigSource | str | None = None,
        **options: Any,
    ):
        settings, options = split_settings(settings, options, self.settings_fields, {})
        super().__init__(space, seed=seed, fidelity=fidelity, **options)
        self.settings = settings
        self.max_budget, self.min_budget = resolve_budgets(fidelity, settings.max_budget, settings.min_budget, self.name)
        self.eta = settings.eta
        self.resume = bool(settings.resume)
        if isinstance(s, bool) or int(s) != s:
            raise ValueError(f"s must be an integer, got {s!r}")
        #: The early-stopping rate of each bracket (ASHA has one).
        self.rates = self._bracket_rates(int(s))
        #: The rungs of each bracket.
        self.brackets: list[list[_Rung]] = [
            [_Rung(b) for b in _rung_budgets(self.max_budget, self.min_budget, self.eta, rate)] for rate in self.rates
        ]
        self.source = make_source(source, RandomSource)
        self.source.bind(self.space, self.rng, seed)
        #: Every configuration started, by config index.
        self.configs: list[dict] = []
        self._last_budget: list[float | None] = []  # the budget each configuration last ran at
        self._running: dict[int, tuple[int, int, int]] = {}  # trial id -> (bracket pos, rung, config index)

    def _bracket_rates(self, s: int) -> list[int]:
        return [s]

    def _new_bracket(self) -> int:
        """Which bracket a new configuration joins (ASHA has one)."""
        return 0

    def _ask(self) -> Trial:
        for pos, rungs in enumerate(self.brackets):
            for k in range(len(rungs) - 2, -1, -1):
                idx = rungs[k].promotable(self.eta)
                if idx is not None:
                    rungs[k].promoted.add(idx)
                    return self._trial(pos, k + 1, idx)
        pos = self._new_bracket()
        config = self.source.propose(self.brackets[pos][0].budget)
        self.configs.append(config)
        self._last_budget.append(None)
        return self._trial(pos, 0, len(self.configs) - 1)

    def _trial(self, pos: int, k: int, idx: int) -> Trial:
        resume_from = self._last_budget[idx] if self.resume else None
        trial = self.new_trial(self.configs[idx], self.brackets[pos][k].budget, resume_from, bracket=self.rates[pos], rung=k, config_index=idx)
        self._running[trial.id] = (pos, k, idx)
        return trial

    def _tell(self, trial: Trial, result: Result) -> None:
        ok = result.ok
        self.source.observe(trial.config, trial.budget, float(result.loss) if ok else math.nan)
        where = self._running.pop(trial.id, None)
        if where is None:
            return
        pos, k, idx = where
        self._last_budget[idx] = trial.budget
        if ok:  # a failed trial is never promoted
            bisect.insort(self.brackets[pos][k].ranked, (float(result.loss), trial.id, idx))

    def describe_plan(self) -> str | None:
        lines = [f"{self.name}: eta {self.eta:g}, budgets {self.min_budget:g}..{self.max_budget:g}, asynchronous promotions (top 1/eta of each rung)"]
        for s, rungs in zip(self.rates, self.brackets):
            lines.append(f"  bracket s={s}: rung budgets " + " ".join(f"{r.budget:g}" for r in rungs))
        return "\n".join(lines)


class AsyncHyperband(ASHA):
    """Asynchronous Hyperband: ASHA brackets ``s = 0 .. s_max`` run side by side (ASHA paper,
    Section 3). A new configuration joins bracket ``s`` with probability proportional to the
    ``n`` synchronous Hyperband starts in bracket ``s``; promotions are looked for in every
    bracket, most aggressive first. Options as for :class:`ASHA`, without ``s``.
    """

    name = "hyperband-async"

    def __init__(self, space: Space, seed: int | None = 0, fidelity: Fidelity | None = None, **options: Any):
        if "s" in options:
            raise TypeError("hyperband-async runs every early-stopping rate; it takes no option s")
        super().__init__(space, seed=seed, fidelity=fidelity, **options)
        sizes = {b.s: b.n_configs for b in schedule(self.max_budget, self.eta, self.min_budget)}
        # ASHA's rate s starts at min_budget * eta**s, i.e. synchronous Hyperband's bracket s_max - s.
        top = max(sizes)
        weights = np.array([sizes[top - s] for s in self.rates], dtype=float)
        self._weights = weights / weights.sum()

    def _bracket_rates(self, s: int) -> list[int]:
        return list(range(_largest_power(_frac(self.max_budget) / _frac(self.min_budget), _check_eta(self.eta)) + 1))

    def _new_bracket(self) -> int:
        return int(self.rng.choice(len(self.brackets), p=self._weights))
