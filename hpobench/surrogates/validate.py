"""Cross-validated fidelity of a surrogate benchmark: ``python -m hpobench surrogate validate``.

The recorded configurations are split into folds (all seeds of a configuration in one fold); a
model of the surrogate's kind is fitted on the other folds and predicts the held-out
configurations' curves. Per budget of the recording's grid, Spearman's rank correlation and the
RMSE between the predicted and the recorded validation error are pooled over the folds. The
recorded validation error of a configuration is the mean over its recorded training seeds (its
one run where only one seed was recorded): the surrogate models the expected error of a
configuration, and a mean of several runs measures that expectation with less of the seed's
noise. The same statistics against each configuration's first seed alone are reported beside
(``one_seed_spearman``). Beside them, the **noise floor**: the same two statistics between two
training seeds of the configurations recorded with several seeds — how well one real training
run predicts another — and the **ceiling**: for configurations recorded with three or more seeds,
the rank correlation of the first seed with the mean of the others (what a perfect model of the
mean would score against one run, up to the noise left in that mean), and the surrogate's
held-out prediction against the mean of all seeds of those configurations. The textbook
alternative (a forest over configuration and log budget, ``kind="point"``) is scored on the
same folds for comparison.

Example:
    >>> from hpobench.benchmarks import get_benchmark
    >>> report = validate(get_benchmark("kernel-ls-digits-surrogate"), folds=5)  # doctest: +SKIP
    >>> report["spearman_at_R"] >= report["threshold"]  # doctest: +SKIP
    True
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from .model import FAIL_ERROR, CurveData, CurveModel

__all__ = ["validate", "format_report", "scatter_plot", "report_budgets"]


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return math.nan
    return float(spearmanr(a, b).statistic)


def _rmse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((a - b) ** 2))) if len(a) else math.nan


def _cross_predict(data: CurveData, fit, folds: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Held-out predicted validation curves, one row per configuration (in the order of its
    first seed's curve), and the recorded curves of each configuration's first seed."""
    ids = np.unique(data.config_ids)
    fold_of = dict(zip(ids.tolist(), np.random.default_rng(seed).permutation(len(ids)) % folds))
    fold = np.array([fold_of[int(c)] for c in data.config_ids])
    first = data.first_seed()
    pred = np.full(data.val.shape, np.nan)
    for k in range(folds):
        test = fold == k
        if not test.any() or test.all():
            continue
        model = fit(data.subset(~test))
        rows = np.flatnonzero(test & first)
        pred[rows] = model.predict(data.X[rows])[0]
    return pred[first], np.nan_to_num(data.val[first], nan=FAIL_ERROR)


def seed_means(data: CurveData) -> np.ndarray:
    """Each configuration's validation curve averaged over its recorded seeds (failures count as
    :data:`FAIL_ERROR`), one row per configuration in the order of :meth:`CurveData.first_seed`."""
    val = np.nan_to_num(data.val, nan=FAIL_ERROR)
    first = np.flatnonzero(data.first_seed())
    return np.array([val[data.config_ids == data.config_ids[i]].mean(axis=0) for i in first]).reshape(len(first), -1)


def report_budgets(budgets: np.ndarray, n: int = 9) -> list[int]:
    """Indices of about ``n`` budgets spread evenly in log scale (the first and last included)."""
    if len(budgets) <= n:
        return list(range(len(budgets)))
    targets = np.geomspace(budgets[0], budgets[-1], n)
    return sorted({int(np.argmin(np.abs(np.log(budgets) - math.log(t)))) for t in targets})


def validate(bench, folds: int = 5, seed: int = 0, threshold: float | None = None, plot: bool | str | Path = False, compare_point: bool = True) -> dict:
    """Cross-validate ``bench`` (a :class:`~hpobench.benchmarks.surrogate.SurrogateBenchmark`).

    Args:
        bench: the surrogate benchmark (its recorded data and model settings are used).
        folds: number of folds over configurations.
        seed: seed of the fold assignment.
        threshold: minimum Spearman at R to pass (default ``bench.validation_threshold``).
        plot: ``True`` to write ``validation.png`` beside the table, a path to write it there,
            ``False`` for no plot.
        compare_point: also score the forest over (configuration, log budget).

    Returns:
        A dict: ``budgets``, per-budget lists ``spearman``, ``rmse`` (the surrogate against the
        mean of each configuration's recorded seeds), ``one_seed_spearman``, ``one_seed_rmse``
        (against each configuration's first seed), ``seeds_per_configuration`` (min, max),
        ``noise_spearman``, ``noise_rmse`` (seed against seed; ``nan`` without repeated seeds),
        ``point_spearman``, ``point_rmse``, and ``spearman_at_R``, ``threshold``, ``passed``,
        counts and the plot path.
    """
    data: CurveData = bench.data
    n_configs = len(np.unique(data.config_ids))
    if n_configs < 2 * folds:
        raise ValueError(f"{bench.name}: {n_configs} recorded configurations are too few for {folds} folds (need {2 * folds})")
    threshold = float(bench.validation_threshold if threshold is None else threshold)
    B = len(data.budgets)
    pred, one_seed = _cross_predict(data, bench.fit_model, folds, seed)
    rec = seed_means(data)
    seeds_per_config = np.unique(data.config_ids, return_counts=True)[1]
    report: dict = {
        "name": bench.name,
        "source": bench.source,
        "model": bench.model_kind,
        "folds": folds,
        "configurations": n_configs,
        "curves": len(data),
        "budgets": data.budgets.tolist(),
        "seeds_per_configuration": [int(seeds_per_config.min()), int(seeds_per_config.max())],
        "spearman": [_spearman(pred[:, j], rec[:, j]) for j in range(B)],
        "rmse": [_rmse(pred[:, j], rec[:, j]) for j in range(B)],
        "one_seed_spearman": [_spearman(pred[:, j], one_seed[:, j]) for j in range(B)],
        "one_seed_rmse": [_rmse(pred[:, j], one_seed[:, j]) for j in range(B)],
    }
    a, b = data.seed_pairs()
    va, vb = np.nan_to_num(data.val[a], nan=FAIL_ERROR), np.nan_to_num(data.val[b], nan=FAIL_ERROR)
    report["noise_pairs"] = len(a)
    report["noise_spearman"] = [_spearman(va[:, j], vb[:, j]) for j in range(B)]
    report["noise_rmse"] = [_rmse(va[:, j], vb[:, j]) if len(a) else math.nan for j in range(B)]
    # The ceiling: how well the mean of a configuration's other seeds ranks its first seed. A
    # model can at best learn that mean, so no surrogate can be expected to rank held-out
    # single-seed values much better than this.
    firsts, others = data.seed_groups(3)
    val = np.nan_to_num(data.val, nan=FAIL_ERROR)
    means = np.array([val[o].mean(axis=0) for o in others]) if len(firsts) else np.zeros((0, B))
    report["ceiling_configs"] = len(firsts)
    report["ceiling_spearman"] = [_spearman(val[firsts, j], means[:, j]) for j in range(B)]
    # The surrogate against the mean of all of a configuration's seeds: the less noisy target
    # (a model of the mean is what the surrogate is), on the configurations with three or more.
    if len(firsts):
        row_in_pred = np.cumsum(data.first_seed()) - 1  # data row -> row of ``pred``
        all_means = np.array([val[np.concatenate([[f], o])].mean(axis=0) for f, o in zip(firsts, others)])
        report["seed_mean_spearman"] = [_spearman(pred[row_in_pred[firsts], j], all_means[:, j]) for j in range(B)]
    if compare_point and bench.model_kind != "point":
        ppred, _ = _cross_predict(data, lambda d: CurveModel("point", bench.n_trees).fit(d), folds, seed)
        report["point_spearman"] = [_spearman(ppred[:, j], rec[:, j]) for j in range(B)]
        report["point_rmse"] = [_rmse(ppred[:, j], rec[:, j]) for j in range(B)]
    report["spearman_at_R"] = report["spearman"][-1]
    report["threshold"] = threshold
    report["passed"] = bool(report["spearman_at_R"] >= threshold)
    if plot:
        path = Path(plot) if not isinstance(plot, bool) else bench.directory / "validation.png"
        report["plot"] = str(scatter_plot(report, pred, rec, path))
    return report


def format_report(report: dict) -> str:
    """The report as a Markdown table over about nine budgets, with the verdict line."""
    has_point = "point_spearman" in report
    low, high = report.get("seeds_per_configuration", (1, 1))
    has_one_seed = high > 1  # else the one-seed column repeats the first
    has_ceiling = bool(report.get("ceiling_configs"))
    has_seed_mean = has_ceiling and low < 3  # else every configuration's mean is the target already
    columns = ["budget", "Spearman", "RMSE"]
    columns += ["Spearman against one seed"] if has_one_seed else []
    columns += ["noise floor Spearman", "noise floor RMSE"]
    columns += ["ceiling Spearman"] if has_ceiling else []
    columns += ["Spearman against the seed mean (configurations with 3+ seeds)"] if has_seed_mean else []
    columns += ["point-forest Spearman", "point-forest RMSE"] if has_point else []
    ceiling = (
        f"; ceiling (one seed against the mean of its other seeds) from {report['ceiling_configs']} configurations"
        if has_ceiling else ""
    )
    target = (
        "the recorded validation error of each configuration"
        if high == 1
        else f"target: the mean of each configuration's recorded seeds ({low}" + (f" to {high}" if high > low else "") + " per configuration)"
    )
    lines = [
        f"{report['name']}: {report['configurations']} configurations ({report['curves']} curves), "
        f"{report['folds']}-fold cross-validation, {report['model']} model; {target}; noise floor from {report['noise_pairs']} seed pairs{ceiling}",
        "",
        "| " + " | ".join(columns) + " |",
        "|---" * len(columns) + "|",
    ]

    def f(x):
        return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3f}"

    budgets = np.asarray(report["budgets"])
    for j in report_budgets(budgets):
        cells = [f"{budgets[j]:g}", f(report["spearman"][j]), f(report["rmse"][j])]
        if has_one_seed:
            cells.append(f(report["one_seed_spearman"][j]))
        cells += [f(report["noise_spearman"][j]), f(report["noise_rmse"][j])]
        if has_ceiling:
            cells.append(f(report["ceiling_spearman"][j]))
        if has_seed_mean:
            cells.append(f(report["seed_mean_spearman"][j]))
        if has_point:
            cells += [f(report["point_spearman"][j]), f(report["point_rmse"][j])]
        lines.append("| " + " | ".join(cells) + " |")
    verdict = "PASS" if report["passed"] else "FAIL"
    lines += ["", f"{verdict}: Spearman at R = {f(report['spearman_at_R'])} (threshold {report['threshold']:g})"]
    if "plot" in report:
        lines.append(f"plot: {report['plot']}")
    return "\n".join(lines)


def scatter_plot(report: dict, pred: np.ndarray, rec: np.ndarray, path: str | Path) -> Path:
    """Predicted against recorded validation error at a small budget and at R (held-out), and
    Spearman per budget beside the noise floor."""
    from ..plotting import plt, save_figure

    budgets = np.asarray(report["budgets"])
    small = report_budgets(budgets, 5)[1] if len(budgets) > 2 else 0
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6))
    for ax, j in zip(axes[:2], (small, len(budgets) - 1)):
        ax.scatter(rec[:, j], pred[:, j], s=10, alpha=0.6)
        ax.plot([0, 1], [0, 1], color="grey", lw=1)
        ax.set_xlabel("recorded validation error" + (" (mean of seeds)" if report.get("seeds_per_configuration", (1, 1))[1] > 1 else ""))
        ax.set_ylabel("predicted (held out)")
        ax.set_title(f"budget {budgets[j]:g}: Spearman {report['spearman'][j]:.3f}, RMSE {report['rmse'][j]:.3f}")
        ax.grid(alpha=0.3)
    ax = axes[2]
    ax.plot(budgets, report["spearman"], lw=2, label=f"surrogate ({report['model']} model)")
    if report.get("seeds_per_configuration", (1, 1))[1] > 1:
        ax.plot(budgets, report["one_seed_spearman"], lw=1, color="C0", alpha=0.6, label="surrogate vs one seed")
    if "point_spearman" in report:
        ax.plot(budgets, report["point_spearman"], lw=1.5, ls="--", label="point forest (config, log budget)")
    if report["noise_pairs"]:
        ax.plot(budgets, report["noise_spearman"], lw=1.5, color="k", label=f"seed vs seed ({report['noise_pairs']} pairs)")
    if report.get("ceiling_configs"):
        ax.plot(budgets, report["ceiling_spearman"], lw=1.5, ls=":", color="k", label=f"seed vs mean of other seeds ({report['ceiling_configs']} configs)")
    if report.get("ceiling_configs") and report.get("seeds_per_configuration", (1, 1))[0] < 3:
        ax.plot(budgets, report["seed_mean_spearman"], lw=1.5, ls="-.", color="C2", label=f"surrogate vs mean of all seeds ({report['ceiling_configs']} configs)")
    ax.axhline(report["threshold"], color="red", lw=1, ls=":", label=f"threshold {report['threshold']:g}")
    ax.set_xscale("log")
    ax.set_xlabel("budget")
    ax.set_ylabel("Spearman (held-out configurations)")
    ax.set_title(report["name"])
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save_figure(fig, path, dpi=100)
