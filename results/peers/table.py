"""Print the peers study as Markdown tables (median final regret [q25, q75], optimizer s/eval).

    PYTHONPATH=$PWD python results/peers/table.py results/peers/single-fidelity results/peers/mf-hartmann6
"""

from __future__ import annotations

import sys

from hpobench.analysis import summarize


def main(dirs: list[str]) -> None:
    for out in dirs:
        summary = summarize(out)
        for bench, rows in summary.table.items():
            print(f"\n**{bench}** ({out})\n")
            print("| optimizer | median final regret [q25, q75] | mean rank | optimizer s/eval | runs |")
            print("| --- | --- | --- | --- | --- |")
            for opt, r in sorted(rows.items(), key=lambda kv: kv[1]["median_final_regret"]):
                print(
                    f"| `{opt}` | {r['median_final_regret']:.3g} [{r['q25_final_regret']:.3g}, {r['q75_final_regret']:.3g}] "
                    f"| {r['mean_rank']:.2f} | {r['optimizer_ms_per_eval'] / 1000:.3g} | {r['n_runs']} |"
                )


if __name__ == "__main__":
    main(sys.argv[1:])
