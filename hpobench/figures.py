"""The report's figures as matplotlib Figures, for notebooks and for ``report --figures DIR``.

Each function takes plain numbers (as computed by :mod:`hpobench.report.collect` and
:mod:`hpobench.stats`) and returns a :class:`matplotlib.figure.Figure`; :func:`save` writes it
as PNG and PDF, :func:`svg_bytes` gives the SVG the HTML report embeds. Style follows
:mod:`hpobench.plotting`: line width 2, quartile bands, the same marker per optimizer.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .plotting import MARKERS  # noqa: E402
from .stats import RankComparison  # noqa: E402

matplotlib.rcParams["svg.hashsalt"] = "hpobench"  # the same figure gives the same SVG bytes


def styles_for(names) -> dict[str, dict]:
    """A colour and a marker per optimizer, handed out in sorted-name order, so every figure of
    a report draws an optimizer the same way (no style is tied to a registered name)."""
    return {n: {"color": f"C{i % 10}", "marker": MARKERS[i % len(MARKERS)]} for i, n in enumerate(sorted(names))}


def _figure(width: float, height: float, left: float = 0.7, right: float = 0.2, bottom: float = 0.55, top: float = 0.35, wspace: float = 0.2) -> Figure:
    """A figure with fixed margins in inches: matplotlib's automatic layouts measure every tick
    label and took more than half of a report's time."""
    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height, top=1 - top / height, wspace=wspace)
    return fig


def _line(ax, x, y, label, style, n_points):
    ax.plot(x, y, lw=2, label=label, markevery=max(1, n_points // 12), **style)


def incumbent_figure(curves_by_axis: dict, axis_labels: dict[str, tuple[str, bool]], value_name: str, title: str, styles: dict[str, dict], log_y: bool = True) -> Figure:
    """Median incumbent value with its quartile band, one panel per x axis.

    Args:
        curves_by_axis: ``{axis: {optimizer: curves}}``; curves have ``grid``, ``median``,
            ``q25``, ``q75`` and ``n_runs`` (see :func:`hpobench.report.collect.incumbent_curves`).
        axis_labels: ``{axis: (label, log_x)}``.
        value_name: what the y axis shows (``simple regret``).
        title: the figure's title.
        styles: optimizer -> matplotlib line style (colour, marker), see :func:`styles_for`.
        log_y: draw the y axis on a log scale where every drawn quartile is positive.
    """
    n = len(curves_by_axis)
    fig = _figure(4.6 * n, 3.9, left=0.75, bottom=0.55, top=0.4, wspace=0.25)
    axes = fig.subplots(1, n, squeeze=False)[0]
    for ax, (axis, curves) in zip(axes, curves_by_axis.items()):
        positive = True
        for opt, c in sorted(curves.items()):
            if np.all(np.isnan(c.median)):
                continue
            med, lo, hi = c.median, c.q25, c.q75
            if log_y:
                med, lo, hi = (np.maximum(a, 1e-12) for a in (med, lo, hi))  # 0 regret cannot be drawn on a log axis
            _line(ax, c.grid, med, f"{opt} (n={c.n_runs})", styles[opt], len(c.grid))
            ax.fill_between(c.grid, lo, hi, color=styles[opt]["color"], alpha=0.15, lw=0)
            positive &= bool(np.all(lo[~np.isnan(lo)] > 0))
        label, log_x = axis_labels[axis]
        ax.set_xlabel(label)
        if log_x:
            _log_scale(ax, "x")
        if log_y and positive:
            _log_scale(ax, "y")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(f"Incumbent {value_name} (median, quartiles)")
    axes[0].legend(fontsize=8)
    fig.suptitle(title)
    return fig


def rank_over_budget_figure(x: np.ndarray, ranks: dict[str, np.ndarray], xlabel: str, title: str, styles: dict[str, dict]) -> Figure:
    """Average rank of each optimizer against budget (1 = best), the paper's Figure 5 layout."""
    fig = _figure(6.5, 4.2)
    ax = fig.subplots()
    for opt, r in sorted(ranks.items()):
        _line(ax, x, r, opt, styles[opt], len(x))
    k = len(ranks)
    ax.set_ylim(k + 0.3, 0.7)  # rank 1 on top
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Average rank (1 = best)")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return fig


def cd_diagram(comparison: RankComparison, title: str) -> Figure:
    """Critical-difference diagram (Demšar 2006, Fig. 1): the average-rank axis with 1 = best on
    the left, each method hung from its rank, thick bars joining methods that are not
    significantly different, the Nemenyi CD drawn above the axis, and the tests named in the
    caption."""
    names, ranks = comparison.names, np.asarray(comparison.ranks, dtype=float)
    k = len(names)
    order = list(np.argsort(ranks, kind="stable"))
    half = (k + 1) // 2
    left, right = order[:half], order[half:][::-1]
    rows = max(len(left), len(right))
    n_groups = len(comparison.groups)
    labels = [f"{names[i]} ({ranks[i]:.2f})" for i in range(k)]
    # Room for the longest label on each side, in inches (about 0.075 in per 9-pt character),
    # converted to rank units so the names are never cut off.
    axis_in = 4.2
    side_in = 0.35 + 0.075 * max(len(t) for t in labels)
    width = axis_in + 2 * side_in + 0.1
    caption = _wrap(comparison.describe(), int(width * 15))  # about 15 characters of 7.5 pt per inch
    lines = caption.count("\n") + 1
    height = 1.6 + 0.28 * (rows + n_groups) + 0.13 * lines
    fig = _figure(width, height, left=0.05, right=0.05, bottom=0.05, top=0.35 + 0.13 * lines)
    ax = fig.subplots()
    lo, hi = 1.0, float(max(k, 2))
    per_in = (hi - lo) / axis_in
    ax.set_xlim(lo - side_in * per_in, hi + side_in * per_in)
    top = 0.0
    bottom = -(n_groups + rows + 1.5) * 0.3
    ax.set_ylim(bottom, 0.9)
    ax.axis("off")
    ax.plot([lo, hi], [top, top], color="black", lw=1)
    for t in range(1, int(hi) + 1):
        ax.plot([t, t], [top, top + 0.08], color="black", lw=1)
        ax.text(t, top + 0.13, str(t), ha="center", va="bottom", fontsize=9)
    if comparison.cd is not None:
        y = 0.6
        ax.plot([lo, lo + comparison.cd], [y, y], color="black", lw=1.5)
        for xx in (lo, lo + comparison.cd):
            ax.plot([xx, xx], [y - 0.05, y + 0.05], color="black", lw=1.5)
        ax.text(lo + comparison.cd / 2, y + 0.07, f"CD = {comparison.cd:.2f}", ha="center", va="bottom", fontsize=9)
    group_rows = 0.3 * np.arange(1, n_groups + 1)
    for gi, group in enumerate(comparison.groups):
        rs = ranks[group]
        y = top - group_rows[gi]
        ax.plot([rs.min() - 0.03, rs.max() + 0.03], [y, y], color="black", lw=4, solid_capstyle="round")
    label_top = top - 0.3 * (n_groups + 1)
    for side, idxs in (("left", left), ("right", right)):
        for row, i in enumerate(idxs):
            y = label_top - 0.3 * row
            x_end = lo - 0.25 * per_in if side == "left" else hi + 0.25 * per_in
            ax.plot([ranks[i], ranks[i], x_end], [top, y, y], color="0.3", lw=1)
            pad = 0.05 * per_in
            ax.text(x_end - pad if side == "left" else x_end + pad, y, labels[i], ha="right" if side == "left" else "left", va="center", fontsize=9)
    fig.suptitle(title, fontsize=10)
    ax.set_title(caption, fontsize=7.5, color="0.25")
    return fig


def normalized_score_figure(scores: dict[str, dict[str, float]], optimizers: list[str], styles: dict[str, dict], title: str) -> Figure:
    """Mean normalized score per optimizer (bar) with each benchmark's score as a dot.

    ``scores`` is ``{benchmark: {optimizer: score}}``; an optimizer's mean is over the benchmarks
    it has a score on."""
    fig = _figure(max(5.0, 0.8 * len(optimizers) + 2), 4.2, bottom=1.0)
    ax = fig.subplots()
    markers = "osD^v<>PX*"
    for i, opt in enumerate(optimizers):
        vals = [s[opt] for s in scores.values() if opt in s and np.isfinite(s[opt])]
        if vals:
            ax.bar(i, np.mean(vals), color=styles[opt]["color"], alpha=0.6)
    for j, (bench, s) in enumerate(sorted(scores.items())):
        xs = [i for i, o in enumerate(optimizers) if o in s and np.isfinite(s[o])]
        ax.scatter([x + 0.12 * ((j % 5) - 2) for x in xs], [s[optimizers[x]] for x in xs], marker=markers[j % len(markers)], color="black", s=18, label=bench, zorder=3)
    ax.axhline(0, color="0.3", lw=1, ls="--")
    ax.axhline(1, color="0.3", lw=1, ls=":")
    ax.set_xticks(range(len(optimizers)), optimizers, rotation=30, ha="right")
    ax.set_ylabel("Normalized score")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3, axis="y")
    if scores:
        ax.legend(fontsize=7, loc="best")
    return fig


def ecdf_figure(grid: np.ndarray, curves: dict[str, np.ndarray], xlabel: str, title: str, styles: dict[str, dict]) -> Figure:
    """COCO-style ECDF: fraction of (run, target) pairs reached against budget (log x)."""
    fig = _figure(6.5, 4.2)
    ax = fig.subplots()
    for opt, y in sorted(curves.items()):
        ax.step(grid, y, where="post", lw=2, color=styles[opt]["color"], label=opt)
    _log_scale(ax, "x")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Fraction of (run, target) pairs reached")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    return fig


def _log_scale(ax, which: str) -> None:
    """A log scale labelled in plain text ("20", "1e-05"): matplotlib's default labels are
    mathtext, whose parsing is most of the time spent drawing a log axis."""
    from matplotlib import ticker

    getattr(ax, f"set_{which}scale")("log")
    axis = getattr(ax, f"{which}axis")
    axis.set_major_formatter(ticker.LogFormatter())
    axis.set_minor_formatter(ticker.LogFormatter(labelOnlyBase=False, minor_thresholds=(1, 0.4)))


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def svg_bytes(fig: Figure) -> bytes:
    """The figure as SVG (what the HTML report embeds)."""
    buf = io.BytesIO()
    # text stays text (not glyph paths): a third of the size and of the time; the viewer's
    # sans-serif font draws it
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def save(fig: Figure, path_stem: str | Path, formats=("png", "pdf")) -> list[Path]:
    """Write ``path_stem.png`` and ``path_stem.pdf`` (creating the folder); return the paths."""
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for fmt in formats:
        p = stem.with_name(stem.name + "." + fmt)
        fig.savefig(p, format=fmt, dpi=130, metadata={"CreationDate": None} if fmt == "pdf" else None)
        out.append(p)
    return out
