"""The bracket engine of the Hyperband family: SuccessiveHalving over a sequence of brackets.

:class:`BracketRunner` runs brackets rung by rung, each rung a batch; subclasses say which
brackets (:meth:`BracketRunner._next_bracket`) and a :class:`~.sources.ConfigSource` says which
configurations start each bracket. Writing a variant:

    >>> from hpobench.space import Space, Float
    >>> from hpobench.benchmarks.base import Fidelity
    >>> from hpobench.optimizers.hyperband import BracketRunner, schedule
    >>> class LowestBracketOnly(BracketRunner):
    ...     name = "lowest"
    ...     def plan(self, iteration=0):
    ...         return schedule(self.max_budget, self.eta, self.min_budget)[-1:]
    ...     def _next_bracket(self):
    ...         return self.plan()[0], {}
    >>> opt = LowestBracketOnly(Space([Float("x", 0, 1)]), fidelity=Fidelity("epochs", 1, 9))
    >>> opt.ask().budget
    9.0
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any, ClassVar

from ...benchmarks.base import Fidelity, Result, config_key
from ...space import Space
from ..base import Capabilities, Optimizer, Trial
from .plan import format_plan
from .schedule import Bracket, _check_eta
from .settings import HyperbandSettings, resolve_budgets, split_settings
from .sources import ConfigSource, RandomSource, make_source

__all__ = ["BracketRunner"]

_EPS = 1e-9

# Proposals per slot before a bracket concludes that the space has run out of distinct configurations.
_DEDUPE_TRIES = 32


class _Entry:
    """A configuration's place in a running bracket."""

    __slots__ = ("config", "index", "last_budget", "key")

    def __init__(self, config: dict, index: int, key: str):
        self.config = config
        self.index = index
        self.key = key
        self.last_budget: float | None = None


class BracketRunner(Optimizer):
    """Runs a sequence of brackets with SuccessiveHalving, one rung (a batch) at a time.

    Subclasses implement :meth:`_next_bracket` and :meth:`plan`. Each rung is a batch: all its
    trials may be asked before any is told; ``ask`` returns ``None`` while the rung waits for
    results. When the last result of rung i arrives, the best ``n_{i+1}`` configurations by loss
    are promoted (failed, non-finite results rank last and are never promoted; among equal
    candidates distinct configurations go first); if no configuration of the rung succeeded, the
    bracket ends and the next one starts.

    Args:
        space: the search space.
        seed: seeds :attr:`rng`.
        fidelity: the benchmark's fidelity; ``max_budget``/``min_budget`` default to its max/min.
        settings: a :class:`~.settings.HyperbandSettings`; its fields may also be given as
            keyword options (those the class lists in :attr:`settings_fields`), which override it.
        source: where new configurations come from: a :class:`~.sources.ConfigSource`, the
            name of a single-fidelity optimizer (wrapped in :class:`~.sources.OptimizerSource`),
            or None for the class's :meth:`default_source` (random draws from the prior).
        **options: the settings fields as keywords, and subclass options.
    """

    capabilities = Capabilities(conditional=True, dependent_bounds=True, multi_fidelity=True, batch=True)
    #: The :class:`HyperbandSettings` fields this class uses (others are rejected as unknown).
    settings_fields: ClassVar[tuple[str, ...]] = ("max_budget", "min_budget", "eta", "resume", "n_iterations")
    #: Defaults that differ from :class:`HyperbandSettings`'s.
    settings_defaults: ClassVar[dict[str, Any]] = {}

    def __init__(
        self,
        space: Space,
        seed: int | None = 0,
        fidelity: Fidelity | None = None,
        *,
        settings: HyperbandSettings | None = None,
        source: ConfigSource | str | None = None,
        **options: Any,
    ):
        settings, options = split_settings(settings, options, self.settings_fields, self.settings_defaults)
        super().__init__(space, seed=seed, fidelity=fidelity, **options)
        #: The schedule options in force.
        self.settings = settings
        who = self.name or type(self).__name__
        self.max_budget, self.min_budget = resolve_budgets(fidelity, settings.max_budget, settings.min_budget, who)
        self.eta = settings.eta
        _check_eta(self.eta)
        self.resume = bool(settings.resume)
        n_iterations = settings.n_iterations
        if n_iterations is not None and int(n_iterations) < 1:
            raise ValueError(f"n_iterations must be >= 1 or None (forever), got {n_iterations!r}")
        self.n_iterations = None if n_iterations is None else int(n_iterations)
        #: Where each new bracket's configurations come from.
        self.source = make_source(source, self.default_source)
        self.source.bind(self.space, self.rng, seed)
        #: Outer-loop iteration of the bracket now running (0-based).
        self.iteration = 0
        #: How many brackets have been started.
        self.brackets_started = 0
        self._bracket: Bracket | None = None
        self._budgets: list[float] = []
        self._bracket_info: dict = {}
        self._rung = 0
        self._queue: deque[_Entry] = deque()
        self._to_draw = 0
        self._seen: set[str] = set()
        self._exhausted = False
        self._waiting: dict[int, _Entry] = {}
        self._results: list[tuple[float, int, _Entry]] = []
        self._done = False
        self._best: tuple[float, dict] | None = None
        self._best_max: tuple[float, dict] | None = None

    # ------------------------------------------------------------------ subclass interface
    def default_source(self) -> ConfigSource:
        """The source used when none is given (random draws from the prior)."""
        return RandomSource()

    def _next_bracket(self) -> tuple[Bracket, dict] | None:  # pragma: no cover - abstract
        """The next bracket to run and extra trial info, or None when finished.

        Implementations advance :attr:`iteration` when a new outer loop starts.
        """
        raise NotImplementedError

    def plan(self, iteration: int = 0) -> list[Bracket]:  # pragma: no cover - abstract
        """The brackets of outer-loop ``iteration`` (for ``hpobench plan`` and logs)."""
        raise NotImplementedError

    def describe_plan(self) -> str | None:
        """The brackets this optimizer will run, as a table (printed before a study runs it)."""
        unit = self.fidelity.unit if self.fidelity is not None else ""
        return format_plan(self.plan(), unit, label=self.name or type(self).__name__) + (
            "\n(one bracket; repeated with fresh configurations until the budget is used)"
        )

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
    def _draw_entry(self) -> _Entry:
        """The next configuration of rung 0 from :attr:`source`, distinct within the bracket
        while the space allows.

        A proposal that repeats a configuration already in the bracket is asked for again up to
        32 times; if that fails the space is taken to be exhausted and the remaining slots take
        the source's proposals as they come, so the schedule's sizes are kept.
        """
        budget = self._budgets[0]
        config = self.source.propose(budget)
        key = config_key(config)
        if not self._exhausted and key in self._seen:
            for _ in range(_DEDUPE_TRIES):
                config = self.source.propose(budget)
                key = config_key(config)
                if key not in self._seen:
                    break
            else:
                self._exhausted = True
        self._seen.add(key)
        entry = _Entry(config, self._bracket.rungs[0][0] - self._to_draw, key)
        self._to_draw -= 1
        return entry

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
        self._queue = deque()
        # Rung 0 is drawn lazily, one configuration per ask, so a model sees every earlier result.
        self._to_draw = self._bracket.rungs[0][0]
        self._seen = set()
        self._exhausted = False

    def _end_bracket(self) -> None:
        self._bracket = None
        self._queue.clear()
        self._to_draw = 0
        self._results = []

    # ---------------------------------------------------------------------------- ask/tell
    def _ask(self) -> Trial | None:
        if self._bracket is None and not self._waiting:
            self._start_bracket()
        if self._bracket is None or not (self._queue or self._to_draw):
            return None  # finished, or the rung waits for results
        entry = self._queue.popleft() if self._queue else self._draw_entry()
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
        self.source.observe(trial.config, trial.budget, float(result.loss) if ok else math.nan)
        entry = self._waiting.pop(trial.id, None)
        if entry is None:
            return  # not one of ours (cannot happen through ask); nothing to schedule
        entry.last_budget = trial.budget
        # Failed trials rank last (loss = inf) and are filtered out before promotion.
        self._results.append((float(result.loss) if ok else math.inf, entry.index, entry))
        if not self._waiting and not self._queue and not self._to_draw:
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


