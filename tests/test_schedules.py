"""Learning-rate schedules (SPEC.md §6, the seed talk's tf.keras example, 1cycle, step)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hpobench.schedules import (
    SCHEDULE_NAMES,
    Constant,
    CyclicLR,
    ExponentialDecay,
    OneCycle,
    StepDecay,
    make_schedule,
    suggest_lrs,
)


def test_clr_sanity_values_from_spec():
    clr = CyclicLR(base_lr=0.001, max_lr=0.006, stepsize=2000)
    assert clr.lr(0) == pytest.approx(0.001)
    assert clr.lr(1000) == pytest.approx(0.0035)
    assert clr.lr(2000) == pytest.approx(0.006)
    assert clr.lr(3000) == pytest.approx(0.0035)
    assert clr.lr(4000) == pytest.approx(0.001)
    assert clr.cycle(3999) == 1 and clr.cycle(4000) == 2
    # periodic: the second cycle repeats the first
    ts = np.arange(0, 4000, 37)
    assert np.allclose(clr.values(ts), clr.values(ts + 4000))


def _talk_torch_formula(t, base, top, stepsize):
    # the Torch snippet of the talk, with epochCounter = t
    cycle = math.floor(1 + t / (2 * stepsize))
    x = abs(t / stepsize - 2 * cycle + 1)
    return base + (top - base) * max(0, 1 - x)


def test_clr_triangular_matches_the_talk_snippet():
    clr = CyclicLR(0.01, 0.1, stepsize=7)
    for t in range(60):
        assert clr.lr(t) == pytest.approx(_talk_torch_formula(t, 0.01, 0.1, 7))


def test_triangular2_halves_the_amplitude_every_cycle():
    clr = CyclicLR(0.001, 0.006, stepsize=2000, mode="triangular2")
    peaks = [clr.lr(2000 + 4000 * k) - 0.001 for k in range(4)]
    assert peaks == pytest.approx([0.005, 0.0025, 0.00125, 0.000625])
    # inside cycle c the triangle is scaled by 1/2^(c-1)
    t = 4000 + 1000
    assert clr.lr(t) == pytest.approx(0.001 + 0.005 * 0.5 * 0.5)


def test_exp_range_scales_by_gamma_to_the_t():
    gamma = 0.99994
    clr = CyclicLR(0.001, 0.006, stepsize=2000, mode="exp_range", gamma=gamma)
    for t in (0, 500, 2000, 5000, 6000, 10000):
        tri = _talk_torch_formula(t, 0.001, 0.006, 2000) - 0.001
        assert clr.lr(t) == pytest.approx(0.001 + tri * gamma**t)
    assert clr.lr(6000) < clr.lr(2000)


def test_clr_matches_pytorch_cycliclr():
    torch = pytest.importorskip("torch")
    for mode, gamma in (("triangular", 1.0), ("triangular2", 1.0), ("exp_range", 0.999)):
        p = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([p], lr=0.001, momentum=0.9)
        ref = torch.optim.lr_scheduler.CyclicLR(
            opt, 0.001, 0.006, step_size_up=20, mode=mode, gamma=gamma, cycle_momentum=False
        )
        ours = CyclicLR(0.001, 0.006, stepsize=20, mode=mode, gamma=gamma)
        for t in range(130):
            assert opt.param_groups[0]["lr"] == pytest.approx(ours.lr(t), rel=1e-9), (mode, t)
            opt.step()
            ref.step()


def test_exponential_decay_is_the_talks_tf_keras_example():
    def scheduler(epoch):  # the talk's code, with numpy for tf.math
        if epoch < 10:
            return 0.001
        return 0.001 * math.exp(0.1 * (10 - epoch))

    sched = ExponentialDecay(0.001, iters_per_epoch=50)
    for epoch in range(100):
        for t in (epoch * 50, epoch * 50 + 49):
            assert sched.lr(t) == pytest.approx(scheduler(epoch))
    assert sched.lr(10 * 50) == pytest.approx(0.001)  # epoch 10 still at the base rate
    assert sched.lr(11 * 50) / sched.lr(10 * 50) == pytest.approx(math.exp(-0.1))


def test_one_cycle_shape():
    s = OneCycle(max_lr=1.0, total_iters=1000, div_factor=10, annihilate_frac=0.1, final_div=100)
    lrs = s.values(np.arange(1200))
    peak = int(np.argmax(lrs))
    assert peak == 450 and lrs[peak] == pytest.approx(1.0)
    assert lrs[0] == pytest.approx(0.1)
    assert np.all(np.diff(lrs[: peak + 1]) > 0)  # warm-up: linear increase
    assert np.all(np.diff(lrs[peak:]) <= 1e-12)  # then never increases again
    assert np.allclose(np.diff(lrs[:450]), 0.9 / 450)
    assert lrs[900] == pytest.approx(0.1)  # back to the start rate at the end of the cycle
    assert lrs[999] == pytest.approx(0.1 - (0.1 - 0.001) * 99 / 100)
    assert lrs[1000] == lrs[1199] == pytest.approx(0.001)  # annihilated: lo / final_div
    assert s.peak == 1.0


def test_step_decay_over_the_maximum_window():
    s = StepDecay(0.1, max_iter=30000, reductions=2)
    assert s.stepsize == 10000
    assert [s.lr(t) for t in (0, 9999, 10000, 19999, 20000, 29999)] == pytest.approx(
        [0.1, 0.1, 0.01, 0.01, 0.001, 0.001]
    )
    assert StepDecay(0.1, 30000, reductions=0).lr(29999) == pytest.approx(0.1)
    assert StepDecay(0.1, 30000, reductions=3).stepsize == 7500


def test_resumption_continues_from_the_global_counter():
    # a schedule is a pure function of t: a run stopped at t0 and resumed keeps lr(t0), lr(t0+1), ...
    for sched in (
        CyclicLR(0.01, 0.05, stepsize=30, mode="triangular2"),
        OneCycle(0.1, 300),
        ExponentialDecay(0.1, iters_per_epoch=10),
        StepDecay(0.1, 300, 2),
    ):
        straight = [sched.lr(t) for t in range(300)]
        resumed, t = [], 0
        for stop in (10, 30, 90, 300):
            resumed += [sched.lr(u) for u in range(t, stop)]
            t = stop
        assert resumed == straight


def test_lambda_lr_resumes_at_start_iter():
    torch = pytest.importorskip("torch")
    from hpobench.schedules import lambda_lr

    sched = CyclicLR(0.001, 0.006, stepsize=20)
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=sched.peak, momentum=0.9)
    lr_sched = lambda_lr(opt, sched, start_iter=25)
    for t in range(25, 60):
        assert opt.param_groups[0]["lr"] == pytest.approx(sched.lr(t))
        opt.step()
        lr_sched.step()


def test_make_schedule_peaks_at_the_searched_rate():
    for name in SCHEDULE_NAMES:
        s = make_schedule(name, 0.05, iters_per_unit=20, max_units=81)
        lrs = s.values(np.arange(0, 81 * 20))
        assert lrs.max() == pytest.approx(0.05) and lrs.min() > 0, name
        assert s.peak == 0.05
    clr = make_schedule("clr", 0.04, iters_per_unit=20, max_units=81)
    # stepsize = half a unit: every whole-unit budget ends where a cycle ends (lr back at base)
    assert [clr.lr(20 * k) for k in (1, 3, 9)] == pytest.approx([0.01] * 3)
    assert clr.lr(10) == pytest.approx(0.04)
    exp = make_schedule("exp_decay", 0.05, iters_per_unit=20, max_units=81)
    assert exp.lr(20 * 10) == 0.05 and exp.lr(20 * 11) == pytest.approx(0.05 * math.exp(-0.1))
    one = make_schedule("one_cycle", 0.05, iters_per_unit=20, max_units=81)
    assert one.total_iters == 1620
    with pytest.raises(ValueError, match="unknown schedule"):
        make_schedule("cosine", 0.1, 10, 10)


def test_invalid_arguments():
    with pytest.raises(ValueError):
        CyclicLR(0.01, 0.001)  # max below base
    with pytest.raises(ValueError):
        CyclicLR(0.001, 0.01, mode="sawtooth")
    with pytest.raises(ValueError):
        Constant(0.0)
    with pytest.raises(ValueError):
        Constant(0.1).lr(-1)
    with pytest.raises(ValueError):
        OneCycle(0.1, 0)


def test_suggest_lrs_reads_the_range_test_curve():
    lrs = np.linspace(0.0005, 0.02, 40)
    # flat at chance, rising between 0.002 and 0.008, flat, then falling (ragged) after 0.014
    acc = np.interp(lrs, [0, 0.002, 0.008, 0.014, 0.02], [0.1, 0.1, 0.8, 0.8, 0.3])
    base, top = suggest_lrs(lrs, acc)
    assert 0.002 <= base <= 0.003
    assert 0.007 <= top <= 0.009
    flat_base, flat_top = suggest_lrs(lrs, np.full(40, 0.1))
    assert flat_base == pytest.approx(flat_top / 4)


def test_lr_range_test_runs_on_a_linear_model():
    torch = pytest.importorskip("torch")
    from hpobench.schedules import lr_range_test

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4)).astype("float32")
    y = (X[:, 0] + X[:, 1] > 0).astype("int64")
    res = lr_range_test(torch.nn.Linear(4, 2), X, y, X, y, max_lr=0.5, epochs=3, batch_size=30, n_points=10)
    assert len(res.lrs) == 10 and res.lrs[-1] == pytest.approx(0.5)
    assert res.accuracies[-1] > 0.85
    assert 0 < res.base_lr < res.max_lr
