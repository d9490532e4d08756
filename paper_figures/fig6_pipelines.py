"""Figure 6 of Li et al., "Hyperband", JMLR 18(185), 2018: for each data set, a searcher's
average final test error minus random search's, one line per data set across the searchers
(the paper: smac, hyperopt (TPE), hyperband on 117 data sets, nearly all within +-0.5 %).

Drawn from Figure 5's study (``pipeline-*`` benchmarks, 5 data sets, 5 trials of 60 s per
searcher); "final" is the end of the time window.

    python paper_figures/fig6_pipelines.py --results results --out paper_figures/out
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from hpobench import paper

NAME = "fig6"

#: The paper's x axis, left to right: searcher -> its label (the paper calls TPE "hyperopt").
SEARCHERS = {"smac": "smac", "tpe": "hyperopt", "hyperband": "hyperband"}


def _fig5():
    # the curves are Figure 5's; reuse its script rather than repeating the grid
    spec = importlib.util.spec_from_file_location("paper_figures_fig5", Path(__file__).with_name("fig5_pipelines.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make(results: Path, out: Path) -> list[Path]:
    from matplotlib.figure import Figure

    diffs = paper.final_differences(_fig5().curves(results)[1]["test"], baseline="random")
    names = list(SEARCHERS)
    fig = Figure(figsize=(6.5, 5.5))
    ax = fig.add_subplot(111)
    xs = list(range(len(names)))
    for k, (ds, d) in enumerate(diffs.items()):
        ys = [100.0 * d.get(n, float("nan")) for n in names]
        ax.plot(xs, ys, marker="o", lw=1.5, color=f"C{k}", label=ds.removeprefix("pipeline-"))
    ax.axhline(0.0, color="k", lw=1)
    top = max([2.0] + [abs(100.0 * v) * 1.1 for d in diffs.values() for n, v in d.items() if n in SEARCHERS and v == v])
    ax.set_ylim(-top, top)
    ax.set_xticks(xs, [SEARCHERS[n] for n in names])
    ax.set_xlabel("Searcher", fontsize=16)
    ax.set_ylabel("Difference in Test Error vs Random (%)", fontsize=13)
    ax.set_title(f"Pipelines, {len(diffs)} data sets: final test error minus random's", fontsize=12)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9, title="data set", title_fontsize=9)
    fig.tight_layout()
    return paper.save_figure(fig, out, "fig6_pipelines_vs_random")


if __name__ == "__main__":
    raise SystemExit(paper.script_main(make, __doc__))
