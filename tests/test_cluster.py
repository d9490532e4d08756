"""A real Dask cluster started with Dask's own commands (`dask scheduler`, `dask worker`) on
127.0.0.1: a study through it gives the same logs as in-process, and survives a killed worker."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hpobench.storage import read_records
from hpobench.study import Study



def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cluster(tmp_path):
    """`dask scheduler` and two single-threaded `dask worker` processes (no nanny, so a SIGKILL
    really loses the worker); yields (address, worker processes)."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}
    procs = [subprocess.Popen(["dask", "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)]
    workers = [
        subprocess.Popen(["dask", "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard", "--name", f"w{i}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        for i in range(2)
    ]
    procs += workers
    from dask.distributed import Client

    deadline = time.time() + 90
    while True:
        try:
            with Client(address, timeout="2s") as client:
                if len(client.scheduler_info()["workers"]) == 2:
                    break
        except OSError:
            pass
        if time.time() > deadline:
            for p in procs:
                p.kill()
            pytest.fail("the Dask cluster did not start")
        time.sleep(0.5)
    try:
        yield address, workers
    finally:
        for p in procs:  # nothing to keep: a fast kill
            if p.poll() is None:
                p.kill()
            p.wait(10)


def _logs(out: Path) -> dict:
    return {str(p.relative_to(out)): [(r["trial"], r["config"], r["budget"], r["loss"]) for r in read_records(p)]
            for p in sorted(out.glob("*/*/seed-*.jsonl"))}


def test_a_study_through_dask_scheduler_and_workers_equals_the_in_process_run(cluster, tmp_path):
    address, _ = cluster
    settings = dict(benchmarks=["branin", "mf-branin"], optimizers=["random", "tpe", "hyperband"], seeds=2, budget="3R")
    Study(**settings, out=tmp_path / "local").run()
    Study(**settings, out=tmp_path / "cluster").run(scheduler=address)
    local, remote = _logs(tmp_path / "local"), _logs(tmp_path / "cluster")
    assert len(local) == 10 and local == remote
    # Only this process wrote: every line is a complete, synced record.
    for path in (tmp_path / "cluster").glob("*/*/seed-*.jsonl"):
        assert path.read_bytes().endswith(b"\n")


def test_a_killed_worker_loses_no_trial(cluster, tmp_path):
    address, workers = cluster
    out = tmp_path / "s"
    study = Study(["branin"], ["random", "tpe"], seeds=2, budget="12", out=out, benchmark_options={"cpu_work": 100000}, parallel_evals=2)
    seen = []

    def on_record(rec):
        seen.append(rec)
        if len(seen) == 8:
            workers[0].send_signal(signal.SIGKILL)

    study.run(scheduler=address, on_record=on_record)
    assert workers[0].poll() is not None, "the worker was not killed during the study"
    logs = list(out.glob("branin/*/seed-*.jsonl"))
    assert len(logs) == 4
    for path in logs:
        trials = [r["trial"] for r in read_records(path)]
        assert sorted(trials) == list(range(12)) and len(set(trials)) == 12, path
