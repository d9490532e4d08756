"""The seed talk's cyclical learning rate figure (Smith, WACV 2017, Figure 2): the triangular
policy, the rate rising linearly from base_lr to max_lr over ``stepsize`` iterations and back,
drawn from :class:`hpobench.schedules.CyclicLR` (Smith's CIFAR-10 values: base 0.001,
max 0.006, stepsize 2000). Needs no results.

    python paper_figures/talk_clr.py --out paper_figures/out
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hpobench import paper
from hpobench.schedules import CyclicLR

NAME = "talk-clr"


def make(results: Path, out: Path) -> list[Path]:
    from matplotlib.figure import Figure

    clr = CyclicLR(base_lr=0.001, max_lr=0.006, stepsize=2000, mode="triangular")
    t = np.arange(0, 3 * 2 * 2000 + 1)
    fig = Figure(figsize=(6.5, 4))
    ax = fig.add_subplot(111)
    ax.plot(t, clr.values(t), lw=2)
    ax.axhline(0.001, ls=":", color="gray")
    ax.axhline(0.006, ls=":", color="gray")
    ax.text(t[-1], 0.001, " base_lr", va="center", fontsize=10)
    ax.text(t[-1], 0.006, " max_lr", va="center", fontsize=10)
    ax.annotate("", xy=(2000, 0.0065), xytext=(0, 0.0065), arrowprops={"arrowstyle": "<->"})
    ax.text(1000, 0.0067, "stepsize", ha="center", fontsize=10)
    ax.set_ylim(0, 0.0075)
    ax.set_xlabel("Iteration")
    ax.set_ylabel("Learning rate")
    ax.set_title("Cyclical learning rate, triangular policy")
    fig.tight_layout()
    return paper.save_figure(fig, out, "talk_clr_triangular")


if __name__ == "__main__":
    raise SystemExit(paper.script_main(make, __doc__))
