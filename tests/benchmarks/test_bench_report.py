"""Report speed target (issue 16): ``report`` on the default study's directory in under 10 s."""

import subprocess
import sys
import time
from pathlib import Path

from conftest import median_seconds
from hpobench.cli import main
from hpobench.report import build_report


def test_report_on_the_default_study(benchmark, target, tmp_path):
    """Target: <= 10 s for build_report on the default study (3 benchmarks x 8 optimizers x 5
    seeds, 30R; ~11,000 records, 13 figures). The study is generated first with `compare` and
    its default settings (about 2 minutes on 2 cores); under --benchmark-disable a small study
    stands in, so the smoke test stays short."""
    study = tmp_path / "study"
    if benchmark.disabled:
        argv = ["compare", "--benchmarks", "branin,mf-branin", "--optimizers", "random,hyperband", "--seeds", "2", "--budget", "3R", "--out", str(study)]
    else:
        argv = ["compare", "--out", str(study)]
    assert main(argv) == 0
    records = sum(len(p.read_text().splitlines()) for p in study.glob("*/*/seed-*.jsonl"))
    counter = iter(range(100))

    def build():
        return build_report([study], tmp_path / f"report-{next(counter)}.html")

    path = benchmark.pedantic(build, rounds=3 if not benchmark.disabled else 1, iterations=1)
    assert Path(path).exists()
    benchmark.extra_info["records"] = records
    if not benchmark.disabled:
        # CPU seconds of one build: what the wall-clock median comes to on an idle machine
        cpu0 = time.process_time()
        build()
        benchmark.extra_info["cpu_seconds"] = time.process_time() - cpu0
        # the whole command, interpreter start and imports included, once
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "hpobench", "report", str(study), "--out", str(tmp_path / "cli.html")], check=True, capture_output=True)
        benchmark.extra_info["cli_seconds"] = time.perf_counter() - t0
    target(benchmark, "median_s", median_seconds(benchmark), 10.0)
