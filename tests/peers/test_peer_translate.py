"""Space translation shared by the peer adapters (hpobench.peers.translate): pure Python, runs
without any peer library (the ConfigSpace test skips where ConfigSpace is absent)."""

from __future__ import annotations

import numpy as np
import pytest

from hpobench.peers.translate import choice_labels, decode, flat_params, to_configspace
from hpobench.space import Categorical, Float, Int, Space
from hpobench.testing import conditional_space, dependent_space, mixed_space


def test_flat_params_keep_types_scales_and_bounds():
    flat = {fp.name: fp for fp in flat_params(mixed_space())}
    assert (flat["x"].kind, flat["x"].low, flat["x"].high, flat["x"].log) == ("float", -2.0, 3.0, False)
    assert (flat["lr"].kind, flat["lr"].log) == ("float", True)
    assert (flat["batch"].kind, flat["batch"].low, flat["batch"].high, flat["batch"].log) == ("int", 8, 512, True)
    assert flat["act"].labels == ("relu", "tanh", "sigmoid")
    assert not any(fp.relative for fp in flat.values())


def test_dependent_bound_becomes_a_relative_position_and_decodes_within_the_bound():
    space = dependent_space()
    flat = {fp.name: fp for fp in flat_params(space)}
    assert flat["k1"].relative and (flat["k1"].low, flat["k1"].high) == (0.0, 1.0)
    rng = np.random.default_rng(0)
    for _ in range(200):
        raw = {fp.name: (rng.uniform(fp.low, fp.high) if fp.kind == "float" else int(rng.integers(fp.low, fp.high + 1))) for fp in flat.values()}
        config = decode(space, raw)
        space.validate(config)
        assert config["k1"] <= config["k2"]
    # the ends of the relative range reach the ends of the resolved interval
    base = {name: (fp.low if fp.kind != "categorical" else fp.labels[0]) for name, fp in flat.items()}
    assert decode(space, {**base, "k2": 40, "k1": 0.0})["k1"] == space["k1"].low
    assert decode(space, {**base, "k2": 40, "k1": 1.0})["k1"] == 40


def test_decode_drops_inactive_parameters_and_maps_labels_back():
    space = conditional_space()
    flat = flat_params(space)
    cond = {fp.name: fp.condition for fp in flat}
    assert cond["degree"].parent == "kernel" and cond["degree"].values == ("poly",)
    full = {fp.name: (fp.labels[0] if fp.kind == "categorical" else fp.low) for fp in flat}
    for kernel in ("rbf", "poly", "sigmoid"):
        config = decode(space, {**full, "kernel": kernel})
        space.validate(config)
        assert ("degree" in config) == (kernel == "poly")
        assert ("coef0" in config) == (kernel in ("poly", "sigmoid"))


def test_decode_names_a_missing_active_parameter_unless_partial():
    space = conditional_space()
    with pytest.raises(ValueError, match="degree"):
        decode(space, {"preprocessor": "normalize", "C": 1.0, "gamma": 0.1, "kernel": "poly", "coef0": 0.0})
    partial = decode(space, {"preprocessor": "normalize", "kernel": "poly", "C": 1.0}, partial=True)
    assert partial == {"preprocessor": "normalize", "kernel": "poly", "C": 1.0}


def test_ints_are_rounded_and_values_clipped():
    space = Space([Int("n", 1, 9), Float("x", 0.0, 1.0)])
    assert decode(space, {"n": 9.6, "x": 1.5}) == {"n": 9, "x": 1.0}
    assert decode(space, {"n": 2.4, "x": -0.2}) == {"n": 2, "x": 0.0}
    assert isinstance(decode(space, {"n": np.int64(3), "x": 0.5})["n"], int)


def test_choices_that_print_alike_get_index_labels_and_round_trip():
    p = Categorical("c", [1, "1", True])
    assert choice_labels(p) == ("0", "1", "2")
    space = Space([p])
    assert [decode(space, {"c": label})["c"] for label in choice_labels(p)] == [1, "1", True]
    assert choice_labels(Categorical("b", [True, False])) == ("True", "False")


def test_configspace_has_the_conditions():
    pytest.importorskip("ConfigSpace", reason="ConfigSpace (extra smac3) is not installed")
    cs = to_configspace(conditional_space(), seed=0)
    assert {c.child.name for c in cs.conditions} == {"degree", "coef0"}
    for config in cs.sample_configuration(50):
        conf = decode(conditional_space(), dict(config))
        conditional_space().validate(conf)
        assert set(dict(config)) == set(conf)  # ConfigSpace leaves exactly the active ones
