"""Figure 4 (and Figure 11, with quartile bands) of Li et al., "Hyperband", JMLR 18(185), 2018:
average test error of the incumbent against "Multiple of R Used", 0-50R, 10 trials per method.

The paper ran CNNs on CIFAR-10, MRBI and SVHN; here the workload is the LeNet-on-digits
surrogate (``lenet-digits-surrogate``, R = 81 units, eta = 3). Also writes the speed-up table
(resource to reach random search's final test error, divided by Hyperband's).
``fig4_lenet_real.py`` draws the same on real training.

    python paper_figures/fig4_lenet.py --results results --out paper_figures/out
"""

from __future__ import annotations

from pathlib import Path

from hpobench import paper

NAME = "fig4"
STUDY = "fig4"

#: The paper's legend names and markers (hpobench.paper.PAPER_METHODS).
METHODS = paper.paper_methods("hyperband", "hyperband-inf", "smac", "smac-early", "tpe", "gp", "random", "random-2x", "bracket-s4")


def make(results: Path, out: Path) -> list[Path]:
    runs = paper.study_runs(results, STUDY)
    title = "LeNet surrogate (digits), R = 81, eta = 3"
    return paper.resource_figures(runs, METHODS, out, title, ("fig4_lenet", "fig11_lenet_quartiles", "fig4_speedups"), xmax=50)


if __name__ == "__main__":
    raise SystemExit(paper.script_main(make, __doc__))
