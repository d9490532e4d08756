"""The study engine from Python, and the reliability defects found when the suite was first used
as a new user would (issue 9): each test here failed before its fix."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hpobench import Benchmark, Result, get_benchmark, get_optimizer, register_benchmark
from hpobench.benchmarks import NameTakenError
from hpobench.runner import run
from hpobench.space import Float, Space
from hpobench.storage import dumps, read_records
from hpobench.study import Study, StudyError

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, env=None, cwd=None):
    env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "hpobench", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=600)


def one_line_exit_2(proc, fragment):
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and fragment in lines[0], proc.stderr


def test_a_whole_study_from_python(tmp_path):
    study = Study(["branin", "mf-branin"], ["random", "hyperband"], seeds=2, budget="2R", out=tmp_path / "s")
    assert [p.skip_reason is None for p in study.pairs()] == [True, False, True, True]
    assert "hyperband plan" in study.pairs()[3].plan
    study.run()
    summary = study.summary()
    assert summary.table["mf-branin"]["hyperband"]["n_runs"] == 2
    payload = study.write_outputs(summary)
    assert json.loads((tmp_path / "s" / "summary.json").read_text())["benchmarks"] == json.loads(dumps(payload["benchmarks"]))
    assert Path(payload["plots"]["branin"]).exists()


def test_duplicate_names_are_refused_before_anything_is_written(tmp_path):
    """Issue 9 item 2: `--optimizers random,random` wrote every trial twice into one log."""
    out = tmp_path / "dup"
    one_line_exit_2(cli("compare", "--benchmarks", "branin", "--optimizers", "random,random", "--seeds", "1", "--budget", "3", "--out", str(out)), "named twice")
    assert not out.exists()
    with pytest.raises(StudyError, match="named twice"):
        Study(["branin", "branin"], ["random"])


def test_resume_checks_every_log_before_any_job_writes(tmp_path):
    """Issue 9 item 4: an edited log was only caught when its job ran, after other jobs resumed."""
    out = tmp_path / "s"
    Study(["branin"], ["random"], seeds=2, budget="8", out=out).run()
    logs = [out / "branin" / "random" / f"seed-{k}.jsonl" for k in (0, 1)]
    for log in logs:  # as if interrupted after 4 evaluations
        log.write_text("".join(log.read_text().splitlines(keepends=True)[:4]))
    lines = logs[1].read_text().splitlines(keepends=True)
    rec = json.loads(lines[2])
    rec["config"]["x1"] = 0.123
    lines[2] = json.dumps(rec) + "\n"
    logs[1].write_text("".join(lines))
    before = [log.read_bytes() for log in logs]
    with pytest.raises(Exception, match="does not replay"):
        Study(["branin"], ["random"], seeds=2, budget="8", out=out, resume=True).run()
    assert [log.read_bytes() for log in logs] == before


def test_summaries_cover_exactly_the_requested_study(tmp_path):
    """Issue 9 item 5: tables included every log under --out."""
    out = tmp_path / "s"
    Study(["branin"], ["random", "tpe"], seeds=3, budget="4", out=out).run()
    study = Study(["branin"], ["random"], seeds=2, budget="4", out=out, resume=True)
    study.run()
    table = study.summary().table["branin"]
    assert set(table) == {"random"} and table["random"]["n_runs"] == 2


class AlwaysFails(Benchmark):
    """Every evaluation raises; the optimum is known (so the plot would be log-scaled)."""

    name = "always-fails"
    optimum = 0.0

    def __init__(self):
        self.space = Space([Float("x", 0.0, 1.0)])

    def _evaluate(self, config, budget, seed, **kw):
        raise RuntimeError("boom")


def test_a_study_whose_every_trial_failed_still_reports(tmp_path):
    """Issue 9 item 9: plotting raised 'Data cannot be log-scaled' and summary.json was lost."""
    register_benchmark("always-fails-test", AlwaysFails, replace=True)
    study = Study(["always-fails-test", "branin"], ["random"], seeds=2, budget="3", out=tmp_path / "s")
    study.run()
    payload = study.write_outputs()
    row = payload["benchmarks"]["always-fails-test"]["random"]
    assert row["n_failed"] == 6 and row["median_final_regret"] is None or math.isnan(row["median_final_regret"])
    assert Path(payload["plots"]["always-fails-test"]).stat().st_size > 0


def test_every_curve_is_drawn_on_the_study_budget_axis(tmp_path):
    """Issue 9 item 12: on a benchmark without a fidelity random-2x spanned twice the x range."""
    study = Study(["branin"], ["random", "random-2x"], seeds=1, budget="6R", out=tmp_path / "s")
    study.run()
    s = study.summary()
    assert s.axis["branin"] == "resource"
    r, r2 = s.traces["branin"]["random"][0], s.traces["branin"]["random-2x"][0]
    assert len(r2.x_evals) == 2 * len(r.x_evals) == 12
    assert r.x_resource[-1] == pytest.approx(6.0) and r2.x_resource[-1] == pytest.approx(6.0)


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--optimizer-option", "hyperbnd.eta=4"], "targets 'hyperbnd'"),
        (["--optimizer-option", "eta=[1,"], "is not valid JSON"),
    ],
)
def test_silently_accepted_input_is_refused(tmp_path, args, fragment):
    """Issue 9 item 14: a typo in a targeted option was ignored; malformed JSON became a string."""
    out = tmp_path / "s"
    proc = cli("compare", "--benchmarks", "mf-branin", "--optimizers", "hyperband", "--seeds", "1", "--budget", "1R", "--out", str(out), *args)
    one_line_exit_2(proc, fragment)
    assert not out.exists()


def test_scientific_notation_budget():
    from hpobench.runner import parse_budget

    assert parse_budget("1e3").amount == 1000 and parse_budget("2.5e1R").text == "25R"


def test_custom_benchmark_by_module_and_class_with_workers(tmp_path):
    """Issue 9 item 16: `--benchmarks mybench:Bowl` was unknown, unlike optimizers; and a script
    that registers a benchmark (inside its main guard) works with --workers 2."""
    (tmp_path / "mybench.py").write_text(textwrap.dedent('''
        from hpobench import Benchmark, Result, Space, Float

        class Bowl(Benchmark):
            name = "bowl"
            optimum = 0.0
            def __init__(self):
                self.space = Space([Float("x", -1.0, 1.0)])
            def _evaluate(self, config, budget, seed, **kw):
                return Result(loss=config["x"] ** 2, cost=1.0)
    '''))
    env = {"PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"}
    proc = cli("compare", "--benchmarks", "mybench:Bowl", "--optimizers", "random", "--seeds", "1", "--budget", "3", "--out", str(tmp_path / "a"), env=env)
    assert proc.returncode == 0, proc.stderr
    (tmp_path / "script.py").write_text(textwrap.dedent('''
        import sys
        from hpobench import register_benchmark
        from hpobench.study import Study

        class Cone(__import__("mybench").Bowl):
            def _evaluate(self, config, budget, seed, **kw):
                return type(super()._evaluate(config, budget, seed))(loss=abs(config["x"]), cost=1.0)

        if __name__ == "__main__":
            register_benchmark("cone", Cone)
            study = Study(["cone"], ["random"], seeds=2, budget="4", out=sys.argv[1])
            study.run(workers=2)
            print(study.summary().table["cone"]["random"]["n_runs"])
    '''))
    proc = subprocess.run([sys.executable, str(tmp_path / "script.py"), str(tmp_path / "b")], capture_output=True, text=True, env={**os.environ, **env}, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == "2"


def test_a_finished_log_is_summarized_without_replay(tmp_path):
    """Issue 9 item 17: --resume of a finished study redid all optimizer work."""
    bench = get_benchmark("branin")
    log = tmp_path / "r.jsonl"
    run(bench, get_optimizer("random", bench.space, seed=0), "5", seed=0, log_path=log)

    class NeverAsk(type(get_optimizer("random", bench.space))):
        def _ask(self):
            raise AssertionError("a finished log must not be replayed")

    res = run(get_benchmark("branin"), NeverAsk(bench.space, seed=0), "5", seed=0, log_path=log, resume=True,
              settings={"optimizer": "random"})
    assert len(res.records) == 5 and res.replayed == 5
    assert read_records(log) == res.records


def test_summarize_reprints_a_study_from_its_logs(tmp_path):
    out = tmp_path / "s"
    Study(["branin"], ["random", "tpe"], seeds=2, budget="4", out=out).run()
    (out / "summary.json").unlink(missing_ok=True)
    proc = cli("summarize", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(payload["benchmarks"]["branin"]) == {"random", "tpe"}
    one_line_exit_2(cli("summarize", str(tmp_path)), "no result logs")


def test_registries_refuse_a_taken_name():
    with pytest.raises(NameTakenError):
        register_benchmark("branin", AlwaysFails)
    assert Result(1.0).status == "ok"


def test_two_processes_on_one_study_directory(tmp_path):
    """Issue 9 item 1: two `compare --resume --out X` at once interleaved their trials in the
    same logs; the second is refused with one line and the logs stay intact."""
    import time

    out = tmp_path / "s"
    gate = tmp_path / "open"
    # The first study's evaluations wait for the gate file, so it still holds the directory
    # however slowly the second process starts (a fixed amount of work raced with it on a
    # loaded machine: the first could finish before the second reached the lock).
    first_script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from hpobench import register_benchmark
        from hpobench.benchmarks.synthetic import Branin
        from hpobench.cli import main

        class GatedBranin(Branin):
            name = "gated-branin"

            def _evaluate(self, config, budget, seed, **kwargs):
                deadline = time.time() + 300
                while not Path({str(gate)!r}).exists() and time.time() < deadline:
                    time.sleep(0.02)
                return super()._evaluate(config, budget, seed, **kwargs)

        register_benchmark("gated-branin", GatedBranin)
        sys.exit(main(sys.argv[1:]))
    """)
    args = ["compare", "--benchmarks", "gated-branin", "--optimizers", "random", "--seeds", "2", "--budget", "40", "--out", str(out)]
    first = subprocess.Popen([sys.executable, "-c", first_script, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not (out / ".hpobench.lock").exists() or not list(out.glob("gated-branin/random/seed-*.jsonl")):
        assert time.time() < deadline and first.poll() is None, "the first study did not start"
        time.sleep(0.05)
    second = subprocess.run([sys.executable, "-c", first_script, *args, "--resume"], capture_output=True, text=True, timeout=300)
    gate.touch()
    first.communicate(timeout=300)
    assert first.returncode == 0
    one_line_exit_2(second, "is in use by process")
    for k in (0, 1):
        trials = [r["trial"] for r in read_records(out / "gated-branin" / "random" / f"seed-{k}.jsonl")]
        assert trials == list(range(40))


def test_instances_give_each_seed_its_own_shifted_optimum(tmp_path):
    """compare --instances N: seed k runs on instance k mod N; the optimum value is the same,
    so regret stays comparable, and a benchmark without instances is refused."""
    from hpobench.storage import read_manifest

    study = Study(["ackley"], ["random"], seeds=3, budget="4", out=tmp_path / "s", instances=3)
    study.run()
    options = [read_manifest(tmp_path / "s" / "ackley" / "random" / f"seed-{k}.jsonl")["benchmark_options"] for k in range(3)]
    assert options == [{"instance": 0}, {"instance": 1}, {"instance": 2}]
    again = Study.from_directory(tmp_path / "s")
    assert again.instances == 3 and [j.benchmark_options for j in again.jobs()] == options
    with pytest.raises(StudyError, match="has no instances"):
        Study(["counting-ones"], ["random"], seeds=2, budget="2R", out=tmp_path / "c", instances=2).pairs()


def test_compare_prints_and_runs_a_third_party_hyperband_variant(tmp_path, capsys):
    """Issue 8: a Hyperband variant registered by someone else, whose configurations come from
    its own source, gets the same plan printing and runs as ours (nothing keys on its name)."""
    import numpy as np

    from hpobench.cli import main
    from hpobench.optimizers import _REGISTRY, register_optimizer
    from hpobench.optimizers.hyperband import ConfigSource, Hyperband

    class CornerSource(ConfigSource):
        """Proposes configurations near the lower corner of the box."""

        def propose(self, budget):
            return self.space.decode(self.rng.uniform(0.0, 0.1, len(self.space.params)))

    class CornerHyperband(Hyperband):
        name = "corner-hyperband"

        def default_source(self):
            return CornerSource()

    register_optimizer("corner-hyperband", CornerHyperband)
    try:
        rc = main(["compare", "--benchmarks", "mf-branin", "--optimizers", "corner-hyperband,random", "--seeds", "1",
                   "--budget", "2R", "--out", str(tmp_path / "s")])
        err = capsys.readouterr().err
        assert rc == 0
        assert "corner-hyperband on mf-branin" in err and "corner-hyperband plan" in err
        records = read_records(tmp_path / "s" / "mf-branin" / "corner-hyperband" / "seed-0.jsonl")
        assert records and all(r["config"]["x1"] < -5 + 0.1 * 15 + 1e-9 for r in records)
        assert {r["budget"] for r in records} >= {1.0, 3.0}
    finally:
        _REGISTRY.pop("corner-hyperband", None)


def test_piped_list_keeps_whole_names():
    """Issue 9 item 18: rows read `random-features-…` when `list` went to a pipe."""
    out = cli("list").stdout
    assert "random-features-digits " in out and "…" not in "".join(ln.split("│")[1] for ln in out.splitlines() if ln.count("│") > 2)


def test_no_dask_dashboard_warning_leaks_into_the_output(tmp_path):
    """Issue 9 item 18: 'Port 8787 is already in use' leaked into compare's output."""
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":8787"):  # holds the port
        proc = cli("compare", "--benchmarks", "branin", "--optimizers", "random", "--seeds", "2", "--budget", "3",
                   "--workers", "2", "--out", str(tmp_path / "s"))
    assert proc.returncode == 0, proc.stderr
    assert "8787" not in proc.stderr and "Traceback" not in proc.stderr


def test_a_wrongly_typed_benchmark_option_says_what_is_accepted(tmp_path):
    """Issue 9 item 14: `noise=abc` gave a misleading message about options not taken."""
    proc = cli("compare", "--benchmarks", "branin", "--optimizers", "random", "--seeds", "1", "--budget", "2",
               "--benchmark-option", "noise=abc", "--out", str(tmp_path / "s"))
    one_line_exit_2(proc, "noise must be a number >= 0")
