"""Figure 5 of Li et al., "Hyperband", JMLR 18(185), 2018: average rank of each searcher against
time across data sets, by (a) validation error and (b) test error of the model with the lowest
validation error so far, the scikit-learn pipeline space with the training-set subsample as the
resource.

The paper ran auto-sklearn's space on 117 OpenML data sets, 20 trials of one hour per searcher
and data set, ranks every 30 s. Here: a smaller pipeline space (``pipeline-*`` benchmarks: 7
classifiers, 4 preprocessors) on 5 small data sets, 5 trials of 60 wall-clock seconds per
searcher and data set, ranks every 0.5 s (120 points, as the paper's 3600 s / 30 s). "random 2x"
pairs random search's trials (see :mod:`hpobench.paper.ranks`).

    python paper_figures/fig5_pipelines.py --results results --out paper_figures/out
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hpobench import paper
from hpobench.runner import parse_budget

NAME = "fig5"
STUDY = "fig5"

#: Searcher -> the paper's legend name and style.
SEARCHERS = {
    "smac": ("SMAC", {"marker": "o", "color": "C2", "markerfacecolor": "none"}),
    "tpe": ("TPE", {"marker": "s", "color": "C4", "markerfacecolor": "none"}),
    "random": ("random", {"marker": "v", "color": "C7"}),
    paper.RANDOM_2X: ("random 2x", {"marker": "+", "color": "C8"}),
    "hyperband": ("hyperband", {"marker": "x", "color": "C0"}),
}
#: Time points per run (the paper: 3600 s in 30-s intervals).
POINTS = 120


def time_grid(results: Path) -> np.ndarray:
    seconds = parse_budget(paper.PAPER_STUDIES[STUDY].budget).amount
    return np.linspace(seconds / POINTS, seconds, POINTS)


def curves(results: Path) -> tuple[dict, dict[str, dict[str, dict[str, np.ndarray]]]]:
    """The study's runs, and ``{"validation" | "test": {data set: {searcher: trial-averaged
    incumbent error on the grid}}}``."""
    grid = time_grid(results)
    runs = paper.study_runs_by_benchmark(results, STUDY)
    return runs, {what: {b: paper.dataset_curves(r, grid, what) for b, r in runs.items()} for what in ("validation", "test")}


def final_table(runs: dict, test: dict, validation: dict) -> str:
    names = [n for n in SEARCHERS if all(n in c for c in test.values())]
    head = "| data set | " + " | ".join(SEARCHERS[n][0] for n in names) + " |"
    lines = [
        "Average final test error (validation error in brackets) of the incumbent at the end of the window, per data set; "
        "`trials`: trials per searcher (random 2x: pairs of random trials); the average ranks at the end of the window below.",
        "", head, "|---" * (len(names) + 1) + "|",
    ]
    for ds in test:
        cells = [f"{test[ds][n][-1]:.4f} ({validation[ds][n][-1]:.4f})" for n in names]
        lines.append(f"| {ds} | " + " | ".join(cells) + " |")
    trials = {n: min(len(runs[ds].get(n if n != paper.RANDOM_2X else "random", {})) for ds in runs) for n in names}
    lines.append("| trials | " + " | ".join(str(trials[n]) for n in names) + " |")
    for label, c in (("average rank, validation", validation), ("average rank, test", test)):
        ranks = paper.average_ranks(c)
        lines.append(f"| {label} | " + " | ".join(f"{ranks[n][-1]:.2f}" for n in names) + " |")
    return "\n".join(lines) + "\n"


def make(results: Path, out: Path) -> list[Path]:
    from matplotlib.figure import Figure

    grid = time_grid(results)
    runs, by_what = curves(results)
    fig = Figure(figsize=(13, 5.5))
    for k, (what, panel) in enumerate((("validation", "(a) validation error"), ("test", "(b) test error"))):
        ax = fig.add_subplot(1, 2, k + 1)
        ranks = paper.average_ranks(by_what[what])
        for name, (label, style) in SEARCHERS.items():
            if name in ranks:
                ax.plot(grid, ranks[name], label=label, lw=2, markersize=7, markevery=max(1, POINTS // 12), **style)
        ax.set_xlabel("Time (s)", fontsize=16)
        ax.set_ylabel("Average Rank", fontsize=16)
        ax.set_ylim(1, max(2, len(ranks)))
        ax.set_xlim(0, grid[-1])
        ax.set_title(f"{panel}, {len(by_what[what])} data sets", fontsize=13)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=10)
    fig.tight_layout()
    files = paper.save_figure(fig, out, "fig5_pipelines_ranks")
    table = Path(out) / "fig5_final_errors.md"
    table.write_text(final_table(runs, by_what["test"], by_what["validation"]))
    return files + [table]


if __name__ == "__main__":
    raise SystemExit(paper.script_main(make, __doc__))
