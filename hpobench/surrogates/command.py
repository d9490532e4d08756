"""``python -m hpobench surrogate {record, check, plot, validate, agree}``: parsing and printing only.

The work is done by :mod:`~hpobench.surrogates.record`, :mod:`~hpobench.surrogates.validate`,
:mod:`~hpobench.surrogates.agreement` and :mod:`~hpobench.surrogates.table` (and
:mod:`~hpobench.surrogates.figures`).
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path


def add_surrogate_parser(sub, parser_class) -> None:
    """Add the ``surrogate`` command and its subcommands to the ``hpobench`` parser."""
    s = sub.add_parser("surrogate", help="record learning curves; validate surrogate benchmarks")
    ss = s.add_subparsers(dest="surrogate_command", parser_class=parser_class, required=True)

    r = ss.add_parser("record", help="train Sobol configurations to R and record every budget")
    r.add_argument("benchmark", help="a registered benchmark with a fidelity (lenet-digits, kernel-ls-digits, ...)")
    r.add_argument("--configs", type=int, required=True, help="configurations 0..N-1 of the Sobol design")
    r.add_argument("--seeds", type=int, default=1, help="training seeds 0..S-1 per configuration (1)")
    r.add_argument("--workers", type=int, default=1, help="worker processes, one thread each (1)")
    r.add_argument("--out", default="surrogates", help="root directory; the table goes to OUT/BENCHMARK (surrogates)")
    r.add_argument("--design-seed", type=int, default=0, help="scrambling seed of the Sobol design (0)")
    r.add_argument("--budgets", help="budget grid, e.g. 1-12,15-100/5 (default: every integer unit 1..R)")
    r.add_argument("--benchmark-option", action="append", metavar="KEY=VALUE")
    r.set_defaults(func=cmd_record)

    c = ss.add_parser("check", help="verify each manifest's checksum and counts against its table")
    c.add_argument("dirs", nargs="*", default=["surrogates"], help="recording directories or their root (surrogates)")
    c.add_argument("--fix", action="store_true", help="cut torn tails and rewrite the manifests to match the tables")
    c.set_defaults(func=cmd_check)

    f = ss.add_parser("plot", help="figure of a recorded table: sampled curves, final error per hyperparameter")
    f.add_argument("benchmark", help="a recorded benchmark (lenet-digits, kernel-ls-digits, ...)")
    f.add_argument("--root", default="surrogates", help="root of the recordings (surrogates)")
    f.add_argument("--out", help="the PNG to write (default ROOT/BENCHMARK/curves.png)")
    f.set_defaults(func=cmd_plot)

    v = ss.add_parser("validate", help="cross-validated fidelity of a surrogate against its recorded table")
    v.add_argument("name", help="a surrogate benchmark (lenet-digits-surrogate, ...)")
    v.add_argument("--folds", type=int, default=5)
    v.add_argument("--seed", type=int, default=0, help="seed of the fold assignment (0)")
    v.add_argument("--threshold", type=float, help="minimum Spearman at R (default: the benchmark's)")
    v.add_argument("--model", help="model kind to validate: gp, curve or point (default: the benchmark's)")
    v.add_argument("--out", help="where the scatter plot goes (default surrogates/<benchmark>/validation.png, or validation-<model>.png with --model)")
    v.add_argument("--json", action="store_true", help="print the result as JSON")
    v.set_defaults(func=cmd_validate)

    a = ss.add_parser("agree", help="do optimizers order alike on a surrogate and on its table of real runs?")
    a.add_argument("name", help="a recorded benchmark (lenet-digits, ...; or its -surrogate / -table name)")
    a.add_argument("--optimizers", default="random,tpe,hyperband", help="comma-separated, at least two (random,tpe,hyperband)")
    a.add_argument("--budget", default="20R", help="each run's budget: 20R, 50, ... (20R)")
    a.add_argument("--seeds", type=int, default=20, help="seeds 0..N-1 per optimizer and benchmark (20)")
    a.add_argument("--alpha", type=float, default=0.05, help="level of the Mann-Whitney tests (0.05)")
    a.add_argument("--root", help="root of the recordings (default: the repository's surrogates/)")
    a.add_argument("--json", action="store_true", help="print the result as JSON")
    a.set_defaults(func=cmd_agree)


def _usage(message: str):
    from ..cli import UsageError

    return UsageError(message)


def cmd_record(args) -> int:
    from ..cli import _parse_options
    from .record import RecordingError, parse_budgets, record

    try:
        budgets = parse_budgets(args.budgets) if args.budgets else None
        summary = record(
            args.benchmark,
            args.configs,
            seeds=args.seeds,
            workers=args.workers,
            out=args.out,
            options=_parse_options(args.benchmark_option, "--benchmark-option"),
            design_seed=args.design_seed,
            budgets=budgets,
            command="python -m hpobench " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
        )
    except RecordingError as exc:
        raise _usage(str(exc)) from None
    except TypeError as exc:
        raise _usage(f"benchmark {args.benchmark!r} does not take these options: {exc}") from None
    print(
        f"{Path(args.out) / args.benchmark}: {summary['curves']} curves, {summary['rows']} rows, "
        f"sha256 {summary['sha256'][:12]}"
    )
    return 0


def _recording_dirs(paths: list[str]) -> list[Path]:
    from .table import MANIFEST_FILE, TABLE_FILE

    dirs: list[Path] = []
    for p in map(Path, paths):
        if (p / MANIFEST_FILE).is_file() or (p / TABLE_FILE).is_file():
            dirs.append(p)
        elif p.is_dir():
            dirs.extend(sorted(d for d in p.iterdir() if (d / MANIFEST_FILE).is_file()))
        else:
            raise _usage(f"{p} is not a recording directory or a root of them")
    return dirs


def cmd_check(args) -> int:
    from .table import check, read_manifest, refresh_manifest

    bad = 0
    for d in _recording_dirs(args.dirs):
        if args.fix:
            refresh_manifest(d)
        problems = check(d)
        bad += bool(problems)
        m = read_manifest(d)
        ok = f"ok ({m.get('curves', 0)} curves, {m.get('rows', 0)} rows, per seed {m.get('curves_per_seed', {})})"
        print(f"{d}: " + (ok if not problems else "; ".join(problems)))
    return 1 if bad else 0


def cmd_plot(args) -> int:
    from ..benchmarks.surrogate import TableBenchmark
    from .figures import curves_figure
    from .table import TableMissingError

    try:
        rec = TableBenchmark(args.benchmark, root=args.root)
    except TableMissingError as exc:
        raise _usage(str(exc)) from None
    out = Path(args.out) if args.out else rec.directory / "curves.png"
    print(curves_figure(rec.data, rec.space, args.benchmark, out))
    return 0


def cmd_validate(args) -> int:
    from ..benchmarks import get_benchmark
    from .model import KINDS
    from .table import TableMissingError
    from .validate import format_report, validate

    if args.folds < 2:
        raise _usage(f"--folds must be >= 2, got {args.folds}")
    if args.model is not None and args.model not in KINDS:
        raise _usage(f"--model must be one of {', '.join(KINDS)}, got {args.model!r}")
    try:
        bench = get_benchmark(args.name)
    except TableMissingError as exc:
        raise _usage(str(exc)) from None
    if not callable(getattr(bench, "fit_model", None)):
        raise _usage(f"{args.name!r} is not a surrogate benchmark; give one of the *-surrogate benchmarks")
    plot = args.out or True
    if args.model is not None:
        bench = get_benchmark(args.name, model=args.model)
        # the committed validation.png shows the benchmark's own model; another kind's plot goes beside it
        plot = args.out or bench.directory / f"validation-{args.model}.png"
    try:
        report = validate(bench, folds=args.folds, seed=args.seed, threshold=args.threshold, plot=plot)
    except ValueError as exc:  # too few recorded configurations for the folds
        raise _usage(str(exc)) from None
    if args.json:
        import json

        print(json.dumps(report, indent=1))
    else:
        print(format_report(report))
    return 0 if report["passed"] else 1


def cmd_agree(args) -> int:
    from ..cli import _split_names
    from .agreement import AgreementError, agreement, format_agreement
    from .table import TableMissingError

    names = _split_names(args.optimizers, "optimizers")
    try:
        report = agreement(args.name, names, args.budget, seeds=args.seeds, alpha=args.alpha, root=args.root)
    except (TableMissingError, AgreementError) as exc:
        raise _usage(str(exc)) from None
    if args.json:
        import json

        print(json.dumps(report.to_dict(), indent=1))
    else:
        print(format_agreement(report))
    return 1 if report.disagreements else 0
