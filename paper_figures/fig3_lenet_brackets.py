"""Figure 3 of Li et al., "Hyperband", JMLR 18(185), 2018: each bracket s = 4..0 run alone
(repeated with fresh configurations) and Hyperband, average test error over trials.

The paper trained LeNet on MNIST, 70 trials; here the workload is the LeNet-on-digits surrogate
(R = 81, eta = 3) and the x axis is "Multiple of R Used" (the resource every method is charged).

    python paper_figures/fig3_lenet_brackets.py --results results --out paper_figures/out
"""

from __future__ import annotations

from pathlib import Path

from hpobench import paper
from hpobench.paper import Method, Placement

NAME = "fig3"
STUDY = "fig3"

METHODS = [Method(f"bracket-s{s}", f"s={s}", Placement.BRACKET_END, {"marker": m, "color": f"C{s + 1}"}) for s, m in zip(range(4, -1, -1), "o^sDv")]
METHODS.append(Method("hyperband", "hyperband", Placement.BRACKET_END, {"marker": "x", "color": "C0", "lw": 3}))


def make(results: Path, out: Path) -> list[Path]:
    runs = paper.study_runs(results, STUDY)
    curves = paper.method_curves(runs, METHODS)
    fig = paper.curve_figure(curves, METHODS, "Multiple of R Used", "Average Test Error", "Brackets alone and Hyperband, LeNet surrogate (digits)")
    files = paper.save_figure(fig, out, "fig3_lenet_brackets")
    lines = ["| method | trials | final average test error |", "|---|---|---|"]
    for m in METHODS:
        c = curves.get(m.optimizer)
        if c is not None and len(c.x):
            lines.append(f"| {m.label} | {c.n_trials} | {c.mean[-1]:.4f} (at {c.x[-1]:.1f}R) |")
    path = Path(out) / "fig3_final.md"
    path.write_text("\n".join(lines) + "\n")
    return files + [path]


if __name__ == "__main__":
    raise SystemExit(paper.script_main(make, __doc__))
