"""SMAC (early): SMAC whose runs train in steps and are stopped by learning-curve extrapolation
(Domhan, Springenberg, Hutter, IJCAI 2015), as the Hyperband paper's Section 4.1 ran it.

A composition, not a subclass: a single-fidelity optimizer (SMAC by default, built from the
registry and driven only through its public ``ask``/``tell``) proposes configurations; this
optimizer trains each one in ``n_points`` steps up to the maximum budget, every step a trial
that continues the previous one (``resume_from``), so the run is charged only what it trained.
After the steps that end the first ``k / (n_checks + 1)`` of the run (k = 1 .. n_checks, three
checks by default, as the paper evaluated the criterion three times per run) it applies
Domhan et al.'s conservative rule against the incumbent (the best loss a run reached at the
maximum budget):

* the curve is already at least as good as the incumbent: continue;
* otherwise the :class:`~hpobench.optimizers.learning_curves.LearningCurvePredictor` samples the
  curve's posterior; if ``P(final loss < incumbent) < threshold`` (0.05) the run stops and the
  base optimizer is told the posterior-mean predicted final loss (the last observed loss if the
  prediction is not finite); else the run continues.

A run that reaches the maximum budget tells the base optimizer its real final loss. Before any
run has finished there is no incumbent and nothing stops.

Trial ``info`` holds ``run`` (the base optimizer's proposal number), ``step`` and ``checkpoint``
(True on the steps after which the rule is evaluated). A decision is taken when a checkpoint
step is told, so the next trial asked carries it: its ``info["decisions"]`` lists the decisions
taken since the previous ask, each ``{"run", "step", "decision", "p_better", "predicted_final"}``
with ``decision`` one of ``"continue: better than incumbent"``, ``"continue"``, ``"stop"``
(sequentially that is the very next record: the run's next step, or the next run's first step
after a stop). Trial info is fixed when a trial is asked, so this reaches the log through every
executor. The log thus shows every run's ``resume_from`` chain and each stop decision.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..benchmarks.base import Fidelity, Result
from ..space import Space
from .base import Capabilities, Optimizer, Trial
from .hyperband.settings import resolve_budgets
from .learning_curves import LearningCurvePredictor

__all__ = ["SMACEarly"]


class _Run:
    """One configuration being trained in steps."""

    __slots__ = ("number", "base_trial", "losses", "next_step", "in_flight")

    def __init__(self, number: int, base_trial: Trial):
        self.number = number
        self.base_trial = base_trial
        self.losses: list[float] = []
        self.next_step = 0
        self.in_flight = False


class SMACEarly(Optimizer):
    """SMAC with learning-curve-based early stopping of its runs.

    Args:
        space: the search space.
        seed: seeds :attr:`rng` (the predictor's MCMC) and the base optimizer.
        fidelity: the benchmark's fidelity (required, or ``max_budget``): runs train along it.
        base: the single-fidelity optimizer that proposes configurations (``"smac"``).
        base_options: options for it (e.g. ``{"n_random_candidates": 500}``).
        n_points: budgets a run is trained in (27: a learning-curve point every R/27); the rule
            needs 3 points before a checkpoint, so with fewer than 5 nothing is ever stopped.
        n_checks: times the stopping rule is evaluated per run (3, as the paper).
        threshold: stop when P(final better than the incumbent) is below it (0.05).
        max_budget, min_budget: the budget range (default: the fidelity's).
        n_walkers, n_steps, burn_in: the predictor's MCMC settings
            (see :class:`~hpobench.optimizers.learning_curves.LearningCurvePredictor`).

    Example:
        >>> from hpobench.space import Space, Float
        >>> opt = SMACEarly(Space([Float("x", 0, 1)]), seed=0, fidelity=Fidelity("epochs", 1, 27))
        >>> t = opt.ask(); t.budget, t.resume_from, t.info["step"]
        (1.0, None, 0)
        >>> opt.tell(t, Result(0.5)); t2 = opt.ask(); t2.budget, t2.resume_from
        (2.0, 1.0)
    """

    name = "smac-early"
    capabilities = Capabilities(conditional=True, dependent_bounds=True, multi_fidelity=True, batch=True)

    def __init__(
        self,
        space: Space,
        seed: int | None = 0,
        fidelity: Fidelity | None = None,
        *,
        base: str = "smac",
        base_options: dict | None = None,
        n_points: int = 27,
        n_checks: int = 3,
        threshold: float = 0.05,
        max_budget: float | None = None,
        min_budget: float | None = None,
        n_walkers: int = 100,
        n_steps: int = 300,
        burn_in: int = 150,
        **options: Any,
    ):
        super().__init__(space, seed=seed, fidelity=fidelity, **options)
        from . import get_optimizer_class

        self.max_budget, self.min_budget = resolve_budgets(fidelity, max_budget, min_budget, self.name)
        cls = get_optimizer_class(base)
        if cls.capabilities.multi_fidelity:
            raise ValueError(f"smac-early: base {base!r} chooses budgets itself; it must be a single-fidelity optimizer")
        #: The optimizer proposing configurations (told final or predicted final losses).
        self.base = cls(space, seed=seed, **dict(base_options or {}))
        if int(n_points) < 2 or int(n_checks) < 1 or not 0 < threshold < 1:
            raise ValueError(f"need n_points >= 2, n_checks >= 1 and 0 < threshold < 1, got {n_points!r}, {n_checks!r}, {threshold!r}")
        #: The budgets every run trains through, ending at max_budget.
        self.budgets = sorted({max(self.min_budget, self.max_budget * j / int(n_points)) for j in range(1, int(n_points) + 1)})
        n = len(self.budgets)
        checks = {int(round(n * k / (int(n_checks) + 1))) - 1 for k in range(1, int(n_checks) + 1)}
        #: Step indices after which the rule is evaluated (at least 3 curve points, before the end).
        self.checkpoints = sorted(c for c in checks if 2 <= c < n - 1)
        self.threshold = float(threshold)
        self.predictor = LearningCurvePredictor(n_walkers=n_walkers, n_steps=n_steps, burn_in=burn_in)
        self.runs: list[_Run] = []
        self._active: list[_Run] = []
        self._by_trial: dict[int, _Run] = {}
        #: Best loss a run reached at max_budget (None before one finished).
        self.incumbent_loss: float | None = None
        #: How many runs were stopped early and how many ran to the end.
        self.n_stopped = self.n_completed = 0
        self._decisions: list[dict] = []  # taken since the last ask; the next trial carries them

    # --------------------------------------------------------------------------- ask/tell
    def _ask(self) -> Trial | None:
        run = next((r for r in self._active if not r.in_flight), None)
        if run is None:
            base_trial = self.base.ask()
            if base_trial is None:
                return None
            run = _Run(len(self.runs), base_trial)
            self.runs.append(run)
            self._active.append(run)
        j = run.next_step
        info = {"run": run.number, "step": j, "checkpoint": j in self.checkpoints}
        if self._decisions:
            info["decisions"], self._decisions = self._decisions, []
        trial = self.new_trial(run.base_trial.config, self.budgets[j], self.budgets[j - 1] if j > 0 else None, **info)
        run.in_flight = True
        self._by_trial[trial.id] = run
        return trial

    def _tell(self, trial: Trial, result: Result) -> None:
        run = self._by_trial.pop(trial.id, None)
        if run is None:
            return
        run.in_flight = False
        if not result.ok:  # a failed step fails the run
            self._end(run, Result(math.nan, cost=result.cost))
            return
        loss = float(result.loss)
        run.losses.append(loss)
        run.next_step += 1
        if run.next_step == len(self.budgets):
            self.n_completed += 1
            if self.incumbent_loss is None or loss < self.incumbent_loss:
                self.incumbent_loss = loss
            self._end(run, Result(loss, cost=result.cost))
            return
        if trial.info.get("checkpoint") and self.incumbent_loss is not None:
            decision = self.decide(run.losses)
            self._decisions.append({"run": run.number, "step": trial.info["step"], **decision})
            if decision["decision"] == "stop":
                self.n_stopped += 1
                self._end(run, Result(decision["predicted_final"], cost=result.cost))

    def _end(self, run: _Run, told: Result) -> None:
        self._active.remove(run)
        self.base.tell(run.base_trial, told)

    # ----------------------------------------------------------------------------- the rule
    def decide(self, losses: list[float]) -> dict:
        """The conservative rule on a partial curve (losses at the first budgets of a run).

        Returns:
            ``{"decision": ..., "p_better": ..., "predicted_final": ...}``; ``decision`` is
            ``"continue: better than incumbent"``, ``"continue"`` or ``"stop"``.
        """
        if self.incumbent_loss is None or losses[-1] <= self.incumbent_loss:
            return {"decision": "continue: better than incumbent", "p_better": None, "predicted_final": None}
        x = np.array(self.budgets[: len(losses)]) / self.min_budget
        try:
            pred = self.predictor.fit(x, losses, self.max_budget / self.min_budget, self.rng)
        except ValueError:  # no family fits: keep training (the conservative choice)
            return {"decision": "continue", "p_better": None, "predicted_final": None}
        p = pred.prob_better(self.incumbent_loss)
        final = pred.mean_final_loss()
        if not math.isfinite(final):
            final = float(losses[-1])
        return {"decision": "stop" if p < self.threshold else "continue", "p_better": p, "predicted_final": final}

    def describe_plan(self) -> str | None:
        budgets = " ".join(f"{b:g}" for b in self.budgets)
        checks = ", ".join(f"{self.budgets[c]:g}" for c in self.checkpoints) or "none (too few points)"
        return (
            f"{self.name}: every run trains through budgets {budgets};\n"
            f"stop rule (P(final < incumbent) < {self.threshold:g}) after budgets {checks}"
        )
