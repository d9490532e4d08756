"""Finding and running the figure scripts of ``paper_figures/``."""

from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .studies import MissingResults


@dataclass
class FigureOutcome:
    """What one figure script did: the files written, or why it was skipped."""

    name: str
    files: list[Path]
    skipped: str | None = None
    seconds: float = 0.0


def default_scripts_dir() -> Path:
    """``paper_figures/`` beside the package (a source checkout), else in the working directory."""
    here = Path(__file__).resolve().parents[2] / "paper_figures"
    return here if here.is_dir() else Path("paper_figures")


def figure_scripts(scripts_dir: str | Path | None = None) -> dict[str, object]:
    """The figure scripts (``*.py`` defining ``NAME`` and ``make``) as modules, by ``NAME``."""
    scripts_dir = Path(scripts_dir) if scripts_dir else default_scripts_dir()
    found = {}
    for path in sorted(scripts_dir.glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"paper_figures_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if hasattr(module, "NAME") and hasattr(module, "make"):
            found[module.NAME] = module
    return found


def make_figures(results: str | Path = "results", out: str | Path = "paper_figures/out", only: list[str] | None = None, scripts_dir=None) -> list[FigureOutcome]:
    """Run every figure script (or those named in ``only``) on the logs under ``results``,
    writing PNG and PDF under ``out``. A figure whose study has no logs is skipped with the
    reason; raises KeyError for a name in ``only`` that no script has."""
    scripts = figure_scripts(scripts_dir)
    for name in only or []:
        if name not in scripts:
            raise KeyError(f"no figure named {name!r}; figures: {', '.join(scripts)}")
    outcomes = []
    for name, module in scripts.items():
        if only and name not in only:
            continue
        t0 = time.perf_counter()
        try:
            files = list(module.make(Path(results), Path(out)))
            outcomes.append(FigureOutcome(name, files, None, time.perf_counter() - t0))
        except MissingResults as exc:
            outcomes.append(FigureOutcome(name, [], str(exc), time.perf_counter() - t0))
    return outcomes


def script_main(make: Callable, description: str | None = None) -> int:
    """The command line of one figure script: ``--results DIR --out DIR``."""
    import argparse

    p = argparse.ArgumentParser(description=description)
    p.add_argument("--results", default="results", help="the results directory (default results)")
    p.add_argument("--out", default="paper_figures/out", help="where PNG and PDF go (default paper_figures/out)")
    args = p.parse_args()
    try:
        files = make(Path(args.results), Path(args.out))
    except MissingResults as exc:
        print(f"error: {exc}")
        return 2
    for f in files:
        print(f)
    return 0
