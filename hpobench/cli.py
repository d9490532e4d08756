"""Command line: ``python -m hpobench {list, run, compare, plan}``.

Errors a user can cause print one line (``hpobench: error: ...``) naming what is wrong and what
is accepted, and exit with code 2; nothing already on disk is changed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from . import __version__
from .benchmarks import UnknownNameError, benchmark_names, get_benchmark
from .optimizers import get_optimizer_class, optimizer_names
from .runner import BudgetError, parse_budget
from .space import ConfigError
from .parallel import ClusterError
from .peers.base import MissingPeerError
from .storage import LogError

#: The study ``compare`` runs with no arguments: every registered optimizer, cheap synthetic
#: benchmarks (one multi-fidelity, so Hyperband runs beside the others), a budget in multiples
#: of R so every method shares one axis. Sized to finish in under 2 minutes on 2 cores.
DEFAULT_STUDY = {
    "benchmarks": ["branin", "hartmann6", "mf-hartmann6"],
    "seeds": 5,
    "budget": "30R",
}
#: Optimizers left out of the default study (variants of others that add nothing on its scale).
DEFAULT_EXCLUDE = ("gp-ml", "sh")  # gp-ml: a variant of gp; sh: same as bracket-s4 by default


class UsageError(Exception):
    """Bad input from the command line (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not argparse's usage dump
        raise UsageError(f"{message}; see `python -m {self.prog.replace('hpobench', 'hpobench', 1)} --help`")


# ----------------------------------------------------------------------------------- helpers


def _split_names(text: str, what: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise UsageError(f"--{what} needs at least one name")
    return names


def _parse_options(items: Sequence[str] | None, flag: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"{flag} {item!r} is not KEY=VALUE")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


def _check_out(out: Path) -> None:
    """Refuse an --out that cannot be created or written, before anything runs."""
    probe = out
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise UsageError(f"--out {out}: {probe} is a file, not a directory; give a directory path")
    if probe.exists() and not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(f"--out {out}: {probe} is not writable; give a directory you can write to")


def _make_out(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        test = out / f".write-test-{os.getpid()}"
        test.write_bytes(b"")
        test.unlink()
    except OSError as exc:
        raise UsageError(f"--out {out} is not writable ({exc.strerror}); give a directory you can write to") from None


def _build_benchmark(name: str, options: dict):
    try:
        return get_benchmark(name, **options)
    except UnknownNameError:
        raise
    except TypeError as exc:
        raise UsageError(f"benchmark {name!r} does not take these options: {exc}") from None
    except (ValueError, FileNotFoundError) as exc:
        raise UsageError(f"benchmark {name!r}: {exc}") from None


def _check_optimizer(name: str, bench, options: dict) -> str | None:
    """Build the optimizer once (catching bad options early); say why it cannot run, or None."""
    cls = get_optimizer_class(name)
    reason = cls.capabilities.why_not(bench.space)
    if reason is None and cls.capabilities.multi_fidelity and bench.fidelity is None:
        reason = "needs a benchmark with a fidelity (a budget axis)"
    if reason is not None:
        return reason
    try:
        cls(bench.space, seed=0, fidelity=bench.fidelity, **options)
    except TypeError as exc:
        raise UsageError(f"optimizer {name!r} does not take these options: {exc}") from None
    except ValueError as exc:
        raise UsageError(f"optimizer {name!r}: {exc}") from None
    return None


def _default_out(prefix: str) -> Path:
    return Path("runs") / f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}"


def _console(stderr: bool = False):
    from rich.console import Console

    # Wide enough for the tables when output goes to a file or pipe (rich defaults to 80).
    return Console(stderr=stderr, highlight=False, width=None if sys.stdout.isatty() else 120)


def _fmt(x: Any, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return str(x)


# ---------------------------------------------------------------------------------- commands


def cmd_list(args) -> int:
    from .optimizers import get_optimizer_class

    benches = []
    for name in benchmark_names():
        try:
            b = get_benchmark(name)
            benches.append(
                {
                    "name": name,
                    "kind": b.kind,
                    "dim": len(b.space),
                    "types": b.space.kinds(),
                    "conditional": b.space.is_conditional,
                    "fidelity": None if b.fidelity is None else {"name": b.fidelity.name, "min": b.fidelity.min, "max": b.fidelity.max, "unit": b.fidelity.unit},
                    "optimum": b.optimum,
                    "data_source": b.data_source,
                    "data_present": bool(b.data_available()),
                }
            )
        except Exception as exc:  # an optional dependency missing must not hide the others
            benches.append({"name": name, "error": f"{type(exc).__name__}: {exc}"})
    opts = []
    for name in optimizer_names():
        try:
            cls = get_optimizer_class(name)
            doc = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
            entry = {"name": name, "class": f"{cls.__module__}:{cls.__qualname__}", "capabilities": cls.capabilities.as_dict(), "summary": doc}
            if getattr(cls, "peer_library", ""):  # another library's optimizer (hpobench.peers)
                entry["peer"] = {"library": cls.peer_library, "installed": cls.is_available(), "version": cls.library_version(), "install": cls.install_hint()}
            opts.append(entry)
        except Exception as exc:
            opts.append({"name": name, "error": f"{type(exc).__name__}: {exc}"})
    if args.json:
        print(json.dumps({"benchmarks": benches, "optimizers": opts}, indent=2))
        return 0
    from rich.table import Table

    console = _console()
    t = Table(title="Benchmarks")
    for col in ("name", "kind", "dim", "parameter types", "fidelity", "optimum", "data", "present"):
        t.add_column(col)
    for b in benches:
        if "error" in b:
            t.add_row(b["name"], "-", "-", b["error"], "", "", "", "no")
            continue
        fid = "-" if b["fidelity"] is None else f"{b['fidelity']['name']} {b['fidelity']['min']:g}..{b['fidelity']['max']:g} {b['fidelity']['unit']}"
        types = ", ".join(b["types"]) + (" (conditional)" if b["conditional"] else "")
        t.add_row(b["name"], b["kind"], str(b["dim"]), types, fid, _fmt(b["optimum"], 6), b["data_source"], "yes" if b["data_present"] else "no")
    console.print(t)
    t = Table(title="Optimizers")
    for col in ("name", "conditional", "dependent bounds", "multi-fidelity", "batch", "peer", "summary"):
        t.add_column(col)
    for o in opts:
        if "error" in o:
            t.add_row(o["name"], "-", "-", "-", "-", "-", o["error"])
            continue
        c = o["capabilities"]
        yn = lambda v: "yes" if v else "no"  # noqa: E731
        peer = o.get("peer")
        peer_text = "-" if peer is None else (f"{peer['library']} {peer['version']}" if peer["installed"] else f"{peer['library']}: not installed ({peer['install']})")
        t.add_row(o["name"], yn(c["conditional"]), yn(c["dependent_bounds"]), yn(c["multi_fidelity"]), yn(c["batch"]), peer_text, o["summary"])
    console.print(t)
    return 0


def _plan_lines(bench, optimizer: str, options: dict) -> str | None:
    """Hyperband's bracket plan for ``bench`` (printed before compare runs it), or None."""
    try:
        from .optimizers import hyperband
    except ImportError:
        return None
    fn = getattr(hyperband, "plan_for_optimizer", None)
    if fn is None or bench.fidelity is None:
        return None
    return fn(optimizer, bench.fidelity, **options)


def cmd_run(args) -> int:
    from .parallel import Job, run_jobs

    if args.seed < 0:
        raise UsageError(f"--seed must be >= 0, got {args.seed}")
    budget = parse_budget(args.budget)
    bopts = _parse_options(args.benchmark_option, "--benchmark-option")
    oopts = _parse_options(args.optimizer_option, "--optimizer-option")
    bench = _build_benchmark(args.benchmark, bopts)
    reason = _check_optimizer(args.optimizer, bench, oopts)
    if reason:
        raise UsageError(f"optimizer {args.optimizer!r} cannot run on {args.benchmark!r}: it {reason}")
    if args.resume and args.out is None:
        raise UsageError("--resume needs the --out of the run to continue")
    out = Path(args.out) if args.out else _default_out("run")
    _check_out(out)
    job = Job(args.benchmark, args.optimizer, args.seed, budget.text, str(out), args.resume, bopts, oopts)
    from .parallel import preflight

    preflight([job])
    _make_out(out)
    plan = _plan_lines(bench, args.optimizer, oopts)
    if plan:
        _console(stderr=True).print(plan)
    (res,) = run_jobs([job])
    print(f"{res.n_records} evaluations ({res.replayed} replayed), best loss {_fmt(res.best_loss, 6)}; log: {res.log}")
    return 0


def cmd_compare(args) -> int:
    from .analysis import summarize
    from .parallel import Job, preflight, run_jobs
    from .plotting import incumbent_plot

    defaults = args.benchmarks is None and args.optimizers is None and args.seeds is None and args.budget is None
    benchmarks = _split_names(args.benchmarks, "benchmarks") if args.benchmarks else list(DEFAULT_STUDY["benchmarks"])
    if args.optimizers:
        optimizers = _split_names(args.optimizers, "optimizers")
    else:
        # Other libraries' optimizers (peers) are optional extras: named explicitly, never by default.
        optimizers = [n for n in optimizer_names() if n not in DEFAULT_EXCLUDE and not getattr(get_optimizer_class(n), "peer_library", "")]
    seeds = DEFAULT_STUDY["seeds"] if args.seeds is None else args.seeds
    if seeds < 1:
        raise UsageError(f"--seeds must be >= 1 (runs seeds 0..N-1), got {seeds}")
    budget = parse_budget(args.budget if args.budget is not None else DEFAULT_STUDY["budget"])
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be >= 1, got {args.workers}")
    if args.workers is not None and args.scheduler is not None:
        raise UsageError("give --workers (a local cluster) or --scheduler (an existing one), not both")
    if args.resume and args.out is None:
        raise UsageError("--resume needs the --out of the study to continue")
    bopts = _parse_options(args.benchmark_option, "--benchmark-option")
    oopts_all = _parse_options(args.optimizer_option, "--optimizer-option")
    out = Path(args.out) if args.out else _default_out("compare")
    _check_out(out)

    def opts_for(name: str, options: dict) -> dict:
        # "--optimizer-option hyperband.eta=4" targets one optimizer; a bare key targets all.
        o = {}
        for k, v in options.items():
            target, dot, key = k.rpartition(".")
            if not dot:
                o[k] = v
            elif target == name:
                o[key] = v
        return o

    err = _console(stderr=True)
    report = _console(stderr=args.json)
    jobs: list[Job] = []
    plans: list[str] = []
    threads = 1 if (args.workers or 0) > 1 or args.scheduler else None
    for bname in benchmarks:
        bench = _build_benchmark(bname, opts_for(bname, bopts))
        for oname in optimizers:
            reason = _check_optimizer(oname, bench, opts_for(oname, oopts_all))
            if reason:
                err.print(f"skipping {oname} on {bname}: it {reason}")
                continue
            plan = _plan_lines(bench, oname, opts_for(oname, oopts_all))
            if plan:
                plans.append(f"{oname} on {bname}:\n{plan}")
            for seed in range(seeds):
                jobs.append(Job(bname, oname, seed, budget.text, str(out), args.resume, opts_for(bname, bopts), opts_for(oname, oopts_all), threads))
    if not jobs:
        raise UsageError("no (benchmark, optimizer) pair can run; see the skipping messages above")
    preflight(jobs)
    if args.scheduler:
        from .parallel import connect

        connect(args.scheduler).close()  # unreachable: one line and exit 2, before anything is written
    _make_out(out)
    for p in plans:
        err.print(p)
    if defaults:
        err.print(f"default study: {', '.join(benchmarks)} x {', '.join(optimizers)}, {seeds} seeds, budget {budget.text}")

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    mode = f"{args.workers} workers" if args.workers else (f"scheduler {args.scheduler}" if args.scheduler else "in-process")
    t0 = time.perf_counter()
    try:
        with Progress(TextColumn("[bold]compare[/] " + mode), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=False) as progress:
            task = progress.add_task("runs", total=len(jobs))
            run_jobs(jobs, workers=args.workers, scheduler=args.scheduler, on_done=lambda r: progress.advance(task))
    except KeyboardInterrupt:
        err.print(f"interrupted; every finished evaluation is in {out}; rerun with --resume --out {out} to continue")
        return 130
    wall = time.perf_counter() - t0

    summary = summarize(out, at_max_only=args.incumbent == "max-budget")
    from rich.table import Table

    payload: dict = {"out": str(out), "benchmarks": {}, "wall_seconds": wall}
    for bname in benchmarks:
        if bname not in summary.table:
            continue
        rows = summary.table[bname]
        has_opt = summary.optimum[bname] is not None
        t = Table(title=f"{bname}: final {'simple regret' if has_opt else 'test loss of the incumbent'} after {budget.text} ({seeds} seeds)")
        for col in ("optimizer", "median [q25, q75]", "mean rank", "optimizer ms/eval", "p vs random", "runs"):
            t.add_column(col, justify="right" if col != "optimizer" else "left")
        key = "final_regret" if has_opt else "final_test"
        for oname, row in sorted(rows.items(), key=lambda kv: kv[1]["mean_rank"]):
            t.add_row(
                oname,
                f"{_fmt(row['median_' + key])} [{_fmt(row['q25_' + key])}, {_fmt(row['q75_' + key])}]",
                _fmt(row["mean_rank"], 3),
                _fmt(row["optimizer_ms_per_eval"], 3),
                _fmt(row["p_value_vs_random"], 3),
                str(row["n_runs"]),
            )
        report.print(t)
        png = incumbent_plot(summary.traces[bname], summary.axis[bname], summary.optimum[bname], f"{bname} ({budget.text}, {seeds} seeds)", out / f"{bname}.png")
        err.print(f"plot: {png}")
        payload["benchmarks"][bname] = {
            o: {k: row[k] for k in ("median_final_regret", "median_final_loss", "median_final_test", "mean_rank", "optimizer_ms_per_eval", "p_value_vs_random", "n_runs")}
            for o, row in rows.items()
        }
    clean = json.loads(json.dumps(payload, default=float).replace("NaN", "null"))
    with open(out / "summary.json", "w", encoding="utf-8") as fh:
        json.dump(clean, fh, indent=2)
    err.print(f"results: {out} (logs, plots, summary.json); {len(jobs)} runs in {wall:.1f} s")
    if args.json:
        print(json.dumps(clean))
    return 0


def cmd_plan(args) -> int:
    try:
        from .optimizers import hyperband
    except ImportError as exc:  # pragma: no cover - hyperband ships with the package
        raise UsageError(f"hyperband is not available: {exc}") from None
    return hyperband.plan_command(args)


# -------------------------------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="hpobench", description="Benchmark hyperparameter optimizers (Hyperband paper suite).")
    p.add_argument("--version", action="version", version=f"hpobench {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    s = sub.add_parser("list", help="benchmarks and optimizers with their properties")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=cmd_list)

    s = sub.add_parser("run", help="one optimizer on one benchmark for one seed")
    s.add_argument("--benchmark", required=True)
    s.add_argument("--optimizer", required=True, help="a registered name or module:Class")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--budget", required=True, help="50 (evaluations), 10R (multiples of R) or 300s")
    s.add_argument("--out", help="results directory (default runs/run-<time>)")
    s.add_argument("--resume", action="store_true", help="continue the log in --out")
    s.add_argument("--benchmark-option", action="append", metavar="KEY=VALUE")
    s.add_argument("--optimizer-option", action="append", metavar="KEY=VALUE")
    s.add_argument("--data-dir", help="where MNIST/CIFAR-10/SVHN files are (sets HPOBENCH_DATA_DIR)")
    s.set_defaults(func=cmd_run)

    s = sub.add_parser("compare", help="many optimizers x benchmarks x seeds, then tables and plots")
    s.add_argument("--benchmarks", help="comma-separated names (default: the default study)")
    s.add_argument("--optimizers", help="comma-separated names or module:Class (default: all registered)")
    s.add_argument("--seeds", type=int, help="run seeds 0..N-1")
    s.add_argument("--budget", help="50 (evaluations), 10R (multiples of R) or 300s")
    s.add_argument("--out", help="results directory (default runs/compare-<time>)")
    s.add_argument("--resume", action="store_true", help="continue the logs in --out")
    s.add_argument("--workers", type=int, help="run on a Dask LocalCluster with N worker processes")
    s.add_argument("--scheduler", help="run on an existing Dask cluster (tcp://host:port)")
    s.add_argument("--incumbent", choices=["any-budget", "max-budget"], default="any-budget", help="which losses define the incumbent")
    s.add_argument("--benchmark-option", action="append", metavar="[BENCHMARK.]KEY=VALUE")
    s.add_argument("--optimizer-option", action="append", metavar="[OPTIMIZER.]KEY=VALUE")
    s.add_argument("--data-dir", help="where MNIST/CIFAR-10/SVHN files are (sets HPOBENCH_DATA_DIR)")
    s.add_argument("--json", action="store_true", help="print the summary as JSON on stdout (tables go to stderr)")
    s.set_defaults(func=cmd_compare)

    s = sub.add_parser("plan", help="print Hyperband's brackets for R and eta")
    s.add_argument("--max-budget", type=float, required=True, help="R, the largest budget")
    s.add_argument("--eta", type=int, default=3)
    s.add_argument("--min-budget", type=float, default=1.0)
    s.add_argument("--rounding", default="ceil_formula", choices=["ceil_formula", "floor_table", "authors_code"])
    s.add_argument("--n-max", type=int, help="cap on the configurations of the most exploratory bracket")
    s.add_argument("--s-min", type=int, default=0, help="run only brackets s_max .. s_min")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_plan)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help()
            return 2
        if getattr(args, "data_dir", None):
            if not Path(args.data_dir).is_dir():
                raise UsageError(f"--data-dir {args.data_dir} is not a directory")
            # Benchmarks (and Dask workers, which inherit the environment) read it from here.
            os.environ["HPOBENCH_DATA_DIR"] = str(Path(args.data_dir).resolve())
        return int(args.func(args) or 0)
    except SystemExit as exc:  # --help / --version
        return int(exc.code or 0)
    except (UsageError, UnknownNameError, BudgetError, LogError, ConfigError, ClusterError, MissingPeerError) as exc:
        print(f"hpobench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hpobench: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `hpobench ... | head`: the reader left; not an error of ours
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
