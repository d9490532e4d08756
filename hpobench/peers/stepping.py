"""Stopping-type asynchronous schedulers (ASHA and relatives) as ask/tell: shared by the Syne
Tune and Ray Tune adapters.

Such a scheduler expects a trial to train on and report at every rung; it answers CONTINUE or
STOP. Here a trial runs rung by rung: the library's integer resource level ``s`` is budget
``s * fidelity.min`` (``max_t = round(R / r_min)``); a new trial is first evaluated up to the
first rung; each CONTINUE makes the next :meth:`ask` continue it to the next rung (``resume_from``
= the budget reached) until STOP or ``max_t``. Continuations are served before new trials, as a
scheduler with one free worker would.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from ..benchmarks.base import Result
from ..optimizers.base import Capabilities, Trial
from .base import PeerOptimizer, unit_levels
from .translate import decode

__all__ = ["SteppingPeer"]


class SteppingPeer(PeerOptimizer):
    """Base of the stopping-type schedulers; subclasses implement the five library hooks."""

    capabilities = Capabilities(conditional=True, dependent_bounds=True, multi_fidelity=True, batch=True)

    def __init__(self, space, seed=0, fidelity=None, eta: int = 3):
        eta, max_level = unit_levels(self.name, fidelity, eta)
        super().__init__(space, seed=seed, fidelity=fidelity)
        self.eta, self.max_level = eta, max_level
        self._ready: deque = deque()  # (handle, config, level reached), to continue
        self._open: dict[int, Any] = {}
        self._milestones: list[int] = []

    # --------------------------------------------------------------------- library hooks
    def _start(self) -> tuple[Any, dict] | None:  # pragma: no cover - abstract
        """A new library trial: ``(handle, the library's config)``, or None if none."""
        raise NotImplementedError

    def _report(self, handle: Any, loss: float, level: int) -> bool:  # pragma: no cover
        """Report a result at ``level``; True to continue the trial."""
        raise NotImplementedError

    def _complete(self, handle: Any, loss: float, level: int) -> None:  # pragma: no cover
        raise NotImplementedError

    def _stopped(self, handle: Any) -> None:  # pragma: no cover
        raise NotImplementedError

    def _failed(self, handle: Any) -> None:  # pragma: no cover
        raise NotImplementedError

    # ------------------------------------------------------------------------- ask / tell
    def _budget(self, level: int) -> float:
        return min(float(self.fidelity.max), level * float(self.fidelity.min))

    def _next_level(self, reached: int) -> int:
        return min(m for m in [*self._milestones, self.max_level] if m > reached)

    def _ask(self) -> Trial | None:
        if self._ready:
            handle, config, reached = self._ready.popleft()
        else:
            started = self._start()
            if started is None:
                return None
            handle, raw = started
            config, reached = decode(self.space, raw), 0
        level = self._next_level(reached)
        self._open[self._next_id] = handle
        resume = self._budget(reached) if reached else None
        return self.new_trial(config, budget=self._budget(level), resume_from=resume, level=level)

    def _tell(self, trial: Trial, result: Result) -> None:
        handle = self._open.pop(trial.id)
        if not result.ok:
            self._failed(handle)
            return
        level = int(trial.info["level"])
        loss = float(result.loss)
        keep = self._report(handle, loss, level)
        if level >= self.max_level:
            self._complete(handle, loss, level)
        elif keep:
            self._ready.append((handle, trial.config, level))
        else:
            self._stopped(handle)
