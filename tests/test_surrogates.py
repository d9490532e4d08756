"""Recorded learning curves: the Sobol design, the table format, resumable recording (with a
real SIGKILL), the surrogate and table benchmarks built on a small real recording, the
committed tables' manifests, and ``surrogate validate``."""

from __future__ import annotations

import fcntl
import gzip
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from hpobench.benchmarks import get_benchmark
from hpobench.benchmarks.spaces import kernel_ls_space, lenet_space
from hpobench.benchmarks.surrogate import SurrogateBenchmark, TableBenchmark
from hpobench.cli import main
from hpobench.surrogates.design import sobol_configs
from hpobench.surrogates.record import RecordingError, parse_budgets, record
from hpobench.surrogates.table import TABLE_FILE, append_lock, check, read_manifest, read_rows, scan

REPO = Path(__file__).resolve().parents[1]
KLS = {"max_train": 300}  # kernel-ls-digits with R = 3 (300 points): a curve in ~0.1 s
LENET = {"iters_per_unit": 2, "max_budget": 4}  # lenet-digits with R = 4 units of 2 iterations


def _keys(rows):
    return [(r["config_id"], r["seed"], r["budget"]) for r in rows]


# -------------------------------------------------------------------------------- the design


def test_sobol_design_is_a_prefix_stable_valid_sequence():
    lenet = sobol_configs(lenet_space(), 64, seed=3)
    assert sobol_configs(lenet_space(), 10, seed=3) == lenet[:10]
    assert sobol_configs(lenet_space(), 10, seed=4) != lenet[:10]
    assert all(5 <= c["k1"] <= c["k2"] for c in lenet)
    kls = kernel_ls_space()
    configs = sobol_configs(kls, 64)
    for c in configs:
        kls.validate(c)  # conditions hold: degree only for poly, coef0 for poly and sigmoid
    assert {c["kernel"] for c in configs} == {"rbf", "poly", "sigmoid"}
    # space-filling: every eighth of the lr range (log scale) gets 8 of the 64 points
    u = np.log(np.array([c["lr"] for c in lenet]) / 1e-3) / np.log(100)
    assert np.array_equal(np.bincount((u * 8).astype(int), minlength=8), np.full(8, 8))


def test_parse_budgets():
    assert parse_budgets("1-3,10-20/5,7") == [1, 2, 3, 7, 10, 15, 20]
    with pytest.raises(RecordingError, match="not a number"):
        parse_budgets("1-x")


# ------------------------------------------------------------------------------- recording


def test_record_resumes_after_sigkill_without_losing_or_duplicating(tmp_path):
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "hpobench", "surrogate", "record", "kernel-ls-digits", "--configs", "16", "--out", str(out), "--benchmark-option", "max_train=500"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    table = out / "kernel-ls-digits" / TABLE_FILE
    deadline = time.time() + 120
    while time.time() < deadline and scan(table).members < 2:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed = scan(table)
    assert 2 <= killed.members < 16, "the recording was not interrupted mid-way"
    subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=240)
    rows = read_rows(table.parent)
    assert len(rows) == 16 * 5 and len(set(_keys(rows))) == len(rows)
    assert rows[: len(killed.rows)] == killed.rows  # what was there is kept as it was
    assert check(table.parent) == []
    manifest = read_manifest(table.parent)
    assert len(manifest["sessions"]) == 2 and manifest["curves"] == 16
    # a kill between a curve's append and the manifest rewrite leaves that curve uncounted by
    # its session (the counts and checksum are recomputed from the table on resume)
    assert sum(s["curves_added"] for s in manifest["sessions"]) in (15, 16)
    # the values are those of an uninterrupted recording
    record("kernel-ls-digits", 16, out=tmp_path / "straight", options={"max_train": 500}, quiet=True)
    straight = read_rows(tmp_path / "straight" / "kernel-ls-digits")
    assert {k: r["val_error"] for k, r in zip(_keys(rows), rows)} == {k: r["val_error"] for k, r in zip(_keys(straight), straight)}


def test_torn_tail_is_cut_and_the_curve_recorded_again(tmp_path):
    record("kernel-ls-digits", 2, out=tmp_path, options=KLS, quiet=True)
    d = tmp_path / "kernel-ls-digits"
    member = gzip.compress(b'{"config_id": 2, "seed": 0, "budget": 1.0}\n' * 50)
    with open(d / TABLE_FILE, "ab") as fh:
        fh.write(member[: len(member) // 2])  # a write cut short by a kill
    assert any("bytes after the last complete curve" in p for p in check(d))
    summary = record("kernel-ls-digits", 3, out=tmp_path, options=KLS, quiet=True)
    assert summary["curves"] == 3 and summary["rows"] == 9 and check(d) == []


def test_record_extends_with_seeds_and_refuses_other_settings(tmp_path):
    record("kernel-ls-digits", 3, out=tmp_path, options=KLS, quiet=True)
    summary = record("kernel-ls-digits", 2, seeds=2, out=tmp_path, options=KLS, quiet=True)
    assert summary["curves_per_seed"] == {"0": 3, "1": 2}
    with pytest.raises(RecordingError, match="options"):
        record("kernel-ls-digits", 3, out=tmp_path, options={"max_train": 400}, quiet=True)
    with pytest.raises(RecordingError, match="design"):
        record("kernel-ls-digits", 3, out=tmp_path, options=KLS, design_seed=1, quiet=True)
    d = tmp_path / "kernel-ls-digits"
    with open(d / ".record.lock", "a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        with pytest.raises(RecordingError, match="another recording"):
            record("kernel-ls-digits", 4, out=tmp_path, options=KLS, quiet=True)
    assert check(d) == [] and read_manifest(d)["curves"] == 5


def test_record_cli_bad_input_is_one_line_exit_2(tmp_path, capsys):
    assert main(["surrogate", "record", "branin", "--configs", "2", "--out", str(tmp_path)]) == 2
    assert "no fidelity" in capsys.readouterr().err
    assert main(["surrogate", "record", "kernel-ls-digits", "--configs", "0", "--out", str(tmp_path)]) == 2
    assert main(["surrogate", "record", "kernel-ls-digits", "--configs", "2", "--budgets", "0-3", "--out", str(tmp_path)]) == 2


# ---------------------------------------------------------- benchmarks on a small recording


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A real recording: lenet-digits (R = 4 units of 2 iterations), 12 configurations, 2 seeds
    for 4 of them; kernel-ls-digits (R = 3), 24 configurations."""
    root = tmp_path_factory.mktemp("surrogates")
    record("lenet-digits", 12, out=root, options=LENET, quiet=True)
    record("lenet-digits", 4, seeds=2, out=root, options=LENET, quiet=True)
    record("kernel-ls-digits", 24, out=root, options=KLS, quiet=True)
    return root


def test_surrogate_is_continuation_consistent_and_charges_predicted_seconds(recorded):
    b = SurrogateBenchmark("lenet-digits", root=recorded)
    assert b.name == "lenet-digits-surrogate" and b.can_continue and b.fidelity.max == 4
    rng = np.random.default_rng(0)
    for config in b.space.sample_many(rng, 10):
        direct = b.evaluate(config, budget=4, seed=5)
        steps = [b.evaluate(config, budget=1, seed=5), b.evaluate(config, budget=2.5, seed=5, resume_from=1), b.evaluate(config, budget=4, seed=5, resume_from=2.5)]
        assert steps[-1].loss == direct.loss and steps[-1].test_loss == direct.test_loss
        assert 0 <= direct.loss <= 1 and direct.cost > 0
        assert math.isclose(sum(s.cost for s in steps), direct.cost, rel_tol=1e-9)
    # fitted once per process: a second instance shares the model
    assert SurrogateBenchmark("lenet-digits", root=recorded).model is b.model


def test_surrogate_noise_is_seeded_with_the_measured_spread(recorded):
    b = SurrogateBenchmark("lenet-digits", root=recorded)
    assert b.noise_sd.shape == (4,) and b.noise_sd.max() > 0  # measured from the 4 seed pairs
    config = b.space.sample(np.random.default_rng(1))
    assert b.evaluate(config, 3, seed=1).loss == b.evaluate(config, 3, seed=1).loss
    losses = {b.evaluate(config, 3, seed=s).loss for s in range(8)}
    assert len(losses) > 1
    quiet = SurrogateBenchmark("lenet-digits", root=recorded, noise=0)
    assert len({quiet.evaluate(config, 3, seed=s).loss for s in range(4)}) == 1


def test_surrogate_noise_scales_errors_and_never_zeroes_a_positive_one():
    """The committed LeNet table's seeds spread budget-1 errors by tens of percent; the noise is
    relative (on log error), so a seed never turns a positive prediction into an exact 0."""
    b = get_benchmark("lenet-digits-surrogate")
    quiet = get_benchmark("lenet-digits-surrogate", noise=0)
    rng = np.random.default_rng(3)
    for config in b.space.sample_many(rng, 40):
        for budget in (1, 3, 9):
            clean = quiet.evaluate(config, budget, seed=0).loss
            noisy = [b.evaluate(config, budget, seed=s).loss for s in range(5)]
            if clean > 0:
                assert min(noisy) > 0, (config, budget, clean, noisy)
                # the factor exp(sd * z) stays within a few measured spreads of 1
                spread = float(np.exp(4 * b.noise_sd.max()))
                assert all((n + 1e-3) / (clean + 1e-3) < spread for n in noisy if n < 1)


def test_surrogate_noise_reproduces_the_recorded_spread_and_val_test_correlation():
    """Over many seeds of one configuration, the surrogate's log-error deviations have the
    recorded tables' spread, and validation and test move together only as much as in recorded
    runs: almost in step at budget 1 on ``lenet-digits`` (the whole net is still bad or good),
    nearly independently at R (the seed's luck on 359 validation images is not luck on the test
    images), and between budgets they are as correlated as in recorded runs. A surrogate whose
    test error followed its validation noise would reward optimizers for selecting lucky seeds."""
    from hpobench.surrogates.model import LOG_EPS

    b = get_benchmark("lenet-digits-surrogate")
    measured = b.seed_noise
    config = b.space.sample(np.random.default_rng(5))
    draws = np.array([[np.log(np.array(b.curves(config, s)[k]) + LOG_EPS) for k in (0, 1)] for s in range(4000)])
    val, test = draws[:, 0], draws[:, 1]  # (seeds, budgets)
    for j in (0, len(b.budgets) - 1):
        assert abs(val[:, j].std() - measured.val_sd[j]) < 0.1 * measured.val_sd[j]
        assert abs(test[:, j].std() - measured.test_sd[j]) < 0.1 * measured.test_sd[j]
        assert abs(np.corrcoef(val[:, j], test[:, j])[0, 1] - measured.val_test_corr[j]) < 0.06
    assert measured.val_test_corr[0] > 0.8 and measured.val_test_corr[-1] < 0.4
    # between budgets, as recorded: a seed lucky at budget 1 is not lucky at R, while budgets
    # 27 and 81 move together (one correlation for every pair of budgets made early budgets
    # predict R better than real runs do, and early stopping look better than it is)
    R, k27 = len(b.budgets) - 1, int(np.searchsorted(b.budgets, 27))
    early, late = measured.val_budget_corr[0, R], measured.val_budget_corr[k27, R]
    assert abs(early) < 0.1 and late > 0.4
    for j, target in ((0, early), (k27, late)):
        assert abs(np.corrcoef(val[:, j], val[:, R])[0, 1] - target) < 0.06


def test_surrogate_errors_are_whole_counts_of_the_recorded_sets():
    """A real run's error is a count of misclassified examples over the set's size: the set
    size is read off the recorded errors, a seeded surrogate evaluation returns such counts (no
    fewer than the fewest recorded) at any budget, and the noise-free prediction stays the
    continuous expected error."""
    from hpobench.surrogates.model import error_grid

    assert error_grid(np.array([2, 4, 9]) / 359) == 359
    assert error_grid(np.array([0.099, 0.1, 0.5])) == 1000
    assert error_grid(np.random.default_rng(0).random(100)) is None  # a continuous loss
    assert error_grid(np.array([0.3, np.nan])) is None
    b = get_benchmark("lenet-digits-surrogate")
    quiet = get_benchmark("lenet-digits-surrogate", noise=0)
    assert b.error_grids == (359, 359)
    fewest = (np.nanmin(b.data.val), np.nanmin(b.data.test))
    off_grid = 0
    for config in b.space.sample_many(np.random.default_rng(2), 20):
        for budget in (1, 7.5, 81):
            r = b.evaluate(config, budget, seed=3)
            for value, low in ((r.loss, fewest[0]), (r.test_loss, fewest[1])):
                assert abs(value * 359 - round(value * 359)) < 1e-9 and value >= low - 1e-12
            clean = quiet.evaluate(config, budget, seed=3).loss
            off_grid += abs(clean * 359 - round(clean * 359)) > 1e-6
    assert off_grid > 50


def test_table_returns_recorded_values_exactly(recorded):
    t = TableBenchmark("lenet-digits", root=recorded)
    rows = [r for r in read_rows(recorded / "lenet-digits") if r["seed"] == 0]
    for r in rows:
        res = t.evaluate(r["config"], budget=r["budget"], seed=7)
        assert res.info["config_id"] == r["config_id"] and res.info["distance"] == 0.0
        assert (res.loss, res.test_loss, res.cost) == (r["val_error"], r["test_error"], r["seconds"])
    r1, r3 = (next(r for r in rows if r["config_id"] == 5 and r["budget"] == b) for b in (1.0, 3.0))
    # off-grid budgets use the next recorded budget; a continuation is charged the difference
    res = t.evaluate(r1["config"], budget=2.2, seed=0, resume_from=1)
    assert res.info["table_budget"] == 3.0 and res.loss == r3["val_error"]
    assert res.cost == r3["seconds"] - r1["seconds"]
    # any configuration maps to its nearest recorded one
    other = t.evaluate({**r1["config"], "lr": r1["config"]["lr"] * 1.01}, budget=1)
    assert other.info["config_id"] == 5 and 0 < other.info["distance"] < 0.01 and other.loss == r1["val_error"]


def test_kernel_surrogate_charges_whole_evaluations(recorded):
    b = get_benchmark("kernel-ls-digits-surrogate", root=recorded)
    assert not b.can_continue and b.noise_sd.max() == 0  # one seed recorded: no noise
    c = b.space.sample(np.random.default_rng(2))
    assert b.evaluate(c, 2, seed=0).loss == b.evaluate(c, 2, seed=9).loss
    # no checkpoints in kernel LS: a larger budget costs a whole evaluation, whatever came before
    assert b.evaluate(c, 3, seed=0, resume_from=2).cost == b.evaluate(c, 3, seed=0).cost > 0


def test_missing_table_is_one_line_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HPOBENCH_SURROGATES", str(tmp_path))
    code = main(["run", "--benchmark", "lenet-mnist1d-table", "--optimizer", "random", "--budget", "3", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 2 and "no recorded table for 'lenet-mnist1d'" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_validate_reports_per_budget_and_exits_by_threshold(recorded, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HPOBENCH_SURROGATES", str(recorded))
    plot = tmp_path / "v.png"
    assert main(["surrogate", "validate", "lenet-digits-surrogate", "--folds", "2", "--threshold", "-1", "--out", str(plot), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["budgets"] == [1.0, 2.0, 3.0, 4.0] and len(report["spearman"]) == 4
    assert report["noise_pairs"] == 4 and all(x >= 0 for x in report["noise_rmse"])
    assert plot.stat().st_size > 5000
    assert main(["surrogate", "validate", "lenet-digits-surrogate", "--folds", "2", "--threshold", "1.01", "--out", str(plot)]) == 1
    assert "FAIL: Spearman at R" in capsys.readouterr().out
    assert main(["surrogate", "validate", "branin", "--folds", "2"]) == 2
    # another model kind than the benchmark's: its plot goes beside the benchmark's own
    assert main(["surrogate", "validate", "lenet-digits-surrogate", "--folds", "2", "--threshold", "-1", "--model", "curve", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["model"] == "curve"
    assert (recorded / "lenet-digits" / "validation-curve.png").stat().st_size > 5000
    assert main(["surrogate", "validate", "lenet-digits-surrogate", "--model", "forest"]) == 2
    assert "--model must be one of curve, gp, point, got 'forest'" in capsys.readouterr().err


# ------------------------------------------------------------------- the committed tables


def test_seed_groups_pair_each_first_seed_with_its_other_seeds():
    """The validation ceiling compares a configuration's first seed with the mean of its other
    seeds: the committed kernel-LS table has 32 configurations with seeds 0, 1, 2."""
    data = get_benchmark("kernel-ls-digits-surrogate").data
    firsts, others = data.seed_groups(3)
    assert len(firsts) == 32 and all(len(o) == 2 for o in others)
    for f, o in zip(firsts, others):
        assert set(data.config_ids[o]) == {data.config_ids[f]}
        assert data.seeds[f] == 0 and sorted(data.seeds[o].tolist()) == [1, 2]
    assert len(data.seed_groups(4)[0]) == 0


def _committed_dirs():
    root = REPO / "surrogates"
    return sorted(d for d in root.iterdir() if (d / "manifest.json").is_file()) if root.is_dir() else []


@pytest.mark.parametrize("directory", _committed_dirs(), ids=lambda d: d.name)
def test_committed_manifest_matches_its_table(directory):
    with append_lock(directory):  # a recording may be appending right now
        assert check(directory) == []
        manifest = read_manifest(directory)
        rows = read_rows(directory)
    assert manifest["rows"] == len(rows) == manifest["curves"] * len(manifest["budgets"])


# -------------------------------------------------------- the surrogate against the table


def test_pair_orders_resolve_only_what_the_samples_separate_and_disagreements_need_evidence():
    """A pair is resolved where the Mann-Whitney test rejects, and ordered by the probability
    that a run of one ends below a run of the other (not by the medians, which discrete errors
    often tie); a disagreement is a pair one side resolves and the other orders strictly the
    other way; ties and unresolved opposite orders are not disagreements."""
    from hpobench.surrogates.agreement import disagreements, pair_orders

    rng = np.random.default_rng(0)
    low, high = rng.normal(0.0, 1.0, 30), rng.normal(3.0, 1.0, 30)
    clear = pair_orders({"a": low, "b": high})
    assert [(o.a, o.b, o.sign, o.resolved) for o in clear] == [("a", "b", -1, True)]
    reversed_clear = pair_orders({"a": high, "b": low})
    assert reversed_clear[0].sign == 1 and reversed_clear[0].resolved
    # a's median lower, but five interleaved values each: no evidence either way
    unresolved = pair_orders({"a": np.arange(5.0), "b": np.arange(5.0) + 0.5})
    assert unresolved[0].sign == -1 and not unresolved[0].resolved
    unresolved_flipped = pair_orders({"a": np.arange(5.0) + 0.5, "b": np.arange(5.0)})
    tie = pair_orders({"a": np.full(5, 0.0139), "b": np.full(5, 0.0139)})
    assert tie[0].pvalue == 1.0 and tie[0].sign == 0 and not tie[0].resolved
    # errors in whole test images: the same median (2 images), yet a clearly ends lower
    image = 1 / 359
    shifted = pair_orders({"a": np.repeat([1, 2], [14, 16]) * image, "b": np.repeat([2, 3], [16, 14]) * image})
    assert shifted[0].median_a == shifted[0].median_b and shifted[0].resolved and shifted[0].sign == -1
    assert shifted[0].a_first == pytest.approx((14 * 30 + 16 * 16 * 0.5 + 16 * 14) / 900)

    assert disagreements(clear, clear) == []
    assert disagreements(clear, reversed_clear, "test") == [f"test: surrogate {clear[0].describe()}; table {reversed_clear[0].describe()}"]
    assert len(disagreements(reversed_clear, unresolved)) == 1  # resolved on one side, medians the other way on the other
    assert len(disagreements(unresolved, reversed_clear)) == 1
    assert disagreements(unresolved, unresolved_flipped) == []  # neither resolves
    assert disagreements(clear, tie) == []  # a tie fits either order
    with pytest.raises(ValueError, match="different optimizers"):
        disagreements(clear, pair_orders({"a": low, "c": high}))


def test_tpe_draws_every_trial_of_a_20R_run_from_its_prior():
    """Why the issue's 5-seed median order of random and TPE is not a property of the two: at
    20R (20 evaluations at R) every TPE trial comes from its prior, as in hyperopt, so TPE is
    random search with other draws there."""
    from hpobench.optimizers import get_optimizer
    from hpobench.runner import run

    bench = get_benchmark("kernel-ls-digits-table")
    optimizer = get_optimizer("tpe", bench.space, seed=0, fidelity=bench.fidelity)
    records = run(bench, optimizer, "20R", seed=0).records
    assert 0 < len(records) <= optimizer.n_startup_jobs == 20


@pytest.mark.parametrize("source", ["lenet-digits", "kernel-ls-digits"])
@pytest.mark.parametrize("n_seeds", [5, 20])
def test_surrogate_and_table_order_random_tpe_hyperband_alike(source, n_seeds):
    """random, tpe and hyperband at 20R with 5 seeds (the issue's test) and with 20: by the
    incumbent's final validation and test error, no pair that the surrogate or the table
    (real training) resolves is ordered the other way by the other. With 20 seeds the table
    resolves at least one pair, so the agreement is not just the absence of evidence."""
    from hpobench.surrogates.agreement import agreement
    from hpobench.surrogates.table import TableMissingError

    try:
        table = get_benchmark(f"{source}-table")
    except TableMissingError as exc:
        pytest.skip(str(exc))
    if len(table.table) < 128:
        pytest.skip(f"{source} has {len(table.table)} recorded configurations; the comparison needs >= 128")
    report = agreement(source, ["random", "tpe", "hyperband"], "20R", seeds=n_seeds)
    assert report.disagreements == [], report.to_dict()
    if n_seeds >= 20:
        assert report.resolved_on(report.table), report.to_dict()


def test_kernel_ls_surrogate_resolves_what_its_table_resolves_over_200_seeds():
    """Over 200 seeds at 20R the kernel-LS surrogate resolves exactly the pairs its table of real
    runs resolves, in the same direction, by validation and by test error (docs/surrogates.md):
    Hyperband ahead of random search and TPE, the two of them not separated."""
    from hpobench.surrogates.agreement import agreement

    report = agreement("kernel-ls-digits", ["random", "tpe", "hyperband"], "20R", seeds=200)
    assert report.disagreements == []
    for criterion in ("val", "test"):
        on_surrogate = [(o.a, o.b, o.sign) for o in report.orders[report.surrogate][criterion] if o.resolved]
        on_table = [(o.a, o.b, o.sign) for o in report.orders[report.table][criterion] if o.resolved]
        assert on_surrogate == on_table == [("random", "hyperband", 1), ("tpe", "hyperband", 1)], report.to_dict()


@pytest.mark.slow  # 2,400 runs on the GP surrogate and the table: about a minute, too long for every run
def test_lenet_surrogate_resolves_what_its_table_resolves_by_validation_error_over_400_seeds():
    """Over 400 seeds at 20R the LeNet surrogate resolves exactly the pairs its table resolves by
    validation error (Hyperband ahead of random search and TPE). By test error it gives
    Hyperband a small advantage that real runs do not show: its known limit
    (docs/surrogates.md), so only validation error is asserted."""
    from hpobench.surrogates.agreement import agreement

    report = agreement("lenet-digits", ["random", "tpe", "hyperband"], "20R", seeds=400)
    on_surrogate = [(o.a, o.b, o.sign) for o in report.orders[report.surrogate]["val"] if o.resolved]
    on_table = [(o.a, o.b, o.sign) for o in report.orders[report.table]["val"] if o.resolved]
    assert on_surrogate == on_table == [("random", "hyperband", 1), ("tpe", "hyperband", 1)], report.to_dict()
    assert not [d for d in report.disagreements if d.startswith("val:")]


def test_agree_cli_prints_the_orders_and_bad_input_is_one_line_exit_2(capsys):
    assert main(["surrogate", "agree", "kernel-ls-digits-surrogate", "--optimizers", "random,hyperband", "--budget", "3R", "--seeds", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["surrogate"] == "kernel-ls-digits-surrogate" and out["table"] == "kernel-ls-digits-table"
    assert set(out["medians"]["kernel-ls-digits-table"]["test"]) == {"random", "hyperband"}
    assert out["agree"] == (out["disagreements"] == [])
    for argv in (
        ["branin"],
        ["kernel-ls-digits", "--optimizers", "random"],
        ["kernel-ls-digits", "--optimizers", "random,nosuch"],
        ["kernel-ls-digits", "--optimizers", "random,gp"],  # the GP takes no conditional parameters
        ["kernel-ls-digits", "--seeds", "1"],
        ["kernel-ls-digits", "--alpha", "1.5"],
        ["kernel-ls-digits", "--budget", "3x"],
    ):
        assert main(["surrogate", "agree", *argv]) == 2, argv
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and err.startswith("hpobench: error:"), (argv, err)


def test_seed_mean_column_scores_an_oracle_of_the_mean_as_perfect():
    """The validation's target is the mean of each configuration's recorded seeds, and the
    column "Spearman against the seed mean" pairs each held-out prediction with that mean on
    the configurations with three seeds: a model that predicts exactly that mean scores 1 on
    both at every budget, and a model that predicts its negation scores -1; against one seed
    the oracle is not perfect (the seeds differ)."""
    from types import SimpleNamespace

    from hpobench.surrogates.validate import validate

    bench = get_benchmark("kernel-ls-digits-surrogate")
    data = bench.data
    firsts, others = data.seed_groups(3)
    val = np.nan_to_num(data.val, nan=1.0)
    mean_of = {int(data.config_ids[f]): val[np.concatenate([[f], o])].mean(axis=0) for f, o in zip(firsts, others)}

    def oracle(sign):
        def predict(X):
            rows = [int(np.flatnonzero((data.X == x).all(axis=1))[0]) for x in X]
            return (np.array([sign * mean_of.get(int(data.config_ids[r]), val[r]) for r in rows]),)
        return lambda _subset: SimpleNamespace(predict=predict)

    for sign in (1, -1):
        fake = SimpleNamespace(data=data, fit_model=oracle(sign), name="oracle", source="kernel-ls-digits", model_kind="oracle",
                               n_trees=1, validation_threshold=0.9, directory=None)
        report = validate(fake, folds=2, compare_point=False)
        assert report["seeds_per_configuration"] == [1, 3]
        for key in ("seed_mean_spearman", "spearman"):
            scores = np.array(report[key])
            assert len(scores) == len(data.budgets) and np.allclose(scores[np.isfinite(scores)], sign)
        one_seed = np.array(report["one_seed_spearman"])
        assert np.all(np.abs(one_seed[np.isfinite(one_seed)]) <= 1) and np.abs(one_seed).min() < 0.999
