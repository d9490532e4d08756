"""Print the counts table of surrogates/README.md from the committed tables and manifests.

    python surrogates/counts_table.py            # every table under surrogates/

One row per table: configurations, curves per seed, budgets, rows, the seconds of a curve (the
sum of its recorded ``step_seconds``: wall clock of the recording machine) and the recording wall
time summed over the manifest's sessions, with the CPU models the sessions ran on.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from hpobench.surrogates.table import read_manifest, read_rows  # noqa: E402


def row(directory: Path) -> str:
    manifest = read_manifest(directory)
    seconds: dict[tuple[int, int], float] = defaultdict(float)
    for r in read_rows(directory):
        seconds[r["config_id"], r["seed"]] += float(r.get("step_seconds") or 0.0)
    per_curve = np.array(list(seconds.values()))
    budgets = manifest["budgets"]
    wall_h = sum(s.get("wall_seconds", 0.0) for s in manifest["sessions"]) / 3600
    cpus = sorted({s.get("cpu_model", "?") for s in manifest["sessions"]})
    return (f"| `{manifest['benchmark']}` | {manifest['configurations']} | {manifest['curves_per_seed']} | "
            f"{len(budgets)} ({budgets[0]:g}..{budgets[-1]:g}) | {manifest['rows']} | "
            f"{np.median(per_curve):.1f} / {per_curve.mean():.1f} / {per_curve.max():.1f} | {wall_h:.2f} h | "
            f"{len(manifest['sessions'])} ({', '.join(cpus)}) |")


def main() -> int:
    print("| table | configurations | curves per seed | budgets | rows | seconds per curve: median / mean / max "
          "| recording wall time | sessions (CPU) |")
    print("|---|---|---|---|---|---|---|---|")
    for directory in sorted(p.parent for p in ROOT.glob("*/manifest.json")):
        print(row(directory))
    return 0


if __name__ == "__main__":
    sys.exit(main())
