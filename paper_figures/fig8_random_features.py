"""Figure 8 (and Figure 13, with quartile bands) of Li et al., "Hyperband", JMLR 18(185), 2018:
classification with random Fourier features, test error of the incumbent against minutes, 10
trials per method; dashed vertical lines mark where each method's shortest trial ended. Unlike
Figure 7, spearmint is run here, as in the paper.

The paper used CIFAR-10, R = 1000 units of 100 features (100,000 features), eta = 4 and 12 hours
per trial; here the workload is the random-features-on-digits surrogate
(``random-features-digits-surrogate``: the number of random features as the resource, R = 100
units of 100 features, eta = 3, so brackets s = 4..0 and "bracket s=4" is the paper's), and
minutes are the surrogate's predicted seconds summed over one worker's evaluations (the
simulated clock). A random-features evaluation cannot continue from a smaller one: each
evaluation is charged in full, as in the paper.

    python paper_figures/fig8_random_features.py --results results --out paper_figures/out
"""

from __future__ import annotations

from pathlib import Path

from hpobench import paper

NAME = "fig8"
STUDY = "fig8"

METHODS = paper.paper_methods("hyperband", "smac", "tpe", "gp", "random", "random-2x", "bracket-s4")
LABELS = {m.optimizer: m.label for m in METHODS}


def make(results: Path, out: Path) -> list[Path]:
    runs = paper.study_runs(results, STUDY)
    curves = paper.method_curves(runs, METHODS, x_unit="minutes")
    title = "Random features surrogate (digits), R = 100, eta = 3"
    files = paper.minutes_figures(curves, METHODS, title, out, "fig8_random_features", "fig13_random_features_quartiles")
    files += paper.write_speedups(curves, out, "fig8_speedups", "minutes", LABELS)
    return files


if __name__ == "__main__":
    raise SystemExit(paper.script_main(make, __doc__))
