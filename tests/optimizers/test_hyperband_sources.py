"""The Hyperband family's configuration sources and shared settings (issue 8, item 4)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hpobench.benchmarks import get_benchmark
from hpobench.benchmarks.base import Fidelity, Result
from hpobench.optimizers import _REGISTRY, get_optimizer, register_optimizer
from hpobench.optimizers.hyperband import (
    BracketRepeat,
    ConfigSource,
    Hyperband,
    HyperbandSettings,
    OptimizerSource,
    SuccessiveHalving,
)
from hpobench.runner import run
from hpobench.space import Float, Space

SPACE = Space([Float("x", 0.0, 1.0), Float("y", -1.0, 1.0)])
FID = Fidelity("epochs", 1, 27)


class GridSource(ConfigSource):
    """Proposes the first parameter on a fixed grid, the others at mid-range, and records what it was told."""

    def __init__(self):
        self.proposed = 0
        self.told: list[tuple[dict, float, float]] = []
        self.told_before_proposal: list[int] = []

    def propose(self, budget):
        self.told_before_proposal.append(len(self.told))
        self.proposed += 1
        u = np.full(len(self.space.params), 0.5)
        u[0] = (self.proposed % 97) / 97
        return self.space.decode(u)

    def observe(self, config, budget, loss):
        self.told.append((config, budget, loss))


class GridHyperband(Hyperband):
    """A third-party Hyperband variant: Hyperband's brackets, configurations from GridSource."""

    name = "grid-hyperband"

    def default_source(self):
        return GridSource()


def drive(opt, n, loss=lambda t: t.config["x"] + 1.0 / t.budget):
    for _ in range(n):
        t = opt.ask()
        if t is None:
            break
        opt.tell(t, Result(loss(t)))


def test_a_registered_variant_takes_its_configurations_from_its_source(tmp_path):
    register_optimizer("grid-hyperband", GridHyperband)
    try:
        bench = get_benchmark("mf-branin")
        opt = get_optimizer("grid-hyperband", bench.space, seed=0, fidelity=bench.fidelity)
        assert "grid-hyperband plan" in opt.describe_plan() and "81@1" in opt.describe_plan()
        result = run(bench, opt, "3R", seed=0, log_path=tmp_path / "log.jsonl")
        records = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
        records = [r for r in records if "trial" in r]
        assert records and all(r["config"]["x2"] == 7.5 for r in records)
        # Every result reached the source, at every rung.
        assert len(opt.source.told) == len(result.records)
        assert {b for _, b, _ in opt.source.told} >= {1.0, 3.0}
    finally:
        _REGISTRY.pop("grid-hyperband", None)


def test_sources_propose_lazily_so_a_model_sees_earlier_results():
    opt = GridHyperband(SPACE, seed=0, fidelity=FID)
    drive(opt, 40)
    # Sequentially, the k-th proposal of a bracket comes after every earlier result was told.
    assert opt.source.told_before_proposal[:27] == list(range(27))
    assert len(opt.source.told) == 40


def test_random_source_keeps_a_brackets_configurations_distinct():
    space = Space([Float("x", 0.0, 1.0)])
    opt = Hyperband(space, seed=3, fidelity=FID)
    configs = [opt.ask().config["x"] for _ in range(27)]
    assert len(set(configs)) == 27


def test_optimizer_source_wraps_a_registered_optimizer_and_tells_it_each_first_result():
    opt = Hyperband(SPACE, seed=1, fidelity=FID, source="random")
    assert isinstance(opt.source, OptimizerSource)
    drive(opt, 60)
    inner = opt.source.optimizer
    started = [t for t in opt.history if t[0].info["rung"] == 0]
    # One tell per configuration the inner optimizer proposed, with the loss at its first budget.
    assert len(inner.history) == len(started)
    assert [r.loss for _, r in inner.history] == [r.loss for _, r in started]
    with pytest.raises(ValueError, match="single-fidelity"):
        Hyperband(SPACE, seed=1, fidelity=FID, source="asha")


def test_settings_object_and_keyword_options_are_the_same():
    a = Hyperband(SPACE, seed=5, fidelity=FID, settings=HyperbandSettings(eta=4, rounding="floor_table"))
    b = Hyperband(SPACE, seed=5, fidelity=FID, eta=4, rounding="floor_table")
    assert a.settings == b.settings
    drive(a, 30)
    drive(b, 30)
    assert [(t.config, t.budget) for t, _ in a.history] == [(t.config, t.budget) for t, _ in b.history]
    # A keyword overrides the settings object.
    c = Hyperband(SPACE, seed=5, fidelity=FID, settings=HyperbandSettings(eta=4), eta=3)
    assert c.eta == 3


def test_settings_a_class_does_not_use_are_rejected():
    with pytest.raises(TypeError, match="rounding"):
        SuccessiveHalving(SPACE, fidelity=FID, rounding="floor_table")
    with pytest.raises(TypeError, match="s_min"):
        BracketRepeat(SPACE, fidelity=FID, settings=HyperbandSettings(s_min=1))
    with pytest.raises(ValueError, match="settings must be"):
        Hyperband(SPACE, fidelity=FID, settings={"eta": 3})


def test_bad_source_is_one_clear_error():
    with pytest.raises(ValueError, match="source must be"):
        Hyperband(SPACE, fidelity=FID, source=3)
    assert np.isfinite(Hyperband(SPACE, fidelity=FID).ask().config["x"])
