"""The seed talk's grid-versus-random layout (Bergstra & Bengio, JMLR 2012, Figure 1): nine
trials on a 3 x 3 grid and nine uniform random trials, over one important parameter (x) and one
unimportant one (y). The grid tries only 3 distinct values of the important parameter, random
search 9. Needs no results.

    python paper_figures/talk_grid_vs_random.py --out paper_figures/out
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hpobench import paper

NAME = "talk-grid"


def important(x):
    """The objective's dependence on the important parameter (a narrow good region)."""
    return np.exp(-((x - 0.62) ** 2) / 0.012) + 0.25 * np.exp(-((x - 0.2) ** 2) / 0.02)


def unimportant(y):
    """The (weak, flat) dependence on the unimportant parameter."""
    return 0.15 + 0.03 * np.sin(3 * np.pi * y)


def make(results: Path, out: Path) -> list[Path]:
    from matplotlib.figure import Figure

    g = (np.arange(3) + 0.5) / 3
    layouts = {
        "Grid Layout": np.array([(a, b) for a in g for b in g]),
        "Random Layout": np.random.default_rng(7).uniform(0.02, 0.98, size=(9, 2)),
    }
    fig = Figure(figsize=(10, 5))
    t = np.linspace(0, 1, 300)
    for k, (title, pts) in enumerate(layouts.items()):
        left = 0.06 + 0.5 * k
        main = fig.add_axes([left + 0.09, 0.08, 0.33, 0.62])
        top = fig.add_axes([left + 0.09, 0.72, 0.33, 0.16], sharex=main)
        side = fig.add_axes([left, 0.08, 0.08, 0.62], sharey=main)
        main.scatter(pts[:, 0], pts[:, 1], s=70, color="k", zorder=3)
        main.set_xlim(0, 1)
        main.set_ylim(0, 1)
        main.set_xlabel("Important parameter")
        side.set_ylabel("Unimportant parameter")
        main.tick_params(labelleft=False, labelbottom=False, left=False, bottom=False)
        top.fill_between(t, important(t), color="tab:green", alpha=0.5)
        top.plot(pts[:, 0], important(pts[:, 0]), "o", color="tab:blue")
        top.axis("off")
        side.fill_betweenx(t, unimportant(t), color="tab:orange", alpha=0.5)
        side.plot(unimportant(pts[:, 1]), pts[:, 1], "o", color="tab:blue")
        side.set_xlim(0.4, 0)
        side.set_xticks([])
        side.set_yticks([])
        top.set_title(f"{title}\n{len(np.unique(pts[:, 0].round(6)))} distinct values of the important parameter", fontsize=11)
    return paper.save_figure(fig, out, "talk_grid_vs_random")


if __name__ == "__main__":
    raise SystemExit(paper.script_main(make, __doc__))
