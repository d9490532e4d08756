"""Command line: ``python -m hpobench {list, run, compare, summarize, report, plan}``.

Errors a user can cause print one line (``hpobench: error: ...``) naming what is wrong and what
is accepted, and exit with code 2; nothing already on disk is changed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from . import __version__
from .benchmarks import NameTakenError, UnknownNameError, benchmark_names, get_benchmark
from .benchmarks.base import UnavailableError
from .optimizers import optimizer_names
from .parallel import ClusterError
from .runner import BudgetError
from .space import ConfigError
from .storage import LogError, read_json
from .study import DEFAULT_BUDGET, DEFAULT_SEEDS, Study, StudyError, format_value

class UsageError(Exception):
    """Bad input from the command line (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not argparse's usage dump
        raise UsageError(f"{message}; see `python -m {self.prog} --help`")


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
        if not sep or not key.strip():
            raise UsageError(f"{flag} {item!r} is not KEY=VALUE")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError as exc:
            # A bare word is a string (rounding=floor_table); what looks like JSON must be JSON.
            if value.strip()[:1] in tuple('[{"-.0123456789') or value.strip() in ("", "True", "False", "None"):
                raise UsageError(
                    f"{flag} {item!r}: {value!r} is not valid JSON ({exc.msg}); give a number, true/false, "
                    "a JSON list or object, or a plain word"
                ) from None
            out[key.strip()] = value
    return out


def _default_out(prefix: str) -> Path:
    return Path("runs") / f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}"


def _console(stderr: bool = False):
    from rich.console import Console

    # Wide enough for the tables when output goes to a file or pipe (rich defaults to 80).
    return Console(stderr=stderr, highlight=False, width=None if sys.stdout.isatty() else 120)


_fmt = format_value


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
        t.add_column(col, no_wrap=col == "name")
    for b in benches:
        if "error" in b:
            t.add_row(b["name"], "-", "-", b["error"], "", "", "", "no")
            continue
        fid = "-" if b["fidelity"] is None else f"{b['fidelity']['name']} {b['fidelity']['min']:g}..{b['fidelity']['max']:g} {b['fidelity']['unit']}"
        types = ", ".join(b["types"]) + (" (conditional)" if b["conditional"] else "")
        t.add_row(b["name"], b["kind"], str(b["dim"]), types, fid, _fmt(b["optimum"], 6), b["data_source"], "yes" if b["data_present"] else "no")
    console.print(t)
    t = Table(title="Optimizers")
    for col in ("name", "conditional", "dependent bounds", "multi-fidelity", "batch", "library", "summary"):
        t.add_column(col, no_wrap=col == "name")
    for o in opts:
        if "error" in o:
            t.add_row(o["name"], "-", "-", "-", "-", "-", o["error"])
            continue
        c = o["capabilities"]
        yn = lambda v: "yes" if v else "no"  # noqa: E731
        peer = o.get("peer")
        lib = "hpobench" if peer is None else (f"{peer['library']} {peer['version']}" if peer["installed"] else f"{peer['library']}: not installed ({peer['install']})")
        t.add_row(o["name"], yn(c["conditional"]), yn(c["dependent_bounds"]), yn(c["multi_fidelity"]), yn(c["batch"]), lib, o["summary"])
    console.print(t)
    return 0


def _study_from_args(args, benchmarks, optimizers, seeds, budget) -> Study:
    if args.resume and args.out is None:
        raise UsageError("--resume needs the --out of the study to continue")
    return Study(
        benchmarks,
        optimizers,
        seeds=seeds,
        budget=budget,
        out=Path(args.out) if args.out else _default_out(args.command),
        benchmark_options=_parse_options(args.benchmark_option, "--benchmark-option"),
        optimizer_options=_parse_options(args.optimizer_option, "--optimizer-option"),
        resume=args.resume,
        incumbent=getattr(args, "incumbent", "any-budget"),
        parallel_evals=args.parallel_evals,
        eval_timeout=args.eval_timeout,
        data_dir=getattr(args, "data_dir", None),
        instances=getattr(args, "instances", None),
    )


def _announce(study: Study, err) -> None:
    """Print the skipped pairs and the optimizers' plans before anything runs."""
    for p in study.skipped():
        err.print(f"skipping {p.optimizer} on {p.benchmark}: it {p.skip_reason}")
    for p in study.pairs():
        if p.plan:
            err.print(f"{p.optimizer} on {p.benchmark}:\n{p.plan}")


def cmd_run(args) -> int:
    if args.seed < 0:
        raise UsageError(f"--seed must be >= 0, got {args.seed}")
    study = _study_from_args(args, [args.benchmark], [args.optimizer], [args.seed], args.budget)
    (pair,) = study.pairs()
    if pair.skip_reason:
        raise UsageError(f"optimizer {args.optimizer!r} cannot run on {args.benchmark!r}: it {pair.skip_reason}")
    study.check()
    if pair.plan:
        _console(stderr=True).print(pair.plan)
    (res,) = study.run()
    print(f"{res.n_records} evaluations ({res.replayed} replayed), best loss {_fmt(res.best_loss, 6)}; log: {res.log}")
    return 0


def _run_with_progress(study: Study, workers, scheduler, err, label: str, again: str | None = None) -> int:
    """Run ``study`` under its lock with a progress bar on ``err``; 130 if interrupted (then
    ``again`` is the command that continues it)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    mode = f"{workers} workers" if workers else (f"scheduler {scheduler}" if scheduler else "in-process")
    try:
        with study.locked(workers, scheduler), Progress(
            TextColumn(f"[bold]{label}[/] " + mode), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[evals]} evaluations"),
            TimeElapsedColumn(), console=err,
        ) as progress:
            task = progress.add_task("runs", total=len(study.jobs()), evals=0)
            counter = {"evals": 0}

            def on_record(rec):
                counter["evals"] += 1
                progress.update(task, evals=counter["evals"])

            def on_done(res):
                if workers and study.parallel_evals == 1 and study.eval_timeout is None:
                    counter["evals"] += res.n_records - res.replayed  # whole runs on workers: counted as they end
                progress.update(task, advance=1, evals=counter["evals"])

            study.run(workers=workers, scheduler=scheduler, progress=on_done, on_record=on_record)
    except KeyboardInterrupt:
        err.print(f"interrupted; every finished evaluation is in {study.out}; {again or f'rerun with --resume --out {study.out}'} to continue")
        return 130
    return 0


def cmd_compare(args) -> int:
    defaults = args.benchmarks is None and args.optimizers is None and args.seeds is None and args.budget is None
    study = _study_from_args(
        args,
        _split_names(args.benchmarks, "benchmarks") if args.benchmarks else None,
        _split_names(args.optimizers, "optimizers") if args.optimizers else None,
        (args.instances or DEFAULT_SEEDS) if args.seeds is None else args.seeds,
        DEFAULT_BUDGET if args.budget is None else args.budget,
    )
    err = _console(stderr=True)
    report = _console(stderr=args.json)
    if defaults and args.workers is None and args.scheduler is None and (os.cpu_count() or 1) > 1:
        args.workers = os.cpu_count()  # the default study uses the machine's cores
    study.check_execution(args.workers, args.scheduler)
    _announce(study, err)
    study.check()
    if defaults:
        err.print(
            f"default study: {', '.join(study.benchmarks)} x {', '.join(study.optimizers)}, "
            f"{len(study.seed_list)} seeds, budget {study.budget.text}"
        )

    if _run_with_progress(study, args.workers, args.scheduler, err, "compare") == 130:
        return 130

    _report(study, err, report, args.json)
    err.print(f"{len(study.jobs())} runs in {study.wall_seconds:.1f} s")
    return 0


def cmd_report(args) -> int:
    from .report import ReportError, build_report

    try:
        path = build_report(args.studies, args.out, args.figures, posthoc=args.posthoc, alpha=args.alpha, at_max_only=args.incumbent == "max-budget")
    except ReportError as exc:
        raise UsageError(str(exc)) from None
    print(f"report: {path}" + (f"; figures: {args.figures}" if args.figures else ""))
    return 0


def cmd_summarize(args) -> int:
    out = Path(args.out)
    if not out.is_dir():
        raise UsageError(f"{out} is not a directory; give the --out of a study")
    study = Study.from_directory(out)
    study.incumbent = args.incumbent
    err = _console(stderr=True)
    _report(study, err, _console(stderr=args.json), args.json)
    return 0


def _report(study: Study, err, report, as_json: bool) -> None:
    """Print a finished study's tables, write its plots and summary.json (the JSON on stdout
    with ``as_json``)."""
    summary = study.summary()
    for bname in study.benchmarks:
        if bname in summary.table:
            report.print(_table(study, summary, bname))
    payload = study.write_outputs(summary)
    for png in payload["plots"].values():
        err.print(f"plot: {png}")
    err.print(f"report: {payload['report']}")
    err.print(f"results: {study.out} (logs, plots, summary.json, report.html)")
    if as_json:
        print(json.dumps(read_json(study.out / "summary.json")))


def _table(study: Study, summary, bname: str):
    """The rich table ``compare`` prints for one benchmark."""
    from rich.table import Table

    rows = summary.table[bname]
    has_opt = summary.optimum[bname] is not None
    t = Table(
        title=f"{bname}: final {'simple regret' if has_opt else 'test loss of the incumbent'} after "
        f"{study.budget.text} ({len(study.seed_list)} seeds"
        + (f", seed k on instance k mod {study.instances})" if study.instances else ")")
    )
    for col in ("optimizer", "median [q25, q75]", "mean rank", "optimizer ms/eval", f"p vs {study.baseline}", "runs", "failed trials"):
        t.add_column(col, justify="right" if col != "optimizer" else "left")
    key = "final_regret" if has_opt else "final_test"
    for oname, row in sorted(rows.items(), key=lambda kv: kv[1]["mean_rank"]):
        t.add_row(
            oname,
            f"{_fmt(row['median_' + key])} [{_fmt(row['q25_' + key])}, {_fmt(row['q75_' + key])}]",
            _fmt(row["mean_rank"], 3),
            _fmt(row["optimizer_ms_per_eval"], 3),
            _fmt(row["p_value_vs_baseline"], 3),
            str(row["n_runs"]),
            str(row["n_failed"]),
        )
    return t


def cmd_figures(args) -> int:
    from . import paper

    err = _console(stderr=True)
    only = _split_names(args.only, "only") if args.only else None
    names = list(paper.figure_scripts())
    unknown = [n for n in only or [] if n not in names]
    if unknown:  # before any rerun, not after it
        raise UsageError(f"no figure named {unknown[0]!r}; figures: {', '.join(names)}")
    if args.rerun:
        if args.rerun in paper.PAPER_STUDIES:
            study = paper.prepare_rerun(args.rerun, args.results)
            _announce(study, err)
            if _run_with_progress(study, args.workers, None, err, f"rerun {args.rerun}", f"run `python -m hpobench figures --rerun {args.rerun}` again") == 130:
                return 130
            err.print(f"{len(study.jobs())} runs in {study.wall_seconds:.1f} s; {paper.pack_logs(study.out)} logs packed under {study.out}")
        elif args.rerun in paper.PAPER_COMPUTATIONS:
            err.print(f"rerun {args.rerun}: {paper.PAPER_COMPUTATIONS[args.rerun].command()}")
            err.print(f"wrote {paper.rerun(args.rerun, args.results)}")
        else:
            raise UsageError(f"--rerun {args.rerun!r} names no study; studies: {', '.join([*paper.PAPER_STUDIES, *paper.PAPER_COMPUTATIONS])}")
    if args.rerun and not only:
        only = [args.rerun]
    outcomes = paper.make_figures(args.results, args.out, only)
    for o in outcomes:
        if o.skipped:
            err.print(f"{o.name}: skipped, {o.skipped}")
        else:
            print(f"{o.name}: {', '.join(str(f) for f in o.files)} ({o.seconds:.1f} s)")
    if only and any(o.skipped for o in outcomes):
        return 2  # a figure asked for by name could not be drawn
    return 0


def cmd_plan(args) -> int:
    from .optimizers.hyperband.plan import plan_text

    try:
        text = plan_text(
            args.max_budget, eta=args.eta, min_budget=args.min_budget or 1, rounding=args.rounding,
            n_max=args.n_max, s_min=args.s_min or 0, as_json=args.json,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    print(text)
    return 0


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
    s.add_argument("--parallel-evals", type=int, default=1, metavar="K", help="evaluations in flight inside each run (simulated workers on cheap benchmarks)")
    s.add_argument("--eval-timeout", type=float, metavar="SECONDS", help="an evaluation running longer is a failed trial with status timeout")
    s.add_argument("--data-dir", help="where MNIST/CIFAR-10/SVHN files are (default: $HPOBENCH_DATA_DIR)")
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
    s.add_argument("--data-dir", help="where MNIST/CIFAR-10/SVHN files are (default: $HPOBENCH_DATA_DIR)")
    s.add_argument("--parallel-evals", type=int, default=1, metavar="K", help="evaluations in flight inside each run (simulated workers on cheap benchmarks)")
    s.add_argument("--eval-timeout", type=float, metavar="SECONDS", help="an evaluation running longer is a failed trial with status timeout")
    s.add_argument("--instances", type=int, metavar="N", help="seed k runs on instance k mod N of each synthetic benchmark (its optimum moved); default seeds: N")
    s.add_argument("--json", action="store_true", help="print the summary as JSON on stdout (tables go to stderr)")
    s.set_defaults(func=cmd_compare)

    s = sub.add_parser("report", help="one self-contained HTML page from study directories")
    s.add_argument("studies", nargs="+", metavar="OUT", help="study directories (only read)")
    s.add_argument("--out", help="the HTML file to write (default ./<first OUT's name>-report.html)")
    s.add_argument("--figures", metavar="DIR", help="also write every figure to DIR as PNG and PDF")
    s.add_argument("--posthoc", choices=["nemenyi", "wilcoxon-holm"], default="nemenyi", help="post-hoc test after Friedman")
    s.add_argument("--alpha", type=float, default=0.05, help="significance level")
    s.add_argument("--incumbent", choices=["any-budget", "max-budget"], default="any-budget", help="which losses define the incumbent")
    s.set_defaults(func=cmd_report)

    s = sub.add_parser("summarize", help="reprint a study's tables and plots from its logs (nothing is rerun)")
    s.add_argument("out", help="the study directory (the --out of compare)")
    s.add_argument("--incumbent", choices=["any-budget", "max-budget"], default="any-budget", help="which losses define the incumbent")
    s.add_argument("--json", action="store_true", help="print the summary as JSON on stdout (tables go to stderr)")
    s.set_defaults(func=cmd_summarize)

    s = sub.add_parser("figures", help="the Hyperband paper's figures and tables from the logs in results/")
    s.add_argument("--results", default="results", help="where the studies' logs are (default results)")
    s.add_argument("--out", default="paper_figures/out", help="where PNG and PDF go (default paper_figures/out)")
    s.add_argument("--only", metavar="NAME[,NAME]", help="only these figures (table1, fig3, fig4, ...)")
    s.add_argument("--rerun", metavar="NAME", help="first run (or continue) the study behind figure NAME, as results/README.md records it")
    s.add_argument("--workers", type=int, help="with --rerun: run on a Dask LocalCluster with N worker processes")
    s.set_defaults(func=cmd_figures)

    s = sub.add_parser("plan", help="print Hyperband's brackets for R and eta")
    s.add_argument("--max-budget", type=float, required=True, help="R, the largest budget")
    s.add_argument("--eta", type=int, default=3)
    s.add_argument("--min-budget", type=float, default=1.0)
    s.add_argument("--rounding", default="ceil_formula", choices=["ceil_formula", "floor_table", "authors_code"])
    s.add_argument("--n-max", type=int, help="cap on the configurations of the most exploratory bracket")
    s.add_argument("--s-min", type=int, default=0, help="run only brackets s_max .. s_min")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_plan)

    from .surrogates.command import add_surrogate_parser

    add_surrogate_parser(sub, _Parser)
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
            args.data_dir = str(Path(args.data_dir).resolve())
        return int(args.func(args) or 0)
    except SystemExit as exc:  # --help / --version
        return int(exc.code or 0)
    except (UsageError, StudyError, UnknownNameError, NameTakenError, UnavailableError, BudgetError, LogError, ConfigError, ClusterError) as exc:
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
