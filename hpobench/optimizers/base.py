"""The ask/tell contract every optimizer meets.

An optimizer proposes :class:`Trial` objects with :meth:`Optimizer.ask` and learns their
:class:`~hpobench.benchmarks.Result` through :meth:`Optimizer.tell`. ``ask`` may be called
several times before the matching ``tell`` calls (parallel evaluation); it returns ``None`` when
it must wait for results (a Hyperband rung not yet complete) or when it has nothing more to
propose (:attr:`Optimizer.finished`).

A failed evaluation is told as a result whose :attr:`~hpobench.benchmarks.Result.status` is not
``"ok"`` (``"failed"`` for a non-finite loss, ``"crashed"`` for an exception, ``"timeout"``) and
whose loss is ``nan`` or ``inf``; optimizers must survive it.

Writing a new optimizer:

    >>> import numpy as np
    >>> from hpobench.optimizers.base import Optimizer, Trial, Capabilities
    >>> class MyRandom(Optimizer):
    ...     capabilities = Capabilities(conditional=True, dependent_bounds=True)
    ...     def _ask(self):
    ...         return self.space.sample(self.rng)
    >>> from hpobench.space import Space, Float
    >>> opt = MyRandom(Space([Float("x", 0, 1)]), seed=0)
    >>> trial = opt.ask(); trial.id
    0

Then run ``hpobench.testing.check_optimizer(MyRandom)``.
"""

from __future__ import annotations

from abc import ABC
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np

from ..benchmarks.base import Fidelity, Result
from ..space import Space


@dataclass(frozen=True)
class Trial:
    """One proposed evaluation.

    Attributes:
        id: unique within one optimizer, increasing in ask order.
        config: the configuration (a dict valid in the optimizer's space).
        budget: the fidelity to evaluate at; ``None`` means the benchmark's maximum.
        resume_from: for a configuration promoted from an earlier budget, that budget; a
            benchmark that can continue from a checkpoint then only trains the difference.
        info: optimizer bookkeeping (bracket, rung, ...), written to the log.
        resource_scale: the runner charges ``resource_scale`` times the budget spent (the
            paper's "random 2x" is charged half of R per evaluation).
    """

    id: int
    config: dict
    budget: float | None = None
    resume_from: float | None = None
    info: dict = field(default_factory=dict)
    resource_scale: float = 1.0

    def __post_init__(self):
        if not (self.resource_scale > 0):
            raise ValueError(f"trial {self.id}: resource_scale must be positive, got {self.resource_scale!r}")


@dataclass(frozen=True)
class Capabilities:
    """What an optimizer supports; ``compare`` skips pairs it cannot run, with a message.

    Attributes:
        conditional: takes spaces with conditional parameters.
        dependent_bounds: takes bounds that name another parameter.
        multi_fidelity: chooses budgets itself (otherwise every trial runs at the maximum).
        batch: several asks before tells give distinct, useful proposals.
        needs_fidelity: needs a benchmark with a fidelity (default: ``multi_fidelity``).
        owns_loop: the optimizer runs its own loop instead of ask/tell (a library whose
            scheduler only works inside its own event loop, e.g. Ray Tune's HyperBand): the
            runner calls :meth:`Optimizer.run_loop` with an
            :class:`~hpobench.runner.OwnedLoop`, and the optimizer reports every evaluation
            through it. Such a run is logged like any other; the conformance suite (ask/tell)
            does not apply to it.
        resumable: a partly written log can be continued (replayed through ask/tell). False
            for an optimizer that owns its loop: its partial logs are refused on resume.
    """

    conditional: bool = False
    dependent_bounds: bool = False
    multi_fidelity: bool = False
    batch: bool = True
    #: needs a benchmark with a fidelity (multi-fidelity methods have nothing to choose otherwise)
    needs_fidelity: bool | None = None
    owns_loop: bool = False
    resumable: bool = True

    def __post_init__(self):
        if self.needs_fidelity is None:  # by default a multi-fidelity method needs a budget axis
            object.__setattr__(self, "needs_fidelity", self.multi_fidelity)

    def as_dict(self) -> dict:
        return {
            "conditional": self.conditional,
            "dependent_bounds": self.dependent_bounds,
            "multi_fidelity": self.multi_fidelity,
            "batch": self.batch,
            "owns_loop": self.owns_loop,
            "resumable": self.resumable,
        }

    def why_not(self, space: Space, fidelity: Fidelity | None = None) -> str | None:
        """A sentence saying why this optimizer cannot run on ``space`` (and ``fidelity``), or
        None if it can. ``fidelity`` is the benchmark's (None: single-fidelity).

        >>> from hpobench.space import Space, Float
        >>> Capabilities(multi_fidelity=True).why_not(Space([Float("x", 0, 1)]), None)
        'needs a benchmark with a fidelity (a budget axis)'
        """
        if space.is_conditional and not self.conditional:
            return "does not support conditional parameters"
        if space.has_dependent_bounds and not self.dependent_bounds:
            return "does not support bounds that name another parameter"
        if self.needs_fidelity and fidelity is None:
            return "needs a benchmark with a fidelity (a budget axis)"
        return None


class Optimizer(ABC):
    """Base class: subclasses implement :meth:`_ask` (and usually :meth:`_tell`).

    Args:
        space: the search space.
        seed: seeds the optimizer's own ``numpy.random.Generator`` (:attr:`rng`); the same seed
            gives the same sequence of trials for the same told results, in any process.
        fidelity: the benchmark's fidelity (``None`` for single-fidelity benchmarks).
            Multi-fidelity optimizers read R and the minimum budget from it.
        **options: optimizer-specific settings; unknown ones raise ``TypeError`` in subclasses.
    """

    name: ClassVar[str] = ""
    capabilities: ClassVar[Capabilities] = Capabilities()

    def __init__(self, space: Space, seed: int | None = 0, fidelity: Fidelity | None = None, **options: Any):
        if options:
            raise TypeError(f"{type(self).__name__} got unknown options: {', '.join(sorted(options))}")
        self.space = space
        self.seed = seed
        self.fidelity = fidelity
        self.rng = np.random.default_rng(seed)
        self._next_id = 0
        #: How many evaluations the run's budget allows, when the runner can tell (None when it
        #: cannot, e.g. a budget in seconds). Set through :meth:`set_expected_trials` before the
        #: first ask; model-based optimizers size their initial design from it.
        self.expected_trials: int | None = None
        self.pending: dict[int, Trial] = {}
        #: Every told (trial, result) pair, in tell order.
        self.history: list[tuple[Trial, Result]] = []

    # ------------------------------------------------------------------------------ interface
    def ask(self) -> Trial | None:
        """Propose the next trial, or ``None`` (waiting for results, or finished)."""
        proposal = self._ask()
        if proposal is None:
            return None
        if isinstance(proposal, Trial):
            trial = proposal
            if trial.id != self._next_id:
                trial = replace(trial, id=self._next_id)
        else:
            trial = Trial(self._next_id, proposal)
        self._next_id += 1
        self.pending[trial.id] = trial
        return trial

    def tell(self, trial: Trial, result: Result) -> None:
        """Report the result of a trial returned by :meth:`ask`."""
        if trial.id not in self.pending:
            raise ValueError(f"trial {trial.id} was not asked or was already told")
        del self.pending[trial.id]
        self.history.append((trial, result))
        self._tell(trial, result)

    def run_loop(self, loop) -> None:
        """Run the whole optimization in the optimizer's own loop (only for
        ``capabilities.owns_loop``): evaluate with ``loop.evaluate`` wherever the loop runs, report
        each evaluation with ``loop.record``, stop once ``loop.done``. See
        :class:`~hpobench.runner.OwnedLoop`."""
        raise NotImplementedError(f"{type(self).__name__} is driven through ask/tell, not its own loop")

    def set_expected_trials(self, n: int | None) -> None:
        """Tell the optimizer how many evaluations its budget allows (None: unknown).

        The runner calls this before the first ask (and before replaying a log), so a resumed
        run makes the same decisions as the original.
        """
        if n is not None and (not isinstance(n, (int, np.integer)) or n < 1):
            raise ValueError(f"expected_trials must be a positive integer or None, got {n!r}")
        self.expected_trials = None if n is None else int(n)

    def describe_plan(self) -> str | None:
        """A human-readable plan of what this optimizer will run (Hyperband's brackets), printed
        by ``run`` and ``compare`` before they start; None (the default) when there is none."""
        return None

    @property
    def finished(self) -> bool:
        """True when the optimizer will propose nothing more (most never finish)."""
        return False

    # -------------------------------------------------------------------------- for subclasses
    def _ask(self) -> dict | Trial | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _tell(self, trial: Trial, result: Result) -> None:
        """Learn from a result; the default keeps only :attr:`history`."""

    def new_trial(
        self, config: dict, budget: float | None = None, resume_from: float | None = None, resource_scale: float = 1.0, **info
    ) -> Trial:
        """Build a trial with the next id (subclasses returning :class:`Trial` from ``_ask``);
        keyword ``info`` is the optimizer's bookkeeping, written to the log."""
        return Trial(self._next_id, config, budget, resume_from, dict(info), resource_scale)

    def observations(self, finite_only: bool = True) -> tuple[list[dict], np.ndarray]:
        """Told configurations and losses (failed ones dropped unless ``finite_only`` is False)."""
        configs, losses = [], []
        for t, r in self.history:
            if finite_only and not r.ok:
                continue
            configs.append(t.config)
            losses.append(float(r.loss))
        return configs, np.asarray(losses, dtype=float)
