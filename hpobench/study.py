"""A whole study: benchmarks x optimizers x seeds under one budget, as ``compare`` runs it.

:class:`Study` is the library form of ``python -m hpobench compare``; the CLI only parses its
arguments into one, prints what it reports and writes nothing itself. From a notebook:

    >>> from hpobench.study import Study
    >>> study = Study(["branin"], ["random", "tpe"], seeds=2, budget="10", out=tmp)  # doctest: +SKIP
    >>> study.check()            # bad input raises StudyError before anything is written
    >>> study.run(workers=2)     # or scheduler="tcp://host:8786"; None: in this process
    >>> study.summary().table["branin"]["tpe"]["median_final_regret"]
    >>> study.write_outputs()    # plots and summary.json under out

Options reach benchmarks and optimizers as dicts: a bare key goes to every one, and
``"hyperband.eta"`` to the one named before the dot (which must be in the study).
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from .analysis import StudySummary, summarize
from .benchmarks import UnknownNameError
from .optimizers import get_optimizer_class, optimizer_names
from .parallel import Job, JobResult, preflight, run_jobs
from .runner import Budget, parse_budget
from .storage import StudyLock, safe_path, write_json

#: What ``compare`` runs with no arguments: cheap synthetic benchmarks (one multi-fidelity, so
#: Hyperband runs beside the others) and the LeNet learning-curve surrogate (fitted on real
#: LeNet-on-digits curves, so Hyperband and the model-based methods meet on a realistic
#: landscape in seconds; its fidelity is in surrogates/README.md), a budget in multiples of R so
#: every method shares one axis. Sized to finish in about 2 minutes on 2 cores.
DEFAULT_BENCHMARKS = ("branin", "hartmann6", "mf-hartmann6", "lenet-digits-surrogate")
DEFAULT_SEEDS = 5
DEFAULT_BUDGET = "30R"
#: Registered optimizers left out of the default study: variants of others that add nothing
#: on its scale (gp-ml of gp; sh is bracket-s4 with the default settings; hyperband-async of
#: asha), and smac-early, whose learning-curve MCMC (about 0.5 s per stop decision) alone would
#: take longer than the rest of the study.
DEFAULT_EXCLUDE = ("gp-ml", "sh", "hyperband-async", "smac-early")
#: The optimizer every table's p-value is computed against.
DEFAULT_BASELINE = "random"


class StudyError(ValueError):
    """A study that cannot run as asked (bad names, options, seeds or output directory)."""


def default_optimizers() -> list[str]:
    """The default study's optimizers: every registered one of this package but
    :data:`DEFAULT_EXCLUDE` and other libraries' optimizers (those whose class names a
    ``peer_library``)."""
    return [
        n for n in optimizer_names(include_plugins=False)
        if n not in DEFAULT_EXCLUDE and not getattr(get_optimizer_class(n), "peer_library", "")
    ]


def route_options(options: dict[str, Any], name: str) -> dict[str, Any]:
    """The options meant for ``name``: bare keys, and ``name.key`` with the prefix removed."""
    out = {}
    for key, value in options.items():
        target, dot, bare = key.rpartition(".")
        if not dot:
            out[key] = value
        elif target == name:
            out[bare] = value
    return out


def _check_targets(options: dict[str, Any], names: Sequence[str], what: str) -> None:
    """A ``target.key`` option whose target is not in the study is a typo, not a no-op."""
    for key in options:
        target, dot, _ = key.rpartition(".")
        if dot and target not in names:
            raise StudyError(f"{what} option {key!r} targets {target!r}, which is not in this study ({', '.join(names)})")


@dataclass
class Pair:
    """One (benchmark, optimizer) cell of the study, with the options each receives."""

    benchmark: str
    optimizer: str
    benchmark_options: dict
    optimizer_options: dict
    #: why the optimizer cannot run on the benchmark (the pair is skipped), or None
    skip_reason: str | None = None
    #: the optimizer's own description of what it will run (Hyperband's brackets), or None
    plan: str | None = None


@dataclass
class Study:
    """Benchmarks x optimizers x seeds under one budget, logged under ``out``.

    Args:
        benchmarks: benchmark names (registered, entry-point or ``module:Class``); None: the
            default study's.
        optimizers: optimizer names; None: every registered one but :data:`DEFAULT_EXCLUDE`.
        seeds: N (seeds 0..N-1) or an explicit list of seeds.
        budget: ``"50"`` evaluations, ``"10R"`` multiples of R or ``"300s"``, for every run.
        out: the study directory (one log and manifest per run).
        benchmark_options, optimizer_options: ``{key: value}``; ``"name.key"`` targets one.
        resume: continue existing logs instead of refusing to touch them.
        incumbent: ``"any-budget"`` or ``"max-budget"`` (only evaluations at R count).
        baseline: the optimizer the tables' p-values compare against.
        parallel_evals: evaluations in flight inside each run (K); simulated workers on
            benchmarks whose cost is a model, worker processes or cluster tasks otherwise.
        eval_timeout: seconds after which an evaluation is a ``timeout`` trial.
        data_dir: where MNIST, CIFAR-10 and SVHN files are, for the benchmarks that read files
            (default: ``$HPOBENCH_DATA_DIR``).
        instances: N: seed k runs on instance ``k mod N`` of each benchmark (a seeded shift of
            the optimum, COCO-style; synthetic benchmarks), so the study averages over
            instances; None: the textbook functions.
    """

    benchmarks: Sequence[str] | None = None
    optimizers: Sequence[str] | None = None
    seeds: int | Sequence[int] = DEFAULT_SEEDS
    budget: str | Budget = DEFAULT_BUDGET
    out: str | os.PathLike = "runs/study"
    benchmark_options: dict = field(default_factory=dict)
    optimizer_options: dict = field(default_factory=dict)
    resume: bool = False
    incumbent: str = "any-budget"
    baseline: str = DEFAULT_BASELINE
    parallel_evals: int = 1
    eval_timeout: float | None = None
    data_dir: str | os.PathLike | None = None
    instances: int | None = None
    _pairs: list[Pair] | None = field(default=None, init=False, repr=False)
    _lock: StudyLock | None = field(default=None, init=False, repr=False)

    def __post_init__(self):
        self.benchmarks = list(self.benchmarks) if self.benchmarks else list(DEFAULT_BENCHMARKS)
        self.optimizers = list(self.optimizers) if self.optimizers else default_optimizers()
        for what, names in (("benchmark", self.benchmarks), ("optimizer", self.optimizers)):
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise StudyError(f"{what} {', '.join(map(repr, dupes))} named twice; name each {what} once")
        if isinstance(self.seeds, bool) or not isinstance(self.seeds, (int, list, tuple, range)):
            raise StudyError(f"seeds must be a number N (seeds 0..N-1) or a list of seeds, got {self.seeds!r}")
        if isinstance(self.seeds, int):
            if self.seeds < 1:
                raise StudyError(f"seeds must be >= 1 (runs seeds 0..N-1), got {self.seeds}")
            self.seed_list = list(range(self.seeds))
        else:
            self.seed_list = [int(s) for s in self.seeds]
            if not self.seed_list or any(s < 0 for s in self.seed_list) or len(set(self.seed_list)) != len(self.seed_list):
                raise StudyError(f"seeds must be distinct non-negative integers, got {list(self.seeds)!r}")
        self.budget = parse_budget(self.budget)
        if isinstance(self.parallel_evals, bool) or not isinstance(self.parallel_evals, int) or self.parallel_evals < 1:
            raise StudyError(f"parallel evaluations must be a whole number >= 1, got {self.parallel_evals!r}")
        if self.eval_timeout is not None and not (isinstance(self.eval_timeout, (int, float)) and self.eval_timeout > 0):
            raise StudyError(f"evaluation timeout must be a positive number of seconds, got {self.eval_timeout!r}")
        if self.instances is not None and (isinstance(self.instances, bool) or not isinstance(self.instances, int) or self.instances < 1):
            raise StudyError(f"instances must be a whole number >= 1, got {self.instances!r}")
        if self.instances is not None and any(k.rpartition(".")[2] == "instance" for k in self.benchmark_options):
            raise StudyError("give instances or an 'instance' benchmark option, not both")
        if self.incumbent not in ("any-budget", "max-budget"):
            raise StudyError(f"incumbent {self.incumbent!r} is not understood; use any-budget or max-budget")
        self.out = Path(self.out)
        _check_targets(self.benchmark_options, self.benchmarks, "benchmark")
        _check_targets(self.optimizer_options, self.optimizers, "optimizer")

    @classmethod
    def from_directory(cls, out: str | os.PathLike) -> "Study":
        """The study whose logs are in ``out``, rebuilt from their manifests (every run's
        benchmark, optimizer, options, seed and budget), e.g. to reprint its tables.

        Raises:
            StudyError: no logs there, or logs of different budgets (not one study).
        """
        from .storage import iter_logs, read_manifest

        benchmarks: list[str] = []
        optimizers: list[str] = []
        seeds: set[int] = set()
        budgets: set[str] = set()
        instanced = False
        bopts: dict = {}
        oopts: dict = {}
        for bench, opt, seed, path in iter_logs(out):
            manifest = read_manifest(path) or {}
            benchmarks += [bench] if bench not in benchmarks else []
            optimizers += [opt] if opt not in optimizers else []
            seeds.add(seed)
            budgets.add(str(manifest.get("budget")))
            options = dict(manifest.get("benchmark_options") or {})
            instanced |= options.pop("instance", None) is not None and seed > 0
            bopts.update({f"{bench}.{k}": v for k, v in options.items()})
            oopts.update({f"{opt}.{k}": v for k, v in (manifest.get("optimizer_options") or {}).items()})
        if not benchmarks:
            raise StudyError(f"{out} holds no result logs (<benchmark>/<optimizer>/seed-<k>.jsonl); give a study directory")
        if len(budgets) != 1:
            raise StudyError(f"{out} holds runs with different budgets ({', '.join(sorted(budgets))}); it is not one study")
        parallel = {int((read_manifest(path) or {}).get("parallel_evals") or 1) for *_, path in iter_logs(out)}
        instances = max(seeds) + 1 if instanced else None  # written by compare --instances N (seed k on instance k)
        return cls(benchmarks, optimizers, sorted(seeds), budgets.pop(), out, bopts, oopts, resume=True, parallel_evals=max(parallel),
                   instances=instances)

    # ------------------------------------------------------------------------------- planning
    def pairs(self) -> list[Pair]:
        """Every (benchmark, optimizer) pair, each built once to catch bad names and options;
        pairs that cannot run carry their :attr:`Pair.skip_reason`."""
        if self._pairs is None:
            pairs = []
            for bname in self.benchmarks:
                bopts = route_options(self.benchmark_options, bname)
                bench = build_benchmark(bname, bopts, self.data_dir)
                try:
                    if self.instances is not None and not hasattr(bench, "instance"):
                        raise StudyError(f"benchmark {bname!r} has no instances (the synthetic functions have); drop --instances or the benchmark")
                    bench.check_available()  # a missing package or data file: one line, before anything runs
                    pairs += [self._pair(bench, bname, bopts, oname) for oname in self.optimizers]
                finally:
                    bench.close()
            self._pairs = pairs
        return self._pairs

    def _pair(self, bench, bname: str, bopts: dict, oname: str) -> Pair:
        oopts = route_options(self.optimizer_options, oname)
        pair = Pair(bname, oname, bopts, oopts)
        cls = get_optimizer_class(oname)
        pair.skip_reason = cls.capabilities.why_not(bench.space, bench.fidelity)
        if pair.skip_reason is None:
            try:
                opt = cls(bench.space, seed=0, fidelity=bench.fidelity, **oopts)
            except ImportError as exc:  # another library's optimizer that is not installed
                raise StudyError(str(exc)) from None
            except TypeError as exc:
                raise StudyError(f"optimizer {oname!r} does not take these options: {exc}") from None
            except ValueError as exc:
                raise StudyError(f"optimizer {oname!r}: {exc}") from None
            pair.plan = opt.describe_plan()
        return pair

    def skipped(self) -> list[Pair]:
        """Pairs that cannot run, with the reason."""
        return [p for p in self.pairs() if p.skip_reason is not None]

    def jobs(self, threads: int | None = None) -> list[Job]:
        """One :class:`~hpobench.parallel.Job` per runnable pair and seed, in a fixed order.

        Args:
            threads: torch/BLAS threads per job (1 when several jobs share the machine).
        """
        from .benchmarks import registered_in_code as benchmark_in_code
        from .optimizers import registered_in_code as optimizer_in_code

        def options(p: Pair, seed: int) -> dict:
            return p.benchmark_options if self.instances is None else {**p.benchmark_options, "instance": seed % self.instances}

        return [
            Job(
                p.benchmark, p.optimizer, seed, self.budget.text, str(self.out), self.resume, options(p, seed), p.optimizer_options, threads,
                benchmark_factory=benchmark_in_code(p.benchmark), optimizer_class=optimizer_in_code(p.optimizer),
                parallel_evals=self.parallel_evals, eval_timeout=self.eval_timeout,
                data_dir=None if self.data_dir is None else str(self.data_dir),
            )
            for p in self.pairs()
            if p.skip_reason is None
            for seed in self.seed_list
        ]

    def check(self) -> None:
        """Refuse a study that cannot run, before anything is written: no runnable pair, an
        output directory that cannot be written, or logs that exist (without ``resume``), belong
        to other settings, are damaged or do not replay."""
        jobs = self.jobs()
        if not jobs:
            raise StudyError("no (benchmark, optimizer) pair can run; see the skipping messages above")
        check_writable(self.out)
        preflight(jobs)

    # -------------------------------------------------------------------------------- running
    def run(
        self,
        workers: int | None = None,
        scheduler: str | None = None,
        progress: Callable[[JobResult], None] | None = None,
        on_record: Callable[[dict], None] | None = None,
    ) -> list[JobResult]:
        """Run every job (in this process, on ``workers`` local processes, or on the Dask
        cluster at ``scheduler``) and return their results in job order.

        ``progress`` is called with each finished job, ``on_record`` with each new evaluation
        (where runs are driven from this process). Every finished evaluation is on disk as it
        finishes, so an interrupted study continues with ``resume=True``.
        """
        threads = 1 if (workers or 0) > 1 or scheduler else None
        with self.locked():
            t0 = time.perf_counter()
            results = run_jobs(self.jobs(threads), workers=workers, scheduler=scheduler, on_done=progress, on_record=on_record)
            self.wall_seconds = time.perf_counter() - t0
        return results

    @contextlib.contextmanager
    def locked(self, workers: int | None = None, scheduler: str | None = None):
        """Check the study, create its directory and hold its lock for the ``with`` block.

        One process per study directory: a second process (say a second ``compare --resume``)
        is refused with :class:`~hpobench.storage.StudyLockedError` before it replays or appends
        anything. Re-entrant within this study object.
        """
        if self._lock is not None:
            yield self
            return
        self.check()
        self.check_execution(workers, scheduler)
        make_dir(self.out)
        self._lock = StudyLock(self.out).acquire()
        try:
            yield self
        finally:
            self._lock.release()
            self._lock = None

    def check_execution(self, workers: int | None = None, scheduler: str | None = None) -> None:
        """Refuse a bad worker count, both a local cluster and a scheduler, or an unreachable
        scheduler, before anything is written."""
        if workers is not None and workers < 1:
            raise StudyError(f"workers must be >= 1, got {workers}")
        if workers is not None and scheduler is not None:
            raise StudyError("give workers (a local cluster) or a scheduler (an existing one), not both")
        if scheduler is not None:
            from .parallel import connect

            connect(scheduler).close()

    # ------------------------------------------------------------------------------ reporting
    def summary(self) -> StudySummary:
        """The numbers ``compare`` prints, over exactly this study's runs (other logs that share
        the directory are ignored)."""
        runs = [(j.benchmark, j.optimizer, j.seed, j.log) for j in self.jobs() if j.log.exists()]
        return summarize(runs, at_max_only=self.incumbent == "max-budget", baseline=self.baseline)

    def write_outputs(self, summary: StudySummary | None = None) -> dict:
        """Write one incumbent plot per benchmark, ``summary.json`` and the HTML report
        ``report.html``; return the JSON payload (``{"out", "benchmarks": {B: {O: {...}}},
        "plots"}``; the report's path under ``"report"``)."""
        from .plotting import incumbent_plot

        summary = summary or self.summary()
        payload: dict = {"out": str(self.out), "study": self.describe(), "benchmarks": {}, "plots": {}}
        if getattr(self, "wall_seconds", None) is not None:
            payload["wall_seconds"] = self.wall_seconds
        for bname in self.benchmarks:
            if bname not in summary.table:
                continue
            title = f"{bname} ({self.budget.text}, {len(self.seed_list)} seeds)"
            xlabel = None if summary.max_budget.get(bname) is not None else "Evaluations (as charged)"
            png = incumbent_plot(summary.traces[bname], summary.axis[bname], summary.optimum[bname], title, figure_path(self.out, bname), xlabel=xlabel)
            payload["plots"][bname] = str(png)
            payload["benchmarks"][bname] = {o: {k: row[k] for k in SUMMARY_KEYS} for o, row in summary.table[bname].items()}
        write_json(self.out / "summary.json", payload)
        from .report import build_report

        payload["report"] = str(build_report([self.out], safe_path(self.out, "report.html"), baseline=self.baseline,
                                             at_max_only=self.incumbent == "max-budget"))
        return payload

    def describe(self) -> dict:
        """The study's settings, as recorded in ``summary.json``."""
        return {
            "benchmarks": list(self.benchmarks),
            "optimizers": list(self.optimizers),
            "seeds": list(self.seed_list),
            "budget": self.budget.text,
            "benchmark_options": dict(self.benchmark_options),
            "optimizer_options": dict(self.optimizer_options),
            "incumbent": self.incumbent,
            "baseline": self.baseline,
            "parallel_evals": self.parallel_evals,
            "eval_timeout": self.eval_timeout,
            "instances": self.instances,
        }


#: The per-optimizer numbers of ``summary.json`` and ``compare --json``.
SUMMARY_KEYS = (
    "median_final_regret",
    "median_final_loss",
    "median_final_test",
    "mean_rank",
    "optimizer_ms_per_eval",
    "p_value_vs_baseline",
    "n_runs",
    "n_failed",
)


def build_benchmark(name: str, options: dict, data_dir=None):
    """Build a benchmark, turning bad options into one :class:`StudyError` line; ``data_dir``
    goes to benchmarks that read data files (``accepts_data_dir``)."""
    from .benchmarks import get_benchmark_factory

    try:
        factory = get_benchmark_factory(name)
        if data_dir is not None and getattr(factory, "accepts_data_dir", False):
            options = {**options, "data_dir": str(data_dir)}
        return factory(**options)
    except UnknownNameError:
        raise
    except TypeError as exc:
        raise StudyError(f"benchmark {name!r} does not take these options: {exc}") from None
    except (ValueError, FileNotFoundError) as exc:
        raise StudyError(f"benchmark {name!r}: {exc}") from None


def check_writable(out: Path) -> None:
    """Refuse an output directory that cannot be created or written, before anything runs."""
    probe = Path(out)
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise StudyError(f"output directory {out}: {probe} is a file, not a directory; give a directory path")
    if probe.exists() and not os.access(probe, os.W_OK | os.X_OK):
        raise StudyError(f"output directory {out}: {probe} is not writable; give a directory you can write to")


def make_dir(out: Path) -> None:
    """Create the output directory and prove it writable."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        test = out / f".write-test-{os.getpid()}"
        test.write_bytes(b"")
        test.unlink()
    except OSError as exc:
        raise StudyError(f"output directory {out} is not writable ({exc.strerror}); give a directory you can write to") from None


def figure_path(out: Path, benchmark: str, suffix: str = ".png") -> Path:
    """Where a benchmark's figure goes: under ``out``, from a sanitized name."""
    return safe_path(out, f"{benchmark}{suffix}")


def format_value(x: Any, digits: int = 3) -> str:
    """A table cell: ``-`` for missing or NaN, ``digits`` significant digits for floats."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return str(x)


__all__ = [
    "DEFAULT_BENCHMARKS",
    "DEFAULT_BUDGET",
    "DEFAULT_SEEDS",
    "Pair",
    "Study",
    "StudyError",
    "default_optimizers",
    "route_options",
]
