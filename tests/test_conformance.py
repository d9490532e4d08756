"""The conformance suite: every registered optimizer passes it, and it catches broken ones."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hpobench.optimizers import get_optimizer_class, optimizer_names
from hpobench.optimizers.base import Capabilities, Optimizer
from hpobench.optimizers.random_search import RandomSearch
from hpobench.testing import check_optimizer, conformance_checks

#: Options that keep the heavier model-based optimizers quick inside the suite; their full
#: defaults are exercised by their own tests.
FAST_OPTIONS = {
    "gp": {"grid_size": 256, "burnin": 10, "mcmc_iters": 3, "grid_subset": 3, "pending_samples": 20},
    "gp-ml": {"grid_size": 256, "grid_subset": 3, "pending_samples": 20},
    "smac": {"n_random_candidates": 500},
    # Two steps per run, so that 40 trials hold 20 distinct configurations as check_types asks;
    # the stopping rule itself is tested in tests/optimizers/test_smac_early.py.
    "smac-early": {"base_options": {"n_random_candidates": 500}, "n_points": 2},
}


#: The suite's fidelity has R = 27 units (s_max = 3 at eta = 3), so the paper's bracket-s4
#: baseline is checked as the same class with the largest bracket that R allows.
SUBSTITUTE = {"bracket-s4": "bracket-s3"}


def _cases():
    for name in optimizer_names(include_plugins=False):
        cls = get_optimizer_class(SUBSTITUTE.get(name, name))
        if getattr(cls, "peer_library", ""):
            continue  # other libraries' optimizers: tests/peers/ (skipped where not installed)
        for check_name, fn, skip in conformance_checks(cls):
            yield pytest.param(name, check_name, fn, skip, id=f"{name}-{check_name}")


@pytest.mark.parametrize("name, check_name, fn, skip", list(_cases()))
def test_registered_optimizer_conforms(name, check_name, fn, skip):
    if skip:
        pytest.skip(skip)
    cls = get_optimizer_class(SUBSTITUTE.get(name, name))
    options = {k: v for k, v in FAST_OPTIONS.get(name, {}).items() if _accepts(cls, k)}
    fn(cls, **options)


def _accepts(cls, key):
    import inspect

    return key in inspect.signature(cls.__init__).parameters


class GlobalRNG(Optimizer):
    """Broken: draws from numpy's global RNG, so the seed does not fix the sequence."""

    capabilities = Capabilities(conditional=True, dependent_bounds=True)

    def _ask(self):
        return self.space.decode(np.random.random(len(self.space)))


class IgnoresConditions(Optimizer):
    """Broken: fills every parameter, active or not."""

    capabilities = Capabilities(conditional=True, dependent_bounds=True)

    def _ask(self):
        config = self.space.sample(self.rng)
        for p in self.space.params:
            config.setdefault(p.name, getattr(p, "low", None) if not hasattr(p, "choices") else p.choices[0])
        return config


class CrashesOnNaN(RandomSearch):
    """Broken: cannot take a failed trial."""

    def _tell(self, trial, result):
        if not result.ok:
            raise ValueError("nan!")


class StringHash(Optimizer):
    """Broken: seeds from hash() of a string, which differs between processes."""

    capabilities = Capabilities(conditional=True, dependent_bounds=True)

    def __init__(self, space, seed=0, fidelity=None):
        super().__init__(space, seed=seed, fidelity=fidelity)
        self.rng = np.random.default_rng(abs(hash(f"seed-{seed}")))

    def _ask(self):
        return self.space.sample(self.rng)


@pytest.mark.parametrize(
    "cls, failing",
    [
        (GlobalRNG, {"reproducible", "reproducible_in_other_process", "resume_by_replay"}),
        (IgnoresConditions, {"conditional"}),
        (CrashesOnNaN, {"failures"}),
        (StringHash, {"reproducible_in_other_process"}),
    ],
)
def test_suite_catches_broken_optimizers(cls, failing):
    report = check_optimizer(cls, raise_on_failure=False)
    assert {name for name, _ in report.failed} >= failing
    with pytest.raises(AssertionError, match=cls.__name__):
        check_optimizer(cls)


def test_capabilities_skip_checks():
    class NoConditions(RandomSearch):
        capabilities = Capabilities(conditional=False, dependent_bounds=False, batch=False)

    report = check_optimizer(NoConditions)
    assert {n for n, _ in report.skipped} == {"conditional", "dependent_bounds", "batch"}
    assert not report.failed


# ---------------------------------- issue 9, item 13: the README's example run as a script


def _readme_example() -> str:
    """The README's "Adding your own optimizer" code block, as a user would copy it."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    return next(b for b in blocks if "class MyOptimizer" in b and "check_optimizer" in b)


def _run_script(tmp_path, code: str):
    script = tmp_path / "my_optimizer.py"
    script.write_text(code, encoding="utf-8")
    repo = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": repo + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


def test_item13_readme_example_as_a_script_passes_the_cross_process_check(tmp_path):
    proc = _run_script(tmp_path, _readme_example())
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "MyOptimizer: 10 passed, 0 failed, 0 skipped" in proc.stdout
    passed = [line.split()[-1] for line in proc.stdout.splitlines() if line.strip().startswith("passed ")]
    assert "reproducible_in_other_process" in passed and "resume_by_replay" in passed  # the report lists them


def test_item13_without_cloudpickle_the_cross_process_check_is_skipped_with_its_reason(tmp_path):
    code = 'import sys\nsys.modules["cloudpickle"] = None  # as if it were not installed\n' + _readme_example()
    proc = _run_script(tmp_path, code)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "9 passed, 0 failed, 1 skipped" in proc.stdout
    assert "skipped reproducible_in_other_process: the class is defined in __main__" in proc.stdout
