"""``ray-hyperband``: Ray Tune's HyperBandScheduler in Ray's own loop (a real local Ray
instance), every evaluation logged through the runner with its budget and continuation."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict

import pytest

from hpobench import get_benchmark
from hpobench.optimizers import get_optimizer_class
from hpobench.runner import run
from hpobench.storage import LogError, manifest_path, read_records
from hpobench.testing import check_optimizer


def _require():
    cls = get_optimizer_class("ray-hyperband")
    if not cls.is_available():
        pytest.skip(f"ray-hyperband: library 'ray' is not installed ({cls.install_hint()})")
    return cls


def _run(tmp_path, name: str, budget: str = "8R"):
    cls = _require()
    # R = 9 units: Ray's three brackets (3 configurations at 9, 5 at 3, 9 at 1) fit in 8R.
    bench = get_benchmark("mf-branin", max_budget=9)
    log = tmp_path / f"{name}.jsonl"
    return run(bench, cls(bench.space, seed=3, fidelity=bench.fidelity), budget, seed=0, log_path=log)


@pytest.fixture(scope="module")
def ray_run(tmp_path_factory):
    """One real 8R run (Ray's start-up dominates: shared by the tests)."""
    return _run(tmp_path_factory.mktemp("ray"), "a")


def test_ray_hyperband_logs_every_unit_with_its_continuation_and_rays_halving(ray_run):
    res = ray_run
    records = res.records
    assert [json.dumps(r, sort_keys=True) for r in read_records(res.log_path)] == [json.dumps(r, sort_keys=True) for r in records]
    assert [r["trial"] for r in records] == list(range(len(records)))
    # Every report continues the trial from the unit before: one unit charged each, 8R in all.
    assert all(r["charged"] == 1.0 for r in records) and records[-1]["resource_R"] == pytest.approx(8.0)
    by_trial = defaultdict(list)
    for r in records:
        by_trial[r["info"]["ray_trial"]].append(r)
    for runs in by_trial.values():
        budgets = [r["budget"] for r in runs]
        assert budgets == [float(b) for b in range(1, len(runs) + 1)]
        assert [r["resume_from"] for r in runs] == [None, *budgets[:-1]]
        assert all(r["config"] == runs[0]["config"] for r in runs)
    reached = {t: len(runs) for t, runs in by_trial.items()}
    # Ray fills brackets in trial order, least aggressive first: trials 0-2 run to R; in the
    # next bracket (trials 3-7, first rung at 3 units) only the best at that rung go on. (Ray
    # interleaves the brackets' trials, so the run needs all three brackets' worth of budget.)
    assert all(reached[t] == 9 for t in (0, 1, 2))
    second = {t: by_trial[t][2]["loss"] for t in range(3, 8) if reached.get(t, 0) >= 3}
    assert len(second) == 5
    promoted = [t for t in second if reached[t] > 3]
    assert promoted and len(promoted) < 5, reached
    assert max(second[t] for t in promoted) <= min(second[t] for t in second if t not in promoted)
    # The loop's own time is logged per evaluation (Ray's start-up lands on the first), and
    # the simulated clock of a synthetic benchmark moves by each evaluation's cost.
    assert all(r["optimizer_time"] >= 0 for r in records)
    elapsed = [r["elapsed"] for r in records]
    assert elapsed == sorted(elapsed) and elapsed[-1] > elapsed[0]


def test_ray_hyperband_declares_its_loop_and_refuses_to_resume_a_partial_log(tmp_path, ray_run):
    cls = _require()
    assert cls.capabilities.owns_loop and not cls.capabilities.resumable
    report = check_optimizer(cls, raise_on_failure=False)
    assert not report.passed and not report.failed and all("own loop" in why for _, why in report.skipped)
    log = tmp_path / "partial.jsonl"
    log.write_text("".join(ray_run.log_path.read_text().splitlines(keepends=True)[:10]))
    shutil.copy(manifest_path(ray_run.log_path), manifest_path(log))
    before = log.read_bytes()
    bench = get_benchmark("mf-branin", max_budget=9)
    with pytest.raises(LogError, match="cannot continue a partly written log"):
        run(bench, cls(bench.space, seed=3, fidelity=bench.fidelity), "8R", seed=0, log_path=log, resume=True)
    assert log.read_bytes() == before


@pytest.mark.slow
def test_ray_hyperband_same_seed_same_sequence(tmp_path):
    a, b = _run(tmp_path, "a", "4R"), _run(tmp_path, "b", "4R")
    key = lambda r: (r["config"], r["budget"], r["resume_from"], r["info"])  # noqa: E731
    assert [key(r) for r in a.records] == [key(r) for r in b.records]
