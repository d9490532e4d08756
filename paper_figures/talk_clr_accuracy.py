"""The seed talk's cyclical learning rate accuracy figure (Smith, WACV 2017, Figure 1: CIFAR-10
accuracy against iterations, a fixed learning rate against the triangular CLR policy, which got
there in fewer iterations), on real ``lenet-digits``: one LeNet configuration trained with a
fixed rate and with triangular CLR, accuracy measured every few epochs.

    python -m hpobench figures --rerun clr-accuracy     # a few minutes on one core
    python paper_figures/talk_clr_accuracy.py --results results --out paper_figures/out
"""

from __future__ import annotations

import json
from pathlib import Path

from hpobench import paper

NAME = "clr-accuracy"


def make(results: Path, out: Path) -> list[Path]:
    from matplotlib.figure import Figure

    spec = paper.PAPER_COMPUTATIONS[NAME]
    path = Path(results) / spec.directory / "clr_accuracy.json"
    if not path.exists():
        raise paper.MissingResults(f"no {path}; run `python -m hpobench figures --rerun {NAME}` to make it")
    data = json.loads(path.read_text())
    clr = data["clr"]
    labels = {
        "fixed": (f"fixed lr = {data['policies']['fixed']['lr']:g}", {"color": "C0", "marker": "o"}),
        "clr": (f"triangular CLR, {clr['base_lr']:.3g} to {clr['max_lr']:g}", {"color": "C3", "marker": "s"}),
    }
    fig = Figure(figsize=(6.5, 4.5))
    ax = fig.add_subplot(111)
    for policy, (label, style) in labels.items():
        pts = data["policies"][policy]["points"]
        x = [p["iterations"] for p in pts]
        ax.plot(x, [p["val_accuracy"] for p in pts], lw=2, label=f"{label}, validation", **style)
        ax.plot(x, [p["test_accuracy"] for p in pts], lw=1, ls="--", alpha=0.7, label=f"{label}, test", color=style["color"])
    ax.set_xlabel("Iteration")
    ax.set_ylabel("Accuracy")
    ax.set_title(f"LeNet on digits, batch {data['config']['batch_size']}, seed {data['seed']}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    fig.tight_layout()
    return paper.save_figure(fig, out, "talk_clr_accuracy")


if __name__ == "__main__":
    raise SystemExit(paper.script_main(make, __doc__))
