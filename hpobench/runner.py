"""The one loop: one optimizer on one benchmark under a budget, logged evaluation by evaluation.

Budgets (:func:`parse_budget`):

* ``"50"`` — 50 evaluations;
* ``"10R"`` — resource worth 10 times the benchmark's maximum budget R. Every evaluation is
  charged the budget it ran at (R for single-fidelity optimizers), or only ``budget -
  resume_from`` when the optimizer continues a configuration and the benchmark can continue
  from a checkpoint. On a benchmark without a fidelity, R is one evaluation;
* ``"300s"`` — wall-clock seconds.

A run stops before the next ask once the budget is used up, so the last evaluation may overshoot
a resource or time budget by one evaluation (its exact charge is logged).

An exception raised by the objective (``SystemExit`` included) is a trial with status
``"crashed"``; a non-finite or non-numeric loss is ``"failed"``. Either is logged with its error
and told to the optimizer as a ``nan`` loss; the run goes on.
"""

from __future__ import annotations

import math
import re
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .benchmarks.base import FAILURE_STATUSES, Benchmark, Result
from .optimizers.base import Optimizer, Trial
from .storage import LogError, RunLog, check_resumable


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


def _replay(optimizer: Optimizer, records: list[dict], path) -> None:
    """Feed logged results back through ask/tell so the optimizer reaches the state it had."""
    for rec in records:
        trial = optimizer.ask()
        ok = trial is not None and trial.id == rec.get("trial")
        ok = ok and set(trial.config) == set(rec.get("config", {}))
        ok = ok and all(_same(trial.config[k], rec["config"][k]) for k in trial.config)
        ok = ok and _same(trial.budget, rec.get("budget_asked"))
        if not ok:
            got = None if trial is None else (trial.id, trial.config, trial.budget)
            raise LogError(
                f"{path}: trial {rec.get('trial')} does not replay (the optimizer now proposes {got}); "
                "the log was written by different code or settings; choose another --out"
            )
        optimizer.tell(trial, _result_from_record(rec))


def run(
    benchmark: Benchmark,
    optimizer: Optimizer,
    budget: str | Budget,
    seed: int = 0,
    log_path: str | Path | None = None,
    resume: bool = False,
    settings: dict | None = None,
    on_record: Callable[[dict], None] | None = None,
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
    R = float(benchmark.max_budget) if benchmark.max_budget is not None else 1.0
    settings = dict(settings or {})
    settings.setdefault("benchmark", benchmark.name)
    settings.setdefault("optimizer", optimizer.name or type(optimizer).__name__)
    settings.setdefault("seed", seed)
    settings.setdefault("budget", budget.text)
    settings.setdefault("benchmark_options", {})
    settings.setdefault("optimizer_options", {})
    settings["max_budget"] = benchmark.max_budget
    settings["optimum"] = benchmark.optimum

    optimizer.set_expected_trials(expected_trials(budget, benchmark, optimizer))
    records: list[dict] = []
    log = None
    if log_path is not None:
        old = check_resumable(log_path, settings, resume)
        if old and budget_used(budget, old, R):
            # A finished log: nothing to run, so no optimizer work to redo just to summarize it.
            benchmark.close()
            return RunResult(old, Path(log_path), len(old), settings)
        _replay(optimizer, old, log_path)
        records.extend(old)
        log = RunLog(log_path, settings)
    replayed = len(records)
    start = time.perf_counter()

    def used_up() -> bool:
        return budget_used(budget, records, R, extra_seconds=time.perf_counter() - start)

    resource = float(records[-1]["resource"]) if records else 0.0
    elapsed0 = float(records[-1]["elapsed"]) if records else 0.0

    try:
        while not used_up():
            t0 = time.perf_counter()
            trial = optimizer.ask()
            t_ask = time.perf_counter() - t0
            if trial is None:
                break  # finished, or waiting with nothing in flight (a sequential run cannot wait)
            rec, result = _evaluate(benchmark, trial, seed)
            t1 = time.perf_counter()
            optimizer.tell(trial, result)
            t_tell = time.perf_counter() - t1
            resource += rec["charged"]
            rec["resource"] = resource
            rec["resource_R"] = resource / R
            rec["elapsed"] = elapsed0 + (time.perf_counter() - start)
            rec["optimizer_time"] = t_ask + t_tell
            records.append(rec)
            if log is not None:
                log.append(rec)
            if on_record is not None:
                on_record(rec)
    finally:
        if log is not None:
            log.close()
        benchmark.close()
    return RunResult(records, Path(log_path) if log_path is not None else None, replayed, settings)


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
    optimizer.set_expected_trials(expected_trials(budget, benchmark, optimizer))
    _replay(optimizer, records, path)


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


def charge(benchmark: Benchmark, trial: Trial) -> tuple[float | None, float]:
    """The budget a trial runs at and the resource it is charged, in the benchmark's units.

    Single-fidelity benchmarks charge one unit (R = 1) per evaluation. ``trial.resource_scale``
    scales the charge (``random-2x`` sets 0.5).
    """
    if benchmark.fidelity is None:
        run_budget, charged = None, 1.0
    else:
        run_budget = float(trial.budget) if trial.budget is not None else float(benchmark.fidelity.max)
        charged = run_budget
        if benchmark.can_continue and trial.resume_from is not None:
            charged = max(0.0, run_budget - float(trial.resume_from))
    return run_budget, charged * float(trial.resource_scale)


def _evaluate(benchmark: Benchmark, trial: Trial, seed: int) -> tuple[dict, Result]:
    run_budget, charged = charge(benchmark, trial)
    kwargs = {}
    if benchmark.can_continue and trial.resume_from is not None:
        kwargs["resume_from"] = float(trial.resume_from)
    error = None
    t0 = time.perf_counter()
    try:
        result = benchmark.evaluate(trial.config, budget=run_budget, seed=seed, **kwargs)
        if not isinstance(result, Result):
            raise TypeError(f"evaluate returned {type(result).__name__}, not Result")
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - a crashing objective (even sys.exit) is a failed trial, not a crashed study
        error = f"{type(exc).__name__}: {exc}"
        result = Result(loss=math.nan, cost=time.perf_counter() - t0, info={"traceback": traceback.format_exc(limit=3)}, status="crashed")
    eval_time = time.perf_counter() - t0
    loss = result.loss
    if isinstance(loss, (str, bytes, bool)):
        loss = math.nan  # a numeric string is not a loss
        error = error or f"loss {result.loss!r} is not a number"
    try:
        loss = float(loss)
    except (TypeError, ValueError):
        error = error or f"loss {loss!r} is not a number"
        loss = math.nan
    ok = math.isfinite(loss) and result.status in ("ok", "stopped")
    status = result.status if (ok or result.status in FAILURE_STATUSES) else "failed"
    if not ok and error is None:
        error = f"non-finite loss {loss}" if status == "failed" else status
    test_loss = result.test_loss
    if test_loss is not None:
        try:  # a test value the analysis cannot read is dropped, never a crash later
            test_loss = float(test_loss) if not isinstance(test_loss, (str, bytes, bool)) else None
        except (TypeError, ValueError):
            test_loss = None
        if test_loss is not None and not math.isfinite(test_loss):
            test_loss = None
    info = dict(trial.info)
    if trial.resource_scale != 1.0:
        info["resource_scale"] = trial.resource_scale  # the log's key since the first release
    rec = {
        "trial": trial.id,
        "config": trial.config,
        "budget": run_budget,
        "budget_asked": trial.budget,
        "resume_from": trial.resume_from,
        "charged": charged,
        "loss": loss if ok else None,
        "test_loss": test_loss,
        "cost": result.cost,
        "status": status,
        "error": error,
        "eval_time": eval_time,
        "info": info,
        "result_info": result.info,
    }
    if not ok:
        rec["nonfinite"] = str(loss)
    told = Result(loss=loss, cost=result.cost, test_loss=test_loss, info=result.info, status=status)
    return rec, told
