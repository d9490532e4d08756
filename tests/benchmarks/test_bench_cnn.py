"""Speed of the CNN benchmarks (issue 5).

* The LeNet training loop of the benchmark (seeded mini-batch order, per-iteration schedule,
  divergence checks) against a bare PyTorch loop of the same model, batch size, iteration count
  and threads. Target: <= 1.2x the bare loop (median of the per-round ratios). The bare loop is timed in the pedantic setup of
  every round, so both are measured interleaved under the same machine load.
* One full Hyperband outer loop (R = 81, eta = 3, checkpoint continuation) on ``lenet-digits``.
  Target: 5-15 minutes on 2 cores. Marked ``slow`` (deselect with ``-m "not slow"``);
  ``HPOBENCH_CNN_HB_R`` runs it at a smaller R.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from hpobench.threads import limited_threads, passive_wait

passive_wait()  # before torch is imported, where this module is the first to import it
torch = pytest.importorskip("torch")

from hpobench.benchmarks.base import config_key, stable_seed  # noqa: E402
from hpobench.benchmarks.cnn import LeNet, LeNetDigits  # noqa: E402

CONFIG = {"lr": 0.05, "batch_size": 32, "k2": 50, "k1": 20}
N_ITER = 150


@pytest.fixture
def one_thread():
    with limited_threads(1):
        yield


def _bare_loop(X, y, config, n_iter):
    """The reference: the same network and optimizer, batches pre-sliced, nothing else."""
    model = LeNet(config["k1"], config["k2"], tuple(X.shape[1:]), generator=torch.Generator().manual_seed(0))
    opt = torch.optim.SGD(model.parameters(), lr=config["lr"], momentum=0.9)
    b = config["batch_size"]
    rng = np.random.default_rng(0)
    order = np.concatenate([rng.permutation(len(y)) for _ in range(n_iter * b // len(y) + 2)])
    batches = [torch.from_numpy(order[i * b : (i + 1) * b]) for i in range(n_iter)]
    t0 = time.perf_counter()
    model.train()
    for idx in batches:
        xb, yb = X[idx], y[idx]
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
    return time.perf_counter() - t0


def test_lenet_training_loop_vs_bare_pytorch(benchmark, target, one_thread, tmp_path):
    bench = LeNetDigits(device="cpu", checkpoint_dir=tmp_path)
    data = bench.data()
    X, y = data["X_train"], data["y_train"]
    bare_times = []

    def setup():
        bare_times.append(_bare_loop(X, y, CONFIG, N_ITER))
        gen = torch.Generator().manual_seed(stable_seed(0, config_key(CONFIG), "init"))
        model = bench.build_model(CONFIG, gen, data["input_shape"], data["n_classes"])
        return (model, bench.build_optimizer(model, CONFIG), CONFIG, 0, 0, N_ITER), {}

    _bare_loop(X, y, CONFIG, 20)  # warm-up
    benchmark.pedantic(bench._train, setup=setup, rounds=9, iterations=1, warmup_rounds=1)
    if benchmark.stats is None:  # --benchmark-disable: ran once as a smoke test
        bench.close()
        return
    ours = benchmark.stats.stats.median
    bare = float(np.median(bare_times))
    # each round's bare loop ran just before it: the paired ratio cancels slow load changes
    paired = [o / b for o, b in zip(benchmark.stats.stats.data, bare_times[-len(benchmark.stats.stats.data) :])]
    benchmark.extra_info["bare_median_s"] = bare
    benchmark.extra_info["ratio_of_medians"] = ours / bare
    benchmark.extra_info["iterations"] = N_ITER
    benchmark.extra_info["ms_per_iteration"] = ours / N_ITER * 1e3
    target(benchmark, "ratio_vs_bare", float(np.median(paired)), 1.2)
    bench.close()


@pytest.mark.slow
def test_hyperband_outer_loop_on_lenet_digits(benchmark, target, tmp_path):
    from hpobench.optimizers.hyperband import Hyperband, plan_total, schedule
    from hpobench.runner import run

    R = float(os.environ.get("HPOBENCH_CNN_HB_R", 81))
    units = plan_total(schedule(R, 3), resume=True) * R  # one outer loop, in units
    records = []

    def one_outer_loop():
        bench = LeNetDigits(device="cpu", max_budget=R, checkpoint_dir=tmp_path / f"ck{len(records)}")
        opt = Hyperband(bench.space, seed=0, fidelity=bench.fidelity, eta=3, n_iterations=1)
        res = run(bench, opt, f"{2 * units / R}R", seed=0)
        records.append(res.records)

    with limited_threads(None) as threads:  # one worker: all cores
        benchmark.pedantic(one_outer_loop, rounds=1, iterations=1)
    recs = records[-1]
    benchmark.extra_info.update(
        R=R,
        threads=threads,
        evaluations=len(recs),
        units=recs[-1]["resource"],
        planned_units=units,
        best_val_error=min(r["loss"] for r in recs),
        continued=sum(1 for r in recs if r.get("result_info", {}).get("trained_from") == "checkpoint"),
    )
    assert abs(recs[-1]["resource"] - units) < 1e-6
    if R == 81 and benchmark.stats is not None:
        target(benchmark, "minutes", benchmark.stats.stats.median / 60, 15)
