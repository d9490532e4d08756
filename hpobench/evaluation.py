"""One evaluation, wherever it runs: its budget and charge, the objective call, the log record.

This is the part of a run that executes on a worker (in this process, a local worker process or
a Dask task); everything else — asking, telling, ordering, logging — stays with the run's
driver in :mod:`hpobench.runner`. :func:`evaluate_trial` never raises for a failing objective: an
exception (``SystemExit`` included) is a ``crashed`` trial, a non-finite or non-numeric loss a
``failed`` one.
"""

from __future__ import annotations

import math
import time
import traceback

from .benchmarks.base import FAILURE_STATUSES, Benchmark, Result
from .optimizers.base import Trial


def charge(benchmark: Benchmark, trial: Trial) -> tuple[float | None, float]:
    """The budget a trial runs at and the resource it is charged, in the benchmark's units.

    Single-fidelity benchmarks charge one unit (R = 1) per evaluation. A promoted trial
    (``resume_from``) on a benchmark that can continue is charged only the difference.
    ``trial.resource_scale`` scales the charge (``random-2x`` sets 0.5).
    """
    if benchmark.fidelity is None:
        run_budget, charged = None, 1.0
    else:
        run_budget = float(trial.budget) if trial.budget is not None else float(benchmark.fidelity.max)
        charged = run_budget
        if benchmark.can_continue and trial.resume_from is not None:
            charged = max(0.0, run_budget - float(trial.resume_from))
    return run_budget, charged * float(trial.resource_scale)


def _number_or_none(value) -> float | None:
    """A finite float, or None for anything the analysis could not read."""
    if value is None or isinstance(value, (str, bytes, bool)):
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def evaluate_trial(benchmark: Benchmark, trial: Trial, seed: int) -> tuple[dict, Result]:
    """Evaluate ``trial`` on ``benchmark``; return its log record (without the run's cumulative
    fields) and the result to tell the optimizer."""
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
    test_loss = _number_or_none(result.test_loss)  # a test value the analysis cannot read is dropped
    rec = make_record(trial, run_budget, charged, loss if ok else None, test_loss, result.cost, status, error, eval_time, result.info)
    if not ok:
        rec["nonfinite"] = str(loss)
    return rec, Result(loss=loss, cost=result.cost, test_loss=test_loss, info=result.info, status=status)


def make_record(trial: Trial, run_budget, charged, loss, test_loss, cost, status, error, eval_time, result_info) -> dict:
    """A log record's per-evaluation fields, in the log's key order (the runner adds the
    cumulative ones)."""
    info = dict(trial.info)
    if trial.resource_scale != 1.0:
        info["resource_scale"] = trial.resource_scale  # the log's key since the first release
    return {
        "trial": trial.id,
        "config": trial.config,
        "budget": run_budget,
        "budget_asked": trial.budget,
        "resume_from": trial.resume_from,
        "charged": charged,
        "loss": loss,
        "test_loss": test_loss,
        "cost": cost,
        "status": status,
        "error": error,
        "eval_time": eval_time,
        "info": info,
        "result_info": result_info,
    }


def lost_evaluation(benchmark: Benchmark, trial: Trial, status: str, error: str, seconds: float) -> tuple[dict, Result]:
    """The record and result of an evaluation that never reported back (``timeout``)."""
    run_budget, charged = charge(benchmark, trial)
    rec = make_record(trial, run_budget, charged, None, None, seconds, status, error, seconds, {})
    rec["nonfinite"] = "nan"
    return rec, Result(loss=math.nan, cost=seconds, status=status)
