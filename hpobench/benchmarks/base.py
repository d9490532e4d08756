"""The objective interface: :class:`Benchmark`, :class:`Result`, :class:`Fidelity`.

Close to HPOBench's ``objective_function(configuration, fidelity) -> {function_value, cost,
info}`` on purpose; :meth:`Benchmark.objective_function` is that adapter.
"""

from __future__ import annotations

import json
import math
import zlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..space import Space


@dataclass(frozen=True)
class Fidelity:
    """The resource axis of a multi-fidelity benchmark: budgets lie in ``[min, max]``.

    ``max`` is the paper's R when ``min`` is one unit.
    """

    name: str
    min: float
    max: float
    unit: str = ""

    def __post_init__(self):
        if not (0 < self.min <= self.max):
            raise ValueError(f"fidelity {self.name!r}: need 0 < min <= max, got [{self.min}, {self.max}]")

    def __str__(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.name} in [{self.min:g}, {self.max:g}]{unit}"


#: What became of an evaluation. ``ok``: a finite loss. ``failed``: the objective returned a
#: non-finite or non-numeric loss. ``crashed``: the objective raised. ``timeout``: it ran past
#: the run's evaluation time limit. ``stopped``: the optimizer ended it early on purpose (the
#: loss is the last one measured). Only ``ok`` and ``stopped`` results carry a usable loss.
STATUSES = ("ok", "failed", "crashed", "timeout", "stopped")
FAILURE_STATUSES = ("failed", "crashed", "timeout")


def _finite(x: Any) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


@dataclass
class Result:
    """The outcome of one evaluation.

    Attributes:
        loss: validation objective to minimize; ``nan`` (or ``inf``) marks a failed evaluation.
        cost: what the evaluation cost: seconds for real training, the budget for synthetic ones.
        test_loss: the held-out objective, where the benchmark has one.
        info: anything else worth logging (JSON-serializable).
        status: one of :data:`STATUSES`; left empty, it is ``"ok"`` for a finite loss and
            ``"failed"`` otherwise. A failure status always comes with a ``nan`` loss or a
            non-finite one, so optimizers that only look at the loss stay correct.

    >>> Result(float("nan")).status, Result(1.0).ok, Result(float("nan"), status="crashed").ok
    ('failed', True, False)
    """

    loss: float
    cost: float = 0.0
    test_loss: float | None = None
    info: dict = field(default_factory=dict)
    status: str = ""

    def __post_init__(self):
        if not self.status:
            self.status = "ok" if _finite(self.loss) else "failed"
        elif self.status not in STATUSES:
            raise ValueError(f"result status {self.status!r} is not one of {', '.join(STATUSES)}")
        if self.status in FAILURE_STATUSES and _finite(self.loss):
            self.loss = math.nan  # a failure never carries a loss an optimizer could mistake for a value
        elif self.status in ("ok", "stopped") and not _finite(self.loss):
            self.status = "failed"

    @property
    def ok(self) -> bool:
        """Whether the result carries a usable, finite loss (status ``ok`` or ``stopped``)."""
        return self.status in ("ok", "stopped")


class UnavailableError(RuntimeError):
    """A benchmark cannot run on this machine: a package or data files are missing.

    The message is one line naming what to install, or which files are expected where.
    """


def config_key(config: dict) -> str:
    """A canonical string for a configuration (sorted keys), stable across processes."""
    return json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)


def stable_seed(*parts: Any) -> int:
    """Derive a 32-bit seed from numbers and strings, identical in every process.

    Python's ``hash()`` of strings is salted per process, so strings go through CRC-32 instead.
    """
    words = []
    for p in parts:
        if isinstance(p, (int, np.integer)):
            words.append(int(p) & 0xFFFFFFFF)
        elif isinstance(p, float):
            words.append(zlib.crc32(repr(p).encode()))
        else:
            words.append(zlib.crc32(str(p).encode()))
    return int(np.random.SeedSequence(words).generate_state(1)[0])


class Benchmark(ABC):
    """An objective to minimize over a :class:`~hpobench.space.Space`.

    Subclasses set :attr:`name`, :attr:`space`, :attr:`fidelity` (``None`` when single-fidelity)
    and :attr:`optimum` (the known best loss, or ``None``), and implement :meth:`_evaluate`.

    ``can_continue`` says that a configuration evaluated at budget ``r`` can later be continued
    to ``r' > r`` at the cost of ``r' - r`` (a checkpoint); Hyperband then charges only the
    difference.
    """

    name: str = "benchmark"
    kind: ClassVar[str] = "synthetic"  # synthetic | real | surrogate
    can_continue: ClassVar[bool] = False
    #: The constructor takes ``data_dir=`` (where user-provided data files are); a study passes
    #: its data directory only to benchmarks that say so.
    accepts_data_dir: ClassVar[bool] = False
    space: Space
    fidelity: Fidelity | None = None
    optimum: float | None = None

    @property
    def max_budget(self) -> float | None:
        """R: the budget a single-fidelity optimizer's evaluations run at (None if no fidelity)."""
        return None if self.fidelity is None else self.fidelity.max

    @property
    def data_source(self) -> str:
        """Where the benchmark's data comes from (for ``hpobench list``)."""
        return "closed-form function"

    @property
    def simulated_cost(self) -> bool:
        """Whether :attr:`Result.cost` is a known model of the evaluation's cost (simulated
        seconds) rather than time actually spent. Runs on such a benchmark use the simulated
        clock: with K evaluations in flight, each "takes" its cost, and a budget in seconds is
        simulated seconds."""
        return False

    def worker_options(self) -> dict:
        """Constructor options that make a worker process's copy of this benchmark share state
        with this one (e.g. a checkpoint directory, so a promoted configuration continues from
        a checkpoint another worker wrote). Empty by default."""
        return {}

    def data_available(self) -> bool:
        """Whether the data this benchmark needs is present on this machine."""
        return True

    def check_available(self) -> None:
        """Raise :class:`UnavailableError` if this benchmark cannot run on this machine.

        Call it before a study starts, so that a missing package or data file is one clear line
        up front rather than a failed trial in a log. Benchmarks that need packages or files
        override it to name what to install or which files are expected where; by default a
        benchmark is available when :meth:`data_available` says so.
        """
        if not self.data_available():
            raise UnavailableError(f"benchmark {self.name!r} cannot run here: its data is missing ({self.data_source})")

    def check_budget(self, budget: float | None) -> float | None:
        if self.fidelity is None:
            return None
        if budget is None:
            return self.fidelity.max
        budget = float(budget)
        lo, hi = self.fidelity.min, self.fidelity.max
        if not (lo - 1e-9 <= budget <= hi + 1e-9):
            raise ValueError(f"benchmark {self.name!r}: budget {budget:g} is outside [{lo:g}, {hi:g}]")
        return budget

    def evaluate(self, config: dict, budget: float | None = None, seed: int | None = None, **kwargs) -> Result:
        """Evaluate ``config`` at ``budget`` (the maximum when None).

        ``seed`` makes noisy or stochastic objectives reproducible. The config is validated first;
        an invalid one raises :class:`~hpobench.space.ConfigError`.
        """
        self.space.validate(config)
        return self._evaluate(config, self.check_budget(budget), seed, **kwargs)

    @abstractmethod
    def _evaluate(self, config: dict, budget: float | None, seed: int | None, **kwargs) -> Result:
        """Evaluate a validated configuration at a checked budget."""

    def objective_function(self, configuration: dict, fidelity: dict | None = None, rng: int | None = None) -> dict:
        """HPOBench-style adapter: ``{"function_value", "cost", "info"}``."""
        budget = None
        if fidelity and self.fidelity is not None:
            budget = fidelity.get(self.fidelity.name)
        r = self.evaluate(configuration, budget=budget, seed=rng)
        return {"function_value": r.loss, "cost": r.cost, "info": {"test_loss": r.test_loss, **r.info}}

    def close(self) -> None:
        """Release resources (checkpoint caches); called by the runner when a run ends."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}, {len(self.space)}-D>"
