"""One run: one optimizer on one benchmark under a budget, logged evaluation by evaluation.

Budgets (:func:`parse_budget`):

* ``"50"`` — 50 evaluations;
* ``"10R"`` — resource worth 10 times the benchmark's maximum budget R. Every evaluation is
  charged the budget it ran at (R for single-fidelity optimizers), or only ``budget -
  resume_from`` when the optimizer continues a configuration and the benchmark can continue
  from a checkpoint. On a benchmark without a fidelity, R is one evaluation;
* ``"300s"`` — wall-clock seconds, or simulated seconds on a benchmark whose cost is a model
  (``Benchmark.simulated_cost``: synthetic functions, surrogates).

A run stops asking once the budget is used up by the evaluations told and those in flight, so
the last evaluation may overshoot a resource or time budget by one evaluation (its exact charge
is logged). :class:`RunDriver` keeps up to K evaluations in flight and tells results in a
deterministic order; :mod:`hpobench.executors` runs them (here, in worker processes, on Dask).

An exception raised by the objective (``SystemExit`` included) is a trial with status
``"crashed"``; a non-finite or non-numeric loss is ``"failed"``. Either is logged with its error
and told to the optimizer as a ``nan`` loss; the run goes on.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .benchmarks.base import Benchmark, Result
from .evaluation import charge
from .optimizers.base import Optimizer, Trial
from .storage import LogError, RunLog, check_resumable, read_manifest


class BudgetError(ValueError):
    """A budget string that cannot be parsed."""


@dataclass(frozen=True)
class Budget:
    """A parsed budget: ``kind`` is ``"evaluations"``, ``"resource"`` (multiples of R) or ``"seconds"``."""

    kind: str
    amount: float
    text: str

    def __str__(self) -> str:
        return self.text


_BUDGET_RE = re.compile(r"^\s*(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*([rRsS]?)\s*$")


def parse_budget(text: str | int | float | Budget) -> Budget:
    """Parse ``"50"``, ``"10R"`` or ``"300s"``.

    >>> parse_budget("10R")
    Budget(kind='resource', amount=10.0, text='10R')
    >>> parse_budget("1e3").text
    '1000'

    """
    if isinstance(text, Budget):
        return text
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        text = str(text)
    m = _BUDGET_RE.match(str(text))
    if not m:
        raise BudgetError(f"budget {text!r} is not understood; use a number of evaluations (50), multiples of R (10R) or seconds (300s)")
    amount, unit = float(m.group(1)), m.group(2).lower()
    if amount <= 0:
        raise BudgetError(f"budget {text!r} must be positive")
    if unit == "":
        if amount != int(amount):
            raise BudgetError(f"budget {text!r}: a number of evaluations must be a whole number")
        return Budget("evaluations", amount, f"{int(amount)}")
    kind = "resource" if unit == "r" else "seconds"
    number = m.group(1) if "e" not in m.group(1).lower() else f"{amount:g}"
    return Budget(kind, amount, f"{number}{'R' if unit == 'r' else 's'}")


@dataclass
class RunResult:
    """What :func:`run` returns: every record (as written to the log) and where the log is."""

    records: list[dict]
    log_path: Path | None = None
    replayed: int = 0
    settings: dict = field(default_factory=dict)

    @property
    def best_loss(self) -> float:
        losses = [r["loss"] for r in self.records if r["status"] == "ok"]
        return min(losses) if losses else math.nan


def _result_from_record(rec: dict) -> Result:
    loss = rec.get("loss")
    if loss is None:
        loss = float(rec.get("nonfinite") or "nan")
    return Result(
        loss=float(loss),
        cost=float(rec.get("cost") or 0.0),
        test_loss=rec.get("test_loss"),
        info=rec.get("result_info") or {},
        status=rec.get("status") or "",
    )


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return a == b or (a is not None and b is not None and math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=0.0))
        except (TypeError, ValueError):
            return False
    return a == b


def _check_replayed(trial: Trial, rec: dict, path) -> None:
    """A logged record must be what the optimizer proposes again at the same point."""
    ok = trial.id == rec.get("trial")
    ok = ok and set(trial.config) == set(rec.get("config", {}))
    ok = ok and all(_same(trial.config[k], rec["config"][k]) for k in trial.config)
    ok = ok and _same(trial.budget, rec.get("budget_asked"))
    if not ok:
        raise LogError(
            f"{path}: trial {rec.get('trial')} does not replay (the optimizer now proposes {(trial.id, trial.config, trial.budget)}); "
            "the log was written by different code or settings; start it in another output directory"
        )


@dataclass
class _InFlight:
    """A trial that was asked and not yet told."""

    trial: Trial
    charged: float
    ask_time: float
    start: float  # on the run's clock
    slot: int = 0  # simulated worker
    done: tuple | None = None  # (record, result, worker, wall) once finished


class RunDriver:
    """Drives one run: asks while there is room, submits to an executor, tells results in a
    deterministic order, and logs each told evaluation.

    Determinism with several evaluations in flight: on the wall clock, results are told in ask
    order (a finished trial waits for every earlier one), so the sequence of asks and tells
    never depends on timing; on the simulated clock, in order of simulated end time (ties by
    trial id). With one evaluation in flight both are the sequential loop.

    Resuming replays the log through this same loop: a logged trial completes at once with its
    logged result (and must be what the optimizer proposes again), so a run that had several
    evaluations in flight reaches the same state; trials that were in flight when the run died
    are asked again, get the same configurations, and run.

    Args:
        benchmark: the objective (a local copy; the executor may evaluate elsewhere).
        optimizer: a fresh optimizer.
        budget: the run's budget.
        seed: passed to every evaluation.
        parallel: evaluations in flight at once (K).
        simulated: use the simulated clock (an evaluation takes its reported cost in seconds).
        replay: records of an earlier, interrupted run of the same settings.
        log: where new records go (None: memory only).
        on_record: called with each new record.
        path: names the log in error messages.
    """

    def __init__(
        self,
        benchmark: Benchmark,
        optimizer: Optimizer,
        budget: Budget,
        seed: int,
        parallel: int = 1,
        simulated: bool = False,
        replay: list[dict] = (),
        log: RunLog | None = None,
        on_record: Callable[[dict], None] | None = None,
        path=None,
    ):
        if parallel < 1:
            raise ValueError(f"parallel evaluations must be >= 1, got {parallel}")
        self.benchmark, self.optimizer, self.budget, self.seed = benchmark, optimizer, budget, seed
        self.K, self.simulated = int(parallel), bool(simulated)
        self.R = float(benchmark.max_budget) if benchmark.max_budget is not None else 1.0
        self.replay = {int(r["trial"]): r for r in replay}
        self.replay_left = len(self.replay)
        self.log, self.on_record, self.path = log, on_record, path
        self.records: list[dict] = []
        self.inflight: dict[int, _InFlight] = {}
        self.resource = 0.0
        self.elapsed0 = max((float(r.get("elapsed") or 0.0) for r in replay), default=0.0) if not simulated else 0.0
        self.sim_now = 0.0
        self.slot_free = [0.0] * self.K
        self.t_start = time.perf_counter()
        self.waiting = False  # the optimizer returned None: wait for a result before asking again
        self.stopped = False  # the optimizer returned None with nothing in flight: it is finished

    # ------------------------------------------------------------------------------- clock
    def now(self) -> float:
        """The run's clock: simulated seconds, or wall seconds since the run first started."""
        return self.sim_now if self.simulated else self.elapsed0 + (time.perf_counter() - self.t_start)

    def committed(self) -> bool:
        """Whether told and in-flight evaluations already use the whole budget."""
        b = self.budget
        if b.kind == "evaluations":
            return len(self.records) + len(self.inflight) >= b.amount
        if b.kind == "resource":
            pending = sum(f.charged for f in self.inflight.values())
            return self.resource + pending >= b.amount * self.R - 1e-9
        return self.now() >= b.amount

    @property
    def finished(self) -> bool:
        return not self.inflight and (self.stopped or self.committed())

    # --------------------------------------------------------------------------------- ask
    def ask(self, submit: Callable[[Trial], None] | None) -> int:
        """Ask while there is room; submit each new trial (a logged one completes from the log
        instead). Returns how many were asked. With ``submit=None`` only logged trials may be
        asked (a dry replay); asking stops at the first trial that is not in the log."""
        asked = 0
        while len(self.inflight) < self.K and not self.stopped and not self.committed():
            if submit is None and not self.replay_left:
                break
            t0 = time.perf_counter()
            trial = self.optimizer.ask()
            t_ask = time.perf_counter() - t0
            if trial is None:
                self.waiting = bool(self.inflight)
                self.stopped = not self.inflight  # a sequential run cannot wait: finished
                break
            self.waiting = False
            slot = min(range(self.K), key=lambda i: (self.slot_free[i], i)) if self.simulated else 0
            if self.simulated:
                self.slot_free[slot] = math.inf
            flight = _InFlight(trial, charge(self.benchmark, trial)[1], t_ask, self.now(), slot)
            self.inflight[trial.id] = flight
            asked += 1
            rec = self.replay.get(trial.id)
            if rec is not None:
                _check_replayed(trial, rec, self.path)
                self.replay_left -= 1
                flight.done = (rec, _result_from_record(rec), None, 0.0)
            elif submit is None:
                raise LogError(f"{self.path}: trial {trial.id} is not in the log")  # pragma: no cover - guarded above
            else:
                submit(trial)
        return asked

    def complete(self, trial_id: int, record: dict, result: Result, worker: str, wall: float) -> None:
        """An executor finished ``trial_id``."""
        self.inflight[trial_id].done = (record, result, worker, wall)

    # -------------------------------------------------------------------------------- tell
    def tell_ready(self) -> int:
        """Tell every result the ordering rule allows now; log the new ones. Returns how many."""
        told = 0
        while self.inflight:
            if self.simulated:
                if any(f.done is None for f in self.inflight.values()):
                    break  # the next to end cannot be known before every cost is
                tid = min(self.inflight, key=lambda i: (self.inflight[i].start + self._cost(self.inflight[i]), i))
            else:
                tid = min(self.inflight)
                if self.inflight[tid].done is None:
                    break
            self._tell(self.inflight.pop(tid))
            told += 1
            if self.simulated:
                break  # the clock moved: new asks may start before the next end
        return told

    @staticmethod
    def _cost(flight: _InFlight) -> float:
        cost = flight.done[1].cost
        return float(cost) if cost is not None and math.isfinite(float(cost)) and float(cost) > 0 else 0.0

    def _tell(self, flight: _InFlight) -> None:
        record, result, worker, wall = flight.done
        replayed = worker is None
        if self.simulated:
            end = flight.start + self._cost(flight)
            self.sim_now = max(self.sim_now, end)
            self.slot_free[flight.slot] = self.sim_now
        t1 = time.perf_counter()
        self.optimizer.tell(flight.trial, result)
        t_tell = time.perf_counter() - t1
        if replayed:
            self.resource = float(record["resource"])
            self.records.append(record)
            return
        rec = self._account(record, flight.ask_time + t_tell)
        if self.K > 1 or self.simulated:
            rec["start"] = flight.start
            rec["end"] = rec["elapsed"]
            rec["worker"] = f"sim-{flight.slot}" if self.simulated else worker
        self._keep(rec)

    def _account(self, record: dict, optimizer_time: float) -> dict:
        """``record`` with the run's cumulative fields (resource, clock, optimizer time)."""
        self.resource += record["charged"]
        rec = dict(record)
        rec["resource"] = self.resource
        rec["resource_R"] = self.resource / self.R
        rec["elapsed"] = self.now()
        rec["optimizer_time"] = optimizer_time
        return rec

    def _keep(self, rec: dict) -> None:
        self.records.append(rec)
        if self.log is not None:
            self.log.append(rec)
        if self.on_record is not None:
            self.on_record(rec)

    # --------------------------------------------------------------------------------- loop
    def drive_dry(self) -> None:
        """Replay the log without evaluating anything (raises :class:`LogError` at the first
        logged trial the optimizer does not propose again)."""
        while self.ask(None) + self.tell_ready():
            pass

    def drive_owned(self, spec=None) -> None:
        """Hand the run to an optimizer that owns its loop (``capabilities.owns_loop``); it
        reports every evaluation through an :class:`OwnedLoop`, which logs it here.

        Args:
            spec: how the loop's worker processes build the benchmark (default: a copy of
                :attr:`benchmark`).
        """
        if self.replay:
            raise LogError(
                f"{self.path}: {self.optimizer.name} runs its own loop and cannot continue a partly written log; "
                "delete that log (and its manifest) to rerun the run from the start"
            )
        if self.K != 1:
            raise ValueError(f"{self.optimizer.name} runs its own loop, one evaluation at a time; parallel evaluations (K={self.K}) are not supported")
        if spec is None:
            from .executors import BenchmarkSpec

            spec = BenchmarkSpec(self.benchmark.name, self.benchmark.worker_options(), factory=_Rebuild(self.benchmark))
        self.optimizer.run_loop(OwnedLoop(self, spec))

    def drive(self, executor) -> None:
        """Run to the end of the budget with ``executor`` (see :mod:`hpobench.executors`)."""
        key = lambda trial: (self, trial.id)  # noqa: E731 - executors return the key they got
        submit = lambda trial: executor.submit(key(trial), trial, self.seed)  # noqa: E731
        while True:
            self.ask(submit)
            if self.tell_ready():
                continue
            if not self.inflight:
                break
            for c in executor.wait():
                self.complete(c.key[1], c.record, c.result, c.worker, c.wall)


@dataclass(frozen=True)
class Evaluator:
    """Evaluates a trial on its own copy of the benchmark (built from ``spec`` once per
    process), with the run's ``seed``: ``(record, result, where, wall seconds)``, the record
    being what :meth:`OwnedLoop.record` logs. Picklable, so a loop's worker processes get it."""

    spec: object
    seed: int

    def __call__(self, trial: Trial) -> tuple[dict, Result, str, float]:
        from .executors import remote_evaluate

        return remote_evaluate(self.spec, trial, self.seed)


class OwnedLoop:
    """What an optimizer that owns its loop gets from the runner (:meth:`Optimizer.run_loop`).

    The optimizer evaluates trials wherever its loop runs them, with :attr:`evaluate` (an
    :class:`Evaluator`: picklable, it builds the benchmark from :attr:`spec` in the process that
    calls it), and reports each
    evaluation, in the order its loop sees them, with :meth:`record`; the runner logs it exactly
    as it logs an ask/tell evaluation. :attr:`done` turns True once the run's budget is used;
    the loop must then stop (a result reported after that is dropped, like an evaluation in
    flight when a run is killed).

    Attributes:
        spec: a :class:`~hpobench.executors.BenchmarkSpec` for the benchmark.
        seed: the run's seed, passed to every evaluation.
    """

    def __init__(self, driver: RunDriver, spec):
        self._driver = driver
        self.spec = spec
        self.seed = driver.seed
        #: the run's budget and the benchmark's R (to size the loop; :attr:`done` decides the end)
        self.budget, self.R = driver.budget, driver.R
        #: evaluates a trial in the calling process (a picklable callable, for the loop's workers)
        self.evaluate = Evaluator(spec, driver.seed)

    @property
    def done(self) -> bool:
        """True once the evaluations logged use the whole budget."""
        return self._driver.committed()

    def record(self, trial: Trial, record: dict, result: Result, worker: str, optimizer_time: float) -> dict | None:
        """Log one evaluation of ``trial`` (a trial the optimizer built with ``new_trial``,
        with the id the log should show) made by :attr:`evaluate`. ``optimizer_time`` is the
        loop's own time for it (everything but the evaluation). Returns the logged record, or
        None when the budget was already used (nothing is logged)."""
        if self.done:
            return None
        driver = self._driver
        driver.optimizer.history.append((trial, result))
        if driver.simulated:  # one evaluation at a time: the simulated clock moves by its cost
            cost = float(result.cost) if result.cost is not None and math.isfinite(float(result.cost)) else 0.0
            driver.sim_now += max(0.0, cost)
        rec = driver._account({**record, "trial": trial.id, "info": {**record.get("info", {}), **trial.info}}, optimizer_time)
        rec["worker"] = worker
        driver._keep(rec)
        return rec


def clock_is_simulated(benchmark: Benchmark) -> bool:
    """Whether runs on ``benchmark`` use the simulated clock (its cost is a model, not time)."""
    return bool(getattr(benchmark, "simulated_cost", False))


def run(
    benchmark: Benchmark,
    optimizer: Optimizer,
    budget: str | Budget,
    seed: int = 0,
    log_path: str | Path | None = None,
    resume: bool = False,
    settings: dict | None = None,
    on_record: Callable[[dict], None] | None = None,
    parallel_evals: int = 1,
    executor=None,
    eval_timeout: float | None = None,
) -> RunResult:
    """Run ``optimizer`` on ``benchmark`` until ``budget`` is used up.

    Args:
        benchmark: the objective.
        optimizer: a fresh optimizer (or one whose state matches the log being resumed).
        budget: ``"50"``, ``"10R"`` or ``"300s"`` (see :func:`parse_budget`).
        seed: passed to every ``benchmark.evaluate`` (seeds noise, weight init, data order).
        log_path: JSON Lines log to write (None: keep records in memory only).
        resume: replay an existing log through ask/tell, then continue it.
        settings: the manifest's settings (benchmark, optimizer, options, seed, budget).
        on_record: called with each new record (progress bars).
        parallel_evals: evaluations in flight at once (K). On a benchmark whose cost is a
            model (``simulated_cost``: synthetic functions, surrogates) the K workers are
            simulated: each evaluation takes its reported cost in simulated seconds. Otherwise
            K local worker processes evaluate (each with its own copy of the benchmark).
        executor: where evaluations run (see :mod:`hpobench.executors`); None chooses as above.
        eval_timeout: seconds after which an evaluation is recorded as ``timeout`` and its
            worker process replaced (evaluations then run in a worker process even for K = 1).

    Returns:
        A :class:`RunResult` with all records, replayed ones included.

    Example:
        >>> from hpobench import get_benchmark, get_optimizer
        >>> b = get_benchmark("branin")
        >>> res = run(b, get_optimizer("random", b.space, seed=0), "5", seed=0)
        >>> len(res.records)
        5
    """
    budget = parse_budget(budget)
    simulated = clock_is_simulated(benchmark)
    settings = run_settings(benchmark, optimizer, budget, seed, settings, parallel_evals, simulated)
    R = float(benchmark.max_budget) if benchmark.max_budget is not None else 1.0
    optimizer.set_expected_trials(expected_trials(budget, benchmark, optimizer))
    old: list[dict] = []
    log = None
    own_executor = executor is None
    try:
        if log_path is not None:
            old = check_resumable(log_path, settings, resume)
            if old and budget_used(budget, old, R):
                # A finished log: nothing to run, so no optimizer work to redo just to summarize it.
                return RunResult(old, Path(log_path), len(old), settings)
            log = RunLog(log_path, settings)
        driver = RunDriver(benchmark, optimizer, budget, seed, parallel_evals, simulated, old, log, on_record, log_path)
        if optimizer.capabilities.owns_loop:
            driver.drive_owned(getattr(executor, "spec", None))
        else:
            if executor is None:
                executor = default_executor(benchmark, parallel_evals, simulated, eval_timeout)
            driver.drive(executor)
    finally:
        if own_executor and executor is not None:
            executor.close()
        if log is not None:
            log.close()
        benchmark.close()
    return RunResult(driver.records, Path(log_path) if log_path is not None else None, len(old), settings)


def run_settings(benchmark: Benchmark, optimizer: Optimizer, budget: Budget, seed: int, settings: dict | None, parallel_evals: int, simulated: bool) -> dict:
    """The manifest of a run: the caller's settings completed with what the run decides."""
    settings = dict(settings or {})
    settings.setdefault("benchmark", benchmark.name)
    settings.setdefault("optimizer", optimizer.name or type(optimizer).__name__)
    settings.setdefault("seed", seed)
    settings.setdefault("budget", budget.text)
    settings.setdefault("benchmark_options", {})
    settings.setdefault("optimizer_options", {})
    settings["max_budget"] = benchmark.max_budget
    settings["optimum"] = benchmark.optimum
    settings["clock"] = "simulated" if simulated else "wall"
    if parallel_evals != 1:  # absent for sequential runs, so their manifests stay as they were
        settings["parallel_evals"] = int(parallel_evals)
    return settings


def default_executor(benchmark: Benchmark, parallel_evals: int, simulated: bool, eval_timeout: float | None, spec=None):
    """In this process for sequential or simulated runs; local worker processes for K > 1 real
    evaluations or when evaluations need a time limit."""
    from .executors import BenchmarkSpec, InlineExecutor, ProcessExecutor

    if (simulated or parallel_evals == 1) and eval_timeout is None:
        return InlineExecutor(benchmark)
    if spec is None:
        spec = BenchmarkSpec(benchmark.name, benchmark.worker_options(), factory=_Rebuild(benchmark))
    return ProcessExecutor(spec, 1 if simulated else parallel_evals, eval_timeout, benchmark=benchmark)


class _Rebuild:
    """A picklable factory that hands a worker a copy of a benchmark object (for runs started
    from Python with an object rather than a registered name)."""

    def __init__(self, benchmark: Benchmark):
        self.benchmark = benchmark

    def __call__(self, **options) -> Benchmark:
        return self.benchmark

def budget_used(budget: Budget, records: list[dict], R: float, extra_seconds: float = 0.0) -> bool:
    """Whether ``records`` (a run's log, in order) have used up ``budget``; ``R`` is the
    benchmark's maximum budget (1 without a fidelity), ``extra_seconds`` the time spent since
    the last record (a budget in seconds counts it)."""
    if budget.kind == "evaluations":
        return len(records) >= budget.amount
    if budget.kind == "resource":
        return bool(records) and float(records[-1]["resource"]) >= budget.amount * R - 1e-9
    elapsed = float(records[-1]["elapsed"]) if records else 0.0
    return elapsed + extra_seconds >= budget.amount


def verify_replay(benchmark: Benchmark, optimizer: Optimizer, budget: str | Budget, records: list[dict], path) -> None:
    """Check, without writing anything, that ``records`` replay through ``optimizer`` (a fresh
    one built as the run would build it); raise :class:`LogError` naming the first trial that
    does not. A finished log needs no replay and is accepted as it is."""
    budget = parse_budget(budget)
    R = float(benchmark.max_budget) if benchmark.max_budget is not None else 1.0
    if not records or budget_used(budget, records, R):
        return
    if not optimizer.capabilities.resumable:
        raise LogError(
            f"{path}: {optimizer.name} cannot continue a partly written log (it does not replay through ask/tell); "
            "delete that log (and its manifest) to rerun the run from the start"
        )
    optimizer.set_expected_trials(expected_trials(budget, benchmark, optimizer))
    manifest = read_manifest(path) or {}
    RunDriver(
        benchmark, optimizer, budget, 0, int(manifest.get("parallel_evals") or 1), manifest.get("clock") == "simulated", records, path=path
    ).drive_dry()


def expected_trials(budget: Budget, benchmark: Benchmark, optimizer: Optimizer) -> int | None:
    """How many evaluations ``budget`` allows, where the runner can tell before the run.

    A budget in evaluations is that number. A budget in multiples of R gives one evaluation per
    R to an optimizer that runs every trial at R (single-fidelity). Budgets in seconds, and
    multi-fidelity optimizers on a resource budget (they choose their own budgets), give None.
    """
    if budget.kind == "evaluations":
        return int(budget.amount)
    if budget.kind == "resource" and not (optimizer.capabilities.multi_fidelity and benchmark.fidelity is not None):
        return max(1, int(math.floor(budget.amount + 1e-9)))
    return None


