"""Figure 4 (and Figure 11, with quartile bands) of Li et al., "Hyperband", JMLR 18(185), 2018,
on **real** LeNet training (``lenet-digits``: PyTorch LeNet on scikit-learn's 8x8 digits,
R = 81 units of 20 mini-batches, eta = 3), at the scale that fits in about an hour of a 2-core
machine: 0-5R, the trials given in results/README.md (the surrogate version, ``fig4``, has
the paper's 10 trials and 50R).

    python paper_figures/fig4_lenet_real.py --results results --out paper_figures/out
"""

from __future__ import annotations

from pathlib import Path

from hpobench import paper

NAME = "fig4-real"
STUDY = "fig4-real"

METHODS = paper.paper_methods("hyperband", "hyperband-inf", "smac", "smac-early", "tpe", "gp", "random", "random-2x", "bracket-s4")


def make(results: Path, out: Path) -> list[Path]:
    runs = paper.study_runs(results, STUDY)
    title = "Real LeNet training (digits), R = 81, eta = 3"
    return paper.resource_figures(runs, METHODS, out, title, ("fig4_lenet_real", "fig11_lenet_real_quartiles", "fig4_real_speedups"), xmax=5)


if __name__ == "__main__":
    raise SystemExit(paper.script_main(make, __doc__))
