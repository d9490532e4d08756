"""TPE through hyperopt's tpe.suggest: space conversion, trials bookkeeping, fidelity to fmin,
model behaviour and the issue's quality criterion (beats random search on Branin and Hartmann6)."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from hyperopt import STATUS_FAIL, STATUS_OK, Trials, fmin
from hyperopt import tpe as hyperopt_tpe
from hyperopt.base import JOB_STATE_DONE, JOB_STATE_RUNNING

from hpobench.benchmarks.base import Result
from hpobench.benchmarks.spaces import lenet_space
from hpobench.benchmarks.synthetic import Branin, Hartmann6
from hpobench.optimizers.random_search import RandomSearch
from hpobench.optimizers.tpe import TPE, hyperopt_space
from hpobench.runner import run
from hpobench.space import Categorical, Float, Int, Space
from hpobench.testing import check_optimizer
from hpobench.testing import conditional_space as kernel_space
from hpobench.testing import kernel_objective as kernel_loss

# ----------------------------------------------------------------------------------- spaces


def lenet_loss(c: dict) -> float:
    return (
        (math.log10(c["lr"]) + 2.0) ** 2
        + (math.log10(c["batch_size"]) - 2.0) ** 2
        + ((c["k2"] - 40) / 20) ** 2
        + ((c["k1"] - 20) / 20) ** 2
    )


def drive(opt: TPE, loss_fn, n: int) -> list:
    out = []
    for _ in range(n):
        t = opt.ask()
        opt.space.validate(t.config)
        opt.tell(t, Result(loss=loss_fn(t.config)))
        out.append(t)
    return out


# --------------------------------------------------------------------------- space conversion


def test_kernel_space_labels_are_per_branch():
    expr, labels = hyperopt_space(kernel_space())
    assert labels[("coef0", (("kernel", 1),))] == "coef0[kernel=poly]"
    assert labels[("coef0", (("kernel", 2),))] == "coef0[kernel=sigmoid]"
    assert labels[("degree", (("kernel", 1),))] == "degree[kernel=poly]"
    # No coef0 under rbf, no degree under sigmoid.
    assert ("coef0", (("kernel", 0),)) not in labels and ("degree", (("kernel", 2),)) not in labels
    opt = TPE(kernel_space(), seed=0)
    assert set(opt.domain.params) == set(labels.values()) == {
        "preprocessor", "kernel", "C", "gamma", "degree[kernel=poly]", "coef0[kernel=poly]", "coef0[kernel=sigmoid]",
    }


def test_kernel_space_every_proposal_valid_and_every_branch_sampled():
    space = kernel_space()
    opt = TPE(space, seed=0)
    trials = drive(opt, kernel_loss, 80)
    configs = [t.config for t in trials]
    assert {c["kernel"] for c in configs} == {"rbf", "poly", "sigmoid"}
    assert {c["preprocessor"] for c in configs} == {"min/max", "standardize", "normalize"}
    assert {c["degree"] for c in configs if "degree" in c} == {2, 3, 4, 5}
    assert all(isinstance(c["degree"], int) for c in configs if "degree" in c)
    # coef0 exactly when kernel is poly or sigmoid (validate checks it; spell it out anyway).
    assert all(("coef0" in c) == (c["kernel"] in ("poly", "sigmoid")) for c in configs)
    # The model phase (after 20 startup trials) also visits more than one kernel and tracks the
    # branch-specific nodes: coef0 sampled under both branches that carry it.
    late = configs[20:]
    assert {"poly", "sigmoid"} <= {c["kernel"] for c in configs if "coef0" in c}
    assert len({c["kernel"] for c in late}) >= 2
    assert [t.info["model"] for t in trials] == ["prior"] * 20 + ["tpe"] * 60
    # The model favours the best branch once it has data.
    assert sum(c["kernel"] == "poly" for c in late) > len(late) / 3


def test_lenet_space_dependent_bound_always_holds():
    space = lenet_space()
    opt = TPE(space, seed=1)
    configs = [t.config for t in drive(opt, lenet_loss, 80)]
    for c in configs:
        assert isinstance(c["batch_size"], int) and isinstance(c["k1"], int) and isinstance(c["k2"], int)
        assert 10 <= c["batch_size"] <= 1000 and 10 <= c["k2"] <= 60 and 5 <= c["k1"] <= c["k2"]
        assert 1e-3 <= c["lr"] <= 1e-1
    # The fraction reaches both ends of [5, k2].
    assert any(c["k1"] == 5 for c in configs)
    assert any(c["k1"] == c["k2"] for c in configs)
    assert opt.labels[("k1", ())] == "k1"
    assert all(0.0 <= d["misc"]["vals"]["k1"][0] <= 1.0 for d in opt.trials.trials)


def test_small_int_ranges_stay_in_bounds_and_cover_every_value():
    space = Space([Int("a", 0, 2), Int("b", 1, 3, log=True), Int("c", 7, 7), Int("d", -3, 3, condition=None)])
    opt = TPE(space, seed=2)
    configs = [t.config for t in drive(opt, lambda c: (c["a"] - 1) ** 2 + c["b"] + abs(c["d"]), 60)]
    assert {c["a"] for c in configs} == {0, 1, 2}
    assert {c["b"] for c in configs} == {1, 2, 3}
    assert {c["c"] for c in configs} == {7}
    assert {c["d"] for c in configs} == set(range(-3, 4))


def test_nested_and_numeric_parent_conditions():
    space = Space(
        [
            Categorical("opt", ["sgd", "adam"]),
            Categorical("schedule", ["const", "step"], condition=("opt", ["sgd", "adam"])),
            Float("step_size", 1.0, 10.0, condition=("schedule", ["step"])),
            Int("layers", 1, 3),
            Float("width2", 0.0, 1.0, condition=("layers", [2, 3])),
        ]
    )
    opt = TPE(space, seed=3)
    assert opt.labels[("step_size", (("opt", 1), ("schedule", 1)))] == "step_size[opt=adam][schedule=step]"
    assert opt.labels[("width2", ())] == "width2"  # numeric parent: sampled always, dropped when inactive
    configs = [t.config for t in drive(opt, lambda c: c.get("step_size", 5.0) / 10 + c["layers"], 50)]
    assert {(c["opt"], c["schedule"]) for c in configs} == {(o, s) for o in ("sgd", "adam") for s in ("const", "step")}
    assert all(("width2" in c) == (c["layers"] >= 2) for c in configs)
    assert all(("step_size" in c) == (c["schedule"] == "step") for c in configs)


# ------------------------------------------------------------------------ hyperopt fidelity


def _flatten(space: Space, sample: dict) -> dict:
    """Independent decoder of fmin's evaluated (nested) sample into an hpobench config."""
    config: dict = {}

    def visit(d: dict) -> None:
        for name, v in d.items():
            if name == "__index__":
                continue
            p = space[name]
            if isinstance(p, Categorical):
                idx = v["__index__"] if isinstance(v, dict) else v
                config[name] = p.choices[idx]
                if isinstance(v, dict):
                    visit(v)
            elif isinstance(p, Int):
                config[name] = int(round(v))
            else:
                config[name] = float(v)

    visit(sample)
    return {n: config[n] for n in space.names if n in config}


@pytest.mark.parametrize("space_fn,loss_fn,seed", [(kernel_space, kernel_loss, 4), (lenet_space, lenet_loss, 5)])
def test_same_proposals_as_hyperopt_fmin(space_fn, loss_fn, seed):
    """Driven serially, ask/tell reproduces fmin(algo=tpe.suggest) with the same rstate seed."""
    space = space_fn()
    opt = TPE(space, seed=seed)
    ours = [t.config for t in drive(opt, loss_fn, 35)]

    seen = []

    def objective(sample):
        if space.has_dependent_bounds:  # k1 is a fraction: decode with the optimizer's mapping
            config = opt.decode_vals({k: [v] for k, v in sample.items()})
        else:
            config = _flatten(space, sample)
        seen.append(config)
        return loss_fn(config)

    trials = Trials()
    fmin(objective, opt.expr, algo=hyperopt_tpe.suggest, max_evals=35, trials=trials,
         rstate=np.random.default_rng(seed), show_progressbar=False)
    assert seen == ours
    # Same sampled values label by label, not only the same decoded configurations.
    for mine, theirs in zip(opt.trials.trials, trials.trials):
        assert {k: [float(x) for x in v] for k, v in mine["misc"]["vals"].items()} == {
            k: [float(x) for x in v] for k, v in theirs["misc"]["vals"].items()
        }


def test_trials_match_what_was_told():
    space = lenet_space()
    opt = TPE(space, seed=6, n_startup_jobs=5)
    losses = [0.5, math.nan, 2.0, math.inf, -1.0, 0.25, -math.inf, 3.0]
    for loss in losses:
        t = opt.ask()
        opt.tell(t, Result(loss=loss))
    docs = opt.trials.trials
    assert [d["tid"] for d in docs] == list(range(len(losses)))
    for d, loss in zip(docs, losses):
        assert d["state"] == JOB_STATE_DONE
        if math.isfinite(loss):
            assert d["result"] == {"loss": loss, "status": STATUS_OK}
        else:
            assert d["result"] == {"status": STATUS_FAIL}  # tpe.suggest reads it as loss = inf
    assert opt.trials.losses() == [loss if math.isfinite(loss) else None for loss in losses]
    # The decoded config of every doc is the config the trial carried.
    assert [opt.decode_vals(d["misc"]["vals"]) for d in docs] == [t.config for t, _ in opt.history]


def test_several_asks_before_tells_are_pending_and_distinct():
    space = lenet_space()
    opt = TPE(space, seed=7)
    first = [opt.ask() for _ in range(5)]
    assert len({json.dumps(t.config, sort_keys=True) for t in first}) == 5
    assert [d["state"] for d in opt.trials.trials] == [JOB_STATE_RUNNING] * 5
    assert all(d["result"]["status"] == "new" for d in opt.trials.trials)
    for t in reversed(first):
        opt.tell(t, Result(loss=lenet_loss(t.config)))
    drive(opt, lenet_loss, 20)
    # Model phase: a batch of 6 asks; each sees the earlier pending ones (as infinite-loss
    # observations in g(x)), so the batch is not one point repeated.
    batch = [opt.ask() for _ in range(6)]
    assert all(t.info["model"] == "tpe" for t in batch)
    assert len({json.dumps(t.config, sort_keys=True) for t in batch}) == 6
    assert sum(d["state"] == JOB_STATE_RUNNING for d in opt.trials.trials) == 6
    for t in batch[::2] + batch[1::2]:
        opt.tell(t, Result(loss=lenet_loss(t.config)))
    assert all(d["state"] == JOB_STATE_DONE for d in opt.trials.trials)
    assert len(opt.trials.trials) == 31


def test_options_and_validation():
    space = lenet_space()
    opt = TPE(space, seed=0, gamma=0.5, n_startup_jobs=3, n_ei_candidates=7, prior_weight=2.0)
    assert opt._suggest.keywords == {
        "gamma": 0.5, "n_startup_jobs": 3, "n_EI_candidates": 7, "prior_weight": 2.0, "verbose": False,
    }
    assert [t.info["model"] for t in drive(opt, lenet_loss, 5)] == ["prior"] * 3 + ["tpe"] * 2
    default = TPE(space, seed=0)
    assert (default.gamma, default.n_startup_jobs, default.n_ei_candidates, default.prior_weight) == (0.25, 20, 24, 1.0)
    assert TPE.capabilities.as_dict() == {
        "conditional": True, "dependent_bounds": True, "multi_fidelity": False, "batch": True, "owns_loop": False, "resumable": True,
    }
    for bad in ({"gamma": 0.0}, {"gamma": 1.5}, {"n_startup_jobs": 0}, {"n_ei_candidates": 0}, {"prior_weight": 0.0}):
        with pytest.raises(ValueError):
            TPE(space, **bad)
    with pytest.raises(TypeError):
        TPE(space, n_EI_candidates=3)


def test_n_ei_candidates_reaches_hyperopt():
    # One candidate means no selection: the proposal is a draw from l(x). The sequences differ
    # from the 24-candidate default after the startup trials, and only then.
    space = Space([Float("x", -5.0, 5.0)])
    a = [t.config["x"] for t in drive(TPE(space, seed=8, n_startup_jobs=5), lambda c: c["x"] ** 2, 10)]
    b = [t.config["x"] for t in drive(TPE(space, seed=8, n_startup_jobs=5, n_ei_candidates=1), lambda c: c["x"] ** 2, 10)]
    assert a[:5] == b[:5] and a[5:] != b[5:]


# ------------------------------------------------------------------------------- behaviour


def test_proposals_concentrate_near_the_minimum():
    """1-D quadratic: after startup, TPE's proposals 30-59 are clearly closer to the minimum
    than random draws (10 seeds pooled). Measured: TPE 2.00, random search with the same seeds
    2.60, uniform expectation 2.67; flipping the loss sign gives about 3.4."""
    space = Space([Float("x", -5.0, 5.0)])
    x_star = 1.3
    tpe_d, rnd_d = [], []
    for seed in range(10):
        opt = TPE(space, seed=seed)
        xs = [t.config["x"] for t in drive(opt, lambda c: (c["x"] - x_star) ** 2, 60)]
        tpe_d += [abs(x - x_star) for x in xs[30:60]]
        rs = RandomSearch(space, seed=seed)
        rnd_d += [abs(rs.ask().config["x"] - x_star) for _ in range(60)][30:60]
    uniform_mean = ((5 + x_star) ** 2 + (5 - x_star) ** 2) / 2 / 10  # E|U - x*|, U ~ U(-5, 5)
    assert np.mean(tpe_d) < 0.85 * np.mean(rnd_d)
    assert np.mean(tpe_d) < 0.85 * uniform_mean


def test_reproducible_in_another_process():
    space_code = (
        "from hpobench.space import Space, Float, Int, Categorical\n"
        "space = Space([Categorical('kernel', ['rbf', 'poly', 'sigmoid']), Float('C', 1e-3, 1e5, log=True),"
        " Int('degree', 2, 5, condition=('kernel', ['poly'])), Float('coef0', -1, 1, condition=('kernel', ['poly', 'sigmoid'])),"
        " Int('k2', 10, 60), Int('k1', 5, 'k2')])\n"
    )
    body = (
        "import json, math\n"
        "from hpobench.optimizers.tpe import TPE\n"
        "from hpobench.benchmarks.base import Result\n"
        "opt = TPE(space, seed=9, n_startup_jobs=8)\n"
        "out = []\n"
        "for i in range(24):\n"
        "    t = opt.ask(); out.append(t.config)\n"
        "    opt.tell(t, Result(loss=math.log10(t.config['C']) + t.config.get('coef0', 0.5) + t.config['k1'] / 60))\n"
        "print(json.dumps(out))\n"
    )
    here: dict = {}
    exec(space_code + body.replace("print(json.dumps(out))", "result = json.dumps(out)"), here)
    proc = subprocess.run([sys.executable, "-c", space_code + body], capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "PYTHONHASHSEED": "4321"})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == json.loads(here["result"])


def test_conformance_suite():
    report = check_optimizer(TPE)
    assert report.failed == [] and report.skipped == []


# --------------------------------------------------------------------------------- quality

SEEDS = range(10)
N_EVALS = 50


@pytest.fixture(scope="module")
def final_regrets():
    """Final simple regret of TPE and random search, 10 seeds x 50 evaluations, via the runner."""
    out = {}
    for bench_cls in (Branin, Hartmann6):
        bench = bench_cls()
        for name, cls in (("tpe", TPE), ("random", RandomSearch)):
            regrets = []
            for seed in SEEDS:
                res = run(bench, cls(bench.space, seed=seed), str(N_EVALS), seed=seed)
                assert len(res.records) == N_EVALS
                regrets.append(min(r["loss"] for r in res.records) - bench.optimum)
            out[bench.name, name] = np.array(regrets)
    return out


@pytest.mark.parametrize("bench", ["branin", "hartmann6"])
def test_tpe_beats_random_search(final_regrets, bench):
    """Done-when of issue 3. Measured medians (seeds 0-9): Branin TPE 0.60 vs random 0.84;
    Hartmann6 TPE 1.32 vs random 1.53."""
    tpe, rnd = final_regrets[bench, "tpe"], final_regrets[bench, "random"]
    assert np.all(tpe >= -1e-9) and np.all(rnd >= -1e-9)
    assert np.median(tpe) < np.median(rnd)
