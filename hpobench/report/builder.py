"""One self-contained HTML page from study directories: figures embedded as SVG data URIs,
inline CSS, no network access needed to view it.

The page holds, across benchmarks: average rank against budget, a critical-difference diagram,
normalized scores and budget-to-target ECDFs; per benchmark: ``compare``'s table with failure
counts, incumbent curves against evaluations, multiples of R and time, a critical-difference
diagram over seeds and an ECDF; then the incomplete runs, the settings, package versions,
machine and the command to rerun. A small script checks on load that every figure decoded and
says so at the top (``#figure-status``), which is also what the browser test reads.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import math
import os
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

from .. import figures as F
from ..storage import LOG_SUFFIX, MANIFEST_SUFFIX, safe_name
from . import collect as C
from . import provenance as P

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:0 auto;max-width:1400px;padding:0 1.5em 3em;color:#222;line-height:1.4}
h1{margin-top:.8em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}h3{margin-top:1.5em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f3f3f3}td.l,th.l{text-align:left}code,pre{background:#f6f6f6;padding:.1em .3em;border-radius:3px}
pre{padding:.6em;overflow-x:auto;white-space:pre-wrap}
figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}figcaption{font-size:.85em;color:#555}
.note{color:#555;font-size:.9em}.warn{color:#a33}.good{color:#262}.bad{color:#a33;font-weight:bold}
img.broken{outline:3px solid #c00}nav a{margin-right:1em}
"""

_SCRIPT = """
window.addEventListener('load', function () {
  var imgs = document.querySelectorAll('img.figure'), bad = [];
  imgs.forEach(function (im) {
    if (!(im.complete && im.naturalWidth > 0)) { bad.push(im.alt); im.classList.add('broken'); }
  });
  var s = document.getElementById('figure-status');
  s.setAttribute('data-loaded', String(imgs.length - bad.length));
  s.setAttribute('data-total', String(imgs.length));
  s.textContent = bad.length ? (bad.length + ' of ' + imgs.length + ' figures failed to load: ' + bad.join(', '))
                             : ('all ' + imgs.length + ' figures loaded');
  s.className = bad.length ? 'bad' : 'good';
});
"""


def _num(x, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return str(x)


def _e(text) -> str:
    return html.escape(str(text))


def _table(header: list[str], rows: list[list], left: int = 1) -> str:
    """An HTML table; the first ``left`` columns are left-aligned (names)."""
    cls = lambda i: ' class="l"' if i < left else ""  # noqa: E731
    head = "".join(f"<th{cls(i)}>{_e(h)}</th>" for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(f"<td{cls(i)}>{_e(c)}</td>" for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class _Figures:
    """Renders figures to embedded SVG and, with a folder, to PNG and PDF files."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self.files: list[Path] = []

    def html(self, fig, name: str, alt: str, caption: str = "") -> str:
        data = base64.b64encode(F.svg_bytes(fig)).decode("ascii")
        if self.folder is not None:
            self.files.extend(F.save(fig, self.folder / safe_name(name)))
        cap = f"<figcaption>{_e(caption)}</figcaption>" if caption else ""
        return f'<figure><img class="figure" alt="{_e(alt)}" src="data:image/svg+xml;base64,{data}">{cap}</figure>'


def _budget_label(data: C.ReportData) -> tuple[str, float | None]:
    """The x label of budget-fraction axes, and the scale to multiply fractions by when every
    benchmark has the same budget (so the axis can show multiples of R or evaluations)."""
    budgets = {(b.budget_kind, b.budget_amount) for b in data.benchmarks.values()}
    if len(budgets) == 1:
        kind, amount = budgets.pop()
        unit = {"resource": "Multiples of R used", "evaluations": "Evaluations (budget axis)", "seconds": "Seconds"}[kind]
        return unit, amount
    return "Fraction of each benchmark's budget used", None


def _fraction_grid(benches) -> np.ndarray:
    """Budget fractions for ECDFs: log-spaced from the earliest first evaluation to the end."""
    firsts = [r.x(b.budget_axis)[0] / b.budget_amount for b in benches for by_seed in b.runs.values() for r in by_seed.values() if r.n_records]
    lo = min([f for f in firsts if f > 0] or [1e-3])
    return np.geomspace(max(lo, 1e-6), 1.0, 200)


def _across_section(data: C.ReportData, figs: _Figures, styles, posthoc: str, alpha: float, baseline: str, n_targets: int) -> str:
    parts = ['<h2 id="across">Across benchmarks</h2>']
    common = data.common_optimizers()
    left_out = [o for o in data.optimizers if o not in common]
    parts.append(
        f"<p>Ranked together: {_e(', '.join(common) or 'none')} (the optimizers with complete runs on every one of the "
        f"{len(data.benchmarks)} benchmarks). " + (f"Left out of the ranks: {_e(', '.join(left_out))} (not run on every benchmark; they appear in their benchmarks' sections)." if left_out else "") + "</p>"
    )
    xlabel, scale = _budget_label(data)
    # average rank against budget
    fractions, ranks = C.rank_over_budget(data)
    if ranks:
        x = fractions * scale if scale is not None else fractions
        fig = F.rank_over_budget_figure(x, ranks, xlabel, f"Average rank over {len(data.benchmarks)} benchmark(s) and their seeds", styles)
        parts.append("<h3>Average rank against budget</h3>")
        parts.append(
            figs.html(
                fig,
                "rank-over-budget",
                "average rank against budget",
                "Ranks within each (benchmark, seed) at each budget, averaged over seeds, then over benchmarks (Li et al. 2018, Figure 5 layout). "
                "A method with no successful evaluation yet ranks last.",
            )
        )
    # critical-difference diagram over benchmarks
    parts.append("<h3>Critical-difference diagram</h3>")
    cmp = C.rank_comparison_across(data, posthoc, alpha)
    if cmp is None or cmp.friedman is None:
        parts.append(
            '<p class="note">Needs at least two benchmarks and two optimizers ranked together; see the per-benchmark diagrams over seeds below.</p>'
        )
    else:
        parts.append(
            figs.html(
                F.cd_diagram(cmp, f"Final ranks over {cmp.n_blocks} benchmarks (median over seeds per benchmark), {'Nemenyi' if posthoc == 'nemenyi' else 'Wilcoxon-Holm'} post-hoc"),
                "cd-across-benchmarks",
                "critical-difference diagram across benchmarks",
                cmp.describe(),
            )
        )
    # normalized score
    parts.append("<h3>Normalized score</h3>")
    scores = C.normalized_scores(data, baseline)
    if scores:
        opts = data.optimizers
        rows = []
        for o in opts:
            vals = [scores[b].get(o, math.nan) for b in sorted(scores)]
            finite = [v for v in vals if np.isfinite(v)]
            rows.append([o] + [_num(v) for v in vals] + [_num(float(np.mean(finite))) if finite else "-", f"{len(finite)}/{len(scores)}"])
        parts.append(_table(["optimizer"] + sorted(scores) + ["mean", "benchmarks"], rows))
        parts.append(
            figs.html(
                F.normalized_score_figure(scores, opts, styles, "Normalized score of the median final value"),
                "normalized-score",
                "normalized score",
                f"bayesmark's normalized score, 1 - (median - optimum) / ({baseline}'s median - optimum), of the median final value over complete runs; "
                "the optimum is the known one, or the best final value any run reached where none is known. Bars: mean over the benchmarks an optimizer ran on.",
            )
        )
    else:
        parts.append(f'<p class="note">Needs complete runs of the baseline {_e(baseline)!s} on a benchmark.</p>')
    # ECDF of budget to targets
    parts.append("<h3>Budget to reach target values (ECDF)</h3>")
    per_bench = [t for t in (C.target_run_lengths(b, n_targets) for b in data.benchmarks.values()) if t is not None]
    if per_bench and common:
        grid = _fraction_grid(data.benchmarks.values())
        curves = C.ecdf_curves(per_bench, common, grid)
        parts.append(
            figs.html(
                F.ecdf_figure(grid * scale if scale is not None else grid, curves, xlabel, f"{n_targets} targets per benchmark, {len(per_bench)} benchmark(s), ranked optimizers", styles),
                "ecdf-targets",
                "ECDF of budget to reach targets",
                f"For each benchmark, {n_targets} targets log-spaced from the median value after the first evaluation to the best final value any run reached "
                "(regret, or test value above the best found); each curve is the fraction of (run, target) pairs reached by each budget "
                "(Hansen et al., COCO), averaged over benchmarks.",
            )
        )
    else:
        parts.append('<p class="note">No targets: needs complete runs with a finite value above the optimum.</p>')
    return "\n".join(parts)


def _benchmark_section(bench: C.BenchmarkData, figs: _Figures, styles, posthoc: str, alpha: float, baseline: str, n_targets: int, scores) -> str:
    anchor = "b-" + safe_name(bench.name)
    parts = [f'<h2 id="{anchor}">{_e(bench.name)}</h2>']
    opt_text = "unknown" if bench.optimum is None else _num(bench.optimum, 6)
    parts.append(
        f"<p>Budget {_e(bench.budget_text)}; R = {_e(_num(bench.max_budget) if bench.max_budget is not None else '1 evaluation')}; optimum {_e(opt_text)}; "
        f"values are the incumbent's {_e(bench.value_name)}.</p>"
    )
    table = bench.summary.table[bench.name]
    key = "final_regret" if bench.optimum is not None else "final_test"
    kinds = sorted({k for by_seed in bench.runs.values() for r in by_seed.values() for k in r.statuses if k != "ok"})
    header = ["optimizer", f"median final {bench.value_name} [q25, q75]", "mean rank", "optimizer ms/eval", f"p vs {baseline}", "normalized score", "runs", "incomplete", "evaluations"] + [
        f"{k} trials" for k in kinds
    ]
    rows = []
    for opt, row in sorted(table.items(), key=lambda kv: (kv[1]["mean_rank"], kv[0])):
        runs = bench.runs[opt].values()
        statuses = sum((r.statuses for r in runs), start=Counter())
        rows.append(
            [
                opt,
                f"{_num(row['median_' + key])} [{_num(row['q25_' + key])}, {_num(row['q75_' + key])}]",
                _num(row["mean_rank"]),
                _num(row["optimizer_ms_per_eval"]),
                _num(row["p_value_vs_baseline"]),
                _num(scores.get(bench.name, {}).get(opt, math.nan)),
                row["n_runs"],
                sum(not r.complete for r in runs),
                sum(statuses.values()),
            ]
            + [statuses.get(k, 0) for k in kinds]
        )
    parts.append(_table(header, rows))
    parts.append(
        '<p class="note">As <code>compare</code> prints it (over every run, incomplete ones included): mean rank over seeds, two-sided Wilcoxon signed-rank p-value '
        f"against {_e(baseline)} paired by seed. Trials whose status is not <code>ok</code> are counted by status.</p>"
    )
    curves = {axis: C.incumbent_curves(bench, axis) for axis in bench.axes}
    labels = {axis: C.AXES[axis] for axis in bench.axes}
    parts.append(
        figs.html(
            F.incumbent_figure(curves, labels, bench.value_name, f"{bench.name}: incumbent {bench.value_name}", styles, log_y=bench.optimum is not None),
            f"incumbent-{bench.name}",
            f"{bench.name} incumbent curves",
            "Median over seeds with the quartile band. An incomplete run is drawn up to where it got; each curve stops at the end of its optimizer's longest run.",
        )
    )
    cmp = C.rank_comparison_within(bench, posthoc, alpha)
    if cmp is not None and cmp.friedman is not None:
        parts.append(
            figs.html(
                F.cd_diagram(cmp, f"{bench.name}: final ranks over {cmp.n_blocks} seeds"),
                f"cd-{bench.name}",
                f"{bench.name} critical-difference diagram",
                "Blocks are seeds (runs paired by seed, complete runs only). " + cmp.describe(),
            )
        )
    trl = C.target_run_lengths(bench, n_targets)
    if trl is not None:
        grid = _fraction_grid([bench])
        curves = C.ecdf_curves([trl], bench.optimizers, grid)
        xlabel = {"resource": "Multiples of R used", "evaluations": "Evaluations", "seconds": "Seconds"}[bench.budget_kind]
        targets = ", ".join(_num(float(t)) for t in trl.targets)
        parts.append(
            figs.html(
                F.ecdf_figure(grid * bench.budget_amount, curves, xlabel, f"{bench.name}: budget to reach {len(trl.targets)} targets", styles),
                f"ecdf-{bench.name}",
                f"{bench.name} ECDF of budget to reach targets",
                f"Targets ({bench.value_name}{'' if bench.optimum is not None else ' above the best found'}): {targets}.",
            )
        )
    return "\n".join(parts)


def _incomplete_section(data: C.ReportData) -> str:
    runs = data.incomplete_runs()
    parts = ['<h2 id="incomplete">Incomplete runs</h2>']
    if not runs:
        parts.append(f'<p class="good">All {len(data.runs)} runs reached their budget.</p>')
        return "\n".join(parts)
    unit = {"resource": "R", "evaluations": " evaluations", "seconds": " s"}
    rows = []
    for r in runs:
        b = data.benchmarks[r.benchmark]
        rows.append([r.benchmark, r.optimizer, r.seed, f"{_num(r.used)}{unit[b.budget_kind]} of {b.budget_text}", r.n_records, str(r.study)])
    parts.append(
        f'<p class="warn">{len(runs)} of {len(data.runs)} runs did not reach their budget (still running, interrupted, or the optimizer stopped early). '
        "They are drawn up to where they got and left out of final ranks, tests, scores and ECDFs. "
        "<code>python -m hpobench compare ... --resume --out DIR</code> continues them.</p>"
    )
    parts.append(_table(["benchmark", "optimizer", "seed", "used", "evaluations", "study"], rows, left=2))
    return "\n".join(parts)


def _settings_section(data: C.ReportData) -> str:
    parts = ['<h2 id="settings">Settings, versions, machine</h2>']
    cmds, other = P.rerun_commands(data)
    parts.append("<h3>Command to rerun</h3>")
    if cmds:
        parts.append("".join(f"<pre>{_e(c)}</pre>" for c in cmds))
        parts.append('<p class="note">As recorded in the manifests; give another <code>--out</code> to rerun into a fresh directory, or add <code>--resume</code> to continue this one.</p>')
    if other:
        parts.append(
            '<p class="note">Some runs were started from Python, not the command line (their process arguments: '
            + _e("; ".join(o or "none" for o in other))
            + "); the settings below say how to repeat them.</p>"
        )
    parts.append("<h3>Studies</h3>")
    parts.append(_table(["directory", "benchmarks", "runs"], [[str(d), ", ".join(sorted({r.benchmark for r in data.runs if r.study == d})), sum(r.study == d for r in data.runs)] for d in data.studies]))
    if data.renamed:
        parts.append("<p class=\"note\">Shown under the directory's name because several studies hold them: " + _e(", ".join(f"{k} = {v}" for k, v in data.renamed.items())) + "</p>")
    parts.append("<h3>Runs</h3>")
    rows = []
    for b in data.benchmarks.values():
        for opt, by_seed in sorted(b.runs.items()):
            man = [r.manifest for r in by_seed.values()]
            oopts = P.distinct([m.get("optimizer_options", {}) for m in man])
            bopts = P.distinct([m.get("benchmark_options", {}) for m in man])
            rows.append([b.name, opt, ", ".join(map(str, sorted(by_seed))), b.budget_text, "; ".join(map(_compact, oopts)), "; ".join(map(_compact, bopts))])
    parts.append(_table(["benchmark", "optimizer", "seeds", "budget", "optimizer options", "benchmark options"], rows, left=2))
    parts.append("<h3>Package versions</h3>")
    versions = P.distinct([r.manifest.get("versions", {}) for r in data.runs if r.manifest.get("versions")])
    if len(versions) > 1:
        parts.append(f'<p class="warn">The runs were recorded with {len(versions)} different sets of package versions.</p>')
    for v in versions:
        parts.append(_table(["package", "version"], [[k, v[k]] for k in sorted(v)]))
    parts.append("<h3>Machine</h3>")
    machines = P.distinct([r.manifest.get("machine") for r in data.runs if r.manifest.get("machine")])
    for m in machines:
        parts.append(_table(["key", "value"], [[k, m[k]] for k in sorted(m)] if isinstance(m, dict) else [["machine", m]]))
    if not machines:
        parts.append('<p class="note">The manifests record no machine; the report was built on:</p>')
        mine = P.this_machine()
        parts.append(_table(["key", "value"], [[k, mine[k]] for k in sorted(mine)]))
    return "\n".join(parts)


def _methods_section(posthoc: str, alpha: float, baseline: str) -> str:
    post = (
        "Nemenyi's test: two optimizers differ when their average ranks differ by at least CD = q_alpha sqrt(k(k+1)/(6N)), q_alpha from the studentized range distribution"
        if posthoc == "nemenyi"
        else "pairwise two-sided Wilcoxon signed-rank tests with Holm's step-down correction"
    )
    return f"""<h2 id="methods">Statistics used</h2>
<ul>
<li>Ranks: within each block (a benchmark, or a seed), 1 = lowest value; ties share the average rank; a missing value ranks last (Demšar, JMLR 7, 2006).</li>
<li>Omnibus test: Friedman's chi-square with tie correction and its Iman–Davenport F form; the post-hoc test runs only when F rejects at alpha = {alpha:g}.</li>
<li>Post-hoc: {_e(post)}. Thick bars in a critical-difference diagram join optimizers not significantly different.</li>
<li>Normalized score: bayesmark's, 1 - (median - optimum) / (median of {_e(baseline)} - optimum): 0 = {_e(baseline)}, 1 = optimum (or best found).</li>
<li>ECDF of the budget needed to reach target values, as in COCO (Hansen et al., Optimization Methods and Software 36, 2021), without COCO's simulated restarts.</li>
<li>Per-benchmark tables: two-sided Wilcoxon signed-rank test against {_e(baseline)}, paired by seed, not corrected for multiple comparisons.</li>
</ul>
<p class="note">Details and references: docs/report.md in the hpobench repository.</p>"""


def _compact(d) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(d.items())) if d else "defaults"


def _check_out(out_file: Path, data: C.ReportData) -> None:
    name = out_file.name
    if name.endswith(LOG_SUFFIX) or name.endswith(MANIFEST_SUFFIX):
        raise C.ReportError(f"--out {out_file} looks like a result log or manifest; give an .html path")
    if out_file.exists() and out_file.is_dir():
        raise C.ReportError(f"--out {out_file} is a directory; give a file path such as report.html")


def build_report(
    study_dirs,
    out_file: str | os.PathLike | None = None,
    figures_dir: str | os.PathLike | None = None,
    posthoc: str = "nemenyi",
    alpha: float = 0.05,
    baseline: str = "random",
    at_max_only: bool = False,
    n_targets: int = 7,
) -> Path:
    """Write one self-contained HTML report of the studies in ``study_dirs``; return its path.

    Args:
        study_dirs: a study directory, or several (written by ``compare`` or ``run``); they are
            only read.
        out_file: where to write the HTML (default ``<first study's name>-report.html`` in the
            current directory, never inside a study).
        figures_dir: also write every figure there as PNG and PDF.
        posthoc: ``"nemenyi"`` (critical difference) or ``"wilcoxon-holm"``.
        alpha: significance level of the Friedman and post-hoc tests.
        baseline: the optimizer normalized scores and p-values are measured against.
        at_max_only: the incumbent counts only evaluations at the maximum budget.
        n_targets: target values per benchmark for the ECDFs.

    Raises:
        ReportError: a study directory is missing or holds no logs, or ``out_file`` is unusable.

    Example:
        >>> build_report(["runs/compare-1"], "report.html")  # doctest: +SKIP
        PosixPath('report.html')
    """
    if isinstance(study_dirs, (str, os.PathLike)):
        study_dirs = [study_dirs]  # for the default file name; load_report_data takes either
    if posthoc not in ("nemenyi", "wilcoxon-holm"):
        raise C.ReportError(f"post-hoc test {posthoc!r} is not known; use nemenyi or wilcoxon-holm")
    if not 0 < alpha < 1:
        raise C.ReportError(f"alpha must be between 0 and 1, got {alpha}")
    data = C.load_report_data(study_dirs, at_max_only=at_max_only, baseline=baseline)
    out = Path(out_file) if out_file is not None else Path(f"{Path(study_dirs[0]).resolve().name}-report.html")
    _check_out(out, data)
    figs = _Figures(Path(figures_dir) if figures_dir is not None else None)
    styles = F.styles_for(data.optimizers)
    scores = C.normalized_scores(data, baseline)
    incomplete = data.incomplete_runs()
    nav = " ".join(
        ['<a href="#across">across benchmarks</a>']
        + [f'<a href="#b-{safe_name(b)}">{_e(b)}</a>' for b in data.benchmarks]
        + ['<a href="#incomplete">incomplete runs</a>', '<a href="#settings">settings</a>', '<a href="#methods">statistics</a>']
    )
    status = (
        f'<span class="warn">{len(incomplete)} of {len(data.runs)} runs incomplete</span>' if incomplete else f'<span class="good">all {len(data.runs)} runs complete</span>'
    )
    body = [
        "<h1>hpobench study report</h1>",
        f"<p>{_e(', '.join(str(d) for d in data.studies))} &middot; {len(data.benchmarks)} benchmark(s), {len(data.optimizers)} optimizer(s), "
        f"{status} &middot; built {_e(_dt.datetime.now().strftime('%Y-%m-%d %H:%M'))} &middot; "
        f'<span id="figure-status" data-loaded="0" data-total="?">figures not checked (scripts disabled)</span></p>',
        f"<nav>{nav}</nav>",
        _across_section(data, figs, styles, posthoc, alpha, baseline, n_targets),
    ]
    for bench in data.benchmarks.values():
        body.append(_benchmark_section(bench, figs, styles, posthoc, alpha, baseline, n_targets, scores))
    body += [_incomplete_section(data), _settings_section(data), _methods_section(posthoc, alpha, baseline)]
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>hpobench report: '
        + _e(", ".join(d.name for d in data.studies))
        + f"</title><style>{_CSS}</style></head><body>\n"
        + "\n".join(body)
        + f"\n<script>{_SCRIPT}</script>\n</body></html>\n"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(page)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a report is meant to be shared
    os.replace(tmp, out)
    return out
