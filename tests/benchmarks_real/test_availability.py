"""Missing PyTorch or data files are one clear line before anything runs (issue 9, item 11):
``Benchmark.check_available()`` says what to install or which files are expected where, and
``data_available()`` (what ``hpobench list`` shows) agrees with it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hpobench.benchmarks import UnavailableError, get_benchmark
from hpobench.benchmarks.base import Benchmark, Result
from hpobench.benchmarks.datasets import MNIST_FILES, SVHN_FILES, DataMissingError
from hpobench.space import Float, Space

REPO = Path(__file__).resolve().parents[2]

_WITHOUT_TORCH = """
import sys
sys.modules["torch"] = None  # this interpreter has no PyTorch: "import torch" raises ImportError
from hpobench.benchmarks import UnavailableError, get_benchmark
b = get_benchmark("lenet-digits")
print("data_available", b.data_available())
try:
    b.check_available()
except UnavailableError as exc:
    print("unavailable", exc)
"""


def test_item11_without_torch_check_available_names_what_to_install():
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(_WITHOUT_TORCH)], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0] == "data_available False"  # `list` no longer says lenet-digits can run
    assert len(lines) == 2 and lines[1].startswith("unavailable ")
    assert 'pip install -e ".[cnn]"' in lines[1] and "torch==2.13.0" in lines[1]


def test_item11_missing_idx_files_are_named_with_the_directories_searched(tmp_path):
    b = get_benchmark("lenet-mnist", data_dir=tmp_path, device="cpu")
    assert not b.data_available()
    with pytest.raises(UnavailableError) as err:
        b.check_available()
    assert isinstance(err.value, DataMissingError)
    msg = str(err.value)
    assert "\n" not in msg and str(tmp_path / "mnist") in msg and all(f in msg for f in MNIST_FILES)
    (tmp_path / "mnist").mkdir()
    for f in MNIST_FILES:  # checked by name only, so empty files make it available
        (tmp_path / "mnist" / f).write_bytes(b"")
    b.check_available()
    assert b.data_available()
    get_benchmark("kernel-ls-mnist1d").check_available()  # generated offline: nothing to provide


def test_item11_svhn_with_extra_needs_the_extra_file(tmp_path):
    (tmp_path / "svhn").mkdir()
    for f in SVHN_FILES:
        (tmp_path / "svhn" / f).write_bytes(b"")
    assert get_benchmark("cnn-svhn", data_dir=tmp_path).data_available()
    extra = get_benchmark("cnn-svhn", data_dir=tmp_path, use_extra=True)
    assert not extra.data_available()  # was reported present without extra_32x32.mat
    with pytest.raises(DataMissingError, match="extra_32x32.mat"):
        extra.check_available()


def test_item11_data_dir_option_wins_over_the_environment(tmp_path, monkeypatch):
    (tmp_path / "given" / "mnist").mkdir(parents=True)
    for f in MNIST_FILES:
        (tmp_path / "given" / "mnist" / f).write_bytes(b"")
    monkeypatch.setenv("HPOBENCH_DATA_DIR", str(tmp_path / "empty"))
    get_benchmark("kernel-ls-digits").check_available()  # bundled: always available
    assert get_benchmark("lenet-mnist", data_dir=tmp_path / "given").data_available()
    assert not get_benchmark("lenet-mnist").data_available()  # falls back to $HPOBENCH_DATA_DIR
    monkeypatch.setenv("HPOBENCH_DATA_DIR", str(tmp_path / "given"))
    assert get_benchmark("lenet-mnist").data_available()
    # a study asks the benchmark whether to pass its data directory
    for name in ("lenet-mnist", "cnn-cifar10", "kernel-ls-digits", "random-features-mnist1d"):
        assert get_benchmark(name).accepts_data_dir, name
    assert not get_benchmark("branin").accepts_data_dir and not get_benchmark("mf-hartmann6").accepts_data_dir


class _NeedsFiles(Benchmark):
    name = "needs-files"
    space = Space([Float("x", 0.0, 1.0)])

    def data_available(self) -> bool:
        return False

    @property
    def data_source(self) -> str:
        return "files under /nowhere"

    def _evaluate(self, config, budget, seed, **kwargs):  # pragma: no cover - never reached
        return Result(loss=0.0)


def test_item11_default_check_available_follows_data_available():
    with pytest.raises(UnavailableError, match="needs-files.*files under /nowhere"):
        _NeedsFiles().check_available()
    get_benchmark("branin").check_available()
