"""Hyperband, SuccessiveHalving, bracket repeats and infinite-horizon Hyperband (SPEC §1.2-1.4, §1.6)."""

from __future__ import annotations

import json
import math
from collections import defaultdict

import numpy as np
import pytest

from hpobench.benchmarks.base import Fidelity, Result
from hpobench.benchmarks.synthetic import MFHartmann6
from hpobench.optimizers.hyperband import (
    ROUNDINGS,
    BracketRepeat,
    Hyperband,
    HyperbandInfinite,
    SuccessiveHalving,
    format_plan,
    infinite_brackets,
    plan_dict,
    plan_text,
    plan_total,
    s_max,
    schedule,
)
from hpobench.optimizers import get_optimizer
from hpobench.optimizers.random_search import RandomSearch
from hpobench.space import Categorical, Float, Int, Space

SPACE = Space([Float("x", 0.0, 1.0), Float("y", -1.0, 1.0)])
EPOCHS_81 = Fidelity("epochs", 1, 81)


def fake_loss(trial):
    """Deterministic in the configuration; lower-fidelity evaluations are worse by 1/budget."""
    return float(trial.config["x"]) + 1.0 / float(trial.budget)


def counts(brackets):
    return [[n for n, _ in b.as_pairs()] for b in brackets]


# ------------------------------------------------------------------------------- schedules
def test_floor_table_is_table_1():
    table = {
        4: [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)],
        3: [(27, 3), (9, 9), (3, 27), (1, 81)],
        2: [(9, 9), (3, 27), (1, 81)],
        1: [(6, 27), (2, 81)],
        0: [(5, 81)],
    }
    brackets = schedule(81, 3, rounding="floor_table")
    assert [b.s for b in brackets] == [4, 3, 2, 1, 0]
    for b in brackets:
        assert b.as_pairs() == table[b.s]


def test_ceil_formula_r81_matches_spec():
    brackets = schedule(81, 3)
    assert [b.n_configs for b in brackets] == [81, 34, 15, 8, 5]
    assert [b.as_pairs() for b in brackets] == [
        [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)],
        [(34, 3), (11, 9), (3, 27), (1, 81)],
        [(15, 9), (5, 27), (1, 81)],
        [(8, 27), (2, 81)],
        [(5, 81)],
    ]
    assert [round(b.resource_R(), 2) for b in brackets] == [5.0, 4.48, 4.33, 4.67, 5.0]
    assert plan_total(brackets) == pytest.approx(sum(b.total_resource for b in brackets) / 81)
    # With resume a bracket costs sum n_i (r_i - r_{i-1}): s=4 is 81 + 27*2 + 9*6 + 3*18 + 54.
    assert brackets[0].total_resource_resumed == 297


def test_authors_code_r300_eta4():
    brackets = schedule(300, 4, rounding="authors_code")
    assert [b.n_configs for b in brackets] == [256, 80, 26, 10, 5]
    # int(R * eta**(i-s)) in raw units: 300/256 -> 1, 300/64 -> 4, 300/16 -> 18, 75, 300.
    assert brackets[0].as_pairs() == [(256, 1), (64, 4), (16, 18), (4, 75), (1, 300)]
    assert counts(brackets)[1:] == [[80, 20, 5, 1], [26, 6, 1], [10, 2], [5]]


@pytest.mark.parametrize("R", [300, 400, 600, 1000])
def test_r300_eta4_ceil_and_floor_schedules(R):
    ceil = schedule(R, 4)
    assert counts(ceil) == [[256, 64, 16, 4, 1], [80, 20, 5, 1], [27, 6, 1], [10, 2], [5]]
    assert ceil[0].budgets == pytest.approx([R / 256, R / 64, R / 16, R / 4, R])
    assert all(b.budgets[-1] == R for b in ceil)
    floor = schedule(R, 4, rounding="floor_table")
    assert counts(floor) == [[256, 64, 16, 4, 1], [64, 16, 4, 1], [16, 4, 1], [8, 2], [5]]


@pytest.mark.parametrize("eta", [2, 3, 4])
@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_powers_of_eta_give_k_plus_1_brackets(eta, rounding):
    for k in range(1, 9):
        R = eta**k
        for lo in (1, 7, 0.01):
            hi = lo * R  # a float product for lo = 0.01: exercises the tolerance
            brackets = schedule(hi, eta, lo, rounding=rounding)
            assert len(brackets) == k + 1, (eta, k, lo)
            assert [b.s for b in brackets] == list(range(k, -1, -1))
            assert brackets[0].budgets[0] == pytest.approx(lo)
            for b in brackets:
                assert b.budgets[-1] == pytest.approx(hi)
                assert all(lo - 1e-12 <= x <= hi + 1e-12 for x in b.budgets)
        assert s_max(R - 1, eta) == k - 1
    assert s_max(3**20, 3) == 20 and s_max(3**20 - 1, 3) == 19


def test_non_power_and_min_budget_and_knobs():
    # R = 100, eta = 3: s_max = 4, Algorithm 1's counts, starting at 100/81 units.
    b100 = schedule(100, 3)
    assert [b.n_configs for b in b100] == [81, 34, 15, 8, 5]
    assert b100[0].budgets[0] == pytest.approx(100 / 81)
    # min 9, max 729: R = 81 units, budgets in the benchmark's units.
    b9 = schedule(729, 3, 9)
    assert b9[0].as_pairs() == [(81, 9), (27, 27), (9, 81), (3, 243), (1, 729)]
    assert float(b9[0].R) == 81
    # n_max caps the most exploratory bracket; s_min drops the least exploratory ones.
    assert [b.s for b in schedule(81, 3, n_max=10)] == [2, 1, 0]
    assert [b.s for b in schedule(81, 3, s_min=2)] == [4, 3, 2]
    # R below eta: one bracket, plain random search at the maximum.
    assert [b.as_pairs() for b in schedule(2, 3)] == [[(1, 2)]]
    with pytest.raises(ValueError, match="rounding"):
        schedule(81, 3, rounding="round")
    with pytest.raises(ValueError, match="eta"):
        schedule(81, 1)
    with pytest.raises(ValueError, match="min_budget"):
        schedule(81, 3, min_budget=100)
    with pytest.raises(ValueError, match="s_min"):
        schedule(81, 3, s_min=5)


def test_plan_text_and_json():
    brackets = schedule(81, 3)
    text = format_plan(brackets, unit="epochs")
    assert "81@1 27@3 9@9 3@27 1@81" in text and "23.48" in text and "19.52" in text
    assert len(text.splitlines()) == 2 + 5 + 1
    d = json.loads(json.dumps(plan_dict(brackets)))
    assert d["R"] == 81 and d["eta"] == 3 and d["s_max"] == 4 and d["rounding"] == "ceil_formula"
    assert [b["configs"] for b in d["brackets"]] == [81, 34, 15, 8, 5]
    assert d["brackets"][1]["rungs"][0] == {"n": 34, "budget": 3.0, "units": 3.0}
    assert d["total"]["configs"] == 143 and d["total"]["evaluations"] == 206
    assert d["total"]["resource_R"] == pytest.approx(plan_total(brackets))


def test_plan_text_and_describe_plan():
    text = plan_text(81.0, eta=3, min_budget=1.0, rounding="floor_table")
    assert "27@3 9@9 3@27 1@81" in text and "rounding floor_table" in text
    assert json.loads(plan_text(81.0, eta=3, rounding="floor_table", as_json=True))["total"]["configs"] == 81 + 27 + 9 + 6 + 5
    with pytest.raises(ValueError, match="min_budget"):
        plan_text(81.0, min_budget=100.0)

    fid = Fidelity("epochs", 1, 81, "epochs")

    def plan(name, **options):
        return get_optimizer(name, SPACE, seed=0, fidelity=fid, **options).describe_plan()

    assert "34@3 11@9 3@27 1@81" in plan("hyperband")
    assert "eta 4" in plan("hyperband", eta=4)
    s3 = plan("bracket-s3")
    assert "34@3 11@9 3@27 1@81" in s3 and "81@1" not in s3
    assert "81@1 27@3" in plan("sh")
    assert "B = 4R" in plan("hyperband-inf")
    assert getattr(get_optimizer("random", SPACE, seed=0), "describe_plan", lambda: None)() is None


# ------------------------------------------------------------------------ driving Hyperband
def drive(opt, n_trials, loss=fake_loss):
    """Sequential ask/tell; returns the told trials."""
    trials = []
    for _ in range(n_trials):
        t = opt.ask()
        assert t is not None
        opt.tell(t, Result(loss(t)))
        trials.append(t)
    return trials


def by_rung(trials):
    groups = defaultdict(list)
    for t in trials:
        groups[(t.info["iteration"], t.info["bracket_index"], t.info["rung"])].append(t)
    return groups


@pytest.mark.parametrize("eta,R,lo", [(3, 81, 1), (2, 16, 1), (4, 256, 1), (3, 100, 1), (3, 729, 9)])
def test_hyperband_reproduces_the_schedule(eta, R, lo):
    fid = Fidelity("epochs", lo, R)
    hb = Hyperband(SPACE, seed=3, fidelity=fid, eta=eta)
    plan = schedule(R, eta, lo)
    n_total = sum(b.n_evaluations for b in plan)
    trials = drive(hb, n_total)
    groups = by_rung(trials)
    for bi, b in enumerate(plan):
        prev_losses = None
        for i, (n, budget) in enumerate(b.as_pairs()):
            rung = groups[(0, bi, i)]
            assert len(rung) == n
            assert all(t.budget == budget and t.info["bracket"] == b.s for t in rung)
            if i == 0:
                assert all(t.resume_from is None for t in rung)
                assert len({json.dumps(t.config, sort_keys=True) for t in rung}) == n  # fresh, distinct
            else:
                assert all(t.resume_from == b.as_pairs()[i - 1][1] for t in rung)
                # The promoted configurations are exactly the n best of the previous rung.
                best = sorted(prev_losses, key=lambda p: p[0])[:n]
                assert sorted(t.config["x"] for t in rung) == sorted(p[1] for p in best)
            prev_losses = [(fake_loss(t), t.config["x"]) for t in rung]
    assert len(groups) == sum(len(b.rungs) for b in plan)
    # Then the outer loop starts again with fresh configurations.
    t = hb.ask()
    assert (t.info["iteration"], t.info["bracket"], t.info["rung"], t.budget) == (1, plan[0].s, 0, plan[0].budgets[0])
    assert t.config not in [u.config for u in trials]


def test_whole_rung_is_a_batch_and_ask_waits():
    hb = Hyperband(SPACE, seed=0, fidelity=EPOCHS_81)
    rung0 = [hb.ask() for _ in range(81)]
    assert all(t is not None and t.budget == 1 for t in rung0)
    assert hb.ask() is None and hb.ask() is None  # the rung waits for its results
    for t in reversed(rung0[1:]):
        hb.tell(t, Result(fake_loss(t)))
        assert hb.ask() is None
    hb.tell(rung0[0], Result(fake_loss(rung0[0])))
    rung1 = [hb.ask() for _ in range(27)]
    assert hb.ask() is None
    assert all(t.budget == 3 and t.resume_from == 1 and t.info["rung"] == 1 for t in rung1)
    best27 = sorted(rung0, key=fake_loss)[:27]
    assert [t.config for t in rung1] == [t.config for t in best27]  # asked best first
    assert len(hb.pending) == 27


def test_failures_are_never_promoted_and_all_failed_rung_ends_bracket():
    def flaky(t):
        if t.config["x"] > 0.6:
            return math.nan
        if t.config["x"] > 0.5:
            return math.inf
        return fake_loss(t)

    hb2 = Hyperband(SPACE, seed=1, fidelity=EPOCHS_81)
    trials = drive(hb2, 81 + 27, loss=flaky)
    rung0, rung1 = trials[:81], trials[81:]
    failed0 = {t.config["x"] for t in rung0 if t.config["x"] > 0.5}
    assert 0 < len(failed0) < 81 - 27
    assert not failed0 & {t.config["x"] for t in rung1}
    # When fewer successes than promotion slots exist, only the successes are promoted.
    hb3 = Hyperband(SPACE, seed=2, fidelity=EPOCHS_81)
    rung0 = [hb3.ask() for _ in range(81)]
    for j, t in enumerate(rung0):
        hb3.tell(t, Result(0.1 * j if j < 5 else math.nan))
    nxt = [hb3.ask() for _ in range(6)]
    assert [t.info["rung"] for t in nxt[:5]] == [1] * 5 and nxt[5] is None
    assert [t.config for t in nxt[:5]] == [t.config for t in rung0[:5]]
    # A rung where everything failed ends the bracket; the next bracket starts (no deadlock).
    hb4 = Hyperband(SPACE, seed=4, fidelity=EPOCHS_81)
    for t in [hb4.ask() for _ in range(81)]:
        hb4.tell(t, Result(math.nan))
    t = hb4.ask()
    assert t is not None and (t.info["bracket"], t.info["rung"], t.budget) == (3, 0, 3)
    assert hb4.incumbent() == (None, math.inf)


def test_resume_false_and_incumbent():
    hb = Hyperband(SPACE, seed=5, fidelity=EPOCHS_81, resume=False)
    trials = drive(hb, 206)
    assert all(t.resume_from is None for t in trials)
    assert any(t.info["rung"] > 0 for t in trials)
    best_any = min(trials, key=fake_loss)
    at_max = [t for t in trials if t.budget == 81]
    best_max = min(at_max, key=fake_loss)
    assert hb.incumbent() == (best_any.config, fake_loss(best_any))
    assert hb.incumbent(at_max_budget_only=True) == (best_max.config, fake_loss(best_max))


def test_options_and_errors():
    with pytest.raises(ValueError, match="fidelity"):
        Hyperband(SPACE, seed=0)
    hb = Hyperband(SPACE, seed=0, max_budget=27)  # a single-fidelity benchmark, budgets given
    assert hb.ask().budget == 1 and len(hb.brackets) == 4
    with pytest.raises(ValueError, match="outside"):
        Hyperband(SPACE, seed=0, fidelity=EPOCHS_81, max_budget=243)
    with pytest.raises(TypeError, match="unknown options"):
        Hyperband(SPACE, seed=0, fidelity=EPOCHS_81, etta=3)
    with pytest.raises(ValueError, match="rounding"):
        Hyperband(SPACE, seed=0, fidelity=EPOCHS_81, rounding="nearest")
    assert Hyperband.capabilities.as_dict() == {
        "conditional": True, "dependent_bounds": True, "multi_fidelity": True, "batch": True,
        "owns_loop": False, "resumable": True,
    }


def test_same_seed_same_trials_and_n_iterations():
    def seq(seed):
        hb = Hyperband(SPACE, seed=seed, fidelity=Fidelity("e", 1, 9), n_iterations=2)
        out = []
        while (t := hb.ask()) is not None:
            hb.tell(t, Result(fake_loss(t)))
            out.append((t.id, t.config, t.budget, t.resume_from, t.info["bracket"], t.info["iteration"]))
        assert hb.finished
        return out

    a, b = seq(7), seq(7)
    assert a == b and a != seq(8)
    assert len(a) == 2 * sum(b.n_evaluations for b in schedule(9, 3))


def test_small_discrete_space_dedupes_then_repeats():
    space = Space([Categorical("a", [0, 1, 2])])
    hb = Hyperband(space, seed=0, fidelity=Fidelity("e", 1, 9))
    rung0 = [hb.ask() for _ in range(9)]
    assert None not in rung0  # the schedule's size is kept: sampling with replacement
    assert {t.config["a"] for t in rung0[:3]} == {0, 1, 2}  # distinct while the space allows
    for t in rung0:
        hb.tell(t, Result(float(t.config["a"])))
    rung1 = [hb.ask() for _ in range(3)]
    assert sorted(t.config["a"] for t in rung1) == [0, 1, 2]  # distinct configs promoted first
    # A space with more configurations than the rung needs: all distinct (plain i.i.d. draws of
    # 81 out of 100 values would almost surely repeat one).
    hb2 = Hyperband(Space([Int("k", 0, 99)]), seed=0, fidelity=EPOCHS_81)
    assert len({hb2.ask().config["k"] for _ in range(81)}) == 81


def test_conditional_space():
    space = Space([
        Categorical("kernel", ["rbf", "poly"]),
        Int("degree", 2, 5, condition=("kernel", ["poly"])),
        Int("k2", 10, 60),
        Int("k1", 5, "k2"),
    ])
    hb = Hyperband(space, seed=0, fidelity=Fidelity("e", 1, 27))
    for t in drive(hb, 60, loss=lambda t: t.config["k1"] / t.budget):
        space.validate(t.config)


# --------------------------------------------------------------------------------- variants
def test_bracket_repeat_is_the_s4_baseline():
    br = BracketRepeat(SPACE, seed=0, fidelity=EPOCHS_81, s=4)
    assert br.name == "bracket-s4"
    trials = drive(br, 2 * 121)
    assert {t.info["bracket"] for t in trials} == {4}
    assert [t.info["iteration"] for t in trials] == [0] * 121 + [1] * 121
    assert counts([br.bracket]) == [[81, 27, 9, 3, 1]]
    assert trials[121].config not in [t.config for t in trials[:121]]  # fresh configurations
    br3 = BracketRepeat(SPACE, seed=0, fidelity=EPOCHS_81, s=3, n_iterations=1)
    assert br3.plan()[0].as_pairs() == [(34, 3), (11, 9), (3, 27), (1, 81)]
    assert len(drive(br3, 49)) == 49 and br3.ask() is None and br3.finished
    with pytest.raises(ValueError, match=r"s must be in \[0, 4\]"):
        BracketRepeat(SPACE, seed=0, fidelity=EPOCHS_81, s=5)


def test_successive_halving():
    sh = SuccessiveHalving(SPACE, seed=0, fidelity=EPOCHS_81)
    assert sh.plan()[0].as_pairs() == [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)]
    sh2 = SuccessiveHalving(SPACE, seed=0, fidelity=Fidelity("e", 1, 27), n=20)
    assert sh2.plan()[0].as_pairs() == [(20, 1), (6, 3), (2, 9), (1, 27)]
    trials = drive(sh2, 2 * 29)
    assert [t.info["rung"] for t in trials[:29]] == [0] * 20 + [1] * 6 + [2] * 2 + [3]
    assert trials[29].info["iteration"] == 1
    sh3 = SuccessiveHalving(SPACE, seed=0, fidelity=Fidelity("e", 1, 81), s=2, eta=3)
    assert sh3.plan()[0].as_pairs() == [(9, 9), (3, 27), (1, 81)]
    with pytest.raises(ValueError, match="below min_budget"):
        SuccessiveHalving(SPACE, seed=0, fidelity=EPOCHS_81, s=5)


def test_infinite_brackets_follow_spec():
    # B = 2R = 600 units, R = 300, eta = 4: n = 256 is skipped (600 / (256*4) < 1 unit).
    b = infinite_brackets(600, 300, eta=4)
    assert [x.as_pairs() for x in b] == [
        [(64, 3.125), (16, 12.5), (4, 50.0)],
        [(16, 18.75), (4, 75.0)],
        [(4, 150.0)],
    ]
    # Each round spends B / rounds, so a bracket never spends more than B.
    assert all(x.total_resource <= 600 + 1e-9 for x in b)
    # Allocations above R are clipped to R and end the bracket.
    big = infinite_brackets(8 * 300, 300, eta=4)
    assert big[-1].as_pairs() == [(4, 300.0)] and big[-2].as_pairs() == [(16, 75.0), (4, 300.0)]
    # min_arms and min_unit skip brackets; the authors' extra round keeps a single survivor.
    assert [x.n_configs for x in infinite_brackets(600, 300, min_arms=16)] == [64, 16]
    assert [x.n_configs for x in infinite_brackets(600, 300, min_unit=10)] == [16, 4]
    assert infinite_brackets(600, 300, extra_round=True)[-1].as_pairs() == [(4, 75.0), (1, 300.0)]


def test_hyperband_infinite_drives_doubling_budgets():
    fid = Fidelity("iters", 1, 300)
    hb = HyperbandInfinite(SPACE, seed=0, fidelity=fid, n_iterations=3)
    trials = []
    while (t := hb.ask()) is not None:
        hb.tell(t, Result(fake_loss(t)))
        trials.append(t)
    assert hb.finished
    assert sorted({t.info["B_R"] for t in trials}) == [2.0, 4.0, 8.0]
    assert all(1 <= t.budget <= 300 for t in trials)
    expected = sum(x.n_evaluations for k in range(3) for x in hb.plan(k))
    assert len(trials) == expected
    first = [t for t in trials if t.info["bracket_index"] == 0]
    assert [len([t for t in first if t.info["rung"] == i]) for i in range(3)] == [64, 16, 4]
    assert all(t.resume_from == 3.125 for t in first if t.info["rung"] == 1)
    with pytest.raises(ValueError, match="integer eta"):
        HyperbandInfinite(SPACE, seed=0, fidelity=fid, eta=2.5)


# ----------------------------------------------------------------------------------- quality
def _regret(opt, bench, budget_R, seed):
    """Sequential loop under a resource budget (charging r - resume_from, as the runner does on
    a benchmark that can continue); the incumbent's true value at R gives the regret."""
    R = bench.fidelity.max
    used = 0.0
    while used < budget_R * R - 1e-9:
        t = opt.ask()
        b = t.budget if t.budget is not None else R
        used += b - (t.resume_from or 0.0)
        opt.tell(t, bench.evaluate(t.config, budget=b, seed=seed))
    if isinstance(opt, Hyperband):
        config, _ = opt.incumbent()
    else:
        config = min(opt.history, key=lambda tr: tr[1].loss)[0].config
    return bench.evaluate(config).test_loss - bench.optimum


def test_hyperband_beats_random_search_on_mf_hartmann6():
    bench = MFHartmann6(max_budget=81)
    assert bench.can_continue
    hb = [_regret(Hyperband(bench.space, seed=s, fidelity=bench.fidelity), bench, 10, s) for s in range(10)]
    rs = [_regret(RandomSearch(bench.space, seed=s), bench, 10, s) for s in range(10)]
    # Measured: Hyperband median regret ~1.19, random search ~2.30 (10 evaluations at R).
    assert np.median(hb) < np.median(rs) - 0.5
    assert np.median(hb) < 1.6


# ------------------------------------------------------------------------------ integration
def test_with_runner():
    from hpobench import runner

    bench = MFHartmann6(max_budget=27)
    res = runner.run(bench, Hyperband(bench.space, seed=0, fidelity=bench.fidelity), "8R", seed=0)
    recs = res.records
    plan = schedule(27, 3)
    assert [r["budget"] for r in recs[:40]] == [b for br in plan for n, b in br.as_pairs() for _ in range(n)][:40]
    assert recs[-1]["resource"] >= 8 * 27 - 1e-9
    # Promoted configurations are charged only the difference on a benchmark that can continue.
    assert recs[27]["budget"] == 3 and recs[27]["charged"] == pytest.approx(2)


@pytest.mark.parametrize("cls,options", [
    (Hyperband, {}),
    (Hyperband, {"eta": 2, "rounding": "floor_table", "resume": False}),
    (SuccessiveHalving, {}),
    (BracketRepeat, {"s": 2}),
    (HyperbandInfinite, {}),
])
def test_conformance_suite(cls, options):
    from hpobench.testing import check_optimizer

    check_optimizer(cls, **options)


# ---------------------------------------------------------------------------- properties
def test_schedule_invariants_property():
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies

    @hypothesis.settings(max_examples=60, deadline=None)
    @hypothesis.given(
        R=st.integers(1, 5000), eta=st.integers(2, 5), lo=st.sampled_from([1, 3, 0.01, 0.5]),
        rounding=st.sampled_from(ROUNDINGS),
    )
    def check(R, eta, lo, rounding):
        hi = lo * R
        brackets = schedule(hi, eta, lo, rounding=rounding)
        top = brackets[0].s
        assert eta**top <= R < eta ** (top + 1)
        for b in brackets:
            ns, budgets = [n for n, _ in b.as_pairs()], b.budgets
            assert len(ns) == b.s + 1 and ns[-1] >= 1
            assert all(a >= c for a, c in zip(ns, ns[1:]))
            assert all(a < c for a, c in zip(budgets, budgets[1:]))
            assert budgets[-1] == pytest.approx(hi) and budgets[0] >= lo * (1 - 1e-12)
            assert b.total_resource_resumed <= b.total_resource + 1e-9
            if rounding == "ceil_formula":
                # Algorithm 1: each bracket spends at most about B = (s_max + 1) R (+ one rung of slack).
                assert b.resource_R() <= top + 1 + b.s + 1

    check()


def test_describe_plan_for_module_class_names():
    fid = Fidelity("epochs", 1, 27)
    hb = get_optimizer("hpobench.optimizers.hyperband:Hyperband", SPACE, seed=0, fidelity=fid)
    assert "rounding ceil_formula, brackets s=3..0" in hb.describe_plan()
    s1 = get_optimizer("hpobench.optimizers.hyperband:BracketRepeat", SPACE, seed=0, fidelity=fid, s=1).describe_plan()
    assert "6@9 2@27" in s1 and "27@1" not in s1 and "bracket s=1" in s1
