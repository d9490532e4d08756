"""From study directories to the numbers a report shows (no drawing, no HTML).

The logs are read through :func:`hpobench.analysis.load_study`, and incumbent traces and
``compare``'s table come from :func:`hpobench.analysis.summarize`; nothing here writes to disk.

Conventions:

* The **value** of a run at a budget is its incumbent's simple regret where the benchmark's
  optimum is known, else its incumbent's test value (as in ``compare``'s tables).
* A run is **complete** when its last record reached the budget in its manifest (resource in
  multiples of R, evaluations, or seconds). An incomplete run (still going, or cut short) is drawn
  up to where it got and left out of every final-value statistic, and the report lists it.
* Across benchmarks, only optimizers that ran on every benchmark are ranked (ranks over
  different sets of methods are not comparable); the others are named.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..analysis import StudySummary, Trace, aggregate, axis_values, load_study, summarize, value_on_grid
from ..runner import BudgetError, parse_budget
from ..storage import iter_logs
from ..stats import RankComparison, compare_ranks, ecdf, hitting_budget, log_targets, normalized_score

#: The x axes a run can be drawn against (named as in :func:`hpobench.analysis.axis_values`):
#: (label, drawn on a log scale).
AXES = {
    "evaluations": ("Evaluations", True),
    "resource": ("Multiples of R used", False),
    "elapsed": ("Wall-clock seconds", True),
}
_BUDGET_AXIS = {"evaluations": "evaluations", "resource": "resource", "seconds": "elapsed"}


class ReportError(ValueError):
    """A study directory that cannot be reported on (missing, or holding no logs)."""


@dataclass
class Run:
    """One (benchmark, optimizer, seed) run as read from its log.

    Attributes:
        trace: the incumbent trace.
        manifest: the run's manifest (settings, versions, argv).
        study: the directory it was read from.
        statuses: how many records had each status (``ok``, ``failed``, ``crashed``, ``timeout``...).
        complete: whether the last record reached the manifest's budget.
        used: how much of the budget the last record shows used (in the budget's unit).
    """

    benchmark: str
    optimizer: str
    seed: int
    trace: Trace
    manifest: dict
    study: Path
    statuses: Counter
    complete: bool
    used: float

    @property
    def n_records(self) -> int:
        return len(self.trace.x_evals)

    def x(self, axis: str) -> np.ndarray:
        """The run's positions on ``axis`` (``evaluations``, ``resource`` or ``elapsed``)."""
        return axis_values(self.trace, axis)

    def end(self, axis: str) -> float:
        x = self.x(axis)
        return float(x[-1]) if len(x) else 0.0

    def final_value(self) -> float:
        return self.trace.final_value


@dataclass
class BenchmarkData:
    """Every run of one benchmark, by optimizer and seed, with the benchmark's settings.

    Attributes:
        budget_kind: ``resource``, ``evaluations`` or ``seconds`` (from the manifests).
        budget_amount: the budget's size in that unit.
        budget_text: the budget as given (``30R``).
        optimum: the known optimum, or None.
        max_budget: R in the fidelity's units, or None for single-fidelity benchmarks.
        summary: the numbers ``compare`` prints (:func:`hpobench.analysis.summarize`), for
            every benchmark of the report (``summary.table[name]`` is this one's table).
    """

    name: str
    runs: dict[str, dict[int, Run]]
    budget_kind: str
    budget_amount: float
    budget_text: str
    optimum: float | None
    max_budget: float | None
    summary: StudySummary

    @property
    def optimizers(self) -> list[str]:
        return sorted(self.runs)

    @property
    def budget_axis(self) -> str:
        """The x axis the budget is counted on."""
        return _BUDGET_AXIS[self.budget_kind]

    @property
    def axes(self) -> list[str]:
        """The axes worth drawing: evaluations, multiples of R where there is a fidelity, time."""
        return ["evaluations"] + (["resource"] if self.max_budget is not None or self.budget_kind == "resource" else []) + ["elapsed"]

    @property
    def value_name(self) -> str:
        """What a value is: the incumbent's ``simple regret``, or its ``test loss`` where no
        optimum is known."""
        return "simple regret" if self.optimum is not None else "test loss"

    def complete_finals(self) -> dict[str, dict[int, float]]:
        """Final values of the complete runs, ``{optimizer: {seed: value}}``."""
        return {o: {s: r.final_value() for s, r in by_seed.items() if r.complete} for o, by_seed in self.runs.items()}

    def reference_optimum(self) -> float:
        """The optimum of the value scale: 0 regret where the optimum is known, else the best
        final test value any complete run reached (bayesmark's "best found" estimate)."""
        if self.optimum is not None:
            return 0.0
        vals = [v for by_seed in self.complete_finals().values() for v in by_seed.values() if np.isfinite(v)]
        return float(min(vals)) if vals else math.nan


@dataclass
class ReportData:
    """Everything a report shows, loaded from one or more study directories."""

    studies: list[Path]
    benchmarks: dict[str, BenchmarkData]
    renamed: dict[str, str] = field(default_factory=dict)

    @property
    def optimizers(self) -> list[str]:
        return sorted({o for b in self.benchmarks.values() for o in b.runs})

    @property
    def runs(self) -> list[Run]:
        return [r for b in self.benchmarks.values() for by_seed in b.runs.values() for r in by_seed.values()]

    def incomplete_runs(self) -> list[Run]:
        return [r for r in self.runs if not r.complete]

    def common_optimizers(self) -> list[str]:
        """Optimizers with at least one complete run on every benchmark."""
        sets = [{o for o, by_seed in b.runs.items() if any(r.complete for r in by_seed.values())} for b in self.benchmarks.values()]
        return sorted(set.intersection(*sets)) if sets else []


def _run_complete(records: list[dict], budget) -> tuple[bool, float]:
    if not records:
        return False, 0.0
    last = records[-1]
    if budget.kind == "evaluations":
        used = float(len(records))
    elif budget.kind == "resource":
        used = float(last.get("resource_R") or 0.0)
    else:
        used = float(last.get("elapsed") or 0.0)
    return used >= budget.amount - 1e-9 * max(1.0, budget.amount), used


def load_report_data(study_dirs, at_max_only: bool = False, baseline: str = "random") -> ReportData:
    """Read every run below each directory of ``study_dirs`` (one directory, or several).

    Where two directories hold the same (benchmark, optimizer), the optimizer is shown as
    ``name (directory)`` for every directory holding it, so two versions of one optimizer can be
    compared side by side.

    Raises:
        ReportError: a directory is missing, or none of them holds a log.
    """
    if isinstance(study_dirs, (str, os.PathLike)):
        study_dirs = [study_dirs]
    dirs = [Path(d) for d in study_dirs]
    found = []
    for d in dirs:
        if not d.is_dir():
            raise ReportError(f"study directory {d} does not exist; give directories written by `python -m hpobench compare` or `run`")
        found += [(d, run) for run in iter_logs(d)]
    if not found:
        raise ReportError(f"no result logs (<benchmark>/<optimizer>/seed-<k>.jsonl) below {', '.join(map(str, dirs))}")
    holders: dict = {}
    for d, (bench, opt, _, _) in found:
        holders.setdefault((bench, opt), set()).add(d)
    # (benchmark, label, seed, path): the form load_study and summarize take
    labelled, origin, renamed = [], {}, {}
    for d, (bench, opt, seed, path) in found:
        label = opt if len(holders[(bench, opt)]) == 1 else f"{opt} ({d.name or d})"
        if label != opt:
            renamed[label] = opt
        labelled.append((bench, label, seed, path))
        origin[(bench, label)] = d
    merged = load_study(labelled)
    summary = summarize(labelled, at_max_only=at_max_only, baseline=baseline)
    benchmarks = {}
    for bench, by_opt in sorted(merged.items()):
        manifests = [m for by_seed in by_opt.values() for _, m in by_seed.values() if m]
        first = manifests[0] if manifests else {}
        try:
            budget = parse_budget(first.get("budget", ""))
        except BudgetError:
            budget = None
        runs: dict = {}
        for opt, by_seed in by_opt.items():
            for seed, (records, manifest) in sorted(by_seed.items()):
                try:
                    run_budget = parse_budget(manifest.get("budget", "")) if manifest else budget
                except BudgetError:
                    run_budget = budget
                trace = summary.traces[bench][opt][seed]
                if run_budget is None:
                    complete, used = False, 0.0
                else:
                    complete, used = _run_complete(records, run_budget)
                statuses = Counter(str(r.get("status", "ok")) for r in records)
                runs.setdefault(opt, {})[seed] = Run(bench, opt, seed, trace, manifest, origin[(bench, opt)], statuses, complete, used)
        benchmarks[bench] = BenchmarkData(
            bench,
            runs,
            budget.kind if budget else "evaluations",
            budget.amount if budget else math.nan,
            budget.text if budget else "?",
            first.get("optimum"),
            first.get("max_budget"),
            summary,
        )
    return ReportData(dirs, benchmarks, renamed)


# ------------------------------------------------------------------------------ curves


@dataclass
class Curves:
    """Median and quartiles of one optimizer's runs on a grid (NaN where not drawn)."""

    grid: np.ndarray
    median: np.ndarray
    q25: np.ndarray
    q75: np.ndarray
    n_runs: int


def run_values_on_grid(run: Run, grid: np.ndarray, axis: str, what: str) -> np.ndarray:
    """The run's incumbent ``what`` (``regret`` or ``incumbent_test``) at each grid point; NaN
    before its first evaluation and, for an incomplete run, after its last one (its future is
    unknown). A complete run keeps its final incumbent after its end."""
    vals = value_on_grid(run.trace, grid, axis, what)
    if not run.complete:
        vals = np.where(grid > run.end(axis) + 1e-12, np.nan, vals)
    return vals


def curve_grid(bench: BenchmarkData, axis: str, n: int = 100) -> np.ndarray:
    """A grid over every run's span on ``axis``: log-spaced where the axis is drawn on a log scale."""
    starts = [float(r.x(axis)[0]) for r in _runs(bench) if r.n_records]
    ends = [r.end(axis) for r in _runs(bench) if r.n_records]
    if not ends:
        return np.zeros(0)
    lo, hi = max(min(starts), 1e-9), max(ends)
    if hi <= lo:
        return np.array([lo])
    return np.geomspace(lo, hi, n) if AXES[axis][1] else np.linspace(lo, hi, n)


def incumbent_curves(bench: BenchmarkData, axis: str, grid: np.ndarray | None = None) -> dict[str, Curves]:
    """Median incumbent value with quartiles per optimizer, against ``axis``.

    An optimizer's curve stops at the end of its longest run, so a method that used fewer
    evaluations or seconds for the same budget is not drawn as if it had gone on.
    """
    what = "regret" if bench.optimum is not None else "incumbent_test"
    grid = curve_grid(bench, axis) if grid is None else grid
    out = {}
    for opt in bench.optimizers:
        runs = list(bench.runs[opt].values())
        if not runs or not len(grid):
            continue
        vals = np.array([run_values_on_grid(r, grid, axis, what) for r in runs])
        agg = aggregate(vals)
        stop = grid > max(r.end(axis) for r in runs) * (1 + 1e-9)
        for key in agg:
            agg[key] = np.where(stop, np.nan, agg[key])
        out[opt] = Curves(grid, agg["median"], agg["q25"], agg["q75"], len(runs))
    return out


def _runs(bench: BenchmarkData):
    return (r for by_seed in bench.runs.values() for r in by_seed.values())


# ------------------------------------------------------------------- across benchmarks


def final_matrix(bench: BenchmarkData, optimizers: list[str]) -> tuple[np.ndarray, list[int]]:
    """Seeds x optimizers matrix of final values over the seeds every optimizer completed."""
    finals = bench.complete_finals()
    seeds = sorted(set.intersection(*(set(finals.get(o, {})) for o in optimizers))) if optimizers else []
    return np.array([[finals[o][s] for o in optimizers] for s in seeds], dtype=float).reshape(len(seeds), len(optimizers)), seeds


def median_finals(data: ReportData, optimizers: list[str]) -> tuple[np.ndarray, list[str]]:
    """Benchmarks x optimizers matrix of each optimizer's median final value over its complete
    runs (the blocks of the across-benchmark Friedman test)."""
    names = list(data.benchmarks)
    rows = []
    for b in names:
        finals = data.benchmarks[b].complete_finals()
        rows.append([float(np.nanmedian(list(finals[o].values()))) if finals.get(o) else math.nan for o in optimizers])
    return np.array(rows, dtype=float).reshape(len(names), len(optimizers)), names


def rank_comparison_across(data: ReportData, method: str = "nemenyi", alpha: float = 0.05) -> RankComparison | None:
    """Friedman + post-hoc over benchmarks (blocks) for the optimizers that ran on all of them;
    None when fewer than two such optimizers exist."""
    opts = data.common_optimizers()
    if len(opts) < 2:
        return None
    values, _ = median_finals(data, opts)
    return compare_ranks(values, opts, method, alpha)


def rank_comparison_within(bench: BenchmarkData, method: str = "nemenyi", alpha: float = 0.05) -> RankComparison | None:
    """Friedman + post-hoc over the seeds of one benchmark (runs paired by seed)."""
    opts = [o for o in bench.optimizers if any(r.complete for r in bench.runs[o].values())]
    if len(opts) < 2:
        return None
    values, seeds = final_matrix(bench, opts)
    if len(seeds) < 2:
        return None
    return compare_ranks(values, opts, method, alpha)


def budget_fraction_grid(n: int = 60) -> np.ndarray:
    """Fractions of the budget the rank curves are evaluated at (from 1/n to all of it)."""
    return np.linspace(1.0 / n, 1.0, n)


def rank_over_budget(data: ReportData, fractions: np.ndarray | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Average rank of each common optimizer at each fraction of the budget, as in the paper's
    Figure 5: ranks within each (benchmark, seed), averaged over seeds, then over benchmarks.

    A (seed, budget) point where some optimizer's run had not got that far (an incomplete run)
    is left out of that benchmark's average, and a benchmark with no point at a fraction is left
    out there.
    """
    from scipy import stats as sps

    fractions = budget_fraction_grid() if fractions is None else fractions
    opts = data.common_optimizers()
    per_bench = []
    for bench in data.benchmarks.values():
        what = "regret" if bench.optimum is not None else "incumbent_test"
        grid = fractions * bench.budget_amount
        seeds = sorted(set.intersection(*(set(bench.runs[o]) for o in opts))) if opts else []
        if not seeds:
            continue
        stack = np.array([[run_values_on_grid(bench.runs[o][s], grid, bench.budget_axis, what) for s in seeds] for o in opts])
        unknown = np.zeros(stack.shape[1:], bool)
        for i, o in enumerate(opts):
            for j, s in enumerate(seeds):
                run = bench.runs[o][s]
                if not run.complete:
                    unknown[j] |= grid > run.end(bench.budget_axis) + 1e-12
        ranks = sps.rankdata(np.where(np.isnan(stack), np.inf, stack), axis=0)  # no incumbent yet: last
        ranks[:, unknown] = np.nan
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                per_bench.append(np.nanmean(ranks, axis=1))  # opt x step
    if not per_bench:
        return fractions, {}
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(np.stack(per_bench), axis=0)
    return fractions, {o: mean[i] for i, o in enumerate(opts)}


def normalized_scores(data: ReportData, baseline: str = "random") -> dict[str, dict[str, float]]:
    """``{benchmark: {optimizer: score}}``: bayesmark's normalized score of each optimizer's
    median final value, 0 = ``baseline``'s median, 1 = the optimum (or the best found)."""
    out = {}
    for name, bench in data.benchmarks.items():
        finals = bench.complete_finals()
        if not finals.get(baseline):
            continue
        ref = float(np.nanmedian(list(finals[baseline].values())))
        opt = bench.reference_optimum()
        out[name] = {o: normalized_score(float(np.nanmedian(list(v.values()))), ref, opt) for o, v in finals.items() if v}
    return out


@dataclass
class TargetRunLengths:
    """Budget each run needed to reach each target (inf = never), for one benchmark.

    Attributes:
        targets: the target values (regret, or test value above the best found), easy to hard.
        lengths: ``{optimizer: runs x targets}`` in fractions of the benchmark's budget.
    """

    targets: np.ndarray
    lengths: dict[str, np.ndarray]


def target_run_lengths(bench: BenchmarkData, n_targets: int = 7) -> TargetRunLengths | None:
    """COCO-style run lengths on one benchmark: targets log-spaced from the median value after
    the first evaluation (easy) to the best final value any run reached (hard), both measured
    above the optimum (or the best found). Complete runs only; None when no target exists."""
    ref = bench.reference_optimum()
    what = "regret" if bench.optimum is not None else "incumbent_test"
    runs = [r for r in _runs(bench) if r.complete and r.n_records]
    if not runs or not np.isfinite(ref):
        return None

    def gap(r: Run) -> np.ndarray:
        y = getattr(r.trace, what)
        return y - ref if what == "incumbent_test" else y

    firsts = [g[np.isfinite(g)][0] for g in map(gap, runs) if np.any(np.isfinite(g))]
    finals = [float(gap(r)[-1]) for r in runs]
    positive = [v for v in finals if np.isfinite(v) and v > 0]
    if not firsts or not positive:
        return None
    easy, hard = float(np.median(firsts)), float(min(positive))
    targets = log_targets(max(easy, hard), hard, n_targets)
    lengths = {}
    for opt in bench.optimizers:
        rows = [hitting_budget(r.x(bench.budget_axis) / bench.budget_amount, gap(r), targets) for r in bench.runs[opt].values() if r.complete]
        if rows:
            lengths[opt] = np.array(rows)
    return TargetRunLengths(targets, lengths)


def ecdf_curves(per_bench: list[TargetRunLengths], optimizers: list[str], grid: np.ndarray) -> dict[str, np.ndarray]:
    """Fraction of (run, target) pairs solved by each budget fraction in ``grid``, pooling the
    benchmarks (each weighted equally, as COCO aggregates over functions)."""
    out = {}
    for opt in optimizers:
        parts = [ecdf(t.lengths[opt], grid) for t in per_bench if opt in t.lengths]
        if parts:
            out[opt] = np.mean(parts, axis=0)
    return out
