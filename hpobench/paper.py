"""The Hyperband paper's figures: trace conventions, speed-ups, the studies behind them.

Li, Jamieson, DeSalvo, Rostamizadeh, Talwalkar, "Hyperband", JMLR 18(185), 2018, draw every
search method's **trace** as the test error of the configuration with the lowest validation error
so far, averaged over trials, against "Multiple of R Used". Where a method's points sit on that
axis is a convention of the figure, not of the method (:class:`Placement`):

* ``PER_CONFIG``: one point per completed configuration, at the resource charged so far (the
  model-based methods and random search: x = 1, 2, ..., 50 on a fidelity benchmark). A
  configuration trained in several step trials (SMAC (early): ``info["run"]``) gets one point,
  at its last step.
* ``HALVED``: "random 2x" — evaluation j at x = j/2 multiples of R (it has seen twice as many
  configurations as random search at every point of the axis), whatever the log charged.
* ``BRACKET_END``: Hyperband and "bracket s=4" — one point at the end of each bracket (the
  record ``info`` names the bracket), at the resource charged up to there. The paper charged
  every bracket a flat 5R; we keep the exact resource, which differs by at most the rounding
  of the bracket sizes. The last record of a run is a point too (a bracket cut short by the
  budget still ran).

The figure scripts under ``paper_figures/`` map the paper's legend names to this suite's
optimizers and placements; everything they compute is here, so it is unit-tested.
:data:`PAPER_STUDIES` names the study behind each figure, and :func:`rerun` runs it again.
"""

from __future__ import annotations

import enum
import importlib.util
import math
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .analysis import incumbent_trace
from .runner import budget_used, parse_budget
from .storage import iter_logs, read_manifest, read_records


class Placement(str, enum.Enum):
    """Where a method's trace has its points on the resource axis (see the module docstring)."""

    PER_CONFIG = "per-config"
    HALVED = "halved"
    BRACKET_END = "bracket-end"


class MissingResults(LookupError):
    """A figure's study has no logs in the results directory."""


@dataclass
class PaperTrace:
    """One trial's points: ``x`` in multiples of R (or minutes), ``y`` the incumbent's test error."""

    x: np.ndarray
    y: np.ndarray


def bracket_key(record: dict):
    """The bracket a record belongs to, from its ``info`` (``bracket_index`` counts every
    bracket a run started; older logs: ``(iteration, bracket)``); None outside a bracket."""
    info = record.get("info") or {}
    if "bracket_index" in info:
        return info["bracket_index"]
    if "bracket" in info:
        return (info.get("iteration"), info["bracket"])
    return None


def run_key(record: dict):
    """The configuration run a step trial belongs to (``info["run"]``), or None."""
    return (record.get("info") or {}).get("run")


def _last_of_each(records: list[dict], key) -> np.ndarray:
    """A mask of the records that are the last of their ``key(i, record)`` group, and the
    run's last one."""
    last: dict = {}
    for i, rec in enumerate(records):
        last[key(i, rec)] = i
    keep = np.zeros(len(records), dtype=bool)
    keep[list(last.values())] = True
    if len(records):
        keep[-1] = True
    return keep


def paper_trace(records: list[dict], placement: Placement | str, x_unit: str = "resource") -> PaperTrace:
    """The trace of one run under a figure convention.

    Args:
        records: the run's log records, in log order.
        placement: :class:`Placement` (or its value).
        x_unit: ``"resource"`` (multiples of R charged, the paper's Figure 4 axis) or
            ``"minutes"``: the summed ``cost`` of the evaluations so far / 60 — one worker's
            clock, which on a surrogate is the predicted training seconds (Figures 7-8).

    Returns:
        :class:`PaperTrace`; the incumbent is the configuration with the smallest validation loss
        among the evaluations so far (any budget), its ``test_loss`` the y value. Points before
        the first successful evaluation are left out.
    """
    placement = Placement(placement)
    tr = incumbent_trace(records)
    n = len(records)
    if x_unit == "resource":
        x = tr.x_resource.copy()
    elif x_unit == "minutes":
        x = np.cumsum([float(r.get("cost") or 0.0) for r in records]) / 60.0
    else:
        raise ValueError(f"x_unit {x_unit!r} is not one of resource, minutes")
    keep = np.ones(n, dtype=bool)
    if placement is Placement.HALVED:
        # the paper's "random 2x": two random-search trials in the time of one
        x = np.arange(1, n + 1, dtype=float) / 2.0 if x_unit == "resource" else x / 2.0
    elif placement is Placement.BRACKET_END:
        keep = _last_of_each(records, lambda i, r: bracket_key(r))
    elif any(run_key(r) is not None for r in records):
        keep = _last_of_each(records, lambda i, r: ("run", run_key(r)) if run_key(r) is not None else ("record", i))
    keep &= ~np.isnan(tr.incumbent_test)
    return PaperTrace(x=x[keep], y=tr.incumbent_test[keep])


@dataclass
class MeanCurve:
    """A method's trace averaged over trials on the union of their x values (truncated to the
    shortest trial, as the authors' notebooks did)."""

    x: np.ndarray
    mean: np.ndarray
    q25: np.ndarray
    q75: np.ndarray
    n_trials: int


def step_values(trace: PaperTrace, grid: np.ndarray) -> np.ndarray:
    """The trace's y at each grid point: its last point at or before it (nan before the first)."""
    idx = np.searchsorted(trace.x, grid + 1e-9, side="right") - 1
    return np.where(idx >= 0, trace.y[np.clip(idx, 0, None)] if len(trace.y) else np.nan, np.nan)


def mean_curve(traces: list[PaperTrace], grid: np.ndarray | None = None) -> MeanCurve:
    """Average ``traces`` point by point (NaN-aware mean, with the 25th and 75th percentiles).

    ``grid`` defaults to every x any trial has, from the latest first point to the earliest last
    point (so every trial contributes to every point)."""
    traces = [t for t in traces if len(t.x)]
    if not traces:
        empty = np.zeros(0)
        return MeanCurve(empty, empty, empty, empty, 0)
    if grid is None:
        lo = max(float(t.x[0]) for t in traces)
        hi = min(float(t.x[-1]) for t in traces)
        grid = np.unique(np.concatenate([t.x for t in traces]))
        grid = grid[(grid >= lo - 1e-9) & (grid <= hi + 1e-9)]
    values = np.array([step_values(t, grid) for t in traces]).reshape(len(traces), len(grid))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return MeanCurve(
            x=grid,
            mean=np.nanmean(values, axis=0),
            q25=np.nanpercentile(values, 25, axis=0),
            q75=np.nanpercentile(values, 75, axis=0),
            n_trials=len(traces),
        )


def resource_to_reach(curve: MeanCurve, target: float) -> float:
    """The first x at which the mean curve is at or below ``target`` (nan if it never is)."""
    hit = np.nonzero(curve.mean <= target + 1e-12)[0]
    return float(curve.x[hit[0]]) if len(hit) else math.nan


@dataclass
class SpeedUp:
    """How much resource a method needs to reach the baseline's final mean test error, and that
    divided by the reference method's (Hyperband's) need. ``reached`` False: the method never got
    there within its run, so ``resource`` is its last x and the ratio a lower bound."""

    method: str
    resource: float
    ratio: float
    reached: bool


def speedups(curves: dict[str, MeanCurve], baseline: str, reference: str) -> tuple[float, list[SpeedUp]]:
    """The paper's speed-up: for each method the resource it needs to reach ``baseline``'s final
    mean test error, divided by ``reference``'s need (a ratio of 20 means the reference got
    there 20 times sooner).

    Returns ``(target, rows)``; raises KeyError if the baseline or the reference is missing, or
    ValueError if the reference never reaches the target (no ratio is defined then)."""
    base = curves[baseline]
    target = float(base.mean[-1])
    ref_need = resource_to_reach(curves[reference], target)
    if math.isnan(ref_need):
        raise ValueError(f"{reference} never reaches {baseline}'s final mean test error {target:.4f}")
    rows = []
    for name, curve in curves.items():
        need = resource_to_reach(curve, target)
        reached = not math.isnan(need)
        if not reached:
            need = float(curve.x[-1]) if len(curve.x) else math.nan
        rows.append(SpeedUp(name, need, need / ref_need, reached))
    return target, rows


def speedup_markdown(target: float, rows: list[SpeedUp], unit: str, baseline: str, reference: str, labels: dict[str, str] | None = None) -> str:
    """A Markdown table of :func:`speedups` (``>`` marks a lower bound)."""
    labels = labels or {}
    out = [
        f"Resource to reach {labels.get(baseline, baseline)}'s final mean test error ({target:.4f}), "
        f"divided by {labels.get(reference, reference)}'s:",
        "",
        f"| method | {unit} to reach | ratio to {labels.get(reference, reference)} |",
        "|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: (not r.reached, r.ratio)):
        mark = "" if r.reached else ">"
        out.append(f"| {labels.get(r.method, r.method)} | {mark}{r.resource:.2f} | {mark}{r.ratio:.1f}x |")
    return "\n".join(out) + "\n"


def write_speedups(curves: dict[str, MeanCurve], out: str | Path, stem: str, unit: str, labels: dict[str, str], baseline: str = "random", reference: str = "hyperband") -> list[Path]:
    """Write :func:`speedup_markdown` to ``out/stem.md`` (or why there is no table); nothing if
    the baseline or the reference has no curve."""
    if baseline not in curves or reference not in curves:
        return []
    try:
        target, rows = speedups(curves, baseline, reference)
        text = speedup_markdown(target, rows, unit, baseline, reference, labels)
    except ValueError as exc:
        text = f"No speed-up table: {exc}.\n"
    path = Path(out) / f"{stem}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return [path]


# ------------------------------------------------------------------------------- studies
@dataclass(frozen=True)
class PaperStudy:
    """The study behind a figure: what :class:`~hpobench.study.Study` runs, and where its logs
    live under the results directory."""

    directory: str
    benchmarks: tuple[str, ...]
    optimizers: tuple[str, ...]
    seeds: int
    budget: str
    optimizer_options: dict = field(default_factory=dict)
    benchmark_options: dict = field(default_factory=dict)

    def command(self) -> str:
        """The equivalent ``compare`` command line (recorded in results/README.md)."""
        parts = [
            "python -m hpobench compare", f"--benchmarks {','.join(self.benchmarks)}", f"--optimizers {','.join(self.optimizers)}",
            f"--seeds {self.seeds}", f"--budget {self.budget}", f"--out results/{self.directory}",
        ]
        parts += [f"--optimizer-option {k}={v}" for k, v in self.optimizer_options.items()]
        parts += [f"--benchmark-option {k}={v}" for k, v in self.benchmark_options.items()]
        return " ".join(parts)

    def study(self, results: str | Path, resume: bool = True):
        """The :class:`~hpobench.study.Study` writing under ``results/<directory>``."""
        from .study import Study

        return Study(
            benchmarks=list(self.benchmarks), optimizers=list(self.optimizers), seeds=self.seeds, budget=self.budget,
            out=Path(results) / self.directory, optimizer_options=dict(self.optimizer_options),
            benchmark_options=dict(self.benchmark_options), resume=resume,
        )


#: Paper's LeNet workload on this suite: the surrogate fitted on recorded LeNet-on-digits curves
#: (R = 81 units, eta = 3: the brackets of the paper's Table 1 up to rounding).
LENET = "lenet-digits-surrogate"
KERNEL = "kernel-ls-digits-surrogate"

#: The study behind each figure, by the name ``figures --rerun`` takes.
PAPER_STUDIES: dict[str, PaperStudy] = {
    "fig3": PaperStudy("fig3-lenet-surrogate", (LENET,), ("bracket-s4", "bracket-s3", "bracket-s2", "bracket-s1", "bracket-s0", "hyperband"), 70, "30R"),
    "fig4": PaperStudy(
        "fig4-lenet-surrogate", (LENET,),
        ("hyperband", "hyperband-inf", "smac", "smac-early", "tpe", "gp", "random", "random-2x", "bracket-s4"), 10, "50R",
    ),
    "fig7": PaperStudy("fig7-kernel-ls-surrogate", (KERNEL,), ("hyperband", "smac", "tpe", "random", "random-2x", "bracket-s2"), 10, "50R"),
}


@dataclass(frozen=True)
class LRRangeComputation:
    """Smith's LR range test of one LeNet configuration on real ``lenet-digits`` (the talk's
    figure), written as ``results/<directory>/lr_range.json``."""

    directory: str
    config: tuple = (("lr", 0.05), ("batch_size", 32), ("k2", 50), ("k1", 20))
    max_lr: float = 0.3
    epochs: float = 4
    seed: int = 0

    def command(self) -> str:
        return f"python -m hpobench figures --rerun lr-range  # lenet-digits, {dict(self.config)}, max_lr={self.max_lr}, epochs={self.epochs}"

    def run(self, results: str | Path) -> Path:
        import json

        from .benchmarks import get_benchmark

        t0 = time.perf_counter()
        res = get_benchmark("lenet-digits").lr_range_test(dict(self.config), seed=self.seed, max_lr=self.max_lr, epochs=self.epochs)
        path = Path(results) / self.directory / "lr_range.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({
            "benchmark": "lenet-digits", "config": dict(self.config), "max_lr": self.max_lr, "epochs": self.epochs, "seed": self.seed,
            "lrs": res.lrs.tolist(), "accuracies": res.accuracies.tolist(), "losses": res.losses.tolist(),
            "base_lr": res.base_lr, "suggested_max_lr": res.max_lr, "seconds": time.perf_counter() - t0,
        }, indent=1))
        return path


#: Computations behind figures that are not studies, by the name ``figures --rerun`` takes.
PAPER_COMPUTATIONS: dict[str, LRRangeComputation] = {"lr-range": LRRangeComputation("lr-range-lenet-digits")}


def study_runs(results: str | Path, name: str) -> dict[str, dict[int, list[dict]]]:
    """The finished runs of figure study ``name`` as ``{optimizer: {seed: records}}`` (first
    benchmark). A run still being written (its budget not used up) is left out: averages are
    truncated to the shortest trial, so one partial run would cut every curve short.

    Raises :class:`MissingResults` (with the command that makes them) if there are none."""
    spec = PAPER_STUDIES[name]
    root = Path(results) / spec.directory
    runs: dict = {}
    if root.is_dir():
        for bench, opt, seed, path in iter_logs(root):
            if bench == spec.benchmarks[0] and opt in spec.optimizers:
                records = read_records(path)
                manifest = read_manifest(path) or {}
                R = float(manifest.get("max_budget") or 1.0)
                if records and budget_used(parse_budget(manifest.get("budget", spec.budget)), records, R):
                    runs.setdefault(opt, {})[seed] = records
    if not runs:
        raise MissingResults(f"no logs under {root}; run `python -m hpobench figures --rerun {name}` to make them")
    return runs


def rerun(name: str, results: str | Path = "results", workers: int | None = None, progress: Callable | None = None, on_record: Callable | None = None):
    """Run (or continue: finished evaluations are replayed from the logs) the study behind
    figure ``name`` under ``results``; returns the :class:`~hpobench.study.Study` (the written
    file for a computation of :data:`PAPER_COMPUTATIONS`)."""
    if name in PAPER_COMPUTATIONS:
        return PAPER_COMPUTATIONS[name].run(results)
    if name not in PAPER_STUDIES:
        raise KeyError(f"no study named {name!r}; studies: {', '.join([*PAPER_STUDIES, *PAPER_COMPUTATIONS])}")
    study = PAPER_STUDIES[name].study(results)
    study.run(workers=workers, progress=progress, on_record=on_record)
    return study


# ------------------------------------------------------------------------------- Table 1
def table1_cells(max_budget: float = 81, eta: float = 3) -> list[list[tuple[int, float] | None]]:
    """The paper's Table 1: row i, column s = s_max..0 holds ``(n_i, r_i)`` or None (no rung i).

    Uses the rounding the table was printed with (``floor_table``: n = floor(B/R/(s+1)) eta^s,
    which gives 81, 27, 9, 6, 5 for R = 81, eta = 3)."""
    from .optimizers.hyperband.schedule import schedule

    brackets = schedule(max_budget, eta, rounding="floor_table")
    depth = max(len(b.rungs) for b in brackets)
    return [[(b.as_pairs()[i][0], b.as_pairs()[i][1]) if i < len(b.rungs) else None for b in brackets] for i in range(depth)]


# ------------------------------------------------------------------------------- drawing
@dataclass
class Method:
    """A curve of a paper figure: which optimizer's logs, the paper's legend name, where its
    points sit, and how it is drawn (matplotlib keywords)."""

    optimizer: str
    label: str
    placement: Placement = Placement.PER_CONFIG
    style: dict = field(default_factory=dict)


def method_curves(runs: dict[str, dict[int, list[dict]]], methods: list[Method], x_unit: str = "resource") -> dict[str, MeanCurve]:
    """Mean curves of the ``methods`` that have logs in ``runs``, by optimizer name."""
    return {
        m.optimizer: mean_curve([paper_trace(recs, m.placement, x_unit) for _, recs in sorted(runs[m.optimizer].items())])
        for m in methods if m.optimizer in runs
    }


def curve_figure(curves: dict[str, MeanCurve], methods: list[Method], xlabel: str, ylabel: str, title: str, bands: bool = False, xlim=None, ylim=None):
    """The paper's figure style (6.5 x 5.5 in, font 16, line width 2, a marker per method);
    with ``bands`` the 25th-75th percentile band of each curve (Figures 11-13)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.5, 5.5))
    ax = fig.add_subplot(111)
    for m in methods:
        c = curves.get(m.optimizer)
        if c is None or not len(c.x):
            continue
        style = {"lw": 2, "markersize": 8, "markevery": max(1, len(c.x) // 15)}
        if m.placement is Placement.BRACKET_END:
            style["markevery"] = 1
        style.update(m.style)
        line = ax.plot(c.x, c.mean, label=f"{m.label} ({c.n_trials})", **style)[0]
        if bands:
            ax.fill_between(c.x, c.q25, c.q75, color=line.get_color(), alpha=0.15, lw=0, step=None)
    for item in [ax.xaxis.label, ax.yaxis.label, ax.title]:
        item.set_fontsize(16)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=13)
    if xlim:
        ax.set_xlim(*xlim)
    if ylim:
        ax.set_ylim(*ylim)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=10, title="method (trials)", title_fontsize=10)
    fig.tight_layout()
    return fig


def save_figure(fig, out: str | Path, stem: str) -> list[Path]:
    """Write ``fig`` as ``out/stem.png`` and ``out/stem.pdf``."""
    from .figures import save

    Path(out).mkdir(parents=True, exist_ok=True)
    return save(fig, Path(out) / stem)


# ------------------------------------------------------------------------------- scripts
@dataclass
class FigureOutcome:
    """What one figure script did: the files written, or why it was skipped."""

    name: str
    files: list[Path]
    skipped: str | None = None
    seconds: float = 0.0


def default_scripts_dir() -> Path:
    """``paper_figures/`` beside the package (a source checkout), else in the working directory."""
    here = Path(__file__).resolve().parents[1] / "paper_figures"
    return here if here.is_dir() else Path("paper_figures")


def figure_scripts(scripts_dir: str | Path | None = None) -> dict[str, object]:
    """The figure scripts (``*.py`` defining ``NAME`` and ``make``) as modules, by ``NAME``."""
    scripts_dir = Path(scripts_dir) if scripts_dir else default_scripts_dir()
    found = {}
    for path in sorted(scripts_dir.glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"paper_figures_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if hasattr(module, "NAME") and hasattr(module, "make"):
            found[module.NAME] = module
    return found


def make_figures(results: str | Path = "results", out: str | Path = "paper_figures/out", only: list[str] | None = None, scripts_dir=None) -> list[FigureOutcome]:
    """Run every figure script (or those named in ``only``) on the logs under ``results``,
    writing PNG and PDF under ``out``. A figure whose study has no logs is skipped with the
    reason; raises KeyError for a name in ``only`` that no script has."""
    scripts = figure_scripts(scripts_dir)
    for name in only or []:
        if name not in scripts:
            raise KeyError(f"no figure named {name!r}; figures: {', '.join(scripts)}")
    outcomes = []
    for name, module in scripts.items():
        if only and name not in only:
            continue
        t0 = time.perf_counter()
        try:
            files = list(module.make(Path(results), Path(out)))
            outcomes.append(FigureOutcome(name, files, None, time.perf_counter() - t0))
        except MissingResults as exc:
            outcomes.append(FigureOutcome(name, [], str(exc), time.perf_counter() - t0))
    return outcomes


def script_main(make: Callable, description: str | None = None) -> int:
    """The command line of one figure script: ``--results DIR --out DIR``."""
    import argparse

    p = argparse.ArgumentParser(description=description)
    p.add_argument("--results", default="results", help="the results directory (default results)")
    p.add_argument("--out", default="paper_figures/out", help="where PNG and PDF go (default paper_figures/out)")
    args = p.parse_args()
    try:
        files = make(Path(args.results), Path(args.out))
    except MissingResults as exc:
        print(f"error: {exc}")
        return 2
    for f in files:
        print(f)
    return 0
