"""Figure 4 (and Figure 11, with quartile bands) of Li et al., "Hyperband", JMLR 18(185), 2018:
average test error of the incumbent against "Multiple of R Used", 0-50R, 10 trials per method.

The paper ran CNNs on CIFAR-10, MRBI and SVHN; here the workload is the LeNet-on-digits
surrogate (``lenet-digits-surrogate``, R = 81 units, eta = 3). Also writes the speed-up table
(resource to reach random search's final test error, divided by Hyperband's).

    python paper_figures/fig4_lenet.py --results results --out paper_figures/out
"""

from __future__ import annotations

from pathlib import Path

from hpobench import paper

NAME = "fig4"
STUDY = "fig4"

#: The paper's legend names and markers (hpobench.paper.PAPER_METHODS).
METHODS = paper.paper_methods("hyperband", "hyperband-inf", "smac", "smac-early", "tpe", "gp", "random", "random-2x", "bracket-s4")
LABELS = {m.optimizer: m.label for m in METHODS}


def make(results: Path, out: Path) -> list[Path]:
    runs = paper.study_runs(results, STUDY)
    curves = paper.method_curves(runs, METHODS)
    title = "LeNet surrogate (digits), R = 81, eta = 3"
    files = []
    for stem, bands in (("fig4_lenet", False), ("fig11_lenet_quartiles", True)):
        fig = paper.curve_figure(curves, METHODS, "Multiple of R Used", "Average Test Error", title, bands=bands, xlim=(0, 50), ylim=paper.zoom_ylim(curves))
        files += paper.save_figure(fig, out, stem)
    files += paper.write_speedups(curves, out, "fig4_speedups", "multiples of R", LABELS)
    return files


if __name__ == "__main__":
    raise SystemExit(paper.script_main(make, __doc__))
