"""Recording learning curves from real training: ``python -m hpobench surrogate record``.

:func:`record` trains the configurations of a Sobol design (:mod:`~hpobench.surrogates.design`)
on a benchmark and appends one learning curve per (configuration, seed) to the table of
:mod:`~hpobench.surrogates.table`:

* a benchmark that continues from checkpoints (``can_continue``, the CNN benchmarks) is trained
  once to R, one unit at a time — ``evaluate(config, u, seed, resume_from=u - 1)`` — and
  evaluated after **every** unit 1..R; ``seconds`` is the cumulative training time;
* any other benchmark (the kernel benchmarks) is evaluated afresh at every budget of its grid
  (the integer units ``1..R``); ``seconds`` is that evaluation's time.

A recording is resumable and idempotent: the curves already in the table are skipped, a torn
tail left by a killed recording is cut off first, and curves are appended whole. Several worker
processes (``workers``) each train with one thread; the parent process alone writes.

Example:
    >>> import tempfile
    >>> out = tempfile.mkdtemp()
    >>> summary = record("kernel-ls-digits", 2, out=out, options={"max_train": 200}, quiet=True)
    >>> summary["rows"], summary["curves"]
    (4, 2)
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import math
import multiprocessing
import os
import platform
import signal
import sys
import threading
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

from ..benchmarks import get_benchmark
from ..benchmarks.base import Benchmark
from .design import sobol_configs
from .table import TABLE_FILE, append_curve, append_lock, read_manifest, repair, table_summary, write_manifest, TableMissingError

__all__ = ["parse_budgets", "curve_budgets", "record_curve", "record", "RecordingError", "machine_info", "FORMAT"]

FORMAT = "hpobench-curves/1"
#: Fields copied from a Result's info into each row, where the benchmark reports them.
INFO_FIELDS = ("iterations", "epochs", "n_train", "n_features", "solver")
RECORD_LOCK = ".record.lock"


class RecordingError(ValueError):
    """A recording that cannot start: conflicting settings, another recording running..."""


def parse_budgets(text: str) -> list[float]:
    """Parse a budget grid such as ``"1-12,15-100/5"`` (numbers, ranges ``a-b``, steps ``/s``)."""
    out: list[float] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            span, _, step = part.partition("/")
            lo, sep, hi = span.partition("-")
            if not sep:
                out.append(float(lo))
                continue
            a, b, s = float(lo), float(hi), float(step or 1)
            if s <= 0 or b < a:
                raise ValueError
            n = int(math.floor((b - a) / s + 1e-9))
            out.extend(a + i * s for i in range(n + 1))
        except ValueError:
            raise RecordingError(f"budget grid {text!r}: {part!r} is not a number, a range a-b or a-b/step") from None
    return sorted(set(out))


def curve_budgets(bench: Benchmark, budgets: list[float] | None = None) -> list[float]:
    """The budgets a curve is recorded at: ``budgets`` when given (checked against the
    fidelity), else every integer unit from the fidelity's minimum to R (R itself included when
    it is not an integer)."""
    if bench.fidelity is None:
        raise RecordingError(f"benchmark {bench.name!r} has no fidelity: there is no learning curve to record")
    lo, hi = bench.fidelity.min, bench.fidelity.max
    if budgets is not None:
        grid = sorted({float(b) for b in budgets})
        if not grid or grid[0] < lo - 1e-9 or grid[-1] > hi + 1e-9:
            raise RecordingError(f"budget grid {grid}: budgets must lie in [{lo:g}, {hi:g}] for {bench.name!r}")
        return grid
    budgets = [float(b) for b in range(max(1, math.ceil(lo - 1e-9)), math.floor(hi + 1e-9) + 1)]
    if not budgets or budgets[-1] < hi - 1e-9:
        budgets.append(float(hi))
    return budgets


def record_curve(bench: Benchmark, config: dict, seed: int, config_id: int = 0, budgets: list[float] | None = None) -> list[dict]:
    """One learning curve of ``config``: a row per budget of :func:`curve_budgets`."""
    rows: list[dict] = []
    cumulative = 0.0
    previous: float | None = None
    last = None
    for budget in curve_budgets(bench, budgets):
        if last is not None and last["status"] == "diverged":
            # training stops where it diverged, so a fresh run to any later budget returns the
            # same network: the remaining rows repeat it at no extra cost
            rows.append({**last, "budget": budget, "step_seconds": 0.0})
            continue
        if bench.can_continue:
            r = bench.evaluate(config, budget=budget, seed=seed, resume_from=previous)
            if previous is not None and r.info.get("trained_from") != "checkpoint":
                raise RuntimeError(f"{bench.name}: the checkpoint of budget {previous:g} was not found; the curve would be retrained")
            cumulative += r.cost
            seconds = cumulative
        else:
            r = bench.evaluate(config, budget=budget, seed=seed)
            seconds = r.cost
        status = "diverged" if r.info.get("diverged") else r.status
        row = {
            "config_id": int(config_id),
            "seed": int(seed),
            "budget": budget,
            "config": config,
            "val_error": float(r.loss) if r.loss is not None else None,
            "test_error": None if r.test_loss is None else float(r.test_loss),
            "seconds": seconds,
            "step_seconds": r.cost,
            "status": status,
        }
        row.update({k: r.info[k] for k in INFO_FIELDS if k in r.info})
        rows.append(row)
        previous, last = budget, row
    return rows


# ----------------------------------------------------------------------------- the machine


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("hpobench", "numpy", "scipy", "scikit-learn", "torch", "mnist1d"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict:
    """CPU model, core count, platform and package versions of this machine."""
    from ..threads import cpu_count

    return {"cpu_model": _cpu_model(), "cpu_count": cpu_count(), "platform": platform.platform(), "versions": _versions()}


# ---------------------------------------------------------------------------------- workers

_WORKER: dict[str, Any] = {}


def _init_worker(name: str, options: dict, threads: int, budgets: list[float]) -> None:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch is imported (see threads.py)
    # Ctrl-C and SIGTERM are the parent's to handle: it terminates the pool
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    from ..threads import limit_threads

    bench = get_benchmark(name, **options)
    limit_threads(threads)
    _WORKER.update(bench=bench, budgets=budgets)


def _work(task: tuple[int, int, dict]) -> list[dict]:
    config_id, seed, config = task
    return record_curve(_WORKER["bench"], config, seed, config_id, _WORKER["budgets"])


def _spawn_env() -> None:
    # spawned workers inherit the environment: passive OpenMP waiting before their torch import
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


# -------------------------------------------------------------------------------- recording


def _base_manifest(bench: Benchmark, name: str, options: dict, design_seed: int, budgets: list[float]) -> dict:
    f = bench.fidelity
    return {
        "format": FORMAT,
        "benchmark": name,
        "options": options,
        "kind": bench.kind,
        "can_continue": bool(bench.can_continue),
        "fidelity": {"name": f.name, "min": f.min, "max": f.max, "unit": f.unit},
        "budgets": budgets,
        "space": bench.space.describe(),
        "design": {"kind": "scrambled Sobol (scipy.stats.qmc), decoded by Space.decode", "seed": int(design_seed)},
        "seconds_meaning": "cumulative training seconds to the budget" if bench.can_continue else "seconds of one evaluation at the budget",
        "sessions": [],
    }


def _check_compatible(existing: dict, fresh: dict) -> None:
    for key in ("format", "benchmark", "options", "budgets", "design"):
        if existing.get(key) != fresh.get(key):
            raise RecordingError(
                f"the table here was recorded with {key} = {existing.get(key)!r}, not {fresh.get(key)!r}; "
                "use another --out or the same settings"
            )


_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread() and hasattr(signal, "pthread_sigmask")


@contextlib.contextmanager
def _no_sigint():
    """Hold back SIGINT and SIGTERM for the block (delivered when it ends)."""
    main = _main_thread()
    if main:
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        if main:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def _sigterm_interrupts():
    """Make SIGTERM stop a recording the way Ctrl-C does (workers terminated, files consistent)."""
    if not _main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _fmt_time(seconds: float) -> str:
    seconds = max(0, int(seconds))
    h, rem = divmod(seconds, 3600)
    return f"{h}h{rem // 60:02d}m" if h else f"{rem // 60}m{rem % 60:02d}s"


def record(
    name: str,
    n_configs: int,
    seeds: int = 1,
    workers: int = 1,
    out: str | os.PathLike = "surrogates",
    options: dict | None = None,
    design_seed: int = 0,
    budgets: list[float] | None = None,
    threads: int = 1,
    command: str | None = None,
    quiet: bool = False,
    console: Any = None,
    on_curve: Callable[[int, int], None] | None = None,
) -> dict:
    """Record the curves of configurations ``0 .. n_configs-1`` for training seeds ``0 .. seeds-1``.

    Curves already in ``out/<name>/`` are kept and skipped, so calling again with larger
    ``n_configs`` or ``seeds`` extends a recording, and calling after an interruption finishes it.

    Args:
        name: a registered benchmark with a fidelity.
        n_configs: configurations of the Sobol design to record.
        seeds: training seeds per configuration (0 .. seeds-1).
        workers: processes training in parallel (each with ``threads`` threads); 1 trains in
            this process.
        out: root directory; the table goes to ``out/<name>/``.
        options: keyword options of the benchmark (recorded in the manifest; must match an
            existing table's).
        design_seed: scrambling seed of the Sobol design (must match an existing table's).
        budgets: the budget grid of each curve (default: an existing table's grid, else every
            integer unit 1..R, see :func:`curve_budgets`; must match an existing table's).
        threads: torch / BLAS threads per worker.
        command: the command line to note in the manifest (default ``sys.argv``).
        quiet: no progress output.
        console: a ``rich`` console for the progress display (default: stderr).
        on_curve: called with ``(config_id, seed)`` after each curve is written.

    Returns:
        The table summary (:func:`~hpobench.surrogates.table.table_summary`) after recording.

    Raises:
        RecordingError: bad counts, a table recorded with other settings, or another recording
            of the same table running.
    """
    if n_configs < 1 or seeds < 1 or workers < 1 or threads < 1:
        raise RecordingError(f"--configs, --seeds, --workers and threads must be >= 1 (got {n_configs}, {seeds}, {workers}, {threads})")
    options = dict(options or {})
    directory = Path(out) / name
    directory.mkdir(parents=True, exist_ok=True)
    lock_fh = open(directory / RECORD_LOCK, "a")
    try:
        fcntl.flock(lock_fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock_fh.close()
        raise RecordingError(f"another recording of {directory} is running (lock {directory / RECORD_LOCK})") from None
    try:
        with _sigterm_interrupts():
            return _record_locked(
                name, n_configs, seeds, workers, directory, options, design_seed, budgets, threads, command, quiet, console, on_curve
            )
    finally:
        fcntl.flock(lock_fh.fileno(), fcntl.LOCK_UN)
        lock_fh.close()


def _record_locked(name, n_configs, seeds, workers, directory, options, design_seed, budgets, threads, command, quiet, console, on_curve) -> dict:
    _spawn_env()
    bench = get_benchmark(name, **options)
    try:
        manifest: dict | None = read_manifest(directory)
    except TableMissingError:
        manifest = None
    if budgets is None and manifest is not None:
        budgets = manifest.get("budgets")  # extending a recording keeps its grid
    grid = curve_budgets(bench, budgets)
    fresh = _base_manifest(bench, name, options, design_seed, grid)
    if manifest is None:
        manifest = fresh
    else:
        _check_compatible(manifest, fresh)
    configs = sobol_configs(bench.space, n_configs, design_seed)
    table = directory / TABLE_FILE
    with append_lock(directory):
        existing = repair(table)  # cut a torn tail left by a killed recording
        done = {(r["config_id"], r["seed"]) for r in existing.rows}
        todo = [(cid, seed) for seed in range(seeds) for cid in range(n_configs) if (cid, seed) not in done]
        session = {
            "command": command if command is not None else " ".join(sys.argv),
            "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "ended": None,
            "configs_requested": n_configs,
            "seeds_requested": seeds,
            "workers": workers,
            "threads_per_worker": threads,
            "nice": os.nice(0),
            "curves_added": 0,
            "wall_seconds": 0.0,
            **machine_info(),
        }
        # before the session is written: a session entry stands for a recording that started
        progress = _Progress(len(todo), len(done), quiet, console, name)
        if todo:  # a call with nothing left to record leaves no session behind
            manifest["sessions"] = list(manifest.get("sessions", [])) + [session]
        manifest.update(table_summary(directory, existing))
        write_manifest(directory, manifest)
    started = time.perf_counter()

    def commit(cid: int, seed: int, rows: list[dict]) -> None:
        with _no_sigint(), append_lock(directory):  # Ctrl-C waits until table and manifest agree
            append_curve(table, rows)
            session["curves_added"] += 1
            session["wall_seconds"] = round(time.perf_counter() - started, 1)
            session["ended"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
            manifest.update(table_summary(directory))
            write_manifest(directory, manifest)
        progress.advance(cid, seed, rows)
        if on_curve is not None:
            on_curve(cid, seed)

    try:
        with progress:
            if todo and workers == 1:
                from ..threads import limit_threads

                limit_threads(threads)
                for cid, seed in todo:
                    commit(cid, seed, record_curve(bench, configs[cid], seed, cid, grid))
            elif todo:
                # spawn: fresh workers that import torch after OMP_WAIT_POLICY is set
                pool = multiprocessing.get_context("spawn").Pool(workers, _init_worker, (name, options, threads, grid))
                try:
                    for rows in pool.imap_unordered(_work, [(cid, seed, configs[cid]) for cid, seed in todo]):
                        commit(rows[0]["config_id"], rows[0]["seed"], rows)
                    pool.close()
                except BaseException:
                    pool.terminate()  # Ctrl-C or an error: do not wait for curves in progress
                    raise
                finally:
                    pool.join()
    finally:
        bench.close()
    with append_lock(directory):
        return table_summary(directory)


class _Progress:
    """A rich progress bar on a terminal; one line per curve otherwise (log files)."""

    def __init__(self, total: int, already: int, quiet: bool, console: Any, name: str):
        self.total, self.already, self.quiet, self.name = total, already, quiet, name
        self.done = 0
        self.t0 = time.perf_counter()
        self.bar = None
        if quiet:
            return
        from rich.console import Console

        self.console = console or Console(stderr=True, highlight=False)
        if self.console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn(f"{name}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("curves"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=self.console,
            )
            self.task = self.bar.add_task(name, total=total)
        else:
            self.console.print(f"{name}: {already} curves in the table, {total} to record", soft_wrap=True)

    def __enter__(self):
        if self.bar is not None:
            self.bar.__enter__()
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)

    def advance(self, cid: int, seed: int, rows: list[dict]) -> None:
        self.done += 1
        if self.quiet:
            return
        if self.bar is not None:
            self.bar.advance(self.task)
            return
        elapsed = time.perf_counter() - self.t0
        eta = elapsed / self.done * (self.total - self.done)
        last = rows[-1]
        val = last["val_error"]
        self.console.print(
            f"{self.name}: {self.done}/{self.total} curves (config {cid}, seed {seed}: "
            f"val error {'failed' if val is None else f'{val:.4f}'} at {last['budget']:g}, "
            f"{sum(r['step_seconds'] for r in rows):.1f} s) elapsed {_fmt_time(elapsed)} ETA {_fmt_time(eta)}",
            soft_wrap=True,
        )
