"""The figure of a recorded table: sampled learning curves coloured by their final error, and
the final error against each hyperparameter (``python -m hpobench surrogate plot``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..space import Categorical
from .model import FAIL_ERROR, CurveData

__all__ = ["curves_figure"]


def curves_figure(data: CurveData, space, title: str, path: str | Path, n_curves: int = 80, seed: int = 0) -> Path:
    """Write the figure to ``path``: up to ``n_curves`` validation-error curves (first seed of each
    configuration, colour = error at R), then the error at R against each parameter."""
    from matplotlib.ticker import NullFormatter

    from ..plotting import plt, save_figure

    d = data.subset(data.first_seed())
    final = np.nan_to_num(d.val[:, -1], nan=FAIL_ERROR)
    params = list(space.params)
    ncols = min(4, 1 + len(params))
    nrows = -(-(1 + len(params)) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.4 * ncols, 3.6 * nrows), squeeze=False)
    axes = axes.ravel()
    for ax in axes[1 + len(params) :]:
        ax.axis("off")
    cmap = plt.get_cmap("viridis_r")
    # colour by rank-relevant range: the best error up to the 90th percentile (worse clip)
    lo, hi = float(np.nanmin(final)), float(np.nanpercentile(final, 90))
    norm = plt.Normalize(lo, hi if hi > lo else lo + 1e-9)
    log_y = lo > 0 and hi / lo > 20
    pick = np.random.default_rng(seed).permutation(len(d))[:n_curves]
    for i in pick[np.argsort(-final[pick])]:  # best curves drawn last, on top
        axes[0].plot(d.budgets, d.val[i], color=cmap(norm(final[i])), lw=1, alpha=0.8)
    axes[0].set_xscale("log")
    if log_y:
        axes[0].set_yscale("log")
    axes[0].set_xlabel("budget")
    axes[0].set_ylabel("validation error")
    axes[0].set_title(f"{title}: {len(pick)} of {len(d)} curves")
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=norm)
    fig.colorbar(sm, ax=axes[0], label="validation error at R")
    for ax, p in zip(axes[1:], params):
        present = [i for i, c in enumerate(d.configs) if p.name in c]
        values = [d.configs[i][p.name] for i in present]
        if isinstance(p, Categorical):
            x = np.array([p.choices.index(v) for v in values], dtype=float)
            x += np.random.default_rng(seed).uniform(-0.2, 0.2, len(x))
            ax.set_xticks(range(len(p.choices)), [str(c) for c in p.choices])
        else:
            x = np.array(values, dtype=float)
            if getattr(p, "log", False):
                ax.set_xscale("log")
                ax.xaxis.set_minor_formatter(NullFormatter())
        ax.scatter(x, final[present], s=9, c=final[present], cmap=cmap, norm=norm)
        if log_y:
            ax.set_yscale("log")
        ax.set_xlabel(p.name)
        ax.set_ylabel("validation error at R")
        ax.grid(alpha=0.3)
    return save_figure(fig, path, dpi=80)
