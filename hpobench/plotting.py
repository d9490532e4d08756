"""Matplotlib figures shared by ``compare`` and ``paper_figures/``.

Style follows the Hyperband authors' notebooks (SPEC.md §1.6): line width 2, 'x' markers for
Hyperband, '+' for random 2x, quartile bands.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .analysis import aggregate, curves_on_grid, default_grid  # noqa: E402

MARKERS = {"hyperband": "x", "random-2x": "+", "hyperband-inf": "o"}


def incumbent_plot(traces_by_opt, axis: str, optimum: float | None, title: str, path: str | Path, log_y: bool | None = None) -> Path:
    """Median incumbent curve per optimizer with its quartile band; saves a PNG to ``path``.

    The y axis is simple regret where ``optimum`` is known (log scale), else the incumbent's test
    value. The x axis is evaluations, or multiples of R for multi-fidelity benchmarks.
    """
    what = "regret" if optimum is not None else "incumbent_test"
    grid = default_grid(traces_by_opt, axis)
    fig, ax = plt.subplots(figsize=(6.5, 5.0))
    positive = True
    for i, (opt, traces) in enumerate(sorted(traces_by_opt.items())):
        if not traces or not len(grid):
            continue
        curves = curves_on_grid(traces, axis, grid, what)
        if what == "regret":
            curves = np.maximum(curves, 1e-12)  # a regret of exactly 0 cannot be drawn on a log axis
        agg = aggregate(curves)
        color = f"C{i % 10}"
        ax.plot(grid, agg["median"], lw=2, color=color, label=f"{opt} (n={len(traces)})", marker=MARKERS.get(opt), markevery=max(1, len(grid) // 12))
        ax.fill_between(grid, agg["q25"], agg["q75"], color=color, alpha=0.15, lw=0)
        positive &= bool(np.all(agg["q25"][~np.isnan(agg["q25"])] > 0))
    ax.set_xlabel("Multiple of R used" if axis == "resource" else "Evaluations")
    ax.set_ylabel("Simple regret (median, quartiles)" if what == "regret" else "Incumbent test loss (median, quartiles)")
    if (log_y if log_y is not None else what == "regret") and positive:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
