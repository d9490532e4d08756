"""The paper's trace conventions: where each method's points sit, averages over trials, speed-ups.

See :mod:`hpobench.paper` for the conventions (Li et al., JMLR 2018, Figure 4).
"""

from __future__ import annotations

import enum
import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..analysis import incumbent_trace


class Placement(str, enum.Enum):
    """Where a method's trace has its points on the resource axis (see the module docstring)."""

    PER_CONFIG = "per-config"
    HALVED = "halved"
    BRACKET_END = "bracket-end"


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
