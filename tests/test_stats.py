"""The report's statistics on hand-made inputs: ranks with ties, Friedman, Nemenyi, Holm,
normalized score, budget-to-target ECDFs."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from hpobench.stats import (
    average_ranks,
    block_ranks,
    compare_ranks,
    critical_difference,
    ecdf,
    friedman_test,
    hitting_budget,
    holm_adjust,
    log_targets,
    nemenyi_q,
    normalized_score,
    wilcoxon_holm,
)


def test_ranks_share_ties_and_put_missing_last():
    values = np.array([[0.2, 0.1, 0.2, 0.5], [1.0, 1.0, 1.0, 1.0], [3.0, np.nan, 1.0, np.nan]])
    r = block_ranks(values)
    assert r[0].tolist() == [2.5, 1.0, 2.5, 4.0]
    assert r[1].tolist() == [2.5] * 4
    assert r[2].tolist() == [2.0, 3.5, 1.0, 3.5]  # the two missing values tie for last
    assert average_ranks(values).tolist() == pytest.approx([7 / 3, 7 / 3, 6 / 3, 10 / 3])
    assert average_ranks(values).sum() == pytest.approx(4 * 5 / 2)  # ranks always sum to k(k+1)/2


def test_friedman_statistic_matches_scipy_with_and_without_ties():
    rng = np.random.default_rng(3)
    for k, n, ties in [(3, 5, False), (4, 10, True), (6, 7, True)]:
        values = rng.integers(0, 4, size=(n, k)).astype(float) if ties else rng.random((n, k))
        ours = friedman_test(values)
        ref = sps.friedmanchisquare(*values.T)
        assert ours.statistic == pytest.approx(ref.statistic, rel=1e-10)
        assert ours.pvalue == pytest.approx(ref.pvalue, rel=1e-10)
        # Iman-Davenport's F from its definition
        f = (n - 1) * ours.statistic / (n * (k - 1) - ours.statistic)
        assert ours.f_statistic == pytest.approx(f)


def test_friedman_on_identical_orderings_is_significant_and_all_ties_are_not():
    same = np.tile(np.arange(4.0), (8, 1))
    res = friedman_test(same)
    assert res.pvalue < 1e-4 and res.f_statistic == math.inf and res.f_pvalue == res.pvalue
    # two blocks that agree are no evidence at alpha = 0.05 (an infinite F would say p = 0)
    assert friedman_test(np.array([[0.0, 1.0], [0.0, 1.0]])).f_pvalue > 0.05
    assert friedman_test(np.ones((5, 3))).pvalue == 1.0


@pytest.mark.parametrize(
    "k, q05, q10",
    # Demšar (2006), Table 5: critical values of the two-tailed Nemenyi test
    [(2, 1.960, 1.645), (3, 2.343, 2.052), (4, 2.569, 2.291), (5, 2.728, 2.459), (6, 2.850, 2.589), (7, 2.949, 2.693), (8, 3.031, 2.780), (9, 3.102, 2.855), (10, 3.164, 2.920)],
)
def test_nemenyi_q_matches_demsar_table_5(k, q05, q10):
    # the table gives three decimals, not always correctly rounded (k=3: 2.3437 is printed 2.343)
    assert nemenyi_q(k, 0.05) == pytest.approx(q05, abs=1e-3)
    assert nemenyi_q(k, 0.10) == pytest.approx(q10, abs=1e-3)


def test_critical_difference_of_demsars_worked_example():
    # Demšar (2006), section 3.2.4: four methods on 14 data sets, CD = 2.569 * sqrt(4*5 / (6*14)) = 1.25
    assert critical_difference(4, 14, 0.05) == pytest.approx(1.25, abs=5e-3)


def test_holm_adjustment():
    adj = holm_adjust([0.01, 0.04, 0.03, np.nan])
    # sorted 0.01, 0.03, 0.04 -> 3*0.01, max(0.03, 2*0.03), max(0.06, 1*0.04)
    assert adj[:3].tolist() == pytest.approx([0.03, 0.06, 0.06])
    assert math.isnan(adj[3])


def test_posthoc_groups_nemenyi_and_wilcoxon_holm():
    rng = np.random.default_rng(0)
    n = 30
    # a clearly best, b and c indistinguishable, d clearly worst
    values = np.column_stack([rng.normal(0, 0.1, n), rng.normal(1, 0.1, n), rng.normal(1, 0.1, n), rng.normal(2, 0.1, n)])
    names = ["a", "b", "c", "d"]
    nem = compare_ranks(values, names, "nemenyi")
    assert nem.significant and nem.cd == pytest.approx(critical_difference(4, n))
    assert [sorted(names[i] for i in g) for g in nem.groups] == [["b", "c"]]
    wh = compare_ranks(values, names, "wilcoxon-holm")
    assert wh.pvalues[0, 3] < 0.001 and wh.pvalues[1, 2] > 0.05
    assert [sorted(names[i] for i in g) for g in wh.groups] == [["b", "c"]]
    assert "Nemenyi" in nem.describe() and "Holm" in wh.describe()


def test_posthoc_not_applied_when_friedman_does_not_reject():
    rng = np.random.default_rng(1)
    res = compare_ranks(rng.random((4, 3)), ["a", "b", "c"], "nemenyi")
    assert not res.significant and res.groups == [sorted(res.groups[0], key=lambda i: res.ranks[i])]
    assert len(res.groups[0]) == 3 and "no post-hoc" in res.describe()


def test_wilcoxon_holm_counts_a_missing_value_as_a_loss():
    values = np.array([[0.0, 1.0], [0.0, 2.0], [0.0, np.nan], [0.0, 3.0], [0.0, 4.0], [0.0, 5.0], [0.0, 6.0]])
    p = wilcoxon_holm(values)
    assert p[0, 1] == pytest.approx(sps.wilcoxon(np.array([-1, -2, -1e300, -3, -4, -5, -6.0])).pvalue)


def test_normalized_score_endpoints():
    assert normalized_score(5.0, random_median=5.0, optimum=1.0) == 0.0
    assert normalized_score(1.0, random_median=5.0, optimum=1.0) == 1.0
    assert normalized_score(3.0, random_median=5.0, optimum=1.0) == 0.5
    assert normalized_score(9.0, random_median=5.0, optimum=1.0) == -1.0  # worse than random
    assert math.isnan(normalized_score(1.0, random_median=1.0, optimum=1.0))  # random already optimal


def test_hitting_budget_and_ecdf_on_known_run_lengths():
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    y = np.array([np.nan, 10.0, 4.0, 4.0, 0.5])
    assert hitting_budget(x, y, [20.0, 4.0, 1.0, 0.5, 0.1]).tolist() == [2.0, 3.0, 5.0, 5.0, math.inf]
    lengths = [1.0, 3.0, 3.0, 7.0, math.inf]
    assert ecdf(lengths, [0.5, 1.0, 3.0, 6.9, 7.0, 1e9]).tolist() == [0.0, 0.2, 0.6, 0.6, 0.8, 0.8]


def test_log_targets():
    t = log_targets(100.0, 0.01, 5)
    assert t.tolist() == pytest.approx([100.0, 10.0, 1.0, 0.1, 0.01])
    assert log_targets(1.0, 1.0).tolist() == [1.0]
    with pytest.raises(ValueError):
        log_targets(1.0, 0.0)
