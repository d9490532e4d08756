"""Every peer adapter that is installed passes the conformance suite; each one that is not
skips with a printed reason naming the extra. The model-based adapters whose libraries are slow
per proposal (GP fits) run the full suite under ``-m slow`` and a short run otherwise."""

from __future__ import annotations

import pytest

from hpobench.optimizers import get_optimizer_class, optimizer_names
from hpobench.testing import FIDELITY, conformance_checks, drive, mixed_space

PEERS = [n for n in optimizer_names(include_plugins=False) if getattr(get_optimizer_class(n), "peer_library", "")]

#: Seconds per proposal make the full suite (about 350 proposals) minutes long for these.
SLOW = {"optuna-gp", "skopt-gp", "smac3-bb", "smac3-hpo", "keras-tuner-bayesian", "keras-tuner-hyperband", "syne-tune-bohb", "smac3-hyperband"}


def _require(name: str):
    cls = get_optimizer_class(name)
    if not cls.is_available():
        pytest.skip(f"{name}: library {cls.peer_library!r} is not installed ({cls.install_hint()})")
    return cls


def _cases():
    for name in PEERS:
        cls = get_optimizer_class(name)
        marks = [pytest.mark.slow] if name in SLOW else []
        for check_name, fn, skip in conformance_checks(cls):
            yield pytest.param(name, fn, skip, id=f"{name}-{check_name}", marks=marks)


def test_every_named_peer_is_registered():
    assert set(PEERS) >= {
        "optuna-tpe", "optuna-gp", "optuna-cmaes", "optuna-hyperband", "skopt-gp", "smac3-hpo", "smac3-bb",
        "smac3-hyperband", "hyperopt-rand", "keras-tuner-hyperband", "keras-tuner-bayesian", "syne-tune-asha",
        "syne-tune-bohb", "dehb-automl", "ray-asha", "ray-hyperband",
    }


@pytest.mark.parametrize("name, fn, skip", list(_cases()))
def test_installed_peer_conforms(name, fn, skip):
    cls = _require(name)
    if skip:
        pytest.skip(skip)
    fn(cls)


#: Seconds per GP proposal even at this size: the smoke test itself is slow for these.
SLOWEST = {"smac3-bb"}


@pytest.mark.parametrize("name", [pytest.param(n, marks=[pytest.mark.slow] if n in SLOWEST else []) for n in sorted(SLOW & set(PEERS))])
def test_slow_peer_proposes_valid_trials(name):
    """The short version for the slow ones: past their random start-up, valid proposals."""
    cls = _require(name)
    space = mixed_space()
    fid = FIDELITY if cls.capabilities.multi_fidelity else None
    options = {"n_trials": 20} if "n_trials" in cls.__init__.__code__.co_varnames else {}
    opt = cls(space, seed=0, fidelity=fid, **options)
    done = drive(opt, space, 12, fidelity=fid)  # drive() validates every configuration and budget
    assert len(done) == 12


def test_smac3_same_seed_same_model_based_trials_in_another_process():
    """SMAC3's local search started from a set ordered by string hash (PYTHONHASHSEED), so
    another process (or a run resumed there) diverged at the first model-based trial. The child
    runs under another hash seed; n_trials=10 makes the initial design 2 configurations, so 6 of
    the 8 trials come from the random forest and its local search."""
    import json
    import subprocess
    import sys

    from hpobench.testing import _child_env, _sequence

    cls = _require("smac3-hpo")
    here = json.loads(json.dumps(_sequence(cls, 13, {"n_trials": 10}, n=8)))
    code = (
        "import json; from hpobench.optimizers import get_optimizer_class; from hpobench.testing import _sequence; "
        "print(json.dumps(_sequence(get_optimizer_class('smac3-hpo'), 13, {'n_trials': 10}, n=8)))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=_child_env())
    assert proc.returncode == 0, proc.stderr[-500:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == here
