"""The studies behind the paper's figures: what runs, where its logs live, how to rerun it."""

from __future__ import annotations

import gzip
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..runner import budget_used, parse_budget
from ..storage import LOG_SUFFIX, iter_logs, read_manifest, read_records

#: A finished run's log, packed: the same lines, gzipped (deterministically: no name, no time).
PACKED_SUFFIX = LOG_SUFFIX + ".gz"


class MissingResults(LookupError):
    """A figure's study has no logs in the results directory."""


@dataclass(frozen=True)
class PaperStudy:
    """The study behind a figure: what :class:`~hpobench.study.Study` runs, and where its logs
    live under the results directory."""

    directory: str
    benchmarks: tuple[str, ...]
    optimizers: tuple[str, ...]
    seeds: int
    budget: str
    optimizer_options: dict = field(default_factory=dict)
    benchmark_options: dict = field(default_factory=dict)

    def command(self) -> str:
        """The equivalent ``compare`` command line (recorded in results/README.md)."""
        parts = [
            "python -m hpobench compare", f"--benchmarks {','.join(self.benchmarks)}", f"--optimizers {','.join(self.optimizers)}",
            f"--seeds {self.seeds}", f"--budget {self.budget}", f"--out results/{self.directory}",
        ]
        parts += [f"--optimizer-option {k}={v}" for k, v in self.optimizer_options.items()]
        parts += [f"--benchmark-option {k}={v}" for k, v in self.benchmark_options.items()]
        return " ".join(parts)

    def study(self, results: str | Path, resume: bool = True):
        """The :class:`~hpobench.study.Study` writing under ``results/<directory>``."""
        from ..study import Study

        return Study(
            benchmarks=list(self.benchmarks), optimizers=list(self.optimizers), seeds=self.seeds, budget=self.budget,
            out=Path(results) / self.directory, optimizer_options=dict(self.optimizer_options),
            benchmark_options=dict(self.benchmark_options), resume=resume,
        )


#: The paper's LeNet workload on this suite: the surrogate fitted on recorded LeNet-on-digits
#: curves (R = 81 units, eta = 3 as in the paper; Hyperband's default ceil rounding gives brackets
#: of 81, 34, 15, 8, 5 configurations where Table 1 prints 81, 27, 9, 6, 5).
LENET = "lenet-digits-surrogate"
#: The same workload trained for real (PyTorch, one thread), at the scale that fits in about an
#: hour of this 2-core machine.
LENET_REAL = "lenet-digits"
KERNEL = "kernel-ls-digits-surrogate"
#: Random features on digits: R = 100 units of 100 features, eta = 3, so brackets s = 4..0 as in
#: the paper's Figure 8 (which used R = 1000 and eta = 4 on CIFAR-10).
RANDOM_FEATURES = "random-features-digits-surrogate"
#: The paper's §4.2.1 workload on this suite: the scikit-learn pipeline space on five small data
#: sets, training-set subsample as the resource (Figures 5 and 6).
PIPELINES = ("pipeline-digits", "pipeline-breast-cancer", "pipeline-wine", "pipeline-synthetic", "pipeline-mnist1d")

#: The study behind each figure, by the name ``figures --rerun`` takes.
PAPER_STUDIES: dict[str, PaperStudy] = {
    "fig3": PaperStudy("fig3-lenet-surrogate", (LENET,), ("bracket-s4", "bracket-s3", "bracket-s2", "bracket-s1", "bracket-s0", "hyperband"), 70, "50R"),
    "fig4": PaperStudy(
        "fig4-lenet-surrogate", (LENET,),
        ("hyperband", "hyperband-inf", "smac", "smac-early", "tpe", "gp", "random", "random-2x", "bracket-s4"), 10, "50R",
    ),
    # Real training: a LeNet unit costs about 0.35 s on one core, so a 10R run is about 5 minutes
    # and these two studies together about an hour of CPU (1 trial of Figure 3's six methods at
    # 10R, 1 of Figure 4's nine at 5R).
    "fig3-real": PaperStudy("fig3-lenet-digits", (LENET_REAL,), ("bracket-s4", "bracket-s3", "bracket-s2", "bracket-s1", "bracket-s0", "hyperband"), 1, "10R"),
    "fig4-real": PaperStudy(
        "fig4-lenet-digits", (LENET_REAL,),
        ("hyperband", "hyperband-inf", "smac", "smac-early", "tpe", "gp", "random", "random-2x", "bracket-s4"), 1, "5R",
    ),
    "fig7": PaperStudy("fig7-kernel-ls-surrogate", (KERNEL,), ("hyperband", "smac", "tpe", "random", "random-2x", "bracket-s2"), 10, "50R"),
    "fig8": PaperStudy(
        "fig8-random-features-surrogate", (RANDOM_FEATURES,),
        ("hyperband", "smac", "tpe", "gp", "random", "random-2x", "bracket-s4"), 10, "50R",
    ),
    # random 2x is drawn from random's logs (pairs of trials at half the time), as the paper did
    "fig5": PaperStudy("fig5-pipelines", PIPELINES, ("smac", "tpe", "random", "hyperband"), 5, "60s"),
}
PAPER_STUDIES["fig6"] = PAPER_STUDIES["fig5"]  # Figure 6 is drawn from Figure 5's study


@dataclass(frozen=True)
class LRRangeComputation:
    """Smith's LR range test of one LeNet configuration on real ``lenet-digits`` (the talk's
    figure), written as ``results/<directory>/lr_range.json``."""

    directory: str
    config: tuple = (("lr", 0.05), ("batch_size", 32), ("k2", 50), ("k1", 20))
    max_lr: float = 0.3
    epochs: float = 4
    seed: int = 0

    def command(self) -> str:
        return f"python -m hpobench figures --rerun lr-range  # lenet-digits, {dict(self.config)}, max_lr={self.max_lr}, epochs={self.epochs}"

    def run(self, results: str | Path) -> Path:
        import json

        from ..benchmarks import get_benchmark

        t0 = time.perf_counter()
        res = get_benchmark("lenet-digits").lr_range_test(dict(self.config), seed=self.seed, max_lr=self.max_lr, epochs=self.epochs)
        path = Path(results) / self.directory / "lr_range.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({
            "benchmark": "lenet-digits", "config": dict(self.config), "max_lr": self.max_lr, "epochs": self.epochs, "seed": self.seed,
            "lrs": res.lrs.tolist(), "accuracies": res.accuracies.tolist(), "losses": res.losses.tolist(),
            "base_lr": res.base_lr, "suggested_max_lr": res.max_lr, "seconds": time.perf_counter() - t0,
        }, indent=1))
        return path


@dataclass(frozen=True)
class CLRComparison:
    """The talk's accuracy-against-iterations figure (Smith, WACV 2017, Figure 1): one LeNet
    configuration on real ``lenet-digits`` trained with a fixed learning rate and with the
    triangular cyclical policy, validation and test accuracy measured every ``iters_per_unit``
    iterations (continuing from the checkpoint each time, so the curve is one training run per
    policy), written as ``results/<directory>/clr_accuracy.json``.

    The CLR run uses the benchmark's ``clr`` schedule: triangular between ``clr_max_lr / 4``
    (Smith's base = max/4 rule) and ``clr_max_lr``, with a step size of half a unit, so every
    measurement falls at the end of a cycle. ``clr_max_lr`` is about the maximum the LR range
    test on the same network suggests (results/lr-range-lenet-digits); the fixed rate is the
    configuration's ``lr``.
    """

    directory: str
    config: tuple = (("lr", 0.05), ("batch_size", 32), ("k2", 50), ("k1", 20))
    clr_max_lr: float = 0.09
    iters_per_unit: int = 136  # 4 epochs of 34 mini-batches of 32: a CLR step size of 2 epochs, as Smith advises
    units: int = 8
    seed: int = 0

    def command(self) -> str:
        return (f"python -m hpobench figures --rerun clr-accuracy  # lenet-digits, {dict(self.config)}, fixed lr vs triangular CLR up to "
                f"{self.clr_max_lr}, {self.units} x {self.iters_per_unit} iterations, seed {self.seed}")

    def run(self, results: str | Path, progress: Callable | None = None) -> Path:
        from ..benchmarks import get_benchmark

        config = dict(self.config)
        policies = {}
        for policy, lr in (("fixed", config["lr"]), ("clr", self.clr_max_lr)):
            bench = get_benchmark("lenet-digits", lr_schedule="constant" if policy == "fixed" else "clr", iters_per_unit=self.iters_per_unit)
            cfg = {**config, "lr": lr}
            t0 = time.perf_counter()
            points = []
            try:
                for u in range(1, self.units + 1):
                    r = bench.evaluate(cfg, budget=u, seed=self.seed, resume_from=u - 1 if u > 1 else None)
                    points.append({
                        "iterations": u * self.iters_per_unit, "iterations_run": r.info.get("iterations_run"),
                        "val_accuracy": 1.0 - r.loss, "test_accuracy": 1.0 - r.test_loss,
                    })
                    if progress:
                        progress(policy, u, self.units)
            finally:
                bench.close()
            policies[policy] = {"lr": lr, "points": points, "seconds": time.perf_counter() - t0}
        path = Path(results) / self.directory / "clr_accuracy.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({
            "benchmark": "lenet-digits", "config": config, "iters_per_unit": self.iters_per_unit, "units": self.units,
            "seed": self.seed, "clr": {"base_lr": self.clr_max_lr / 4.0, "max_lr": self.clr_max_lr, "stepsize": self.iters_per_unit / 2.0},
            "policies": policies,
        }, indent=1))
        return path


#: Computations behind figures that are not studies, by the name ``figures --rerun`` takes.
PAPER_COMPUTATIONS: dict[str, LRRangeComputation | CLRComparison] = {
    "lr-range": LRRangeComputation("lr-range-lenet-digits"),
    "clr-accuracy": CLRComparison("clr-accuracy-lenet-digits"),
}


def _finished(records: list[dict], manifest: dict, default_budget: str) -> bool:
    R = float(manifest.get("max_budget") or 1.0)
    budget = parse_budget(manifest.get("budget", default_budget))
    # a run on a wall-clock budget stops when its clock passes the limit, which may happen during
    # the optimizer's next ask, after the last record: 2 % of the budget (at least 1 s) of slack
    slack = max(1.0, 0.02 * budget.amount) if budget.kind == "seconds" else 0.0
    return bool(records) and budget_used(budget, records, R, extra_seconds=slack)


def read_packed(path: str | Path) -> list[dict]:
    """The records of a packed (``.jsonl.gz``) log."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _unpacked_name(path: Path) -> Path:
    return path.with_name(path.name[: -len(".gz")])


def iter_all_logs(root: str | Path):
    """Every ``(benchmark, optimizer, seed, path)`` below ``root``, plain or packed."""
    root = Path(root)
    yield from iter_logs(root)
    for path in sorted(root.glob(f"*/*/seed-*{PACKED_SUFFIX}")):
        seed_text = path.name[len("seed-") : -len(PACKED_SUFFIX)]
        if seed_text.isdigit():
            manifest = read_manifest(_unpacked_name(path)) or {}
            yield manifest.get("benchmark", path.parent.parent.name), manifest.get("optimizer", path.parent.name), int(seed_text), path


def pack_logs(root: str | Path) -> int:
    """Gzip every finished run's log below ``root`` in place (``seed-N.jsonl`` becomes
    ``seed-N.jsonl.gz``; the manifest stays as it is); returns how many were packed. A run
    still in progress is left alone."""
    n = 0
    for _, _, _, path in list(iter_logs(root)):
        records = read_records(path)
        if _finished(records, read_manifest(path) or {}, "1"):
            data = path.read_bytes()
            packed = path.with_name(path.name + ".gz")
            with open(packed, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as fh:
                fh.write(data)
            path.unlink()
            n += 1
    return n


def unpack_logs(root: str | Path) -> int:
    """Undo :func:`pack_logs` below ``root`` (so a study can resume); returns how many."""
    n = 0
    for path in sorted(Path(root).glob(f"*/*/seed-*{PACKED_SUFFIX}")):
        target = _unpacked_name(path)
        if not target.exists():
            with gzip.open(path, "rb") as fh:
                target.write_bytes(fh.read())
        path.unlink()
        n += 1
    return n


def study_runs_by_benchmark(results: str | Path, name: str) -> dict[str, dict[str, dict[int, list[dict]]]]:
    """The finished runs of figure study ``name`` as ``{benchmark: {optimizer: {seed: records}}}``
    (benchmarks in the study's order), from plain or packed logs. A run still being written (its
    budget not used up) is left out: averages are truncated to the shortest trial, so one
    partial run would cut every curve short.

    Raises :class:`MissingResults` (with the command that makes them) if there are none."""
    spec = PAPER_STUDIES[name]
    root = Path(results) / spec.directory
    runs: dict = {}
    if root.is_dir():
        for bench, opt, seed, path in iter_all_logs(root):
            if bench not in spec.benchmarks or opt not in spec.optimizers:
                continue
            packed = path.name.endswith(PACKED_SUFFIX)
            records = read_packed(path) if packed else read_records(path)
            if _finished(records, read_manifest(_unpacked_name(path) if packed else path) or {}, spec.budget):
                runs.setdefault(bench, {}).setdefault(opt, {})[seed] = records
    if not runs:
        raise MissingResults(f"no logs under {root}; run `python -m hpobench figures --rerun {name}` to make them")
    return {b: runs[b] for b in spec.benchmarks if b in runs}


def study_runs(results: str | Path, name: str) -> dict[str, dict[int, list[dict]]]:
    """The finished runs of figure study ``name`` on its first benchmark, as ``{optimizer: {seed:
    records}}`` (see :func:`study_runs_by_benchmark`)."""
    by_benchmark = study_runs_by_benchmark(results, name)
    first = PAPER_STUDIES[name].benchmarks[0]
    if first not in by_benchmark:
        raise MissingResults(f"no finished logs of {first} under {Path(results) / PAPER_STUDIES[name].directory}; run `python -m hpobench figures --rerun {name}` to make them")
    return by_benchmark[first]


def prepare_rerun(name: str, results: str | Path = "results"):
    """The :class:`~hpobench.study.Study` behind figure ``name``, its packed logs unpacked so
    that it resumes where it stopped (KeyError for an unknown name)."""
    if name not in PAPER_STUDIES:
        raise KeyError(f"no study named {name!r}; studies: {', '.join([*PAPER_STUDIES, *PAPER_COMPUTATIONS])}")
    study = PAPER_STUDIES[name].study(results)
    if Path(study.out).is_dir():
        unpack_logs(study.out)
    return study


def rerun(name: str, results: str | Path = "results", workers: int | None = None, progress: Callable | None = None, on_record: Callable | None = None):
    """Run (or continue: finished evaluations are replayed from the logs) the study behind
    figure ``name`` under ``results``, then pack its finished logs; returns the :class:`~hpobench.study.Study` (the written
    file for a computation of :data:`PAPER_COMPUTATIONS`)."""
    if name in PAPER_COMPUTATIONS:
        return PAPER_COMPUTATIONS[name].run(results)
    study = prepare_rerun(name, results)
    study.run(workers=workers, progress=progress, on_record=on_record)
    pack_logs(study.out)
    return study
