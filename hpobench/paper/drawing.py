"""The paper's figure style and Table 1."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .traces import MeanCurve, Placement, mean_curve, paper_trace, write_speedups


def table1_cells(max_budget: float = 81, eta: float = 3) -> list[list[tuple[int, float] | None]]:
    """The paper's Table 1: row i, column s = s_max..0 holds ``(n_i, r_i)`` or None (no rung i).

    Uses the rounding the table was printed with (``floor_table``: n = floor(B/R/(s+1)) eta^s,
    which gives 81, 27, 9, 6, 5 for R = 81, eta = 3)."""
    from ..optimizers.hyperband.schedule import schedule

    brackets = schedule(max_budget, eta, rounding="floor_table")
    depth = max(len(b.rungs) for b in brackets)
    return [[(b.as_pairs()[i][0], b.as_pairs()[i][1]) if i < len(b.rungs) else None for b in brackets] for i in range(depth)]


@dataclass
class Method:
    """A curve of a paper figure: which optimizer's logs, the paper's legend name, where its
    points sit, and how it is drawn (matplotlib keywords)."""

    optimizer: str
    label: str
    placement: Placement = Placement.PER_CONFIG
    style: dict = field(default_factory=dict)


#: The paper's legend names, placements and markers ('x' Hyperband, '+' random 2x, '^' SMAC
#: (early)), one per optimizer, so every figure draws a method the same way.
PAPER_METHODS: dict[str, Method] = {m.optimizer: m for m in (
    Method("hyperband", "hyperband (finite)", Placement.BRACKET_END, {"marker": "x", "color": "C0"}),
    Method("hyperband-inf", "hyperband (infinite)", Placement.BRACKET_END, {"marker": "x", "color": "C1", "ls": "--"}),
    Method("smac", "SMAC", Placement.PER_CONFIG, {"marker": "o", "color": "C2", "markerfacecolor": "none"}),
    Method("smac-early", "SMAC (early)", Placement.PER_CONFIG, {"marker": "^", "color": "C3"}),
    Method("tpe", "TPE", Placement.PER_CONFIG, {"marker": "s", "color": "C4", "markerfacecolor": "none"}),
    Method("gp", "spearmint", Placement.PER_CONFIG, {"marker": "D", "color": "C5", "markerfacecolor": "none"}),
    Method("random", "random", Placement.PER_CONFIG, {"marker": "v", "color": "C7"}),
    Method("random-2x", "random 2x", Placement.HALVED, {"marker": "+", "color": "C8"}),
    Method("bracket-s4", "bracket s=4", Placement.BRACKET_END, {"marker": "*", "color": "C9"}),
)}


def paper_methods(*optimizers: str) -> list[Method]:
    """The :data:`PAPER_METHODS` of ``optimizers``, in that order."""
    return [PAPER_METHODS[o] for o in optimizers]


def bracket_methods() -> list[Method]:
    """Figure 3's legend: each bracket s = 4..0 run alone (``bracket-s<k>``) and Hyperband, all
    with a point at the end of each bracket."""
    methods = [Method(f"bracket-s{s}", f"s={s}", Placement.BRACKET_END, {"marker": m, "color": f"C{s + 1}"}) for s, m in zip(range(4, -1, -1), "o^sDv")]
    return methods + [Method("hyperband", "hyperband", Placement.BRACKET_END, {"marker": "x", "color": "C0", "lw": 3})]


def method_curves(runs: dict[str, dict[int, list[dict]]], methods: list[Method], x_unit: str = "resource") -> dict[str, MeanCurve]:
    """Mean curves of the ``methods`` that have logs in ``runs``, by optimizer name."""
    return {
        m.optimizer: mean_curve([paper_trace(recs, m.placement, x_unit) for _, recs in sorted(runs[m.optimizer].items())])
        for m in methods if m.optimizer in runs
    }


def curve_figure(curves: dict[str, MeanCurve], methods: list[Method], xlabel: str, ylabel: str, title: str, bands: bool = False, xlim=None, ylim=None):
    """The paper's figure style (6.5 x 5.5 in, font 16, line width 2, a marker per method);
    with ``bands`` the 25th-75th percentile band of each curve (Figures 11-13)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.5, 5.5))
    ax = fig.add_subplot(111)
    for m in methods:
        c = curves.get(m.optimizer)
        if c is None or not len(c.x):
            continue
        style = {"lw": 2, "markersize": 8, "markevery": max(1, len(c.x) // 15)}
        if m.placement is Placement.BRACKET_END and len(c.x) <= 30:
            style["markevery"] = 1  # one marker per bracket end, as the paper draws them
        style.update(m.style)
        line = ax.plot(c.x, c.mean, label=f"{m.label} ({c.n_trials})", **style)[0]
        if bands:
            ax.fill_between(c.x, c.q25, c.q75, color=line.get_color(), alpha=0.15, lw=0, step=None)
    for item in [ax.xaxis.label, ax.yaxis.label, ax.title]:
        item.set_fontsize(16)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=13)
    if xlim:
        ax.set_xlim(*xlim)
    if ylim:
        ax.set_ylim(*ylim)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=10, title="method (trials)", title_fontsize=10)
    fig.tight_layout()
    return fig


def zoom_ylim(curves: dict[str, MeanCurve], factor: float = 4.0) -> tuple[float, float] | None:
    """A y range around where the curves end, as the paper fixed its y limits by hand: from 90%
    of the lowest final value up to ``factor`` times the spread of the final values above it
    (the first, much worse points of the slow methods leave the plot at the top)."""
    finals = [float(c.mean[-1]) for c in curves.values() if len(c.x)]
    if not finals:
        return None
    lo = 0.9 * min(finals)
    hi = lo + factor * max(max(finals) - lo, 0.1 * lo)
    return lo, hi


def save_figure(fig, out: str | Path, stem: str) -> list[Path]:
    """Write ``fig`` as ``out/stem.png`` and ``out/stem.pdf``."""
    from ..figures import save

    Path(out).mkdir(parents=True, exist_ok=True)
    return save(fig, Path(out) / stem)


def minutes_figures(curves: dict[str, MeanCurve], methods: list[Method], title: str, out: str | Path, stem: str, quartiles_stem: str) -> list[Path]:
    """The paper's time-axis figure (test error against minutes) and its quartile-band version,
    with a dashed vertical line where each method's shortest trial ended (the paper's Figures
    7-8 and 12-13)."""
    files = []
    for name, bands in ((stem, False), (quartiles_stem, True)):
        fig = curve_figure(curves, methods, "Minutes", "Test Error", title, bands=bands, ylim=zoom_ylim(curves))
        ax = fig.axes[0]
        for m in methods:
            if m.optimizer in curves and len(curves[m.optimizer].x):
                ax.axvline(curves[m.optimizer].x[-1], ls="--", lw=1, color=m.style.get("color"), alpha=0.7)
        files += save_figure(fig, out, name)
    return files


def brackets_figure(runs: dict[str, dict[int, list[dict]]], out: str | Path, title: str, stem: str, table_stem: str) -> list[Path]:
    """Figure 3: the average test error of each bracket run alone and of Hyperband against
    "Multiple of R Used" (``out/stem``), and ``out/table_stem.md``, each method's trials and
    final average."""
    methods = bracket_methods()
    curves = method_curves(runs, methods)
    files = save_figure(curve_figure(curves, methods, "Multiple of R Used", "Average Test Error", title), out, stem)
    lines = ["| method | trials | final average test error |", "|---|---|---|"]
    for m in methods:
        c = curves.get(m.optimizer)
        if c is not None and len(c.x):
            lines.append(f"| {m.label} | {c.n_trials} | {c.mean[-1]:.4f} (at {c.x[-1]:.1f}R) |")
    path = Path(out) / f"{table_stem}.md"
    path.write_text("\n".join(lines) + "\n")
    return files + [path]


def resource_figures(runs: dict[str, dict[int, list[dict]]], methods: list[Method], out: str | Path, title: str, stems: tuple[str, str, str], xmax: float) -> list[Path]:
    """Figure 4 and its quartile-band version (Figure 11): average test error of the incumbent
    against "Multiple of R Used" from 0 to ``xmax``, and the speed-up table (the resource each
    method needs to reach random search's final test error, divided by Hyperband's).
    ``stems``: the figure's, the quartile figure's and the speed-up table's file names."""
    curves = method_curves(runs, methods)
    files = []
    for stem, bands in ((stems[0], False), (stems[1], True)):
        fig = curve_figure(curves, methods, "Multiple of R Used", "Average Test Error", title, bands=bands, xlim=(0, xmax), ylim=zoom_ylim(curves))
        files += save_figure(fig, out, stem)
    return files + write_speedups(curves, out, stems[2], "multiples of R", {m.optimizer: m.label for m in methods})
