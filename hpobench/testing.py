"""The conformance suite every optimizer meets, built-in or third-party.

Like scikit-learn's ``check_estimator``: one call tells a contributor whether a new class keeps
the ask/tell contract.

    >>> from hpobench.testing import check_optimizer
    >>> from hpobench.optimizers.random_search import RandomSearch
    >>> report = check_optimizer(RandomSearch)
    >>> report.failed
    []

Checks that a class's :class:`~hpobench.optimizers.base.Capabilities` exclude (conditional
spaces, dependent bounds, several asks before tells) are skipped and listed in
``report.skipped``. Each check raises :class:`AssertionError` with a sentence saying what broke;
``check_optimizer`` collects them and raises once at the end (``raise_on_failure=True``).

For pytest, :func:`conformance_checks` yields ``(name, function)`` pairs to parametrize over.
"""

from __future__ import annotations

import base64
import json
import math
import pickle
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import numpy as np

from .benchmarks.base import Fidelity, Result
from .benchmarks.spaces import kernel_ls_space, lenet_space
from .optimizers.base import Optimizer, Trial
from .space import Categorical, Float, Int, Space

# ------------------------------------------------------------------------------------- spaces


def mixed_space() -> Space:
    """Floats and ints on linear and log scales, and a categorical."""
    return Space(
        [
            Float("x", -2.0, 3.0),
            Float("lr", 1e-4, 1e-1, log=True),
            Int("n", 1, 9),
            Int("batch", 8, 512, log=True),
            Categorical("act", ["relu", "tanh", "sigmoid"]),
        ]
    )


def conditional_space() -> Space:
    """The paper's kernel space (Table 4): ``degree`` only for poly, ``coef0`` for poly and sigmoid."""
    return kernel_ls_space()


def dependent_space() -> Space:
    """The paper's LeNet space (Table 2): ``k1`` in ``[5, k2]``."""
    return lenet_space()


FIDELITY = Fidelity("budget", 1.0, 27.0, "units")


def objective(space: Space, config: dict, budget: float | None = None) -> float:
    """A deterministic test objective: squared distance of the encoding to a fixed point, made
    noisier at low budgets (so multi-fidelity optimizers see a budget effect)."""
    u = space.encode(config)
    target = np.linspace(0.2, 0.8, len(u))
    loss = float(np.sum((u - target) ** 2))
    if budget is not None:
        loss += 0.5 * (1.0 - budget / FIDELITY.max) * math.sin(7.0 * float(np.sum(u)))
    return loss


def kernel_objective(config: dict) -> float:
    """A deterministic loss on :func:`conditional_space` whose every branch is plausible: it
    prefers the poly kernel with a small ``coef0``, degree 3, C near 10 and gamma near 0.01, so a
    model-based optimizer should concentrate there (used by the optimizers' own tests)."""
    loss = (math.log10(config["C"]) - 1.0) ** 2 / 10 + (math.log10(config["gamma"]) + 2.0) ** 2 / 20
    loss += {"rbf": 0.3, "poly": 0.0, "sigmoid": 0.6}[config["kernel"]]
    if "coef0" in config:
        loss += 0.2 * config["coef0"] ** 2
    if "degree" in config:
        loss += 0.05 * (config["degree"] - 3) ** 2
    return loss


# ------------------------------------------------------------------------------------- driver


def _build(cls, space: Space, seed: int, fidelity: Fidelity | None, options: dict) -> Optimizer:
    return cls(space, seed=seed, fidelity=fidelity, **options)


def _fidelity_for(cls) -> Fidelity | None:
    return FIDELITY if cls.capabilities.multi_fidelity else None


def _check_trial(opt: Optimizer, trial: Trial, space: Space, fidelity: Fidelity | None) -> None:
    assert isinstance(trial, Trial), f"ask() returned {type(trial).__name__}, expected Trial or None"
    try:
        space.validate(trial.config)
    except Exception as exc:
        raise AssertionError(f"ask() proposed an invalid configuration {trial.config}: {exc}") from None
    if trial.budget is not None:
        assert fidelity is not None, f"trial {trial.id} asks for budget {trial.budget} but the benchmark has no fidelity"
        assert fidelity.min - 1e-9 <= trial.budget <= fidelity.max + 1e-9, (
            f"trial {trial.id} budget {trial.budget} is outside [{fidelity.min}, {fidelity.max}]"
        )


def drive(
    opt: Optimizer,
    space: Space,
    n: int,
    loss_fn: Callable[[Trial], float] | None = None,
    batch: int = 1,
    fidelity: Fidelity | None = None,
    rng: np.random.Generator | None = None,
) -> list[tuple[Trial, float]]:
    """Ask up to ``batch`` trials at a time, tell them all (in shuffled order if ``rng``), until
    ``n`` trials were told or the optimizer stops proposing. Returns (trial, loss) pairs."""
    loss_fn = loss_fn or (lambda t: objective(space, t.config, t.budget))
    done: list[tuple[Trial, float]] = []
    while len(done) < n:
        asked = []
        for _ in range(min(batch, n - len(done))):
            trial = opt.ask()
            if trial is None:
                break
            _check_trial(opt, trial, space, fidelity)
            asked.append(trial)
        if not asked:
            assert not opt.pending, "ask() returned None while trials are pending and nothing was asked: deadlock"
            break
        order = list(range(len(asked)))
        if rng is not None:
            rng.shuffle(order)
        for i in order:
            t = asked[i]
            loss = loss_fn(t)
            opt.tell(t, Result(loss=loss, cost=t.budget or 1.0))
            done.append((t, loss))
    return done


# ------------------------------------------------------------------------------------- checks


def check_types(cls, **options) -> None:
    """Floats, ints, log scales and categoricals: every proposal valid, every type exercised."""
    space = mixed_space()
    fid = _fidelity_for(cls)
    opt = _build(cls, space, 0, fid, options)
    done = drive(opt, space, 40, fidelity=fid)
    assert len(done) >= 10, f"only {len(done)} trials were proposed in a 40-trial run"
    configs = [t.config for t, _ in done]
    assert all(isinstance(c["n"], (int, np.integer)) and not isinstance(c["n"], bool) for c in configs), "Int values must be ints"
    assert len({c["act"] for c in configs}) >= 2, "a 3-way categorical took one value in 40 trials"
    ids = [t.id for t, _ in done]
    assert len(set(ids)) == len(ids), "trial ids repeat"
    # A configuration continued or re-run at a larger budget (Hyperband, ASHA) is not a duplicate.
    distinct = {json.dumps([t.config, t.budget], sort_keys=True) for t, _ in done}
    assert len(distinct) >= len(configs) // 2, "most proposals are duplicates"


def check_conditional(cls, **options) -> None:
    """Conditional parameters appear exactly when their condition holds."""
    space = conditional_space()
    fid = _fidelity_for(cls)
    opt = _build(cls, space, 1, fid, options)
    done = drive(opt, space, 40, fidelity=fid)
    kernels = {t.config["kernel"] for t, _ in done}
    assert len(kernels) >= 2, "the parent categorical took a single value in 40 trials"


def check_dependent_bounds(cls, **options) -> None:
    """A bound that names another parameter (k1 <= k2) always holds."""
    space = dependent_space()
    fid = _fidelity_for(cls)
    opt = _build(cls, space, 2, fid, options)
    done = drive(opt, space, 30, fidelity=fid)
    assert all(t.config["k1"] <= t.config["k2"] for t, _ in done), "k1 exceeded k2"


def check_failures(cls, **options) -> None:
    """NaN, inf and crashed evaluations (told as NaN) do not break the optimizer."""
    space = mixed_space()
    fid = _fidelity_for(cls)
    opt = _build(cls, space, 3, fid, options)
    bad = [math.nan, math.inf, -math.inf]

    def loss_fn(t: Trial) -> float:
        if t.id % 3 == 0:
            return bad[(t.id // 3) % 3]
        return objective(space, t.config, t.budget)

    done = drive(opt, space, 45, loss_fn=loss_fn, fidelity=fid)
    assert len(done) >= 10, f"only {len(done)} trials after failures"
    # A run where everything fails must not deadlock either.
    opt = _build(cls, space, 4, fid, options)
    done = drive(opt, space, 15, loss_fn=lambda t: math.nan, fidelity=fid)
    assert len(done) >= 5, "the optimizer stopped proposing after failed trials"


def check_batch(cls, **options) -> None:
    """Several asks before tells give valid trials with distinct ids; tells in any order work."""
    space = mixed_space()
    fid = _fidelity_for(cls)
    opt = _build(cls, space, 5, fid, options)
    done = drive(opt, space, 40, batch=5, fidelity=fid, rng=np.random.default_rng(0))
    assert len(done) >= 10, f"only {len(done)} trials in batches of 5"
    first = [t for t, _ in done[:5]]
    assert len({t.id for t in first}) == len(first)
    assert len({json.dumps(t.config, sort_keys=True) for t in first}) >= min(2, len(first)), "a batch repeats one configuration"


def check_protocol(cls, **options) -> None:
    """Telling an unknown or already-told trial raises ValueError."""
    space = mixed_space()
    fid = _fidelity_for(cls)
    opt = _build(cls, space, 6, fid, options)
    trial = opt.ask()
    assert trial is not None, "the first ask() returned None"
    opt.tell(trial, Result(loss=1.0))
    try:
        opt.tell(trial, Result(loss=1.0))
    except ValueError:
        pass
    else:
        raise AssertionError("telling the same trial twice did not raise ValueError")


def check_budgets(cls, **options) -> None:
    """Multi-fidelity optimizers keep budgets inside the fidelity; others ask for the maximum."""
    space = mixed_space()
    opt = _build(cls, space, 7, FIDELITY, options)
    done = drive(opt, space, 40, fidelity=FIDELITY)
    budgets = {t.budget for t, _ in done}
    if cls.capabilities.multi_fidelity:
        assert len(budgets) >= 2, f"a multi-fidelity optimizer used a single budget {budgets}"
    else:
        assert budgets <= {None, FIDELITY.max}, f"a single-fidelity optimizer asked for budgets {budgets}"


def _sequence(cls, seed: int, options: dict, n: int = 25) -> list:
    space = mixed_space()
    fid = _fidelity_for(cls)
    opt = _build(cls, space, seed, fid, options)
    return [[t.id, t.config, t.budget] for t, _ in drive(opt, space, n, fidelity=fid)]


def check_reproducible(cls, **options) -> None:
    """The same seed gives the same sequence; another seed a different one."""
    a, b = _sequence(cls, 11, options), _sequence(cls, 11, options)
    assert a == b, "two optimizers with the same seed proposed different sequences"
    c = _sequence(cls, 12, options)
    assert a != c, "seeds 11 and 12 proposed the same sequence"


_CHILD = r"""
import base64, json, pickle, sys
from hpobench.testing import _sequence
cls, options, seed = pickle.loads(base64.b64decode(sys.stdin.read()))
print(json.dumps(_sequence(cls, seed, options)))
"""


def _defined_in_main(cls) -> bool:
    """Whether ``cls`` (or a class it inherits from) lives in ``__main__``: a script run as
    ``python script.py``, which another process cannot import by name."""
    return any(getattr(c, "__module__", None) == "__main__" for c in getattr(cls, "__mro__", ()))


def _cloudpickle():
    try:
        import cloudpickle  # ships with dask; pickles classes by value
    except ImportError:
        return None
    return cloudpickle


def _pickle_class(obj) -> bytes:
    """Pickle by reference where another process can import the class, else by value with
    cloudpickle (classes defined in ``__main__``, in a function, or in a test module)."""
    cls, options = obj[0], obj[1]
    by_value = _defined_in_main(cls) or any(_defined_in_main(type(v)) for v in options.values())
    if not by_value:
        try:
            data = pickle.dumps(obj)
            pickle.loads(data)
            return data
        except Exception:
            pass
    return _cloudpickle().dumps(obj)


def _cross_process_skip(cls) -> str | None:
    """Why the cross-process check cannot run here (``None`` when it can)."""
    if _defined_in_main(cls) and _cloudpickle() is None:
        return "the class is defined in __main__ and cloudpickle (which sends it to another process by value) is not installed"
    return None


def check_reproducible_in_other_process(cls, **options) -> None:
    """A separate Python process with the same seed proposes the same sequence (no hash(),
    no global RNG, no dependence on object ids or dict order of sets)."""
    here = json.loads(json.dumps(_sequence(cls, 13, options)))
    payload = base64.b64encode(_pickle_class((cls, options, 13)))
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD],
        input=payload.decode(),
        capture_output=True,
        text=True,
        timeout=600,
        env=_child_env(),
    )
    assert proc.returncode == 0, f"the child process failed: {proc.stderr.strip().splitlines()[-1:]}"
    there = json.loads(proc.stdout.strip().splitlines()[-1])
    assert here == there, "another process with the same seed proposed a different sequence"


def _child_env() -> dict:
    import os

    env = dict(os.environ)
    # A different hash seed in the child exposes any use of hash() of strings.
    env["PYTHONHASHSEED"] = "12345" if env.get("PYTHONHASHSEED") != "12345" else "54321"
    env["PYTHONPATH"] = os.pathsep.join([p for p in sys.path if p] + [env.get("PYTHONPATH", "")])
    return env


def check_resume_by_replay(cls, **options) -> None:
    """A fresh optimizer that replays a run's first k results through ask/tell (as ``--resume``
    does) proposes exactly what the original proposed next."""
    space = mixed_space()
    fid = _fidelity_for(cls)
    original = _build(cls, space, 21, fid, options)
    full = drive(original, space, 30, fidelity=fid)
    k = len(full) // 2
    resumed = _build(cls, space, 21, fid, options)
    for trial, loss in full[:k]:
        again = resumed.ask()
        assert again is not None and again.config == trial.config and again.budget == trial.budget, (
            f"replay diverged at trial {trial.id}"
        )
        resumed.tell(again, Result(loss=loss, cost=trial.budget or 1.0))
    rest = drive(resumed, space, len(full) - k, fidelity=fid)
    assert [(t.config, t.budget) for t, _ in rest] == [(t.config, t.budget) for t, _ in full[k:]], (
        "after replay the optimizer proposed something other than the original run"
    )


@dataclass
class ConformanceReport:
    """Which checks passed, which were skipped (and why) and which failed (and why)."""

    cls: Any
    passed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{self.cls.__name__}: {len(self.passed)} passed, {len(self.failed)} failed, {len(self.skipped)} skipped"]
        lines += [f"  passed {n}" for n in self.passed]
        lines += [f"  FAILED {n}: {why}" for n, why in self.failed]
        lines += [f"  skipped {n}: {why}" for n, why in self.skipped]
        return "\n".join(lines)


_CHECKS: list[tuple[str, Callable, Callable[[Any], str | None]]] = [
    ("types", check_types, lambda c: None),
    ("conditional", check_conditional, lambda c: None if c.capabilities.conditional else "declares no conditional spaces"),
    ("dependent_bounds", check_dependent_bounds, lambda c: None if c.capabilities.dependent_bounds else "declares no dependent bounds"),
    ("failures", check_failures, lambda c: None),
    ("batch", check_batch, lambda c: None if c.capabilities.batch else "declares no batch asks"),
    ("protocol", check_protocol, lambda c: None),
    ("budgets", check_budgets, lambda c: None),
    ("reproducible", check_reproducible, lambda c: None),
    ("reproducible_in_other_process", check_reproducible_in_other_process, _cross_process_skip),
    ("resume_by_replay", check_resume_by_replay, lambda c: None),
]


def conformance_checks(cls) -> Iterator[tuple[str, Callable[..., None], str | None]]:
    """``(name, check, skip_reason)`` for every check (skip_reason None when it applies).

    Every check drives ask/tell, so an optimizer that runs its own loop
    (``capabilities.owns_loop``) skips them all; its runs are checked through the runner."""
    owns_loop = getattr(getattr(cls, "capabilities", None), "owns_loop", False)
    for name, fn, skip in _CHECKS:
        yield name, fn, ("runs its own loop instead of ask/tell (checked through the runner)" if owns_loop else skip(cls))


def check_optimizer(cls, raise_on_failure: bool = True, **options) -> ConformanceReport:
    """Run every applicable conformance check on optimizer class ``cls``.

    Args:
        cls: an :class:`~hpobench.optimizers.base.Optimizer` subclass.
        raise_on_failure: raise one AssertionError listing every failure (default).
        **options: passed to the constructor (e.g. smaller candidate sets to keep it quick).
    """
    if not (isinstance(cls, type) and issubclass(cls, Optimizer)):
        raise TypeError(f"{cls!r} is not a subclass of hpobench.optimizers.Optimizer")
    report = ConformanceReport(cls)
    for name, fn, skip in conformance_checks(cls):
        if skip:
            report.skipped.append((name, skip))
            continue
        try:
            fn(cls, **options)
        except AssertionError as exc:
            report.failed.append((name, str(exc)))
        except Exception as exc:  # a crash in the class under test is a failure too
            report.failed.append((name, f"{type(exc).__name__}: {exc}"))
        else:
            report.passed.append(name)
    if raise_on_failure and report.failed:
        raise AssertionError(str(report))
    return report
