"""The HTML study report: built from a real small study, read-only on the logs, honest about
incomplete runs and failed trials, and rendered in headless Chromium without errors."""

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hpobench.cli import main
from hpobench.report import ReportError, build_report, load_report_data
from hpobench.report import collect as C


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    """The issue's small study: two benchmarks (one multi-fidelity), three optimizers, 3 seeds, 5R."""
    out = tmp_path_factory.mktemp("study") / "small"
    argv = ["compare", "--benchmarks", "branin,mf-branin", "--optimizers", "random,tpe,hyperband", "--seeds", "3", "--budget", "5R", "--out", str(out)]
    assert main(argv) == 0
    return out


@pytest.fixture(scope="module")
def report(study, tmp_path_factory) -> tuple[Path, Path, dict]:
    before = _digest(study)
    out = tmp_path_factory.mktemp("report") / "report.html"
    return build_report([study], out), before


def test_report_is_self_contained_and_leaves_the_study_untouched(study, report):
    path, before = report
    assert _digest(study) == before  # not one byte of the study changed, nothing added
    page = path.read_text(encoding="utf-8")
    # every figure is embedded; nothing is fetched from anywhere
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:|#)""", page)
    imgs = re.findall(r'<img class="figure" alt="([^"]+)" src="data:image/svg\+xml;base64,', page)
    # across: rank, CD, score, ECDF; per benchmark: curves, CD over seeds, ECDF
    assert len(imgs) == 4 + 2 * 3
    for needle in ["branin", "mf-branin", "hyperband", "Friedman", "Nemenyi", "Normalized score", "all 15 runs complete", "scipy"]:
        assert needle in page, needle
    # compare ran in this (pytest) process, so its argv is no hpobench command line: not offered as one
    assert "python -m hpobench -" not in page and "started from Python" in page
    # hyperband only ran on mf-branin: named as left out of the across-benchmark ranks
    assert "Left out of the ranks: hyperband" in page


def test_report_numbers_match_the_logs(study):
    data = load_report_data([study])
    mf = data.benchmarks["mf-branin"]
    assert mf.budget_kind == "resource" and mf.budget_amount == 5.0 and mf.axes == ["evaluations", "resource", "elapsed"]
    assert data.benchmarks["branin"].axes == ["evaluations", "resource", "elapsed"]
    assert data.common_optimizers() == ["random", "tpe"]
    # the normalized score of random is 0 by construction; hyperband's from its own median regret
    scores = C.normalized_scores(data)
    assert scores["mf-branin"]["random"] == 0.0
    finals = mf.complete_finals()
    rnd, hb = np.median(list(finals["random"].values())), np.median(list(finals["hyperband"].values()))
    assert scores["mf-branin"]["hyperband"] == pytest.approx(1 - hb / rnd)
    # ranks against budget: ranks of 2 methods average to 1.5 at every budget
    _, ranks = C.rank_over_budget(data)
    assert np.allclose(ranks["random"] + ranks["tpe"], 3.0)
    # ECDF run lengths: a run reaches the hardest target no earlier than the easiest
    trl = C.target_run_lengths(mf)
    assert trl.targets[0] >= trl.targets[-1] > 0
    hb_len = trl.lengths["hyperband"]
    assert np.array_equal(np.maximum.accumulate(hb_len, axis=1), hb_len)
    assert np.isfinite(hb_len[:, -1]).sum() + np.isfinite(trl.lengths["random"][:, -1]).sum() + np.isfinite(trl.lengths["tpe"][:, -1]).sum() >= 1


def test_partial_study_lists_incomplete_runs_and_counts_failure_kinds(study, tmp_path):
    part = tmp_path / "partial"
    shutil.copytree(study / "branin", part / "branin")
    # a run cut short: keep 2 of its 5 evaluations
    log = part / "branin" / "tpe" / "seed-1.jsonl"
    lines = log.read_text().splitlines()
    log.write_text("\n".join(lines[:2]) + "\n")
    # trials that crashed or timed out (the statuses the runner records besides "failed")
    log0 = part / "branin" / "random" / "seed-0.jsonl"
    recs = [json.loads(x) for x in log0.read_text().splitlines()]
    recs[1].update(status="timeout", loss=None)
    recs[3].update(status="crashed", loss=None)
    log0.write_text("".join(json.dumps(r) + "\n" for r in recs))
    before = _digest(part)
    data = load_report_data(part)  # one directory needs no list
    b = data.benchmarks["branin"]
    run = b.runs["tpe"][1]
    assert not run.complete and run.used == 2.0 and run.n_records == 2
    assert [r.seed for r in data.incomplete_runs()] == [1]
    assert 1 not in b.complete_finals()["tpe"]  # left out of final statistics
    grid = np.array([1.0, 2.0, 3.0, 5.0])
    assert np.isnan(C.run_values_on_grid(run, grid, "resource", "regret")[2:]).all()
    assert b.runs["random"][0].statuses == {"ok": 3, "timeout": 1, "crashed": 1}

    out = build_report(part, tmp_path / "partial.html")
    assert _digest(part) == before
    page = out.read_text(encoding="utf-8")
    assert "1 of 6 runs incomplete" in page and "2R of 5R" in page
    assert "<th>crashed trials</th>" in page and "<th>timeout trials</th>" in page


def test_two_studies_with_the_same_optimizer_are_told_apart(study, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        shutil.copytree(study / "branin", d / "branin")
    data = load_report_data([a, b])
    assert data.optimizers == ["random (a)", "random (b)", "tpe (a)", "tpe (b)"]


def test_cli_report_and_its_errors(study, tmp_path, capsys):
    one = tmp_path / "one"
    shutil.copytree(study / "branin", one / "branin")
    out, figs = tmp_path / "r.html", tmp_path / "figs"
    assert main(["report", str(one), "--out", str(out), "--posthoc", "wilcoxon-holm", "--figures", str(figs)]) == 0
    assert "Wilcoxon" in out.read_text(encoding="utf-8") and f"report: {out}" in capsys.readouterr().out
    # --figures: each figure also as PNG and PDF (one benchmark: curves, CD over seeds, ECDF;
    # across benchmarks: rank, score, ECDF, and no CD across a single benchmark)
    pngs = sorted(p.name for p in figs.glob("*.png"))
    assert pngs == ["cd-branin.png", "ecdf-branin.png", "ecdf-targets.png", "incumbent-branin.png", "normalized-score.png", "rank-over-budget.png"]
    assert len(list(figs.glob("*.pdf"))) == 6
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["report", str(tmp_path)]) == 2  # a directory with no logs
    assert "no result logs" in capsys.readouterr().err
    assert main(["report", str(study), "--out", str(study / "branin" / "random" / "seed-0.jsonl")]) == 2
    assert main(["report", str(study), "--alpha", "1.5"]) == 2
    with pytest.raises(ReportError):
        build_report(study, tmp_path / "x.html", posthoc="tukey")


# ------------------------------------------------------------------------- in a browser


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _render(browser: str, page: Path) -> tuple[str, list[str]]:
    """The DOM after load and the page's console messages (Chromium logs every console message,
    uncaught exceptions included, as an INFO:CONSOLE line on stderr)."""
    cmd = [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0", "--virtual-time-budget=15000", "--dump-dom", page.resolve().as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    return proc.stdout, console


def test_report_renders_in_headless_chromium(report, tmp_path):
    browser = _chromium()
    if browser is None:
        msg = "no Chromium on PATH (apt-get install chromium); the report was not rendered in a browser"
        print(msg, file=sys.stderr)
        pytest.skip(msg)
    # the checker sees a broken figure and a console error when there is one
    bad = tmp_path / "bad.html"
    page = report[0].read_text(encoding="utf-8")
    bad.write_text(page.replace('src="data:image/svg+xml;base64,', 'src="data:image/svg+xml;base64,AAAA', 1).replace("</body>", "<script>undefinedFunction()</script></body>"), encoding="utf-8")
    dom, console = _render(browser, bad)
    assert re.search(r'id="figure-status" data-loaded="9" data-total="10"', dom), dom[-3000:]
    assert any("undefinedFunction" in line for line in console)

    dom, console = _render(browser, report[0])
    assert console == []
    status = re.search(r'<span id="figure-status" data-loaded="(\d+)" data-total="(\d+)" class="(\w+)">([^<]*)<', dom)
    assert status, "the page's load script did not run"
    assert status.group(1) == status.group(2) == "10" and status.group(3) == "good"
    assert status.group(4) == "all 10 figures loaded"
