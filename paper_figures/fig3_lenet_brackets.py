"""Figure 3 of Li et al., "Hyperband", JMLR 18(185), 2018: each bracket s = 4..0 run alone
(repeated with fresh configurations) and Hyperband, average test error over trials.

The paper trained LeNet on MNIST, 70 trials; here the workload is the LeNet-on-digits surrogate
(R = 81, eta = 3) and the x axis is "Multiple of R Used" (the resource every method is charged).
``fig3_lenet_real.py`` draws the same on real training.

    python paper_figures/fig3_lenet_brackets.py --results results --out paper_figures/out
"""

from __future__ import annotations

from pathlib import Path

from hpobench import paper

NAME = "fig3"
STUDY = "fig3"


def make(results: Path, out: Path) -> list[Path]:
    runs = paper.study_runs(results, STUDY)
    return paper.brackets_figure(runs, out, "Brackets alone and Hyperband, LeNet surrogate (digits)", "fig3_lenet_brackets", "fig3_final")


if __name__ == "__main__":
    raise SystemExit(paper.script_main(make, __doc__))
