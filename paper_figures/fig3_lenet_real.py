"""Figure 3 of Li et al., "Hyperband", JMLR 18(185), 2018, on **real** LeNet training: each
bracket s = 4..0 run alone and Hyperband on ``lenet-digits`` (PyTorch LeNet on scikit-learn's
8x8 digits, R = 81 units of 20 mini-batches, eta = 3), at the number of trials that fits in
about an hour of a 2-core machine (the surrogate version, ``fig3``, has the paper's 70).

    python paper_figures/fig3_lenet_real.py --results results --out paper_figures/out
"""

from __future__ import annotations

from pathlib import Path

from hpobench import paper

NAME = "fig3-real"
STUDY = "fig3-real"


def make(results: Path, out: Path) -> list[Path]:
    runs = paper.study_runs(results, STUDY)
    return paper.brackets_figure(runs, out, "Brackets alone and Hyperband, real LeNet training (digits)", "fig3_lenet_real", "fig3_real_final")


if __name__ == "__main__":
    raise SystemExit(paper.script_main(make, __doc__))
