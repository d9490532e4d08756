"""Print the peers study as Markdown tables, one per benchmark, from the logs: median final
regret [q25, q75] over seeds (finished runs only; on a benchmark without a known optimum, the
final test error of the incumbent, the configuration with the lowest validation error), mean rank, optimizer seconds per evaluation (ask + tell, or the
library's own loop time), runs and evaluations per run. Several study folders are merged (the
same benchmark in two folders gives one table), so our optimizers' runs and the peers' may live
in separate folders.

    PYTHONPATH=$PWD python results/peers/table.py results/peers/single-fidelity
    PYTHONPATH=$PWD python results/peers/table.py results/peers/mf-hartmann6 --multi-fidelity
"""

from __future__ import annotations

import argparse
import statistics

from hpobench.analysis import load_study, summarize
from hpobench.optimizers import get_optimizer_class
from hpobench.runner import budget_used, parse_budget
from hpobench.storage import iter_logs, read_manifest, read_records


def finished(path) -> bool:
    """Whether a log used its run's whole budget (runs still going, or cut off, are left out)."""
    manifest = read_manifest(path) or {}
    if "budget" not in manifest:
        return False
    return budget_used(parse_budget(manifest["budget"]), read_records(path), float(manifest.get("max_budget") or 1.0))


def _who(opt: str) -> str:
    try:
        return "" if getattr(get_optimizer_class(opt), "peer_library", "") else " (ours)"
    except Exception:  # an optimizer no longer registered: still print its logs
        return ""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="+", help="study folders (OUT of hpobench compare)")
    parser.add_argument("--multi-fidelity", action="store_true", help="add evaluations, distinct configurations and evaluations at R")
    args = parser.parse_args(argv)
    runs = [run for out in args.dirs for run in iter_logs(out) if finished(run[3])]
    summary = summarize(runs)
    study = load_study(runs)
    for bench, rows in summary.table.items():
        print(f"\n**{bench}**\n")
        # regret where the optimum is known; else the incumbent's test error (the paper's trace)
        key = "regret" if all(r["median_final_regret"] is not None for r in rows.values()) else "test"
        what = "median final regret" if key == "regret" else "median final test error of the incumbent"
        head = f"| optimizer | {what} [q25, q75] | mean rank | optimizer s/eval | runs | evaluations (median) |"
        extra = " distinct configs | evaluations at R |" if args.multi_fidelity else ""
        print(head + extra)
        print("| --- " * (6 + (2 if args.multi_fidelity else 0)) + "|")
        for opt, r in sorted(rows.items(), key=lambda kv: kv[1][f"median_final_{key}"]):
            logs = [records for records, _ in study[bench][opt].values()]
            line = (
                f"| `{opt}`{_who(opt)} | {r[f'median_final_{key}']:.3g} [{r[f'q25_final_{key}']:.3g}, {r[f'q75_final_{key}']:.3g}] "
                f"| {r['mean_rank']:.2f} | {r['optimizer_ms_per_eval'] / 1000:.3g} | {r['n_runs']} | {statistics.median(len(x) for x in logs):.0f} |"
            )
            if args.multi_fidelity:
                R = max((rec.get("budget") or 0) for x in logs for rec in x)
                distinct = statistics.median(len({str(sorted(rec["config"].items())) for rec in x}) for x in logs)
                at_r = statistics.median(sum(1 for rec in x if rec.get("budget") == R) for x in logs)
                line += f" {distinct:.0f} | {at_r:.0f} |"
            print(line)


if __name__ == "__main__":
    main()
