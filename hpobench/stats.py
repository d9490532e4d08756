"""Statistics for comparing optimizers over many benchmarks (no I/O, plain arrays in and out).

* Ranks within each block (a benchmark, or a seed) with ties sharing the average rank, and
  average ranks over blocks (Demšar, JMLR 7, 2006, §3.2.2).
* The Friedman test on those ranks, with the tie correction scipy applies, and the
  Iman–Davenport F form Demšar recommends.
* Post-hoc tests: Nemenyi's critical difference, computed from the studentized range
  distribution (``q_alpha = q(1 - alpha; k, inf) / sqrt(2)``, Demšar's Table 5), or pairwise
  Wilcoxon signed-rank tests with Holm's step-down correction (Benavoli et al., JMLR 17, 2016).
* bayesmark's normalized score, turned so that 0 is random search's median and 1 the optimum.
* COCO-style empirical cumulative distributions of the budget needed to reach target values
  (Hansen et al., "COCO", Optimization Methods and Software 36, 2021).

Values are losses: lower is better everywhere in this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy import stats

POSTHOC_METHODS = ("nemenyi", "wilcoxon-holm")


def block_ranks(values: np.ndarray) -> np.ndarray:
    """Rank the methods (columns) within each block (row), 1 = lowest value.

    Ties share the average of the ranks they span; NaN (a method with no value in that block,
    e.g. no successful evaluation) counts as worse than every number, and several NaNs tie.

    >>> block_ranks(np.array([[0.1, 0.3, 0.1], [2.0, np.nan, 1.0]]))
    array([[1.5, 3. , 1.5],
           [2. , 3. , 1. ]])
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 2:
        raise ValueError(f"values must be blocks x methods (2-D), got shape {values.shape}")
    return stats.rankdata(np.where(np.isnan(values), np.inf, values), axis=1)


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Mean of :func:`block_ranks` over blocks: one average rank per method."""
    return block_ranks(values).mean(axis=0)


@dataclass
class FriedmanResult:
    """The Friedman test of k methods over N blocks.

    Attributes:
        statistic: Friedman's chi-square, tie-corrected (equals ``scipy.stats.friedmanchisquare``).
        pvalue: its p-value (chi-square with k - 1 degrees of freedom).
        f_statistic: Iman and Davenport's F, less conservative than the chi-square.
        f_pvalue: its p-value (F with k - 1 and (k - 1)(N - 1) degrees of freedom); the
            chi-square p-value where F is infinite (every block ranks the methods alike).
        k: number of methods.
        n: number of blocks.
    """

    statistic: float
    pvalue: float
    f_statistic: float
    f_pvalue: float
    k: int
    n: int


def friedman_test(values: np.ndarray) -> FriedmanResult:
    """Friedman's test that all methods (columns) have the same average rank over blocks (rows).

    ``chi2 = 12 N / (k (k + 1)) * (sum_j R_j^2 - k (k + 1)^2 / 4) / C`` with ``R_j`` the average
    ranks and ``C = 1 - sum(t^3 - t) / (N k (k^2 - 1))`` the correction for ties of size t.
    Needs k >= 2 and N >= 2; a statistic that cannot be computed (every block all tied) gives
    p = 1.
    """
    ranks = block_ranks(values)
    n, k = ranks.shape
    if k < 2 or n < 2:
        raise ValueError(f"the Friedman test needs at least 2 methods and 2 blocks, got {k} and {n}")
    ties = 0.0
    for row in ranks:
        _, counts = np.unique(row, return_counts=True)
        ties += float(np.sum(counts**3 - counts))
    correction = 1.0 - ties / (n * k * (k * k - 1))
    mean_ranks = ranks.mean(axis=0)
    raw = 12.0 * n / (k * (k + 1)) * (np.sum(mean_ranks**2) - k * (k + 1) ** 2 / 4.0)
    if correction <= 0:  # every block is one big tie: no evidence of any difference
        return FriedmanResult(0.0, 1.0, 0.0, 1.0, k, n)
    chi2 = float(max(raw / correction, 0.0))
    p = float(stats.chi2.sf(chi2, k - 1))
    denom = n * (k - 1) - chi2
    if denom <= 1e-12:
        # Every block ranks the methods identically: F is infinite, and its F-distribution
        # p-value of 0 would claim certainty from as few as two blocks; the chi-square p-value
        # is the honest one here.
        f_stat, f_p = math.inf, p
    else:
        f_stat = (n - 1) * chi2 / denom
        f_p = float(stats.f.sf(f_stat, k - 1, (k - 1) * (n - 1)))
    return FriedmanResult(chi2, p, float(f_stat), f_p, k, n)


@lru_cache(maxsize=256)
def nemenyi_q(k: int, alpha: float = 0.05) -> float:
    """Nemenyi's ``q_alpha`` for k methods: the studentized range quantile over sqrt(2).

    Demšar (2006), Table 5(a), lists 1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164
    for k = 2..10 at alpha = 0.05.
    """
    if k < 2:
        raise ValueError(f"Nemenyi's test needs at least 2 methods, got {k}")
    return float(stats.studentized_range.ppf(1.0 - alpha, k, np.inf) / math.sqrt(2.0))


def critical_difference(k: int, n: int, alpha: float = 0.05) -> float:
    """Nemenyi's critical difference ``q_alpha * sqrt(k (k + 1) / (6 N))``: two methods whose
    average ranks over N blocks differ by at least this much differ significantly."""
    if n < 1:
        raise ValueError(f"the critical difference needs at least one block, got {n}")
    return nemenyi_q(k, alpha) * math.sqrt(k * (k + 1) / (6.0 * n))


def holm_adjust(pvalues) -> np.ndarray:
    """Holm's step-down adjusted p-values (reject where adjusted p <= alpha); NaNs stay NaN."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = len(ok)
    order = ok[np.argsort(p[ok], kind="stable")]
    running = 0.0
    for i, idx in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[idx]))
        out[idx] = running
    return out


def wilcoxon_holm(values: np.ndarray) -> np.ndarray:
    """Pairwise two-sided Wilcoxon signed-rank tests between the columns (paired by block),
    Holm-adjusted over all pairs. Returns a symmetric k x k matrix of adjusted p-values (NaN on
    the diagonal; 1 where the two methods never differ). NaN values count as worse than any
    number, as in the ranks."""
    v = np.asarray(values, dtype=float)
    v = np.where(np.isnan(v), np.inf, v)
    k = v.shape[1]
    pairs, raw = [], []
    for i in range(k):
        for j in range(i + 1, k):
            a, b = v[:, i], v[:, j]
            finite = np.isfinite(a) & np.isfinite(b)
            # A pair where one side is missing (inf) is a clear loss for it: encode as a large
            # difference of the right sign so the signed-rank test sees it.
            with np.errstate(invalid="ignore"):  # inf - inf where both are missing: replaced below
                d = np.where(finite, a - b, np.where(np.isinf(a) & np.isinf(b), 0.0, np.where(np.isinf(a), 1.0, -1.0) * 1e300))
            if not len(d) or np.all(d == 0):
                p = 1.0
            else:
                p = float(stats.wilcoxon(d, zero_method="zsplit").pvalue)
            pairs.append((i, j))
            raw.append(p)
    adj = holm_adjust(raw)
    out = np.full((k, k), np.nan)
    for (i, j), p in zip(pairs, adj):
        out[i, j] = out[j, i] = p
    return out


@dataclass
class RankComparison:
    """Average ranks, the Friedman test and a post-hoc test: what a critical-difference diagram shows.

    Attributes:
        names: the methods, in the order of ``values``' columns.
        ranks: average rank of each method (1 = best).
        n_blocks: N, the number of blocks ranked.
        friedman: the omnibus test (None when fewer than 2 blocks or methods).
        method: ``"nemenyi"`` or ``"wilcoxon-holm"``.
        alpha: significance level.
        cd: Nemenyi's critical difference (None for Wilcoxon–Holm).
        pvalues: k x k adjusted p-values (Wilcoxon–Holm only).
        groups: index sets of methods not significantly different from each other (each a
            maximal run of neighbours in rank order); one group of all methods when the
            Friedman test does not reject.
        significant: whether the Friedman test rejected at ``alpha`` (post-hoc applied).
    """

    names: list[str]
    ranks: np.ndarray
    n_blocks: int
    friedman: FriedmanResult | None
    method: str
    alpha: float
    cd: float | None = None
    pvalues: np.ndarray | None = None
    groups: list[list[int]] = field(default_factory=list)
    significant: bool = False

    def describe(self) -> str:
        """One line naming the tests and their outcome (used as a figure caption)."""
        if self.friedman is None:
            return f"average ranks over N={self.n_blocks}; too few blocks or methods for a test"
        fr = self.friedman
        head = f"Friedman chi2={fr.statistic:.2f}, p={fr.pvalue:.3g} (Iman-Davenport p={fr.f_pvalue:.3g}), k={fr.k}, N={fr.n}"
        if not self.significant:
            return head + f"; not significant at alpha={self.alpha:g}, so no post-hoc test is applied"
        if self.method == "nemenyi":
            return head + f"; Nemenyi post-hoc, CD={self.cd:.2f} at alpha={self.alpha:g}"
        return head + f"; pairwise Wilcoxon signed-rank with Holm correction at alpha={self.alpha:g}"


def _maximal_runs(k: int, together) -> list[list[int]]:
    """Maximal runs ``[i..j]`` of positions in rank order where every pair is ``together``."""
    runs = []
    for i in range(k):
        j = i
        while j + 1 < k and all(together(a, j + 1) for a in range(i, j + 1)):
            j += 1
        if j > i and not any(r[0] <= i and j <= r[-1] for r in runs):
            runs.append(list(range(i, j + 1)))
    return runs


def compare_ranks(values: np.ndarray, names: list[str], method: str = "nemenyi", alpha: float = 0.05) -> RankComparison:
    """Average ranks of the columns over the rows, the Friedman test, then the post-hoc test.

    Follows Demšar (2006): the post-hoc test is applied only when the Friedman test (its
    Iman–Davenport form) rejects at ``alpha``; otherwise every method is in one group.

    Args:
        values: blocks x methods losses (lower is better).
        names: the methods' names.
        method: ``"nemenyi"`` (critical difference) or ``"wilcoxon-holm"``.
        alpha: significance level.
    """
    if method not in POSTHOC_METHODS:
        raise ValueError(f"post-hoc method {method!r} is not known; use one of {', '.join(POSTHOC_METHODS)}")
    values = np.asarray(values, dtype=float)
    n, k = values.shape
    ranks = average_ranks(values) if n else np.full(k, np.nan)
    result = RankComparison(list(names), ranks, n, None, method, alpha)
    if k < 2 or n < 2:
        return result
    result.friedman = friedman_test(values)
    order = np.argsort(ranks, kind="stable")
    if method == "nemenyi":
        result.cd = critical_difference(k, n, alpha)
    else:
        result.pvalues = wilcoxon_holm(values)
    result.significant = bool(result.friedman.f_pvalue <= alpha)
    if not result.significant:
        result.groups = [list(map(int, order))]
        return result
    if method == "nemenyi":
        together = lambda a, b: ranks[order[b]] - ranks[order[a]] < result.cd  # noqa: E731
    else:
        together = lambda a, b: result.pvalues[order[a], order[b]] > alpha  # noqa: E731
    result.groups = [[int(order[i]) for i in run] for run in _maximal_runs(k, together)]
    return result


def normalized_score(value: float, random_median: float, optimum: float) -> float:
    """bayesmark's normalized score, turned so that higher is better.

    ``1 - (value - optimum) / (random_median - optimum)``: 0 where ``value`` equals random
    search's median, 1 at the optimum, negative when worse than random search. NaN when random
    search's median already is the optimum (the score is undefined) or an input is NaN.

    >>> normalized_score(0.5, 1.0, 0.0)
    0.5
    """
    gap = random_median - optimum
    if not np.isfinite(gap) or gap <= 0 or not np.isfinite(value):
        return math.nan
    return float(1.0 - (value - optimum) / gap)


def hitting_budget(x: np.ndarray, y: np.ndarray, targets) -> np.ndarray:
    """For each target, the first ``x`` at which ``y <= target`` (inf if never).

    ``y`` is a running minimum (an incumbent trace); NaN entries (no incumbent yet) never hit.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    targets = np.atleast_1d(np.asarray(targets, dtype=float))
    out = np.full(targets.shape, np.inf)
    if not len(y):
        return out
    best = np.fmin.accumulate(np.where(np.isnan(y), np.inf, y))
    # best is non-increasing: the first index with best <= t, searched on the reversed order
    idx = np.searchsorted(-best, -targets, side="left")
    hit = idx < len(best)
    out[hit] = x[idx[hit]]
    return out


def ecdf(run_lengths, grid) -> np.ndarray:
    """Fraction of ``run_lengths`` (budgets to reach a target; inf = never) at most each grid value.

    >>> ecdf([1, 2, np.inf, 4], [0.5, 2, 10]).tolist()
    [0.0, 0.5, 0.75]
    """
    lengths = np.sort(np.asarray(run_lengths, dtype=float).ravel())
    grid = np.asarray(grid, dtype=float)
    if not len(lengths):
        return np.full(grid.shape, np.nan)
    return np.searchsorted(lengths, grid, side="right") / len(lengths)


def log_targets(easy: float, hard: float, n: int = 7) -> np.ndarray:
    """``n`` targets spaced evenly on a log scale from ``easy`` down to ``hard`` (both > 0);
    one target when they coincide."""
    if not (easy > 0 and hard > 0 and np.isfinite(easy) and np.isfinite(hard)):
        raise ValueError(f"targets need finite positive ends, got easy={easy}, hard={hard}")
    if easy <= hard * (1 + 1e-12):
        return np.array([hard])
    return np.geomspace(easy, hard, n)
