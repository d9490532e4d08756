"""Table 1 of Li et al., "Hyperband", JMLR 18(185), 2018: n_i and r_i of every bracket for
R = 81, eta = 3, as printed (n = 81, 27, 9, 6, 5: the floor rounding of the authors'
reference code). Writes it as Markdown and as a rendered table (PNG, PDF).

    python paper_figures/table1.py --out paper_figures/out
"""

from __future__ import annotations

from pathlib import Path

from hpobench import paper

NAME = "table1"


def markdown(cells) -> str:
    s_values = range(len(cells[0]) - 1, -1, -1)
    head = "| i | " + " | ".join(f"s={s} n_i / r_i" for s in s_values) + " |"
    rows = [head, "|---" * (len(cells[0]) + 1) + "|"]
    for i, row in enumerate(cells):
        rows.append(f"| {i} | " + " | ".join(f"{c[0]} / {c[1]:g}" if c else "" for c in row) + " |")
    return "\n".join(rows) + "\n"


def make(results: Path, out: Path) -> list[Path]:
    from matplotlib.figure import Figure

    cells = paper.table1_cells(81, 3)
    s_values = list(range(len(cells[0]) - 1, -1, -1))
    fig = Figure(figsize=(6.5, 2.6))
    ax = fig.add_subplot(111)
    ax.axis("off")
    text = [[str(i)] + [f"{c[0]}  /  {c[1]:g}" if c else "" for c in row] for i, row in enumerate(cells)]
    table = ax.table(cellText=text, colLabels=["i"] + [f"s={s}\nn_i / r_i" for s in s_values], loc="center", cellLoc="center")
    table.scale(1, 1.6)
    ax.set_title("Table 1: Hyperband brackets, R = 81, eta = 3", fontsize=12)
    files = paper.save_figure(fig, out, "table1")
    path = Path(out) / "table1.md"
    path.write_text(markdown(cells))
    return files + [path]


if __name__ == "__main__":
    raise SystemExit(paper.script_main(make, __doc__))
