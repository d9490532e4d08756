"""The paper's figures: Table 1 cell for cell, the Figure 4 trace conventions on hand-made logs,
speed-ups, and ``python -m hpobench figures`` on a small study of real runs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hpobench import paper
from hpobench.cli import main
from hpobench.paper import Placement, mean_curve, paper_trace, speedups

#: Table 1 as printed in Li et al., JMLR 2018 (R = 81, eta = 3): column s = 4..0, row i, n_i / r_i.
PRINTED_TABLE_1 = [
    [(81, 1), (27, 3), (9, 9), (6, 27), (5, 81)],
    [(27, 3), (9, 9), (3, 27), (2, 81), None],
    [(9, 9), (3, 27), (1, 81), None, None],
    [(3, 27), (1, 81), None, None, None],
    [(1, 81), None, None, None, None],
]


def test_table1_matches_the_paper_cell_for_cell():
    cells = paper.table1_cells(81, 3)
    assert len(cells) == len(PRINTED_TABLE_1)
    for i, (ours, printed) in enumerate(zip(cells, PRINTED_TABLE_1)):
        for s, (a, b) in enumerate(zip(ours, printed)):
            assert (a is None) == (b is None), (i, 4 - s)
            if b is not None:
                assert (a[0], float(a[1])) == (b[0], float(b[1])), (i, 4 - s)


def rec(loss, test, resource_R, info=None, status="ok", cost=60.0):
    return {"loss": loss, "test_loss": test, "resource_R": resource_R, "status": status, "info": info or {}, "cost": cost}


def test_random_2x_places_evaluation_j_at_half_j_whatever_the_log_charged():
    # charged a full R each (as random search would be): the convention still puts j at j/2
    records = [rec(0.5, 0.55, 1.0), rec(0.7, 0.75, 2.0), rec(0.3, 0.35, 3.0), rec(0.4, 0.1, 4.0)]
    t = paper_trace(records, Placement.HALVED)
    np.testing.assert_allclose(t.x, [0.5, 1.0, 1.5, 2.0])
    # the test error of the lowest validation error so far (not the lowest test error)
    np.testing.assert_allclose(t.y, [0.55, 0.55, 0.35, 0.35])
    plain = paper_trace(records, Placement.PER_CONFIG)
    np.testing.assert_allclose(plain.x, [1.0, 2.0, 3.0, 4.0])
    # minutes: half of one worker's summed predicted seconds
    np.testing.assert_allclose(paper_trace(records, Placement.HALVED, "minutes").x, [0.5, 1.0, 1.5, 2.0])


def test_hyperband_points_sit_at_the_end_of_each_bracket():
    b = lambda k: {"bracket_index": k, "bracket": 4 - k, "iteration": 0}  # noqa: E731
    records = [
        rec(0.9, 0.91, 0.1, b(0)), rec(0.5, 0.52, 0.2, b(0)), rec(0.6, 0.61, 0.5, b(0)),  # bracket 0 ends at 0.5R
        rec(0.4, 0.45, 1.5, b(1)), rec(0.2, 0.25, 2.5, b(1)),  # bracket 1 ends at 2.5R
        rec(None, None, 3.0, b(2), status="failed"), rec(0.3, 0.3, 3.5, b(2)),  # cut short by the budget: last record
    ]
    t = paper_trace(records, Placement.BRACKET_END)
    np.testing.assert_allclose(t.x, [0.5, 2.5, 3.5])
    np.testing.assert_allclose(t.y, [0.52, 0.25, 0.25])
    # a log without bracket info (old format keys): (iteration, bracket) still splits brackets
    old = [dict(r, info={"iteration": 0, "bracket": r["info"]["bracket"]}) for r in records]
    np.testing.assert_allclose(paper_trace(old, "bracket-end").x, [0.5, 2.5, 3.5])


def test_mean_curve_truncates_to_the_shortest_trial_and_speedup_divides_by_hyperband():
    fast = [paper.PaperTrace(np.array([1.0, 5.0, 10.0]), np.array([0.3, 0.2, 0.1])) for _ in range(2)]
    slow = [paper.PaperTrace(np.arange(1.0, 51.0), np.linspace(0.4, 0.2, 50)), paper.PaperTrace(np.arange(1.0, 41.0), np.linspace(0.4, 0.2, 40))]
    hb, rs = mean_curve(fast), mean_curve(slow)
    assert hb.n_trials == 2 and list(hb.x) == [1.0, 5.0, 10.0]
    assert rs.x[-1] == 40.0 and math.isclose(rs.mean[-1], 0.2 + (0.2 / 49) * 10 / 2, rel_tol=1e-9)
    target, rows = speedups({"hyperband": hb, "random": rs}, baseline="random", reference="hyperband")
    by = {r.method: r for r in rows}
    assert by["hyperband"].resource == 5.0 and by["hyperband"].ratio == 1.0
    assert by["random"].reached and by["random"].ratio == pytest.approx(40.0 / 5.0)
    text = paper.speedup_markdown(target, rows, "multiples of R", "random", "hyperband", {"random": "random"})
    assert "| random | 40.00 | 8.0x |" in text


def test_figures_command_draws_from_a_small_study_and_reports_missing_ones(tmp_path, capsys):
    results, out = tmp_path / "results", tmp_path / "out"
    spec = paper.PAPER_STUDIES["fig4"]
    from hpobench.study import Study

    study_dir = results / spec.directory
    Study([paper.LENET], ["hyperband", "random", "random-2x"], seeds=2, budget="6R", out=study_dir).run()
    plain = paper.study_runs(results, "fig4")
    # finished logs are committed gzipped; the figures read them the same
    assert paper.pack_logs(study_dir) == 6 and not list(study_dir.glob("*/*/*.jsonl"))
    assert paper.study_runs(results, "fig4") == plain
    assert main(["figures", "--results", str(results), "--out", str(out)]) == 0
    printed = capsys.readouterr()
    for name in ("fig4_lenet.png", "fig4_lenet.pdf", "fig11_lenet_quartiles.png", "table1.pdf", "table1.md", "talk_grid_vs_random.png", "talk_clr_triangular.pdf", "fig4_speedups.md"):
        assert (out / name).stat().st_size > 0, name
    assert "fig3: skipped" in printed.err and "--rerun fig3" in printed.err
    # asked for by name but without logs: one line, exit 2; unknown names too
    assert main(["figures", "--results", str(results), "--out", str(out), "--only", "fig3"]) == 2
    assert main(["figures", "--only", "fig99"]) == 2
    assert main(["figures", "--rerun", "fig99"]) == 2
    err = capsys.readouterr().err
    assert "no figure named 'fig99'" in err and "--rerun 'fig99' names no study" in err
    # a rerun unpacks them, so the study resumes instead of starting over
    assert paper.prepare_rerun("fig4", results).out == study_dir and len(list(study_dir.glob("*/*/seed-*.jsonl"))) == 6


def test_paper_studies_build_valid_studies(tmp_path):
    for name, spec in paper.PAPER_STUDIES.items():
        study = spec.study(tmp_path)
        study.check()  # names, budget and options are valid
        assert spec.command().startswith("python -m hpobench compare") and f"--out results/{spec.directory}" in spec.command()


def test_a_configuration_trained_in_steps_is_one_point_at_its_last_step():
    run = lambda k: {"run": k}  # noqa: E731  (SMAC (early)'s step trials)
    records = [rec(0.8, 0.8, 0.1, run(0)), rec(0.6, 0.6, 0.3, run(0)), rec(0.5, 0.5, 1.0, run(0)), rec(0.7, 0.7, 1.2, run(1)), rec(0.9, 0.9, 1.4, run(1))]
    t = paper_trace(records, Placement.PER_CONFIG)
    np.testing.assert_allclose(t.x, [1.0, 1.4])
    np.testing.assert_allclose(t.y, [0.5, 0.5])


def timed(loss, test, elapsed, status="ok"):
    return {"loss": loss, "test_loss": test, "status": status, "elapsed": elapsed, "info": {}}


def test_random_2x_on_the_time_axis_pairs_trials_cyclically_and_halves_the_time():
    runs = {0: [timed(0.5, 0.55, 10.0), timed(0.4, 0.45, 20.0)], 1: [timed(0.3, 0.35, 8.0), timed(0.6, 0.65, 20.0)]}
    pair01, pair10 = paper.random_2x_traces(runs, "test")
    # trial 1 runs after trial 0 (shifted by its 20 s), the incumbent carries over the join
    np.testing.assert_allclose(pair01.x, [5.0, 10.0, 14.0, 20.0])
    np.testing.assert_allclose(pair01.y, [0.55, 0.45, 0.35, 0.35])
    np.testing.assert_allclose(pair10.x, [4.0, 10.0, 15.0, 20.0])
    np.testing.assert_allclose(pair10.y, [0.35, 0.35, 0.35, 0.35])
    assert paper.random_2x_traces({0: runs[0]}) == []  # one trial makes no pair


def test_average_rank_against_time_on_a_hand_made_study():
    grid = np.array([5.0, 15.0, 25.0])
    a = {  # data set a: hyperband first at 15 s on validation, random wins at the end; smac has no result until 25 s
        "random": {0: [timed(0.30, 0.30, 10.0), timed(0.10, 0.20, 22.0)], 1: [timed(0.30, 0.10, 12.0)]},
        "hyperband": {0: [timed(0.20, 0.25, 4.0)], 1: [timed(0.20, 0.15, 4.0)]},
        "smac": {0: [timed(0.9, 0.9, 1.0, status="failed"), timed(0.25, 0.5, 24.0)]},
    }
    b = {  # data set b: everybody ties at 0.1 once they have a result
        "random": {0: [timed(0.1, 0.1, 1.0)], 1: [timed(0.1, 0.1, 1.0)]},
        "hyperband": {0: [timed(0.1, 0.1, 1.0)]},
        "smac": {0: [timed(0.1, 0.1, 20.0)]},
    }
    val = {"a": paper.dataset_curves(a, grid, "validation"), "b": paper.dataset_curves(b, grid, "validation")}
    # per data set: trial means at each time (random at 15 s: mean of 0.30 and 0.30; at 25 s: mean of 0.10 and 0.30)
    np.testing.assert_allclose(val["a"]["random"], [np.nan, 0.30, 0.20])
    np.testing.assert_allclose(val["a"]["hyperband"], [0.20, 0.20, 0.20])
    np.testing.assert_allclose(val["a"]["smac"], [np.nan, np.nan, 0.25])
    assert set(val["a"]) == {"random", "hyperband", "smac", "random-2x"}
    ranks = paper.average_ranks(val)
    # a at 5 s: hyperband 1, random 2x 2 (its pair (0, 1) has 0.30 at 10 s / 2), random and smac without a result tie at 3.5;
    # b at 5 s: random, hyperband, random 2x tie at 0.1 (rank 2), smac has none (4).
    # a at 15 s: hyperband and random 2x tie at 0.20 (1.5); b: as at 5 s. At 25 s a: random 2x 0.10 (1), random and
    # hyperband 0.20 (2.5), smac 0.25 (4); b: all four tie (2.5).
    np.testing.assert_allclose(ranks["hyperband"], [(1 + 2) / 2, (1.5 + 2) / 2, (2.5 + 2.5) / 2])
    np.testing.assert_allclose(ranks["smac"], [(3.5 + 4) / 2, (4 + 4) / 2, (4 + 2.5) / 2])
    np.testing.assert_allclose(ranks["random-2x"], [(2 + 2) / 2, (1.5 + 2) / 2, (1 + 2.5) / 2])
    # the test ranks use the incumbent's test error: at 25 s on a random's incumbents test at 0.20 and 0.10
    test = {"a": paper.dataset_curves(a, grid, "test")}
    np.testing.assert_allclose(test["a"]["random"][-1], 0.15)
    diffs = paper.final_differences(test)
    assert diffs["a"]["hyperband"] == pytest.approx(0.20 - 0.15) and diffs["a"]["smac"] == pytest.approx(0.5 - 0.15)


@pytest.mark.slow  # real LeNet training: importing torch and the first network alone take a while on a busy machine
def test_clr_accuracy_trains_one_network_per_policy_and_draws_it(tmp_path):
    pytest.importorskip("torch")
    spec = paper.CLRComparison("clr-accuracy-lenet-digits", iters_per_unit=6, units=2)
    path = spec.run(tmp_path)
    import json

    data = json.loads(path.read_text())
    for policy in ("fixed", "clr"):
        pts = data["policies"][policy]["points"]
        assert [p["iterations"] for p in pts] == [6, 12]
        assert [p["iterations_run"] for p in pts] == [6, 6]  # the second measurement continued the first network
        assert all(0.0 <= p["val_accuracy"] <= 1.0 for p in pts)
    assert data["clr"] == {"base_lr": 0.09 / 4, "max_lr": 0.09, "stepsize": 3.0}
    assert data["policies"]["fixed"]["points"] != data["policies"]["clr"]["points"]
    files = paper.make_figures(tmp_path, tmp_path / "out", only=["clr-accuracy"])[0].files
    assert (tmp_path / "out" / "talk_clr_accuracy.png") in files


def test_a_run_on_a_seconds_budget_that_stopped_just_short_of_it_is_finished():
    from hpobench.paper.studies import _finished

    manifest = {"budget": "60s", "max_budget": 100.0}
    assert _finished([timed(0.1, 0.1, 10.0), timed(0.1, 0.1, 59.99)], manifest, "60s")  # stopped in the next ask
    assert not _finished([timed(0.1, 0.1, 10.0), timed(0.1, 0.1, 45.0)], manifest, "60s")  # killed at 45 s
    assert not _finished([timed(0.1, 0.1, 59.99)], {"budget": "10", "max_budget": 1.0}, "10")  # evaluations: no slack
