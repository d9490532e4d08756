"""The seed talk's LR range test (Smith, WACV 2017, §3.3): validation accuracy while the
learning rate grows linearly from 0, on real ``lenet-digits`` (LeNet on scikit-learn's digits,
one configuration, 4 epochs), with the suggested CLR bounds marked.

    python -m hpobench figures --rerun lr-range     # about a minute on one core
    python paper_figures/talk_lr_range.py --results results --out paper_figures/out
"""

from __future__ import annotations

import json
from pathlib import Path

from hpobench import paper

NAME = "lr-range"


def make(results: Path, out: Path) -> list[Path]:
    from matplotlib.figure import Figure

    spec = paper.PAPER_COMPUTATIONS[NAME]
    path = Path(results) / spec.directory / "lr_range.json"
    if not path.exists():
        raise paper.MissingResults(f"no {path}; run `python -m hpobench figures --rerun {NAME}` to make it")
    data = json.loads(path.read_text())
    fig = Figure(figsize=(6.5, 4.5))
    ax = fig.add_subplot(111)
    ax.plot(data["lrs"], data["accuracies"], lw=2, marker="o", markersize=4)
    for x, name in ((data["base_lr"], "base_lr"), (data["suggested_max_lr"], "max_lr")):
        ax.axvline(x, ls="--", color="gray")
        ax.text(x, ax.get_ylim()[0], f" {name} = {x:.3g}", rotation=90, va="bottom", fontsize=10)
    ax.set_xlabel("Learning rate")
    ax.set_ylabel("Validation accuracy")
    ax.set_title(f"LR range test, LeNet on digits ({data['epochs']:g} epochs)")
    fig.tight_layout()
    return paper.save_figure(fig, out, "talk_lr_range")


if __name__ == "__main__":
    raise SystemExit(paper.script_main(make, __doc__))
