"""Figures 5 and 6 of the Hyperband paper: average rank against time across data sets, and each
data set's test-error difference to random search.

Li et al. (JMLR 18(185), 2018, §4.2.1) scored their 117-data-set study so: divide the time
window (one hour) into intervals (30 s); at each time point take, in every trial, the model with
the lowest validation error so far and its validation or test error; average that over the
trials of a searcher; rank the searchers on each data set; average the ranks across data sets
(Figure 5). Figure 6 plots, per data set, a searcher's average final test error minus random
search's. "random 2x" pairs two random-search trials, concatenates them, and halves the time
axis (it has seen twice as many configurations at every time point).

Here the time of an evaluation is the wall-clock ``elapsed`` seconds its log records (optimizer
overhead included, as in the paper's one-hour window). The model "so far" is any evaluation,
at any subsample size (Hyperband's low-budget models count when their validation error is the
lowest). A searcher with no result yet at a time point in any trial is ranked after those that
have one (ties share the average rank).

Example:
    >>> runs = {"a": {0: [{"loss": 0.2, "test_loss": 0.3, "status": "ok", "elapsed": 1.0}]},
    ...         "b": {0: [{"loss": 0.1, "test_loss": 0.4, "status": "ok", "elapsed": 2.0}]}}
    >>> curves = dataset_curves(runs, np.array([0.5, 1.5, 2.5]), "validation")
    >>> average_ranks({"set": curves})["b"].tolist()
    [1.5, 2.0, 1.0]
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import stats

from ..analysis import incumbent_trace
from .traces import PaperTrace, step_values

__all__ = ["time_trace", "random_2x_traces", "dataset_curves", "average_ranks", "final_differences", "RANDOM_2X"]

#: The key under which :func:`dataset_curves` adds the paper's "random 2x" (drawn from random's logs).
RANDOM_2X = "random-2x"


def time_trace(records: list[dict], what: str = "test") -> PaperTrace:
    """One trial's incumbent error against the wall-clock seconds (``elapsed``) of its log.

    Args:
        records: the run's log records, in log order.
        what: ``"test"`` (the incumbent's test error) or ``"validation"`` (its validation error).
    """
    if what not in ("test", "validation"):
        raise ValueError(f"what {what!r} is not one of test, validation")
    tr = incumbent_trace(records)
    y = tr.incumbent_test if what == "test" else tr.best_loss
    keep = ~np.isnan(y)
    return PaperTrace(x=tr.elapsed[keep], y=y[keep])


def random_2x_traces(random_runs: dict[int, list[dict]], what: str = "test") -> list[PaperTrace]:
    """The paper's "random 2x" from random search's trials: trial ``i`` concatenated with trial
    ``i + 1`` (cyclically, in seed order), the second one's times shifted by the first one's
    length, then every time halved. ``n`` random trials give ``n`` such pairs (the paper used 20
    random trials for 10 disjoint pairs; with few trials, cyclic pairs keep one per trial)."""
    seeds = sorted(random_runs)
    if len(seeds) < 2:
        return []
    out = []
    for i, s in enumerate(seeds):
        first, second = random_runs[s], random_runs[seeds[(i + 1) % len(seeds)]]
        length = float(first[-1].get("elapsed", 0.0)) if first else 0.0
        # the incumbent runs on across the join: one searcher that drew both trials' configurations
        full = incumbent_trace(first + second)
        times = np.array([float(r.get("elapsed", 0.0)) for r in first] + [length + float(r.get("elapsed", 0.0)) for r in second])
        y = full.incumbent_test if what == "test" else full.best_loss
        keep = ~np.isnan(y)
        out.append(PaperTrace(x=times[keep] / 2.0, y=y[keep]))
    return out


def _mean_on_grid(traces: list[PaperTrace], grid: np.ndarray) -> np.ndarray:
    if not traces:
        return np.full(len(grid), np.nan)
    values = np.array([step_values(t, grid) for t in traces]).reshape(len(traces), len(grid))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-nan columns: no trial has a result yet
        return np.nanmean(values, axis=0)


def dataset_curves(runs: dict[str, dict[int, list[dict]]], grid: np.ndarray, what: str = "test", random_name: str = "random") -> dict[str, np.ndarray]:
    """Each searcher's trial-averaged incumbent error at the ``grid`` times on one data set,
    plus :data:`RANDOM_2X` when ``random_name`` has at least two trials.

    Args:
        runs: ``{optimizer: {seed: records}}`` of one data set.
        grid: the time points (seconds).
        what: ``"test"`` or ``"validation"``.
        random_name: the optimizer whose trials make "random 2x".
    """
    curves = {name: _mean_on_grid([time_trace(recs, what) for _, recs in sorted(trials.items())], grid) for name, trials in runs.items()}
    if random_name in runs:
        pairs = random_2x_traces(runs[random_name], what)
        if pairs:
            curves[RANDOM_2X] = _mean_on_grid(pairs, grid)
    return curves


def average_ranks(curves_by_dataset: dict[str, dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Rank the searchers on each data set at every grid point (1 = lowest error; ties share the
    average rank; no result yet = worst), then average the ranks over the data sets. Only
    searchers present on every data set are ranked."""
    if not curves_by_dataset:
        return {}
    names = [n for n in next(iter(curves_by_dataset.values())) if all(n in c for c in curves_by_dataset.values())]
    total = None
    for curves in curves_by_dataset.values():
        stack = np.stack([np.where(np.isnan(curves[n]), np.inf, curves[n]) for n in names])  # searcher x time
        ranks = stats.rankdata(stack, axis=0)
        total = ranks if total is None else total + ranks
    return {n: total[i] / len(curves_by_dataset) for i, n in enumerate(names)}


def final_differences(curves_by_dataset: dict[str, dict[str, np.ndarray]], baseline: str = "random") -> dict[str, dict[str, float]]:
    """Figure 6: ``{data set: {searcher: final average test error - baseline's}}`` (the last grid
    point; nan where either has no result)."""
    out = {}
    for ds, curves in curves_by_dataset.items():
        if baseline not in curves:
            continue
        base = float(curves[baseline][-1])
        out[ds] = {n: (float(c[-1]) - base) if len(c) else math.nan for n, c in curves.items() if n != baseline}
    return out
