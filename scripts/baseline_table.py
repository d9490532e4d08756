"""Regenerate the baseline table of docs/baselines.md (issue 10): median final simple regret of
our single-fidelity optimizers on six synthetic functions, textbook and shifted, against random
search and the peers' quoted figures, with one-sided Wilcoxon p-values and a verdict per row.

Every number comes from :class:`hpobench.study.Study` runs (logs under ``--out``, resumable):
textbook functions with seeds 0..N-1, and shifted instances with seed k on instance k for
k = 1..N (``Study(seeds=[1..N], instances=N+1)``, i.e. ``compare --instances`` without the
textbook instance 0). ``smac`` runs twice, with its default preset and with
``preset=smac3-hpo``; the second runs in its own study directory (a study has one set of
options per optimizer name), ``gp`` in a third, so that parts can run separately, and
``gp`` without its output warp (``warp="none"``) in a fourth, as the control of that change.

    PYTHONPATH=. python scripts/baseline_table.py --out runs/baselines --part textbook   # run
    PYTHONPATH=. python scripts/baseline_table.py --out runs/baselines --part shifted    # run
    PYTHONPATH=. python scripts/baseline_table.py --out runs/baselines --report > docs/baselines.md
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
from scipy import stats

from hpobench.analysis import summarize
from hpobench.study import Study

FUNCTIONS = ["branin", "hartmann6", "ackley", "styblinski-tang", "rosenbrock", "levy"]
TITLES = {"branin": "Branin", "hartmann6": "Hartmann6", "ackley": "Ackley-5", "styblinski-tang": "Styblinski-Tang-4",
          "rosenbrock": "Rosenbrock-4", "levy": "Levy-4"}
BUDGET = "60"
#: column -> (study part, optimizer name); the part names the study directory and its options.
COLUMNS = {"random": ("main", "random"), "gp": ("gp", "gp"), "smac": ("main", "smac"),
           "smac smac3-hpo": ("smac3-preset", "smac"), "tpe": ("main", "tpe"), "gp, no warp": ("gp-nowarp", "gp")}
PARTS = {"main": (["random", "smac", "tpe"], {}), "gp": (["gp"], {}), "smac3-preset": (["smac"], {"smac.preset": "smac3-hpo"}),
         "gp-nowarp": (["gp"], {"gp.warp": "none"})}
#: Peers' median final regret at 60 evaluations on the textbook functions, 10 seeds, peers at
#: their defaults, as quoted in issue 10 (not re-measured here).
QUOTED = {
    "branin": {"optuna-gp": 2.2e-5, "skopt-gp": 2.0e-4, "smac3-hpo": 0.119},
    "hartmann6": {"optuna-gp": 1.4e-3, "skopt-gp": 0.066, "smac3-hpo": 1.37},
    "ackley": {"optuna-gp": 6.56, "skopt-gp": 5.0, "smac3-hpo": 18.7},
    "styblinski-tang": {"optuna-gp": 20.2, "skopt-gp": 11.2, "smac3-hpo": 20.4},
    "rosenbrock": {"optuna-gp": 179, "skopt-gp": 277, "smac3-hpo": 639},
    "levy": {"optuna-gp": 0.445, "skopt-gp": 1.46, "smac3-hpo": 2.42},
}
#: Rows where issue 10 asks the smac3-hpo preset to be within 1.5x of SMAC3's HPO facade.
SMAC3_TARGET_ROWS = ("branin", "hartmann6", "rosenbrock", "ackley")
RATIO = 1.5
ALPHA = 0.05


def study(out: Path, part: str, setting: str, n: int, only: list[str] | None = None, first: int = 0,
          functions: list[str] | None = None) -> Study:
    """The study of one part and setting: seeds ``first..n-1`` (textbook) or ``first+1..n``
    on the instances of the same number (shifted). Resuming replays every existing log of the
    study's seeds (for ``gp`` as costly as running it), so more seeds are added with ``first``."""
    optimizers, options = PARTS[part]
    optimizers = [o for o in optimizers if only is None or o in only]
    seeds, instances = (list(range(first, n)), None) if setting == "textbook" else (list(range(first + 1, n + 1)), n + 1)
    return Study(functions or FUNCTIONS, optimizers, seeds=seeds, budget=BUDGET, out=out / setting / part,
                 optimizer_options=options, resume=True, instances=instances)


def final_regrets(out: Path, setting: str, n: int) -> dict[str, dict[str, dict[int, float]]]:
    """{function: {column: {seed: final regret}}} from the logs of finished runs (a run still
    in progress, or interrupted, has fewer than BUDGET evaluations and is left out)."""
    res: dict = {f: {} for f in FUNCTIONS}
    for part in PARTS:
        summary = summarize(study(out, part, setting, n).out)
        for col, (p, name) in COLUMNS.items():
            if p != part:
                continue
            for f in FUNCTIONS:
                traces = summary.traces.get(f, {}).get(name, {})
                res[f][col] = {s: t.final_value for s, t in traces.items() if len(t.x_evals) >= int(BUDGET)}
    return res


def one_sided(a: dict[int, float], b: dict[int, float]) -> tuple[float, float]:
    """Paired one-sided Wilcoxon p-values (a better than b, a worse than b)."""
    seeds = sorted(set(a) & set(b))
    x, y = np.array([a[s] for s in seeds]), np.array([b[s] for s in seeds])
    if len(x) < 2 or np.all(x == y):
        return math.nan, math.nan
    better = stats.wilcoxon(x, y, alternative="less", zero_method="zsplit").pvalue
    worse = stats.wilcoxon(x, y, alternative="greater", zero_method="zsplit").pvalue
    return float(better), float(worse)


def fmt(x: float) -> str:
    if x is None or not np.isfinite(x):
        return "-"
    if x != 0 and (abs(x) < 0.01 or abs(x) >= 1e4):
        return f"{x:.1e}"
    return f"{x:.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def table(out: Path, setting: str, n: int) -> list[str]:
    regrets = final_regrets(out, setting, n)
    cols = list(COLUMNS)
    lines = ["| function | " + " | ".join(cols) + " | verdict |", "|---" * (len(cols) + 2) + "|"]
    for f in FUNCTIONS:
        rand = regrets[f].get("random", {})
        cells, verdict = [], []
        for col in cols:
            vals = regrets[f].get(col, {})
            if not vals:
                cells.append("not run")
                continue
            med = float(np.median(list(vals.values())))
            cell = fmt(med) + ("" if len(vals) == n else f" ({len(vals)})")
            if col != "random":
                better, worse = one_sided(vals, rand)
                cell += f" (b {fmt(better)}, w {fmt(worse)})"
                if worse < ALPHA:
                    verdict.append(f"{col} WORSE than random")
            cells.append(cell)
            peers = QUOTED[f]
            if col == "gp":
                ref = min(peers["optuna-gp"], peers["skopt-gp"])
                verdict.append(f"gp {med / ref:.2g}x best GP peer " + ("(met)" if med <= RATIO * ref else "(not met)"))
            if col == "smac smac3-hpo" and f in SMAC3_TARGET_ROWS:
                ref = peers["smac3-hpo"]
                verdict.append(f"smac3-hpo {med / ref:.2g}x SMAC3 " + ("(met)" if med <= RATIO * ref else "(not met)"))
        new, old = regrets[f].get("gp", {}), regrets[f].get("gp, no warp", {})
        if len(set(new) & set(old)) >= 2:
            better, worse = one_sided(new, old)
            verdict.append(f"gp vs no warp on {len(set(new) & set(old))} paired seeds: b {fmt(better)}, w {fmt(worse)}")
        if not any("WORSE" in v for v in verdict):
            verdict.insert(0, "none worse than random")
        lines.append(f"| {TITLES[f]} | " + " | ".join(cells) + " | " + "; ".join(verdict) + " |")
    return lines


def report(out: Path, n: int) -> str:
    peers = ["| function | Optuna GPSampler | skopt gp_minimize | SMAC3 HPO facade |", "|---|---|---|---|"]
    peers += [f"| {TITLES[f]} | {fmt(q['optuna-gp'])} | {fmt(q['skopt-gp'])} | {fmt(q['smac3-hpo'])} |" for f, q in QUOTED.items()]
    return "\n".join([
        "## Baselines against random search and the peers (issue 10)", "",
        "Generated by `scripts/baseline_table.py` from the study logs (the runs are resumable; the "
        "script's docstring has the commands):", "",
        "```bash",
        f"PYTHONPATH=. python scripts/baseline_table.py --out runs/baselines --seeds {n} --part textbook --part shifted",
        f"PYTHONPATH=. python scripts/baseline_table.py --out runs/baselines --seeds {n} --report > docs/baselines.md",
        "```", "",
        f"Median final simple regret after {BUDGET} evaluations, {n} seeds per cell (a smaller count in "
        "parentheses where runs are missing). After each median: one-sided paired Wilcoxon p-values "
        "against random search, b = better than random, w = worse than random.",
        "", f"### Textbook functions (seeds 0..{n - 1})", "", *table(out, "textbook", n),
        "", f"### Shifted instances (seed k on instance k, k = 1..{n})", "", *table(out, "shifted", n),
        "", "### Peers (quoted from issue 10: textbook functions, 10 seeds, defaults; not re-measured)", "", *peers, "",
        f"Verdicts: `gp` against {RATIO}x the better of Optuna's and scikit-optimize's medians; the "
        f"smac3-hpo preset against {RATIO}x SMAC3's HPO facade on {', '.join(TITLES[f] for f in SMAC3_TARGET_ROWS)}; "
        f"every optimizer against random search (worse when w < {ALPHA}). Shifted rows are held to the textbook peer figures.",
        "",
        "Textbook Styblinski-Tang-4 ends in steps of 14.1 (one per coordinate left in the wrong basin), "
        "so a median of ten seeds is a coin flip: scikit-optimize run beside `gp` on the same machine "
        "over seeds 0..19 ends at 14.5 and `gp` at 14.2 (0.98x; docs/gp.md, \"Measured after the change\").",
    ])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="runs/baselines", help="where the study logs go (resumable)")
    ap.add_argument("--seeds", type=int, default=10, help="seeds (textbook) and instances (shifted) per cell")
    ap.add_argument("--part", choices=["textbook", "shifted"], action="append", help="run this part (repeatable)")
    ap.add_argument("--only", choices=list(PARTS), action="append", help="run only this study part (repeatable)")
    ap.add_argument("--from-seed", type=int, default=0, help="run only the seeds from this one on (to add seeds without replaying)")
    ap.add_argument("--function", action="append", choices=FUNCTIONS, help="run only this function (repeatable)")
    ap.add_argument("--optimizer", action="append", help="run only this optimizer of the parts (repeatable)")
    ap.add_argument("--report", action="store_true", help="print the markdown tables from the logs")
    args = ap.parse_args(argv)
    out = Path(args.out)
    for setting in args.part or []:
        for part in args.only or PARTS:
            if args.optimizer and not set(PARTS[part][0]) & set(args.optimizer):
                continue
            s = study(out, part, setting, args.seeds, args.optimizer, args.from_seed, args.function)
            s.run(progress=lambda r: print(f"{setting}/{part}: {r.job.benchmark} {r.job.optimizer} seed {r.job.seed}: "
                                           f"best loss {r.best_loss:.6g}", file=sys.stderr, flush=True))
    if args.report:
        print(report(out, args.seeds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
