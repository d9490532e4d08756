"""Does a surrogate lead to the conclusions real training leads to? ``python -m hpobench surrogate agree``.

The same optimizers, with the same seeds and budget, run on a ``*-surrogate`` benchmark and on
its ``*-table`` (recorded runs only, so a result on it is a result on real training). For every
pair of optimizers and for each of two criteria, the final validation error of the incumbent
and its final test error, each benchmark gives the **probability of superiority** over the
seeds, ``P(a < b) + P(a = b)/2`` for a run of each (the Mann–Whitney U statistic over ``n·m``),
and a two-sided Mann–Whitney U test of the two samples of final values. Above one half, ``a``
comes first. The pair is **resolved** on a benchmark where the test rejects at ``alpha``. Each
pair is tested on its own, with no correction for the number of pairs: a chance rejection can
then only add disagreements, so a pass is the stronger statement. The surrogate **disagrees**
with the table on a pair where one of the two resolves it and the other orders it strictly the
other way round. Unresolved pairs ordered differently are not disagreements: they are what a
handful of seeds shows of two methods no data separates.
The medians are reported too, but they do not decide the order: a table's errors are multiples
of one validation or test image, so two clearly shifted samples can share their median.

Why not the plain order of the medians: where two methods are
equally good, which of the two has the lower median over a few seeds is decided by the seeds'
draws, on the surrogate and on real training alike. At 20R, for instance, TPE has drawn every
trial from its prior (hyperopt's first 20 trials come from it), so it *is* random search with
other draws; and on ``lenet-digits`` at 20R not even Hyperband's test error differs from random
search's over 200 seeds of real runs (the table), though its validation error does. The order
of the three medians over 5 seeds then agrees between surrogate and table for some seeds and
not for others (42 of 80 disjoint groups of 5 seeds agreed; docs/surrogates.md).

Example:
    >>> report = agreement("lenet-digits", ["random", "tpe", "hyperband"], "20R", seeds=20)  # doctest: +SKIP
    >>> report.disagreements  # doctest: +SKIP
    []
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from itertools import combinations

import numpy as np
from scipy.stats import mannwhitneyu

__all__ = ["AgreementError", "CRITERIA", "PairOrder", "Agreement", "final_errors", "pair_orders", "disagreements", "agreement", "format_agreement"]

class AgreementError(ValueError):
    """The comparison cannot be run as asked (too few optimizers or seeds, a bad level or
    budget, an unknown optimizer or one that cannot run on the benchmark, a benchmark without a
    surrogate and a table)."""


#: What is compared: the incumbent's final validation error (what the optimizers minimise) and
#: its final test error (what a study reports).
CRITERIA = ("val", "test")


@dataclass(frozen=True)
class PairOrder:
    """Two optimizers' final values on one benchmark, by one criterion.

    Attributes:
        a, b: the optimizers.
        median_a, median_b: medians over the seeds.
        a_first: probability of superiority of a, ``P(a < b) + P(a = b)/2`` over all pairs of
            one run of each (lower is better).
        pvalue: two-sided Mann–Whitney U p-value of the two samples (1 where all values are equal).
        resolved: whether ``pvalue <= alpha``.
    """

    a: str
    b: str
    median_a: float
    median_b: float
    a_first: float
    pvalue: float
    resolved: bool

    @property
    def sign(self) -> int:
        """-1 where a tends to end lower (better) than b, +1 where higher, 0 where neither."""
        return int(np.sign(0.5 - self.a_first)) if not math.isnan(self.a_first) else 0

    def describe(self) -> str:
        rel = {-1: "<", 0: "~", 1: ">"}[self.sign]
        return (
            f"{self.a} {rel} {self.b} (P({self.a} lower) {self.a_first:.2f}, medians {self.median_a:.4f} vs "
            f"{self.median_b:.4f}, p={self.pvalue:.3g}{', resolved' if self.resolved else ''})"
        )


@dataclass
class Agreement:
    """The orders on the surrogate and on the table, and where they disagree.

    Attributes:
        surrogate, table: the two benchmarks' names.
        optimizers, budget, seeds, alpha: what was run and the test level.
        finals: ``finals[benchmark][criterion][optimizer]`` the final values, one per seed.
        orders: ``orders[benchmark][criterion]`` the :class:`PairOrder` of every pair.
        disagreements: one line per pair and criterion on which they disagree.
    """

    surrogate: str
    table: str
    optimizers: list[str]
    budget: str
    seeds: int
    alpha: float
    finals: dict = field(default_factory=dict)
    orders: dict = field(default_factory=dict)
    disagreements: list[str] = field(default_factory=list)

    def resolved_on(self, benchmark: str) -> list[str]:
        """The pairs ``benchmark`` resolves, one line each (criterion: order)."""
        return [f"{c}: {o.describe()}" for c, orders in self.orders[benchmark].items() for o in orders if o.resolved]

    def to_dict(self) -> dict:
        return {
            "surrogate": self.surrogate,
            "table": self.table,
            "optimizers": self.optimizers,
            "budget": self.budget,
            "seeds": self.seeds,
            "alpha": self.alpha,
            "medians": {b: {c: {o: float(np.median(v)) for o, v in per.items()} for c, per in crit.items()} for b, crit in self.finals.items()},
            "orders": {b: {c: [asdict(o) for o in orders] for c, orders in crit.items()} for b, crit in self.orders.items()},
            "disagreements": self.disagreements,
            "agree": not self.disagreements,
        }


def final_errors(benchmark, optimizers: list[str], budget: str, seeds: int) -> dict[str, dict[str, np.ndarray]]:
    """Run each optimizer with seeds ``0..seeds-1`` on ``benchmark`` and return
    ``{criterion: {optimizer: final values}}``: the incumbent's final validation error and its
    test error (:func:`hpobench.analysis.incumbent_trace`, as ``compare`` reports them)."""
    from ..analysis import incumbent_trace
    from ..optimizers import get_optimizer
    from ..runner import run

    out: dict[str, dict[str, np.ndarray]] = {c: {} for c in CRITERIA}
    for name in optimizers:
        val, test = [], []
        for seed in range(seeds):
            optimizer = get_optimizer(name, benchmark.space, seed=seed, fidelity=benchmark.fidelity)
            trace = incumbent_trace(run(benchmark, optimizer, budget, seed=seed).records)
            val.append(trace.final_loss)
            test.append(float(trace.incumbent_test[-1]) if len(trace.incumbent_test) else math.nan)
        out["val"][name], out["test"][name] = np.array(val), np.array(test)
    return out


def pair_orders(finals: dict[str, np.ndarray], alpha: float = 0.05) -> list[PairOrder]:
    """The :class:`PairOrder` of every pair of ``finals`` (optimizer -> final values), in the
    order the optimizers are given. A run without a usable value (NaN) is left out of its sample."""
    orders = []
    for a, b in combinations(list(finals), 2):
        x, y = (np.asarray(finals[k], dtype=float) for k in (a, b))
        x, y = x[~np.isnan(x)], y[~np.isnan(y)]
        if not len(x) or not len(y):
            p = first = math.nan
        elif np.ptp(np.concatenate([x, y])) == 0:
            p, first = 1.0, 0.5  # all values equal: nothing tells the two apart (scipy would return NaN)
        else:
            test = mannwhitneyu(x, y, alternative="two-sided")
            # U counts the pairs with x above y (ties a half): a comes first in the rest
            p, first = float(test.pvalue), 1.0 - float(test.statistic) / (len(x) * len(y))
        med = lambda v: float(np.median(v)) if len(v) else math.nan  # noqa: E731
        orders.append(PairOrder(a, b, med(x), med(y), first, p, bool(p <= alpha)))
    return orders


def disagreements(surrogate: list[PairOrder], table: list[PairOrder], criterion: str = "") -> list[str]:
    """The pairs on which one side resolves an order and the other orders them strictly the
    other way round, one line each (``surrogate`` and ``table`` list the same pairs)."""
    out = []
    for s, t in zip(surrogate, table):
        if (s.a, s.b) != (t.a, t.b):
            raise ValueError(f"the two lists pair different optimizers: {(s.a, s.b)} and {(t.a, t.b)}")
        if (s.resolved or t.resolved) and s.sign * t.sign < 0:
            out.append(f"{criterion + ': ' if criterion else ''}surrogate {s.describe()}; table {t.describe()}")
    return out


def agreement(source: str, optimizers: list[str], budget: str = "20R", seeds: int = 20, alpha: float = 0.05, root=None) -> Agreement:
    """Run ``optimizers`` on ``<source>-surrogate`` and ``<source>-table`` and compare their
    orders (see the module docstring).

    Args:
        source: the recorded benchmark (``lenet-digits``, ``kernel-ls-digits``, ...; its
            ``-surrogate`` or ``-table`` name is accepted too).
        optimizers: registered optimizer names (at least two).
        budget: each run's budget (``"20R"``, ``"50"``, ...).
        seeds: seeds ``0..seeds-1`` for every optimizer on both benchmarks.
        alpha: level of the Mann–Whitney tests.
        root: the recordings' root (default: the repository's ``surrogates/``).
    """
    from ..benchmarks import benchmark_names, get_benchmark
    from ..optimizers import UnknownNameError, get_optimizer_class
    from ..runner import parse_budget

    if len(optimizers) < 2:
        raise AgreementError(f"agreement needs at least two optimizers, got {', '.join(optimizers) or 'none'}")
    if seeds < 2:
        raise AgreementError(f"agreement needs at least 2 seeds, got {seeds}")
    if not 0 < alpha < 1:
        raise AgreementError(f"alpha must be in (0, 1), got {alpha}")
    try:
        parse_budget(budget)
        classes = [get_optimizer_class(name) for name in optimizers]
    except (UnknownNameError, ValueError) as exc:
        raise AgreementError(str(exc)) from None
    source = source.removesuffix("-surrogate").removesuffix("-table")
    sources = sorted(n.removesuffix("-surrogate") for n in benchmark_names() if n.endswith("-surrogate"))
    if source not in sources:
        raise AgreementError(f"{source!r} has no surrogate and table benchmarks; give one of {', '.join(sources)}")
    # the registered benchmarks, so that each surrogate uses its own default model
    benches = [get_benchmark(f"{source}-{kind}", **({} if root is None else {"root": root})) for kind in ("surrogate", "table")]
    for name, cls in zip(optimizers, classes):
        why = cls.capabilities.why_not(benches[0].space, benches[0].fidelity)
        if why is not None:
            raise AgreementError(f"optimizer {name!r} cannot run on {benches[0].name!r}: it {why}")
    report = Agreement(benches[0].name, benches[1].name, list(optimizers), str(budget), int(seeds), float(alpha))
    for bench in benches:
        report.finals[bench.name] = final_errors(bench, optimizers, budget, seeds)
        report.orders[bench.name] = {c: pair_orders(report.finals[bench.name][c], alpha) for c in CRITERIA}
    for c in CRITERIA:
        report.disagreements += disagreements(report.orders[report.surrogate][c], report.orders[report.table][c], c)
    return report


def format_agreement(report: Agreement) -> str:
    """Markdown: the medians of every optimizer on both benchmarks, the resolved pairs, the verdict."""
    lines = [
        f"{report.surrogate} against {report.table}: {', '.join(report.optimizers)} at {report.budget}, "
        f"{report.seeds} seeds; Mann-Whitney U at alpha={report.alpha:g}",
        "",
        "| criterion | optimizer | median on the surrogate | median on the table |",
        "|---|---|---|---|",
    ]
    for c in CRITERIA:
        for o in report.optimizers:
            s, t = (float(np.median(report.finals[b][c][o])) for b in (report.surrogate, report.table))
            lines.append(f"| {c} | {o} | {s:.4f} | {t:.4f} |")
    for b in (report.surrogate, report.table):
        resolved = report.resolved_on(b)
        lines += ["", f"resolved on {b}: " + ("; ".join(resolved) if resolved else "none")]
    if report.disagreements:
        verdict = "; ".join(report.disagreements)
    elif any(report.resolved_on(b) for b in (report.surrogate, report.table)):
        verdict = "none: the surrogate agrees with the table on every pair either resolves"
    else:
        verdict = f"none, but neither benchmark resolves any pair: {report.seeds} seeds do not separate these optimizers"
    lines += ["", "disagreements: " + verdict]
    return "\n".join(lines)
