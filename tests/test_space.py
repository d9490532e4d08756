"""Search spaces: sampling, encoding, validation, neighbours (property tests with hypothesis)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpobench.benchmarks.spaces import kernel_ls_space as kernel_space
from hpobench.benchmarks.spaces import lenet_space
from hpobench.space import ConfigError, Float, Int, Space, SpaceError


SPACES = [lenet_space, kernel_space]


def assert_same_config(a, b):
    assert set(a) == set(b)
    for k in a:
        if isinstance(a[k], float):
            assert math.isclose(a[k], b[k], rel_tol=1e-9, abs_tol=1e-12), k
        else:
            assert a[k] == b[k] and type(a[k]) is type(b[k]), k


@pytest.mark.parametrize("make", SPACES)
@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_samples_valid_and_roundtrip(make, seed):
    space = make()
    config = space.sample(np.random.default_rng(seed))
    space.validate(config)
    assert_same_config(space.decode(space.encode(config)), config)


@given(u=st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4))
@settings(max_examples=200, deadline=None)
def test_any_cube_point_decodes_to_valid_config_with_dependent_bound(u):
    space = lenet_space()
    config = space.decode(u)
    space.validate(config)
    assert 5 <= config["k1"] <= config["k2"] <= 60


@given(u=st.lists(st.floats(0.0, 1.0), min_size=6, max_size=6))
@settings(max_examples=200, deadline=None)
def test_conditional_parameters_present_exactly_when_active(u):
    space = kernel_space()
    config = space.decode(u)
    space.validate(config)
    assert ("degree" in config) == (config["kernel"] == "poly")
    assert ("coef0" in config) == (config["kernel"] in ("poly", "sigmoid"))


def test_encoding_includes_inactive_dimensions():
    space = kernel_space()
    u = space.encode({"preprocessor": "min/max", "kernel": "rbf", "C": 1.0, "gamma": 0.1})
    assert u.shape == (6,) and u[4] == 0.5 and u[5] == 0.5


def test_log_scale_sampling_is_uniform_in_log():
    space = Space([Float("lr", 1e-4, 1.0, log=True)])
    xs = np.array([c["lr"] for c in space.sample_many(np.random.default_rng(0), 4000)])
    # a quarter of the log range lies below 1e-3
    assert abs(np.mean(xs < 1e-3) - 0.25) < 0.03


def test_int_endpoints_get_equal_share():
    space = Space([Int("n", 1, 4)])
    xs = np.array([c["n"] for c in space.sample_many(np.random.default_rng(1), 8000)])
    counts = np.bincount(xs)[1:]
    assert counts.min() > 0.22 * len(xs)


@pytest.mark.parametrize(
    "config, fragment",
    [
        ({"lr": 0.01, "batch_size": 10, "k2": 20}, "'k1' is missing"),
        ({"lr": 0.01, "batch_size": 10, "k2": 20, "k1": 30}, "'k1': 30 is outside [5, 20]"),
        ({"lr": 0.5, "batch_size": 10, "k2": 20, "k1": 10}, "'lr'"),
        ({"lr": 0.01, "batch_size": 10.5, "k2": 20, "k1": 10}, "'batch_size': expected an integer"),
        ({"lr": 0.01, "batch_size": 10, "k2": 20, "k1": 10, "extra": 1}, "unknown parameter 'extra'"),
    ],
)
def test_validate_names_the_parameter(config, fragment):
    with pytest.raises(ConfigError) as exc:
        lenet_space().validate(config)
    assert fragment in str(exc.value)


def test_validate_rejects_inactive_and_bad_choice():
    space = kernel_space()
    with pytest.raises(ConfigError, match="'degree' is inactive"):
        space.validate({"preprocessor": "min/max", "kernel": "rbf", "C": 1.0, "gamma": 0.1, "degree": 3})
    with pytest.raises(ConfigError, match="'kernel': 'linear' is not one of"):
        space.validate({"preprocessor": "min/max", "kernel": "linear", "C": 1.0, "gamma": 0.1})


def test_space_definition_errors():
    with pytest.raises(SpaceError, match="declared before"):
        Space([Int("k1", 5, "k2"), Int("k2", 10, 60)])
    with pytest.raises(SpaceError, match="declared twice"):
        Space([Float("x", 0, 1), Float("x", 0, 1)])
    with pytest.raises(SpaceError, match="log-scale"):
        Float("x", 0.0, 1.0, log=True)
    with pytest.raises(SpaceError, match="condition parent"):
        Space([Int("degree", 2, 5, condition=("kernel", ["poly"]))])


@pytest.mark.parametrize("make", SPACES)
def test_neighbors_are_valid_one_exchange(make):
    space = make()
    rng = np.random.default_rng(3)
    for _ in range(30):
        config = space.sample(rng)
        neigh = space.neighbors(config, rng)
        assert neigh
        for n in neigh:
            space.validate(n)
            assert n != config
            changed = [k for k in space.names if n.get(k) != config.get(k)]
            # one parameter changes, plus children that a parent switch (de)activates or a
            # dependent bound clips
            assert changed
            roots = [k for k in changed if space[k].condition is None and not space[k].depends_on]
            assert len(roots) <= 1


def test_categorical_neighbors_cover_all_other_choices():
    space = kernel_space()
    config = {"preprocessor": "min/max", "kernel": "rbf", "C": 1.0, "gamma": 0.1}
    neigh = space.neighbors(config, np.random.default_rng(0))
    kernels = {n["kernel"] for n in neigh}
    assert kernels == {"rbf", "poly", "sigmoid"}
    poly = [n for n in neigh if n["kernel"] == "poly"][0]
    assert "degree" in poly and "coef0" in poly
