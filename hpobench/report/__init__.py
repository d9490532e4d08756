"""Study reports: one self-contained HTML page per set of study directories.

* :func:`build_report` writes the page (``python -m hpobench report OUT``).
* :func:`load_report_data` reads the studies; :mod:`hpobench.report.collect` computes the numbers
  (curves, ranks against budget, critical differences, normalized scores, ECDFs) from it, and
  :mod:`hpobench.figures` draws them, for notebooks.
"""

from __future__ import annotations

from .builder import build_report
from .collect import ReportData, ReportError, load_report_data

__all__ = ["ReportData", "ReportError", "build_report", "load_report_data"]
