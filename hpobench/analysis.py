"""From logs to numbers: incumbent traces, regret, aggregates over seeds, ranks, tests.

Conventions (Li et al., JMLR 2018, §4: the trace is the test error of the configuration with the
lowest validation error so far, averaged over trials):

* The **incumbent** at step t is the configuration with the smallest validation ``loss`` among
  the evaluations finished so far (optionally only those at the maximum budget).
* Its **test value** is the ``test_loss`` of that incumbent (the paper's "test error of the
  configuration with the best validation error so far"); for synthetic functions it is the
  noise-free value at the maximum fidelity.
* **Simple regret**, where the optimum is known, is the incumbent's test value minus the optimum
  (the noise-free value for noisy functions, the target fidelity for multi-fidelity ones).
* The x axis is the resource used in multiples of R (every method charged the same way, see
  :mod:`hpobench.runner`); on a benchmark without a fidelity R is one evaluation, so the axis
  counts evaluations as charged (``random-2x`` is charged half of each).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from .benchmarks.base import FAILURE_STATUSES
from .storage import iter_logs, read_manifest, read_records


def _stats():
    """``scipy.stats``, imported on first use: it takes about a second to import, and every
    command of the CLI imports this module, most of them without ranking anything."""
    from scipy import stats

    return stats


@dataclass
class Trace:
    """The incumbent trace of one run.

    Attributes:
        x_evals: evaluation count after each evaluation (1, 2, ...).
        x_resource: cumulative resource after each evaluation, in multiples of R.
        best_loss: incumbent validation loss after each evaluation (nan before the first success).
        incumbent_test: the incumbent's test loss (falls back to its loss if none).
        regret: ``incumbent_test - optimum`` (nan if the optimum is unknown).
        optimizer_time: seconds the optimizer spent in ask + tell, per evaluation.
    """

    x_evals: np.ndarray
    x_resource: np.ndarray
    best_loss: np.ndarray
    incumbent_test: np.ndarray
    regret: np.ndarray
    optimizer_time: np.ndarray
    elapsed: np.ndarray

    @property
    def final_loss(self) -> float:
        return float(self.best_loss[-1]) if len(self.best_loss) else math.nan

    @property
    def final_regret(self) -> float:
        return float(self.regret[-1]) if len(self.regret) else math.nan

    @property
    def final_value(self) -> float:
        """Final regret where the optimum is known, else final incumbent test value."""
        r = self.final_regret
        return r if not math.isnan(r) else (float(self.incumbent_test[-1]) if len(self.incumbent_test) else math.nan)


def incumbent_trace(records: list[dict], optimum: float | None = None, max_budget: float | None = None, at_max_only: bool = False) -> Trace:
    """Build the incumbent trace of one run's records (in log order).

    Only evaluations with a usable loss (status ``ok``, or ``stopped`` early by the optimizer)
    can become the incumbent; with ``at_max_only`` only
    those that ran at ``max_budget``."""
    n = len(records)
    best = np.full(n, np.nan)
    inc_test = np.full(n, np.nan)
    cur_loss, cur_test = math.inf, math.nan
    for i, rec in enumerate(records):
        loss = rec.get("loss")
        eligible = rec.get("status") in ("ok", "stopped") and loss is not None
        if eligible and at_max_only and max_budget is not None and rec.get("budget") is not None:
            eligible = float(rec["budget"]) >= float(max_budget) - 1e-9
        if eligible and float(loss) < cur_loss:
            cur_loss = float(loss)
            t = rec.get("test_loss")
            cur_test = float(t) if isinstance(t, (int, float)) and not isinstance(t, bool) else cur_loss
        if math.isfinite(cur_loss):
            best[i], inc_test[i] = cur_loss, cur_test
    regret = inc_test - optimum if optimum is not None else np.full(n, np.nan)
    return Trace(
        x_evals=np.arange(1, n + 1, dtype=float),
        x_resource=np.array([float(r["resource_R"]) if r.get("resource_R") is not None else float(i + 1) for i, r in enumerate(records)]),
        best_loss=best,
        incumbent_test=inc_test,
        regret=regret,
        optimizer_time=np.array([float(r.get("optimizer_time", 0.0)) for r in records]),
        elapsed=np.array([float(r.get("elapsed", 0.0)) for r in records]),
    )


def axis_values(trace: Trace, axis: str) -> np.ndarray:
    """The x values of ``trace`` on ``axis``: ``resource`` (multiples of R), ``evaluations`` or
    ``elapsed`` (seconds)."""
    try:
        return {"resource": trace.x_resource, "evaluations": trace.x_evals, "elapsed": trace.elapsed}[axis]
    except KeyError:
        raise ValueError(f"axis {axis!r} is not one of resource, evaluations, elapsed") from None


def value_on_grid(trace: Trace, grid: np.ndarray, axis: str = "resource", what: str = "regret") -> np.ndarray:
    """The trace's value (``regret``, ``incumbent_test`` or ``best_loss``) at each grid point:
    the incumbent after the last evaluation finished at or before it (nan before the first)."""
    x = axis_values(trace, axis)
    y = getattr(trace, what)
    idx = np.searchsorted(x, grid + 1e-9, side="right") - 1
    out = np.where(idx >= 0, y[np.clip(idx, 0, None)] if len(y) else np.nan, np.nan)
    return out.astype(float)


def aggregate(curves: np.ndarray) -> dict[str, np.ndarray]:
    """Median and quartiles over seeds (rows), NaN-aware."""
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return {
                "median": np.nanmedian(curves, axis=0),
                "q25": np.nanpercentile(curves, 25, axis=0),
                "q75": np.nanpercentile(curves, 75, axis=0),
            }


def mean_ranks(final: dict[str, dict[int, float]]) -> dict[str, float]:
    """Mean rank (1 = best) of each optimizer over the seeds all of them ran; ties share ranks."""
    names = list(final)
    seeds = sorted(set.intersection(*(set(v) for v in final.values()))) if final else []
    if not seeds:
        return {n: math.nan for n in names}
    ranks = np.zeros(len(names))
    for s in seeds:
        vals = np.array([final[n][s] for n in names], dtype=float)
        vals = np.where(np.isnan(vals), np.inf, vals)
        ranks += _stats().rankdata(vals)
    return {n: float(r / len(seeds)) for n, r in zip(names, ranks)}


def rank_curves(values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Mean rank per grid step: ``values[name]`` is (seeds x steps) with aligned seeds."""
    names = list(values)
    if not names:
        return {}
    stack = np.stack([np.where(np.isnan(values[n]), np.inf, values[n]) for n in names])  # opt x seed x step
    ranks = _stats().rankdata(stack, axis=0)
    return {n: ranks[i].mean(axis=0) for i, n in enumerate(names)}


def wilcoxon_vs(final: dict[str, dict[int, float]], baseline: str) -> dict[str, float]:
    """Two-sided Wilcoxon signed-rank p-value of each optimizer against ``baseline`` on final
    values paired by seed; nan where the baseline is missing, fewer than 2 pairs exist, or all
    differences are zero (then the test is undefined)."""
    out = {}
    base = final.get(baseline)
    for name, vals in final.items():
        if base is None or name == baseline:
            out[name] = math.nan
            continue
        seeds = sorted(set(vals) & set(base))
        a = np.array([vals[s] for s in seeds], dtype=float)
        b = np.array([base[s] for s in seeds], dtype=float)
        mask = ~(np.isnan(a) | np.isnan(b))
        a, b = a[mask], b[mask]
        if len(a) < 2 or np.all(a == b):
            out[name] = math.nan
            continue
        out[name] = float(_stats().wilcoxon(a, b, zero_method="zsplit").pvalue)
    return out


@dataclass
class StudySummary:
    """Per benchmark and optimizer: traces by seed, and the table's numbers."""

    traces: dict[str, dict[str, dict[int, Trace]]]
    table: dict[str, dict[str, dict]]
    axis: dict[str, str]
    optimum: dict[str, float | None]
    #: R per benchmark (None: no fidelity, so the resource axis counts charged evaluations)
    max_budget: dict[str, float | None] = None


def load_study(runs) -> dict[str, dict[str, dict[int, tuple[list[dict], dict]]]]:
    """Logs as ``{benchmark: {optimizer: {seed: (records, manifest)}}}``.

    ``runs`` is a study directory (every log below it) or an explicit list of
    ``(benchmark, optimizer, seed, log_path)``, e.g. exactly the runs a study asked for.
    """
    if isinstance(runs, (str, os.PathLike)):
        runs = list(iter_logs(runs))
    study: dict = {}
    for bench, opt, seed, path in runs:
        manifest = read_manifest(path) or {}
        study.setdefault(bench, {}).setdefault(opt, {})[seed] = (read_records(path), manifest)
    return study


def summarize(runs, at_max_only: bool = False, baseline: str = "random") -> StudySummary:
    """Compute every number ``compare`` prints: median final regret with quartiles (where the
    optimum is known), the incumbent's final validation loss and test value, mean rank and the
    p-value against ``baseline`` (both on regret, or on the test value where no optimum is
    known), optimizer milliseconds per evaluation, run count and failed trials.

    ``runs``: a study directory or a list of ``(benchmark, optimizer, seed, log_path)``
    (see :func:`load_study`)."""
    study = load_study(runs)
    traces: dict = {}
    table: dict = {}
    axis: dict = {}
    optimum: dict = {}
    max_budget: dict = {}
    for bench, by_opt in study.items():
        traces[bench] = {}
        any_manifest = next(iter(next(iter(by_opt.values())).values()))[1]
        optimum[bench] = any_manifest.get("optimum")
        max_budget[bench] = any_manifest.get("max_budget")
        # Charged resource is the one axis every method shares (R = one evaluation without a
        # fidelity), so "random 2x" is drawn at j/2 like in the paper.
        axis[bench] = "resource"
        finals: dict[str, dict[int, float]] = {}
        final_loss: dict[str, dict[int, float]] = {}
        failed: dict[str, int] = {}
        for opt, by_seed in by_opt.items():
            traces[bench][opt] = {}
            failed[opt] = sum(r.get("status") in FAILURE_STATUSES for records, _ in by_seed.values() for r in records)
            for seed, (records, manifest) in by_seed.items():
                tr = incumbent_trace(records, manifest.get("optimum"), manifest.get("max_budget"), at_max_only)
                traces[bench][opt][seed] = tr
            finals[opt] = {s: t.final_value for s, t in traces[bench][opt].items()}
            final_loss[opt] = {s: t.final_loss for s, t in traces[bench][opt].items()}
        ranks = mean_ranks(finals)
        pvals = wilcoxon_vs(finals, baseline)
        table[bench] = {}
        for opt in by_opt:
            vals = np.array(list(finals[opt].values()), dtype=float)
            losses = np.array(list(final_loss[opt].values()), dtype=float)
            tests = np.array([t.incumbent_test[-1] if len(t.incumbent_test) else math.nan for t in traces[bench][opt].values()], dtype=float)
            times = np.concatenate([t.optimizer_time for t in traces[bench][opt].values()] or [np.zeros(0)])
            q = lambda a, p: float(np.nanpercentile(a, p)) if np.any(~np.isnan(a)) else math.nan  # noqa: E731
            table[bench][opt] = {
                "median_final_regret": q(vals, 50) if optimum[bench] is not None else None,
                "q25_final_regret": q(vals, 25) if optimum[bench] is not None else None,
                "q75_final_regret": q(vals, 75) if optimum[bench] is not None else None,
                # the incumbent's test value: what ranks and p-values use where no optimum is known
                "median_final_test": q(tests, 50),
                "q25_final_test": q(tests, 25),
                "q75_final_test": q(tests, 75),
                "median_final_loss": q(losses, 50),
                "q25_final_loss": q(losses, 25),
                "q75_final_loss": q(losses, 75),
                "mean_rank": ranks.get(opt, math.nan),
                "optimizer_ms_per_eval": float(times.mean() * 1000) if times.size else math.nan,
                "p_value_vs_baseline": pvals.get(opt, math.nan),
                "n_runs": len(traces[bench][opt]),
                "n_failed": failed[opt],
            }
    return StudySummary(traces, table, axis, optimum, max_budget)


def curves_on_grid(traces: dict[int, Trace], axis: str, grid: np.ndarray, what: str) -> np.ndarray:
    """Stack the seeds' values on a common grid (seeds x grid)."""
    return np.array([value_on_grid(t, grid, axis, what) for _, t in sorted(traces.items())]).reshape(len(traces), len(grid))


def default_grid(traces_by_opt: dict[str, dict[int, Trace]], axis: str, n: int = 200) -> np.ndarray:
    """A grid from the first evaluation to the end of the longest run; a run that ended earlier
    keeps its final incumbent (every run of a study has the same budget, so ends differ only by
    the last evaluation's overshoot)."""
    ends, starts = [], []
    for traces in traces_by_opt.values():
        for t in traces.values():
            x = axis_values(t, axis)
            if len(x):
                ends.append(x[-1])
                starts.append(x[0])
    if not ends:
        return np.zeros(0)
    hi = float(np.max(ends))
    lo = max(float(np.min(starts)), 1e-9)
    return np.linspace(lo, hi, n)
