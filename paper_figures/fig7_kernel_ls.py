"""Figure 7 (and Figure 12, with quartile bands) of Li et al., "Hyperband", JMLR 18(185), 2018:
kernel regularized least-squares classification, test error of the incumbent against minutes,
10 trials per method; dashed vertical lines mark where each method's shortest trial ended.

The paper used CIFAR-10, R = 400 (units of 100 points), eta = 4 and 12 hours of wall time per
trial; here the workload is the kernel-LS-on-digits surrogate (``kernel-ls-digits-surrogate``,
training-set size as the resource, R = 11 units of ~98 points, eta = 3, so its most exploratory
bracket is s = 2 and plays the paper's "bracket s=4"), and minutes are the surrogate's
predicted training seconds summed over one worker's evaluations (the simulated clock).

    python paper_figures/fig7_kernel_ls.py --results results --out paper_figures/out
"""

from __future__ import annotations

from pathlib import Path

from hpobench import paper
from hpobench.paper import Method, Placement

NAME = "fig7"
STUDY = "fig7"

METHODS = paper.paper_methods("hyperband", "smac", "tpe", "random", "random-2x") + [
    Method("bracket-s2", "bracket s=2 (most exploratory)", Placement.BRACKET_END, {"marker": "*", "color": "C9"}),
]
LABELS = {m.optimizer: m.label for m in METHODS}


def make(results: Path, out: Path) -> list[Path]:
    runs = paper.study_runs(results, STUDY)
    curves = paper.method_curves(runs, METHODS, x_unit="minutes")
    title = "Kernel LS surrogate (digits), R = 11, eta = 3"
    files = paper.minutes_figures(curves, METHODS, title, out, "fig7_kernel_ls", "fig12_kernel_ls_quartiles")
    files += paper.write_speedups(curves, out, "fig7_speedups", "minutes", LABELS)
    return files


if __name__ == "__main__":
    raise SystemExit(paper.script_main(make, __doc__))
