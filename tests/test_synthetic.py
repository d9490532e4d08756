"""Synthetic benchmarks: known minima, multi-fidelity behaviour, seeded noise."""

import numpy as np
import pytest

from hpobench import get_benchmark
from hpobench.benchmarks import UnknownNameError, benchmark_names
from hpobench.benchmarks.base import Result
from hpobench.benchmarks.synthetic import SyntheticBenchmark

SINGLE = ["branin", "hartmann3", "hartmann6", "rosenbrock", "ackley", "levy", "styblinski-tang", "goldstein-price", "six-hump-camel"]
MULTI = ["mf-branin", "mf-hartmann3", "mf-hartmann6"]


def at(bench, x):
    return {n: float(v) for n, v in zip(bench.space.names, x)}


@pytest.mark.parametrize("name", SINGLE + MULTI)
def test_known_minimum(name):
    bench = get_benchmark(name)
    for x in bench.minimizers:
        assert bench.evaluate(at(bench, x)).loss == pytest.approx(bench.optimum, abs=1e-4)
    # and random points are never below the optimum
    rng = np.random.default_rng(0)
    vals = [bench.evaluate(bench.space.sample(rng)).loss for _ in range(300)]
    assert min(vals) >= bench.optimum - 1e-9
    assert np.mean(vals) > bench.optimum + 1e-3


def test_default_dimensions():
    assert len(get_benchmark("rosenbrock").space) == 4
    assert len(get_benchmark("ackley").space) == 5
    assert len(get_benchmark("levy").space) == 4
    assert len(get_benchmark("styblinski-tang").space) == 4
    assert len(get_benchmark("rosenbrock", dim=7).space) == 7
    assert get_benchmark("styblinski-tang", dim=2).optimum == pytest.approx(-78.33233, abs=1e-4)


@pytest.mark.parametrize("name", MULTI)
def test_multi_fidelity_true_function_at_R_and_bias_below(name):
    bench = get_benchmark(name)
    single = get_benchmark(name[3:])
    assert bench.fidelity.max == 81 and bench.fidelity.min == 1
    rng = np.random.default_rng(1)
    diffs_low, diffs_mid = [], []
    for _ in range(50):
        c = bench.space.sample(rng)
        full = bench.evaluate(c, budget=81)
        assert full.loss == pytest.approx(single.evaluate(c).loss, rel=1e-12, abs=1e-12)
        assert full.cost == 81
        low = bench.evaluate(c, budget=1)
        assert low.cost == 1 and low.test_loss == pytest.approx(full.loss)
        diffs_low.append(abs(low.loss - full.loss))
        diffs_mid.append(abs(bench.evaluate(c, budget=27).loss - full.loss))
    # lower fidelity, larger deviation from the target function
    assert np.mean(diffs_low) > np.mean(diffs_mid) > 0


def test_budget_outside_fidelity_is_rejected():
    bench = get_benchmark("mf-branin")
    with pytest.raises(ValueError, match="outside"):
        bench.evaluate({"x1": 0.0, "x2": 0.0}, budget=100)


def test_counting_ones():
    bench = get_benchmark("counting-ones")
    best = {**{f"c{i}": 1 for i in range(8)}, **{f"x{i}": 1.0 for i in range(8)}}
    assert bench.evaluate(best, budget=9).loss == bench.optimum == -16
    c = bench.space.sample(np.random.default_rng(0))
    lo = [bench.evaluate(c, budget=9, seed=s).loss for s in range(40)]
    hi = [bench.evaluate(c, budget=729, seed=s).loss for s in range(40)]
    assert np.std(hi) < np.std(lo) / 3
    assert np.mean(hi) == pytest.approx(bench.evaluate(c, budget=9).test_loss, abs=0.1)


def test_noise_is_seeded_and_process_independent():
    bench = get_benchmark("branin", noise=0.5)
    c = {"x1": 1.0, "x2": 2.0}
    a, b, other = bench.evaluate(c, seed=3), bench.evaluate(c, seed=3), bench.evaluate(c, seed=4)
    assert a.loss == b.loss != other.loss
    assert a.test_loss == get_benchmark("branin").evaluate(c).loss
    # a fixed value: stable_seed uses CRC-32, never hash(), so it is the same in every process
    import subprocess
    import sys

    code = "from hpobench import get_benchmark; print(repr(get_benchmark('branin', noise=0.5).evaluate({'x1': 1.0, 'x2': 2.0}, seed=3).loss))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONHASHSEED": "99", "PATH": ""}, check=True)
    assert float(out.stdout) == a.loss


def test_registry_errors_and_adapter():
    with pytest.raises(UnknownNameError, match="unknown benchmark 'nope'; known: branin"):
        get_benchmark("nope")
    assert set(SINGLE + MULTI + ["counting-ones"]) <= set(benchmark_names())
    out = get_benchmark("mf-branin").objective_function({"x1": 0.0, "x2": 0.0}, fidelity={"budget": 9})
    assert set(out) == {"function_value", "cost", "info"} and out["cost"] == 9


def test_cpu_work_changes_nothing_but_time():
    c = {"x1": 0.5, "x2": 0.5}
    assert get_benchmark("branin", cpu_work=1000).evaluate(c).loss == get_benchmark("branin").evaluate(c).loss


def test_result_status():
    assert Result(1.0).ok and Result(1.0).status == "ok"
    assert not Result(float("nan")).ok and Result(float("inf")).status == "failed"
    assert issubclass(type(get_benchmark("branin")), SyntheticBenchmark)


# ------------------------------------------------------------------------------ instances


@pytest.mark.parametrize("name", SINGLE + MULTI)
def test_instances_move_the_optimum_and_keep_its_value(name):
    textbook = get_benchmark(name)
    for k in (1, 2):
        bench = get_benchmark(f"{name}@{k}")
        assert bench.instance == k and bench.optimum == textbook.optimum
        loc = bench.minimizers[0]
        assert loc != textbook.minimizers[0]
        low = np.array([p.low for p in bench.space.params])
        high = np.array([p.high for p in bench.space.params])
        assert np.all(np.asarray(loc) > low) and np.all(np.asarray(loc) < high)
        for x in bench.minimizers:
            assert bench.evaluate(at(bench, x)).loss == pytest.approx(bench.optimum, abs=1e-4)
        # nothing in the box is below the optimum, and the function is not flat
        rng = np.random.default_rng(k)
        vals = [bench.evaluate(bench.space.sample(rng)).loss for _ in range(300)]
        assert min(vals) >= bench.optimum - 1e-9 and np.mean(vals) > bench.optimum + 1e-3
    # seeded by name, dimension and number: the same instance in every construction
    assert get_benchmark(f"{name}@1").minimizers == get_benchmark(name, instance=1).minimizers
    assert get_benchmark(f"{name}@0").minimizers == textbook.minimizers


def test_instance_rotation_only_where_it_keeps_the_character():
    ack = get_benchmark("ackley@1").instance_transform
    rot = ack.rotation
    np.testing.assert_allclose(rot @ rot.T, np.eye(5), atol=1e-12)
    assert np.linalg.det(rot) == pytest.approx(1.0) and not np.allclose(rot, np.eye(5))
    np.testing.assert_array_equal(get_benchmark("styblinski-tang@1").instance_transform.rotation, np.eye(4))
    # a shifted separable function is the textbook one moved: f_k(x) = f(x - shift)
    st0, st1 = get_benchmark("styblinski-tang"), get_benchmark("styblinski-tang@1")
    shift = np.asarray(st1.minimizers[0]) - np.asarray(st0.minimizers[0])
    x = np.array([0.3, -1.0, 0.5, 0.1])
    assert st1.evaluate(at(st1, x)).loss == pytest.approx(st0.f(x - shift))


def test_bad_instances_are_one_clear_error():
    with pytest.raises(UnknownNameError, match="non-negative integer"):
        get_benchmark("branin@x")
    with pytest.raises(UnknownNameError, match="has no instances"):
        get_benchmark("counting-ones@1")
    with pytest.raises(ValueError, match="instance"):
        get_benchmark("branin", instance=-1)
