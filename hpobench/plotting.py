"""Matplotlib figures shared by ``compare`` and ``paper_figures/``.

Style follows the Hyperband authors' figures (Li et al., JMLR 2018): line width 2, a marker per
method, quartile bands. Which marker a method gets is the caller's choice (``styles``); nothing
here depends on an optimizer's registered name.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .analysis import aggregate, curves_on_grid, default_grid  # noqa: E402

#: Markers handed out in order to the methods of a figure (no style is tied to a name).
MARKERS = ("x", "+", "o", "s", "^", "v", "D", "*", "<", ">", "p", "h")


def incumbent_plot(
    traces_by_opt,
    axis: str,
    optimum: float | None,
    title: str,
    path: str | Path,
    log_y: bool | None = None,
    styles: dict[str, dict] | None = None,
    xlabel: str | None = None,
) -> Path:
    """Median incumbent curve per optimizer with its quartile band; saves a PNG to ``path``.

    The y axis is simple regret where ``optimum`` is known (log scale when every value is
    positive), else the incumbent's test value. The x axis is the charged resource in multiples
    of R (``axis="resource"``; evaluations as charged on a benchmark without a fidelity), or
    evaluations or seconds. ``styles`` maps an optimizer to matplotlib keyword overrides
    (``{"hyperband": {"marker": "x"}}``). Runs whose every trial failed are drawn as nothing and
    named in the legend; the figure is always written.
    """
    what = "regret" if optimum is not None else "incumbent_test"
    grid = default_grid(traces_by_opt, axis)
    fig, ax = plt.subplots(figsize=(6.5, 5.0))
    positive, drawn = True, False
    for i, (opt, traces) in enumerate(sorted(traces_by_opt.items())):
        if not traces or not len(grid):
            continue
        curves = curves_on_grid(traces, axis, grid, what)
        if what == "regret":
            curves = np.maximum(curves, 1e-12)  # a regret of exactly 0 cannot be drawn on a log axis
        agg = aggregate(curves)
        style = {"lw": 2, "color": f"C{i % 10}", "marker": MARKERS[i % len(MARKERS)], "markevery": max(1, len(grid) // 12)}
        style.update((styles or {}).get(opt, {}))
        if np.all(np.isnan(agg["median"])):
            ax.plot([], [], label=f"{opt} (n={len(traces)}, every trial failed)", **style)
            continue
        ax.plot(grid, agg["median"], label=f"{opt} (n={len(traces)})", **style)
        ax.fill_between(grid, agg["q25"], agg["q75"], color=style["color"], alpha=0.15, lw=0)
        finite = agg["q25"][~np.isnan(agg["q25"])]
        positive &= bool(np.all(finite > 0))
        drawn = True
    default_label = {"resource": "Multiple of R used", "evaluations": "Evaluations", "elapsed": "Seconds"}[axis]
    ax.set_xlabel(xlabel or default_label)
    ax.set_ylabel("Simple regret (median, quartiles)" if what == "regret" else "Incumbent test loss (median, quartiles)")
    if (log_y if log_y is not None else what == "regret") and positive and drawn:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    return save_figure(fig, path, dpi=110)


def save_figure(fig, path: str | Path, dpi: int = 110) -> Path:
    """Lay out ``fig``, write it to ``path`` (creating its folder) and close it; the one place
    every PNG of the package goes through."""
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
