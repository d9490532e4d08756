"""The command line, end to end in subprocesses: compare, resume after SIGKILL, workers, errors."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hpobench.storage import read_records

KEYS = ("trial", "config", "budget", "loss")


def hpobench(*args, check=True, timeout=240):
    env = {**os.environ, "PYTHONHASHSEED": "random"}
    proc = subprocess.run([sys.executable, "-m", "hpobench", *args], capture_output=True, text=True, timeout=timeout, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}: {proc.stderr[-2000:]}")
    return proc


def logs(out):
    return {str(p.relative_to(out)): [[r[k] for k in KEYS] for r in read_records(p)] for p in sorted(Path(out).glob("*/*/seed-*.jsonl"))}


def test_compare_prints_table_json_and_writes_logs_and_plots(tmp_path):
    out = tmp_path / "study"
    proc = hpobench("compare", "--benchmarks", "branin,hartmann6", "--optimizers", "random", "--seeds", "5", "--budget", "50", "--json", "--out", str(out))
    payload = json.loads(proc.stdout.strip().splitlines()[-1])
    assert payload["out"] == str(out)
    row = payload["benchmarks"]["branin"]["random"]
    assert set(row) == {"median_final_regret", "median_final_loss", "median_final_test", "mean_rank", "optimizer_ms_per_eval", "p_value_vs_baseline", "n_runs", "n_failed"}
    assert row["n_runs"] == 5 and row["median_final_regret"] > 0
    assert "branin: final simple regret" in proc.stderr and "random" in proc.stderr
    assert (out / "branin.png").stat().st_size > 1000 and (out / "hartmann6.png").exists()
    assert len(logs(out)) == 10 and all(len(v) == 50 for v in logs(out).values())


def test_same_seed_same_configurations_in_two_processes(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        hpobench("run", "--benchmark", "hartmann6", "--optimizer", "random", "--seed", "3", "--budget", "20", "--out", str(out))
    assert logs(a) == logs(b) and len(next(iter(logs(a).values()))) == 20


def test_workers_give_the_same_logs_as_in_process(tmp_path):
    args = ["compare", "--benchmarks", "branin,mf-branin", "--optimizers", "random,random-2x", "--seeds", "3", "--budget", "6R"]
    hpobench(*args, "--out", str(tmp_path / "local"))
    hpobench(*args, "--out", str(tmp_path / "dask"), "--workers", "2")
    assert logs(tmp_path / "local") == logs(tmp_path / "dask")
    assert len(logs(tmp_path / "dask")) == 12


def test_sigkill_then_resume_equals_uninterrupted_run(tmp_path):
    args = ["compare", "--benchmarks", "branin", "--optimizers", "random", "--seeds", "2", "--budget", "40", "--benchmark-option", "cpu_work=150000"]
    reference = tmp_path / "reference"
    hpobench(*args, "--out", str(reference))
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "hpobench", *args, "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = out / "branin" / "random" / "seed-0.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and (not log.exists() or len(log.read_bytes().splitlines()) < 10):
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = logs(out)
    assert sum(len(v) for v in partial.values()) < 80, "the run finished before it was killed"
    hpobench(*args, "--out", str(out), "--resume")
    assert logs(out) == logs(reference)


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["compare", "--benchmarks", "nope"], "unknown benchmark 'nope'; known:"),
        (["compare", "--optimizers", "nope"], "unknown optimizer 'nope'; known:"),
        (["compare", "--optimizers", "nosuchmodule:Thing"], "cannot import optimizer 'nosuchmodule:Thing'"),
        (["compare", "--optimizers", "os:path"], "'os:path' is not a subclass of hpobench.optimizers.Optimizer"),
        (["compare", "--budget", "5x"], "budget '5x' is not understood"),
        (["compare", "--seeds", "0"], "seeds must be >= 1"),
        (["compare", "--workers", "0"], "workers must be >= 1"),
        (["compare", "--resume"], "--resume needs the --out"),
        (["compare", "--frobnicate"], "unrecognized arguments"),
        (["run", "--benchmark", "branin", "--optimizer", "random", "--budget", "5", "--optimizer-option", "bogus=1"], "does not take these options"),
    ],
)
def test_bad_input_one_line_exit_2(args, fragment):
    proc = hpobench(*args, check=False)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in proc.stderr


def test_unwritable_out_and_existing_logs_left_untouched(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = hpobench("compare", "--benchmarks", "branin", "--optimizers", "random", "--seeds", "1", "--budget", "3", "--out", str(blocker / "sub"), check=False)
    assert proc.returncode == 2 and "is a file" in proc.stderr
    out = tmp_path / "o"
    hpobench("compare", "--benchmarks", "branin", "--optimizers", "random", "--seeds", "1", "--budget", "3", "--out", str(out))
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    again = hpobench("compare", "--benchmarks", "branin", "--optimizers", "random", "--seeds", "1", "--budget", "3", "--out", str(out), check=False)
    assert again.returncode == 2 and "--resume" in again.stderr
    mismatch = hpobench("compare", "--benchmarks", "branin", "--optimizers", "random", "--seeds", "1", "--budget", "9", "--out", str(out), "--resume", check=False)
    assert mismatch.returncode == 2 and "budget" in mismatch.stderr
    log = out / "branin" / "random" / "seed-0.jsonl"
    log.write_text(log.read_text().replace("}\n", "}\ngarbage\n", 1))
    corrupt = hpobench("compare", "--benchmarks", "branin", "--optimizers", "random", "--seeds", "1", "--budget", "3", "--out", str(out), "--resume", check=False)
    assert corrupt.returncode == 2 and "corrupt" in corrupt.stderr
    before[log] = log.read_bytes()
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_list_json_describes_benchmarks_and_optimizers():
    data = json.loads(hpobench("list", "--json").stdout)
    benches = {b["name"]: b for b in data["benchmarks"]}
    assert benches["hartmann6"]["dim"] == 6 and benches["hartmann6"]["fidelity"] is None
    assert benches["mf-hartmann6"]["fidelity"]["max"] == 81
    assert benches["counting-ones"]["types"] == ["categorical", "float"]
    opts = {o["name"]: o for o in data["optimizers"]}
    assert opts["random"]["capabilities"]["conditional"] is True
    text = hpobench("list").stdout
    assert "hartmann6" in text and "random" in text


def test_plugin_optimizer_by_module_path(tmp_path):
    plugin = tmp_path / "myplugin.py"
    plugin.write_text(
        "from hpobench.optimizers.base import Optimizer, Capabilities\n"
        "class Corner(Optimizer):\n"
        "    '''Always the lower corner.'''\n"
        "    capabilities = Capabilities(conditional=True, dependent_bounds=True)\n"
        "    def _ask(self):\n"
        "        return self.space.decode([0.0] * len(self.space))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "hpobench", "run", "--benchmark", "branin", "--optimizer", "myplugin:Corner", "--budget", "3", "--out", str(tmp_path / "o")],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    recs = read_records(tmp_path / "o" / "branin" / "myplugin_Corner" / "seed-0.jsonl")
    assert [r["config"] for r in recs] == [{"x1": -5.0, "x2": 0.0}] * 3


def test_plan_prints_the_papers_table_and_json():
    text = hpobench("plan", "--max-budget", "81", "--eta", "3", "--rounding", "floor_table").stdout
    assert "81@1 27@3 9@9 3@27 1@81" in text and "6@27 2@81" in text
    data = json.loads(hpobench("plan", "--max-budget", "300", "--eta", "4", "--json").stdout)
    assert len(data["brackets"]) == 5
    bad = hpobench("plan", "--max-budget", "81", "--eta", "1", check=False)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "eta" in bad.stderr


def test_compare_prints_the_hyperband_plan_first(tmp_path):
    proc = hpobench("compare", "--benchmarks", "mf-branin", "--optimizers", "hyperband,random", "--seeds", "2", "--budget", "3R", "--out", str(tmp_path / "o"))
    assert "hyperband on mf-branin" in proc.stderr and "81@1" in proc.stderr
    assert proc.stderr.index("81@1") < proc.stderr.index("compare in-process")
    recs = read_records(tmp_path / "o" / "mf-branin" / "hyperband" / "seed-0.jsonl")
    assert {r["budget"] for r in recs} >= {1.0, 3.0}
    promoted = [r for r in recs if r["resume_from"] is not None]
    assert promoted and all(r["charged"] == r["budget"] - r["resume_from"] for r in promoted)


def test_scheduler_runs_on_an_existing_dask_cluster(tmp_path):
    from dask.distributed import LocalCluster

    args = ["compare", "--benchmarks", "branin", "--optimizers", "random,tpe", "--seeds", "2", "--budget", "8"]
    hpobench(*args, "--out", str(tmp_path / "local"))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        hpobench(*args, "--out", str(tmp_path / "remote"), "--scheduler", cluster.scheduler_address)
    assert logs(tmp_path / "remote") == logs(tmp_path / "local") and len(logs(tmp_path / "remote")) == 4
    bad = hpobench(*args, "--out", str(tmp_path / "x"), "--scheduler", "tcp://127.0.0.1:9", check=False, timeout=120)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "cannot reach the Dask scheduler" in bad.stderr
    assert not (tmp_path / "x").exists()


def test_ctrl_c_keeps_the_logs_and_says_how_to_resume(tmp_path):
    out = tmp_path / "o"
    args = ["compare", "--benchmarks", "branin", "--optimizers", "random", "--seeds", "1", "--budget", "120", "--benchmark-option", "cpu_work=150000", "--out", str(out)]
    proc = subprocess.Popen([sys.executable, "-m", "hpobench", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log = out / "branin" / "random" / "seed-0.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and (not log.exists() or len(log.read_bytes().splitlines()) < 5):
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "--resume" in err and "Traceback" not in err
    kept = read_records(log)
    assert 5 <= len(kept) < 120
    hpobench(*args, "--resume")  # continues from the kept lines
    assert [r["trial"] for r in read_records(log)] == list(range(120))
    assert read_records(log)[: len(kept)] == kept
