"""What the peer adapters add beyond the conformance suite: the one-line error for a missing
library, availability without importing it, continuation mapped to Trial(budget, resume_from),
and the library's version in a run's manifest."""

from __future__ import annotations

import json
import sys

import pytest

from hpobench.optimizers import get_optimizer_class
from hpobench.peers import MissingPeerError, PeerOptimizer
from hpobench.testing import FIDELITY, drive, mixed_space


class NotInstalled(PeerOptimizer):
    name = "nowhere-rand"
    peer_library = "nowhere"
    peer_modules = ("hpobench_no_such_library",)
    peer_extra = "nowhere"

    def _ask(self):  # pragma: no cover - never built
        return self.space.sample(self.rng)


def test_missing_library_raises_one_line_naming_the_extra():
    assert not NotInstalled.is_available()
    assert NotInstalled.library_version() is None
    with pytest.raises(MissingPeerError) as info:
        NotInstalled(mixed_space(), seed=0)
    message = str(info.value)
    assert "\n" not in message and 'pip install "hpobench[nowhere]"' in message and "nowhere-rand" in message
    assert isinstance(info.value, ImportError)


def test_resolving_a_peer_does_not_import_its_library():
    before = set(sys.modules)
    for name in ("optuna-tpe", "skopt-gp", "smac3-hpo", "syne-tune-asha", "keras-tuner-hyperband", "dehb-automl", "ray-asha", "ray-hyperband"):
        cls = get_optimizer_class(name)
        assert cls.peer_library and isinstance(cls.is_available(), bool)
    new = set(sys.modules) - before
    assert not {m for m in new if m.split(".")[0] in {"optuna", "skopt", "smac", "syne_tune", "keras_tuner", "keras", "dehb", "ray"}}


def _require(name: str):
    cls = get_optimizer_class(name)
    if not cls.is_available():
        pytest.skip(f"{name}: library {cls.peer_library!r} is not installed ({cls.install_hint()})")
    return cls


@pytest.mark.parametrize("name", ["optuna-hyperband", "syne-tune-asha", "ray-asha", pytest.param("keras-tuner-hyperband", marks=pytest.mark.slow)])
def test_continuation_resumes_the_same_configuration_from_the_budget_it_reached(name):
    """A continued trial runs a configuration seen before, from the largest budget it reached."""
    cls = _require(name)
    opt = cls(mixed_space(), seed=0, fidelity=FIDELITY)
    done = drive(opt, mixed_space(), 60, fidelity=FIDELITY)
    reached: dict[str, float] = {}
    continued = 0
    for trial, _ in done:
        key = json.dumps(trial.config, sort_keys=True)
        if trial.resume_from is not None:
            continued += 1
            assert reached.get(key) == trial.resume_from, f"trial {trial.id} resumes from {trial.resume_from}, reached {reached.get(key)}"
            assert trial.budget > trial.resume_from
        reached[key] = max(reached.get(key, 0.0), trial.budget)
    assert continued >= 3, f"only {continued} continuations in 60 trials"
    assert max(t.budget for t, _ in done) == FIDELITY.max


def test_run_log_records_the_library_version(tmp_path):
    cls = _require("optuna-tpe")
    from hpobench import get_benchmark
    from hpobench.runner import run
    from hpobench.storage import manifest_path

    bench = get_benchmark("branin")
    log = tmp_path / "run.jsonl"
    res = run(bench, cls(bench.space, seed=0), "12", seed=0, log_path=log)
    assert len(res.records) == 12 and all(r["status"] == "ok" for r in res.records)
    manifest = json.loads(manifest_path(log).read_text())
    assert manifest["versions"]["optuna"] == cls.library_version()


def test_hyperopt_rand_is_random_search_from_hyperopts_prior():
    cls = _require("hyperopt-rand")
    opt = cls(mixed_space(), seed=0)
    done = drive(opt, mixed_space(), 30)
    assert {t.info["model"] for t, _ in done} == {"prior"}


def test_cli_missing_peer_is_exit_2_with_one_line_and_nothing_written(tmp_path, monkeypatch, capsys):
    from hpobench import optimizers
    from hpobench.cli import main

    monkeypatch.setitem(optimizers._REGISTRY, "nowhere-rand", NotInstalled)
    out = tmp_path / "study"
    assert main(["compare", "--benchmarks", "branin", "--optimizers", "nowhere-rand", "--seeds", "1", "--budget", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and 'pip install "hpobench[nowhere]"' in err
    assert not out.exists()
    assert main(["list", "--json"]) == 0
    listed = {o["name"]: o for o in json.loads(capsys.readouterr().out)["optimizers"]}
    assert listed["nowhere-rand"]["peer"]["installed"] is False and "peer" not in listed["random"]
    assert listed["hyperopt-rand"]["peer"] == {"library": "hyperopt", "installed": True, "version": get_optimizer_class("hyperopt-rand").library_version(), "install": 'pip install "hpobench[hyperopt]"'}
