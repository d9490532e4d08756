"""The Hyperband paper's figures: trace conventions, speed-ups, the studies behind them.

Li, Jamieson, DeSalvo, Rostamizadeh, Talwalkar, "Hyperband", JMLR 18(185), 2018, draw every
search method's **trace** as the test error of the configuration with the lowest validation error
so far, averaged over trials, against "Multiple of R Used". Where a method's points sit on that
axis is a convention of the figure, not of the method (:class:`Placement`):

* ``PER_CONFIG``: one point per completed configuration, at the resource charged so far (the
  model-based methods and random search: x = 1, 2, ..., 50 on a fidelity benchmark). A
  configuration trained in several step trials (SMAC (early): ``info["run"]``) gets one point,
  at its last step.
* ``HALVED``: "random 2x" — evaluation j at x = j/2 multiples of R (it has seen twice as many
  configurations as random search at every point of the axis), whatever the log charged.
* ``BRACKET_END``: Hyperband and "bracket s=4" — one point at the end of each bracket (the
  record ``info`` names the bracket), at the resource charged up to there. The authors' plots
  charged every bracket a flat 5R; we keep the resource actually charged (a promoted
  configuration that continues from its checkpoint is charged only the extra units, so
  bracket s=4 of R = 81, eta = 3 costs 3.67R). The last record of a run is a point too (a
  bracket cut short by the budget still ran).

Figures 5 and 6 (many data sets, a wall-clock time axis) rank the searchers at each time point
instead (:mod:`hpobench.paper.ranks`).

The figure scripts under ``paper_figures/`` map the paper's legend names to this suite's
optimizers and placements; everything they compute is here, so it is unit-tested.
:data:`PAPER_STUDIES` names the study behind each figure, and :func:`rerun` runs it again;
finished logs are kept gzipped in ``results/`` (:func:`pack_logs`) and unpacked to be resumed.
"""

from __future__ import annotations

from .drawing import PAPER_METHODS, Method, bracket_methods, brackets_figure, curve_figure, method_curves, minutes_figures, paper_methods, resource_figures, save_figure, table1_cells, zoom_ylim
from .scripts import FigureOutcome, default_scripts_dir, figure_scripts, make_figures, script_main
from .ranks import RANDOM_2X, average_ranks, dataset_curves, final_differences, random_2x_traces, time_trace
from .studies import (
    KERNEL, LENET, RANDOM_FEATURES, PAPER_COMPUTATIONS, CLRComparison, PAPER_STUDIES, PIPELINES, LRRangeComputation, MissingResults, PaperStudy, pack_logs, prepare_rerun, rerun,
    study_runs, study_runs_by_benchmark, unpack_logs,
)
from .traces import (
    MeanCurve, PaperTrace, Placement, SpeedUp, bracket_key, mean_curve, paper_trace, resource_to_reach, run_key, speedup_markdown, speedups,
    step_values, write_speedups,
)

__all__ = [
    "KERNEL", "LENET", "RANDOM_FEATURES", "PIPELINES", "CLRComparison", "RANDOM_2X", "average_ranks", "dataset_curves", "final_differences", "random_2x_traces", "time_trace",
    "study_runs_by_benchmark", "PAPER_COMPUTATIONS", "PAPER_STUDIES", "FigureOutcome", "LRRangeComputation", "MeanCurve", "Method", "MissingResults",
    "PaperStudy", "PaperTrace", "pack_logs", "prepare_rerun", "unpack_logs", "Placement", "SpeedUp", "bracket_key", "bracket_methods", "brackets_figure", "curve_figure", "default_scripts_dir", "figure_scripts", "make_figures",
    "mean_curve", "method_curves", "minutes_figures", "paper_methods", "PAPER_METHODS", "paper_trace", "rerun", "resource_figures", "resource_to_reach", "run_key", "save_figure", "script_main", "speedup_markdown",
    "speedups", "step_values", "study_runs", "table1_cells", "write_speedups", "zoom_ylim",
]
