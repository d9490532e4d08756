"""SMAC (random forest + EI + local search + interleaved random configurations): the forest's
predictive distribution, the EI formulas, the vectorized encoding, the challenger schedule,
conditional spaces, failures, batch asks, the conformance suite and the issue's quality criterion
(SMAC beats random search on Branin and Hartmann6)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import norm

from hpobench.benchmarks.base import Result
from hpobench.benchmarks.synthetic import Branin, Hartmann6
from hpobench.optimizers.random_search import RandomSearch
from hpobench.optimizers.smac import (
    INACTIVE_FEATURE,
    PRESETS,
    SMAC,
    RandomForestSurrogate,
    Featurizer,
    expected_improvement,
    log_expected_improvement,
    log_scaled_costs,
)
from hpobench.optimizers.smac.local_search import local_search
from hpobench.runner import run
from hpobench.space import Categorical, Float, Int, Space
from hpobench.testing import check_optimizer
from hpobench.testing import kernel_objective as kernel_loss

# ----------------------------------------------------------------------------------- spaces


def kernel_space() -> Space:
    return Space(
        [
            Categorical("kernel", ["rbf", "poly", "sigmoid"]),
            Float("C", 1e-3, 1e5, log=True),
            Float("gamma", 1e-5, 10.0, log=True),
            Int("degree", 2, 5, condition=("kernel", ["poly"])),
            Float("coef0", -1.0, 1.0, condition=("kernel", ["poly", "sigmoid"])),
        ]
    )


def lenet_space() -> Space:
    return Space(
        [
            Float("lr", 1e-3, 1e-1, log=True),
            Int("batch", 10, 1000, log=True),
            Int("k2", 10, 60),
            Int("k1", 5, "k2"),
            Categorical("act", ["relu", "tanh"]),
            Float("drop", 0.0, 0.9, condition=("act", "relu")),
        ]
    )


# ---------------------------------------------------------------------------- random forest


def _data(n=60, d=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    y = np.sin(6 * X[:, 0]) + X[:, 1] ** 2 + 0.1 * rng.standard_normal(n)
    return X, y


def test_forest_mean_and_variance_are_across_tree_predictions():
    X, y = _data()
    rf = RandomForestSurrogate(n_trees=10, min_samples_split=3, rng=1).fit(X, y)
    Xq = np.random.default_rng(2).random((50, 4))
    per_tree = np.array([est.predict(Xq) for est in rf.estimators_])
    mu, var = rf.predict(Xq)
    assert len(rf.estimators_) == 10
    np.testing.assert_allclose(mu, per_tree.mean(axis=0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(var, per_tree.var(axis=0), rtol=1e-10, atol=1e-14)
    assert (var > 0).mean() > 0.9  # bootstrapped trees disagree
    # Each tree was fitted on its own bootstrap sample of n points.
    assert all(len(s) == len(y) for s in rf.samples_)
    assert len({tuple(s) for s in rf.samples_}) == 10


def test_forest_without_bootstrap_and_all_features_has_identical_trees():
    X, y = _data()
    rf = RandomForestSurrogate(ratio_features=1.0, min_samples_split=2, bootstrap=False, rng=0).fit(X, y)
    _, var = rf.predict(X)
    np.testing.assert_allclose(var, 0.0, atol=1e-20)


def test_forest_options_reach_the_trees():
    X, y = _data(n=9)
    # SMAC 2.x split_min = 10: nine points (no bootstrap) never split.
    rf = RandomForestSurrogate(min_samples_split=10, bootstrap=False, rng=0).fit(X, y)
    assert all(est.tree_.node_count == 1 for est in rf.estimators_)
    X, y = _data(n=200)
    rf = RandomForestSurrogate(ratio_features=5 / 6, min_samples_split=10, min_samples_leaf=3, rng=0).fit(X, y)
    est = rf.estimators_[0]
    assert est.max_features == 5 / 6 and est.min_samples_split == 10 and est.min_samples_leaf == 3
    leaves = est.tree_.children_left == -1
    assert est.tree_.n_node_samples[leaves].min() >= 3


def test_forest_log_y_leaf_is_log_mean_exp_of_its_points():
    X, y = _data()
    y = np.log(np.exp(y) / 10)  # log costs
    rf = RandomForestSurrogate(min_samples_split=4, log_y=True, rng=3).fit(X, y)
    Xq = np.random.default_rng(4).random((20, 4))
    preds = rf.predict_trees(Xq)
    by_hand = np.empty_like(preds)
    for t, (est, idx) in enumerate(zip(rf.estimators_, rf.samples_)):
        train_leaves = est.apply(X[idx])
        for i, leaf in enumerate(est.apply(Xq)):
            by_hand[t, i] = np.log(np.mean(np.exp(y[idx][train_leaves == leaf])))
    np.testing.assert_allclose(preds, by_hand, rtol=1e-10, atol=1e-12)
    mu, var = rf.predict(Xq)
    np.testing.assert_allclose(mu, by_hand.mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(var, by_hand.var(axis=0), rtol=1e-8, atol=1e-14)
    # log-mean-exp >= mean of logs (Jensen), so the leaves differ from plain tree means.
    plain = np.array([est.predict(Xq) for est in rf.estimators_])
    assert np.all(preds >= plain - 1e-12) and np.any(preds > plain + 1e-6)


# ------------------------------------------------------------------------------ acquisition

CASES = [(0.0, 1.0, 0.5), (1.0, 0.3, 0.2), (-0.4, 2.0, -1.5), (2.0, 0.05, 2.1), (0.3, 0.7, 0.3)]


@pytest.mark.parametrize("mu,sigma,f_min", CASES)
@pytest.mark.parametrize("xi", [0.0, 0.1])
def test_expected_improvement_matches_numeric_integration(mu, sigma, f_min, xi):
    target = f_min - xi
    value, _ = integrate.quad(lambda y: (target - y) * norm.pdf(y, mu, sigma), mu - 12 * sigma, target, limit=200)
    value = max(value, 0.0)
    got = expected_improvement(np.array([mu]), np.array([sigma**2]), f_min, xi)[0]
    assert got == pytest.approx(value, rel=1e-7, abs=1e-12)


@pytest.mark.parametrize("mu,sigma,f_min", CASES)
def test_log_expected_improvement_matches_numeric_integration(mu, sigma, f_min):
    # Y is the log cost; improvement is measured in the original space: exp(f_min) - exp(Y).
    value, _ = integrate.quad(lambda y: (math.exp(f_min) - math.exp(y)) * norm.pdf(y, mu, sigma), mu - 12 * sigma, f_min, limit=200)
    got = log_expected_improvement(np.array([mu]), np.array([sigma**2]), f_min)[0]
    assert got == pytest.approx(max(value, 0.0), rel=1e-7, abs=1e-12)


def test_expected_improvement_is_zero_without_uncertainty_and_vectorized():
    mu = np.array([0.0, -1.0, 1.0, 0.0])
    var = np.array([0.0, 0.0, 0.0, 1.0])
    np.testing.assert_array_equal(expected_improvement(mu, var, 0.5)[:3], 0.0)
    np.testing.assert_array_equal(log_expected_improvement(mu, var, 0.5)[:3], 0.0)
    assert expected_improvement(mu, var, 0.5)[3] > 0
    # EI grows with the uncertainty and falls as the mean rises.
    e = expected_improvement(np.zeros(3), np.array([0.1, 1.0, 4.0]), 0.0)
    assert e[0] < e[1] < e[2]
    e = expected_improvement(np.array([-1.0, 0.0, 1.0]), np.ones(3), 0.0)
    assert e[0] > e[1] > e[2]


def test_log_scaled_costs_follow_smac3():
    y = np.array([-3.0, -2.5, -1.0, 0.0, 4.0, 2.0])
    out, transform = log_scaled_costs(y)
    p5 = np.percentile(y, 5)
    m = y.min() - (p5 - y.min()) - 1e-10
    np.testing.assert_allclose(out, np.log((y - m) / (y.max() - m)))
    assert out[np.argmax(y)] == pytest.approx(0.0, abs=1e-12)
    assert np.all(np.diff(out[np.argsort(y)]) > 0)
    np.testing.assert_allclose(transform(y), out)
    single, _ = log_scaled_costs(np.array([2.0]))
    assert np.isfinite(single).all()


# ------------------------------------------------------------------------------- featurizer


@pytest.mark.parametrize("space_fn", [kernel_space, lenet_space])
def test_featurizer_matches_decode_then_encode(space_fn):
    space = space_fn()
    fz = Featurizer(space)
    U = np.random.default_rng(0).random((300, len(space)))
    U[:5] = 0.0
    U[5:10] = 1.0
    F = fz(U)
    for u, f in zip(U, F):
        config = space.decode(u)
        enc = space.encode(config)
        for j, p in enumerate(space.params):
            if p.name not in config:
                assert f[j] == INACTIVE_FEATURE
            elif isinstance(p, Categorical):
                assert f[j] == p.index(config[p.name])
            else:
                assert f[j] == pytest.approx(enc[j], abs=1e-9)
        # Encoding a decoded config and featurizing again is a fixed point (used for history).
        np.testing.assert_allclose(fz(enc)[0], f, atol=1e-9)


# ------------------------------------------------------------------------------------ SMAC


def _drive(opt, loss_fn, n):
    out = []
    for _ in range(n):
        t = opt.ask()
        loss = loss_fn(t.config)
        opt.tell(t, Result(loss=loss))
        out.append((t, loss))
    return out


def test_options_presets_and_errors():
    space = Branin().space
    opt = SMAC(space, seed=0)
    assert opt.preset == "hpolib" and opt.min_samples_split == 2 and opt.random_probability == 0.5
    assert opt.n_random_candidates == 10_000 and opt.neighbour_std == 0.2 and opt.log_y
    assert opt.local_search_starts == "cost" and opt.initial_design == "default"
    paper = SMAC(space, seed=0, preset="hpolib-paper")
    assert paper.min_samples_split == 10 and paper.ratio_features == 5 / 6 and not paper.log_y
    assert paper.local_search_starts == "ei"
    opt = SMAC(space, seed=0, preset="smac3-hpo", n_random_candidates=50)
    assert opt.log_y and opt.ratio_features == 1.0 and opt.min_samples_split == 2 and opt.n_random_candidates == 50
    assert set(PRESETS["hpolib"]) == set(PRESETS["smac3-hpo"]) == set(PRESETS["hpolib-paper"])
    with pytest.raises(TypeError, match="n_treez"):
        SMAC(space, n_treez=3)
    with pytest.raises(ValueError, match="preset"):
        SMAC(space, preset="smac4")
    with pytest.raises(ValueError, match="random_probability"):
        SMAC(space, random_probability=1.5)
    with pytest.raises(ValueError, match="initial_design"):
        SMAC(space, initial_design="lhs")
    with pytest.raises(ValueError, match="local_search_starts"):
        SMAC(space, local_search_starts="best")


def test_initial_designs():
    space = Space([Float("a", 0.0, 10.0), Float("lr", 1e-4, 1.0, log=True), Int("k", 1, 5), Categorical("c", ["x", "y"])])
    opt = SMAC(space, seed=0)
    first = opt.ask()
    assert first.info["origin"] == "initial design: default"
    assert first.config == {"a": 5.0, "lr": pytest.approx(1e-2), "k": 3, "c": "x"}
    # Sobol: min(10 per parameter, 25% of n_trials) points, covering the cube evenly.
    opt = SMAC(Hartmann6().space, seed=0, preset="smac3-hpo")
    trials = [opt.ask() for _ in range(26)]
    origins = [t.info["origin"] for t in trials]
    assert origins[:25] == ["initial design: sobol"] * 25 and origins[25] != "initial design: sobol"
    X = np.array([[t.config[n] for n in opt.space.names] for t in trials[:16]])
    assert np.all(np.abs(X.mean(axis=0) - 0.5) < 0.1)
    opt = SMAC(Hartmann6().space, seed=0, initial_design="random", n_initial=3, n_trials=1000)
    assert [opt.ask().info["origin"] for _ in range(3)] == ["initial design: random"] * 3
    # The runner's budget hint sizes the design as SMAC3 does: 25% of 60 trials = 15 points.
    opt = SMAC(Hartmann6().space, seed=0, preset="smac3-hpo")
    opt.set_expected_trials(60)
    origins = [opt.ask().info["origin"] for _ in range(16)]
    assert origins[:15] == ["initial design: sobol"] * 15 and origins[15] != "initial design: sobol"
    assert SMAC(Hartmann6().space, seed=0, n_trials=40).budget_hint == 40


def test_paper_interleaving_alternates_model_and_random_challengers():
    bench = Branin()
    opt = SMAC(bench.space, seed=3, n_random_candidates=300)
    done = _drive(opt, lambda c: bench.evaluate(c).loss, 13)
    origins = [t.info["origin"] for t, _ in done]
    assert origins[0] == "initial design: default"
    assert all(o == "random (interleaved)" for o in origins[2::2])
    assert all(o in ("local search", "random search (sorted)") for o in origins[1::2])
    # SMAC3's schedule draws the kind of each challenger with probability 0.2.
    opt = SMAC(bench.space, seed=3, random_probability=0.2, random_schedule="probability", n_random_candidates=200)
    origins = [t.info["origin"] for t, _ in _drive(opt, lambda c: bench.evaluate(c).loss, 41)][1:]
    share = sum(o == "random (interleaved)" for o in origins) / len(origins)
    assert 0.05 <= share <= 0.4


def test_model_challenger_maximizes_ei_and_local_search_climbs():
    bench = Hartmann6()
    opt = SMAC(bench.space, seed=1, preset="hpolib-paper", initial_design="random", n_initial=30, n_random_candidates=2000)
    _drive(opt, lambda c: bench.evaluate(c).loss, 30)
    trial = opt.ask()  # first model-phase ask of the paper's schedule is model-based
    assert trial.info["origin"] in ("local search", "random search (sorted)")
    assert opt.model is not None and len(opt.model.estimators_) == 10
    X, y, X_told, y_best = opt._training_data()
    f_min = float(y.min())
    feat = opt._feature_of(trial.config)
    mu, var = opt.model.predict(feat[None, :])
    assert trial.info["ei"] == pytest.approx(expected_improvement(mu, var, f_min)[0], rel=1e-9, abs=1e-15)
    # The proposal beats every evaluated configuration and 2000 fresh random ones on EI.
    acq = lambda F: expected_improvement(*opt.model.predict(F), f_min)  # noqa: E731
    U = np.random.default_rng(9).random((2000, 6))
    assert trial.info["ei"] >= acq(X_told).max()
    assert trial.info["ei"] >= np.quantile(acq(opt._featurize(U)), 0.99)
    # Local search never lowers EI, and usually raises it.
    starts = np.random.default_rng(5).random((20, 6))
    before = acq(opt._featurize(starts))
    U_end, F_end, after = local_search(opt.space, opt._featurize, starts, acq, opt.rng, n_neighbours=opt.n_neighbours, std=opt.neighbour_std)
    assert np.all(after >= before) and np.sum(after > before) >= 10
    np.testing.assert_allclose(after, acq(F_end))


def test_default_preset_maximizes_log_space_ei():
    bench = Hartmann6()
    opt = SMAC(bench.space, seed=2, initial_design="random", n_initial=20, n_random_candidates=1000)
    _drive(opt, lambda c: bench.evaluate(c).loss, 20)
    trial = opt.ask()
    assert trial.info["origin"] in ("local search", "random search (sorted)")
    X, y, X_told, y_best = opt._training_data()
    _, transform = log_scaled_costs(y[: len(X_told)])  # the asked trial is pending now, a lie in y
    f_min = float(transform([y_best])[0])
    mu, var = opt.model.predict(opt._feature_of(trial.config)[None, :])
    assert trial.info["ei"] == pytest.approx(log_expected_improvement(mu, var, f_min)[0], rel=1e-9, abs=1e-15)
    # it beats every evaluated configuration on that acquisition
    assert trial.info["ei"] >= log_expected_improvement(*opt.model.predict(X_told), f_min).max()


def test_conditional_space_proposals_are_valid_and_model_based():
    space = kernel_space()
    opt = SMAC(space, seed=2, n_random_candidates=500)
    done = _drive(opt, kernel_loss, 40)
    for t, _ in done:
        space.validate(t.config)
        assert ("degree" in t.config) == (t.config["kernel"] == "poly")
        assert ("coef0" in t.config) == (t.config["kernel"] in ("poly", "sigmoid"))
    origins = {t.info["origin"] for t, _ in done}
    assert {"local search", "random search (sorted)"} & origins
    # Inactive parameters reach the forest as -1, outside the [0, 1] range of active ones.
    F = np.array([opt._features[t.id] for t, _ in done])
    rbf = np.array([t.config["kernel"] == "rbf" for t, _ in done])
    assert np.all(F[rbf][:, 3:] == INACTIVE_FEATURE)
    assert np.all(F[:, 0] == [space["kernel"].index(t.config["kernel"]) for t, _ in done])
    # Late model-based challengers are better than the interleaved random ones.
    late = done[20:]
    model = [loss for t, loss in late if t.info["origin"] != "random (interleaved)"]
    rand = [loss for t, loss in late if t.info["origin"] == "random (interleaved)"]
    assert len(model) == len(rand) == 10
    assert np.median(model) < np.median(rand)


def test_failed_results_are_imputed_with_the_worst_loss():
    bench = Branin()
    opt = SMAC(bench.space, seed=0, n_random_candidates=200)
    losses = []
    for i in range(12):
        t = opt.ask()
        loss = math.nan if i % 4 == 1 else (math.inf if i % 4 == 3 else bench.evaluate(t.config).loss)
        opt.tell(t, Result(loss=loss))
        losses.append(loss)
    X, y, _, y_best = opt._training_data()
    finite = [v for v in losses if math.isfinite(v)]
    assert len(y) == 12 and np.all(np.isfinite(y))
    assert all(y[i] == max(finite) for i, v in enumerate(losses) if not math.isfinite(v))
    assert y_best == min(finite) and opt.incumbent[1] == min(finite)
    t = opt.ask()
    bench.space.validate(t.config)
    # Nothing but failures: no model, keeps proposing random configurations.
    opt = SMAC(bench.space, seed=0, n_random_candidates=200)
    for _ in range(4):
        t = opt.ask()
        opt.tell(t, Result(loss=math.nan))
    assert opt.incumbent is None and opt.ask().info["origin"] == "random (no model yet)"


def test_batch_asks_are_distinct_and_pending_enter_as_pessimistic_lies():
    bench = Hartmann6()
    opt = SMAC(bench.space, seed=4, initial_design="random", n_initial=20, random_probability=0.0, n_random_candidates=1000)
    _drive(opt, lambda c: bench.evaluate(c).loss, 20)
    batch = [opt.ask() for _ in range(5)]
    assert all(t.info["origin"] in ("local search", "random search (sorted)") for t in batch)
    feats = [tuple(np.round(opt._features[t.id], 9)) for t in batch]
    assert len(set(feats)) == 5
    X, y, X_told, _ = opt._training_data()
    assert len(X) == 25 and len(X_told) == 20
    np.testing.assert_array_equal(y[20:], y[:20].max())
    # Spread: the batch is not five copies of one point.
    P = np.array([[t.config[n] for n in bench.space.names] for t in batch])
    assert np.max(np.linalg.norm(P - P[0], axis=1)) > 1e-3
    for t in batch[::-1]:
        opt.tell(t, bench.evaluate(t.config))
    assert not opt.pending


def test_incumbent_is_the_best_observation():
    bench = Branin()
    opt = SMAC(bench.space, seed=0, n_random_candidates=200)
    done = _drive(opt, lambda c: bench.evaluate(c).loss, 8)
    best = min(done, key=lambda tl: tl[1])
    assert opt.incumbent == (best[0].config, best[1])


@pytest.mark.parametrize("preset", ["hpolib", "smac3-hpo"])
def test_conformance(preset):
    check_optimizer(SMAC, preset=preset, n_random_candidates=500)


# ---------------------------------------------------------------------------- quality test

SEEDS = range(10)
N_EVALS = 50


@pytest.fixture(scope="module")
def final_regrets():
    """Median final regret after 50 evaluations over seeds 0..9, SMAC (paper defaults, 10,000
    random candidates) and random search, through the runner on the same seeds."""
    out = {}
    for bench_cls in (Branin, Hartmann6):
        for name, make in (("smac", SMAC), ("random", RandomSearch)):
            regrets = []
            for seed in SEEDS:
                bench = bench_cls()
                res = run(bench, make(bench.space, seed=seed), str(N_EVALS), seed=seed)
                assert len(res.records) == N_EVALS
                regrets.append(res.best_loss - bench.optimum)
            out[bench_cls.name, name] = np.array(regrets)
    return out


@pytest.mark.parametrize("bench", ["branin", "hartmann6"])
def test_smac_beats_random_search(final_regrets, bench):
    smac = np.median(final_regrets[bench, "smac"])
    rand = np.median(final_regrets[bench, "random"])
    assert smac < rand, f"{bench}: SMAC median regret {smac:.4f} is not below random search's {rand:.4f}"
