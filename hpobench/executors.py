"""Where evaluations run: in this process, in local worker processes, or as Dask tasks.

A run's driver (:mod:`hpobench.runner`) decides *what* to evaluate and in which order results
are told; an executor only evaluates. All three share one small interface:

* ``submit(key, trial, seed)`` starts an evaluation;
* ``wait(timeout)`` blocks until at least one evaluation has finished (or ``timeout`` seconds
  passed) and returns the :class:`Completion` of each finished one;
* ``close()`` releases workers.

Executors never write logs: a worker only computes, and the process that drives the run writes
every line, so a lost worker cannot leave a half-written log.

An evaluation that runs past ``eval_timeout`` seconds comes back as a ``timeout`` trial; a
local worker process that ran it is killed and replaced, a Dask task is cancelled.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import wait as wait_connections
from typing import Any, Hashable

from .benchmarks.base import Benchmark, Result
from .evaluation import evaluate_trial, lost_evaluation
from .optimizers.base import Trial


@dataclass
class Completion:
    """A finished evaluation: its key, log record (per-evaluation fields), result and where it
    ran. ``wall`` is the seconds it took as seen by the executor."""

    key: Hashable
    record: dict
    result: Result
    worker: str
    wall: float = 0.0


@dataclass(frozen=True)
class BenchmarkSpec:
    """How a worker builds its own copy of a benchmark: a registered name or a factory, and
    keyword options. Workers build each spec once and keep it."""

    name: str
    options: dict = field(default_factory=dict)
    factory: Any = None

    def build(self) -> Benchmark:
        from .benchmarks import get_benchmark_factory

        return (self.factory or get_benchmark_factory(self.name))(**self.options)

    @property
    def cache_key(self) -> str:
        from .benchmarks.base import config_key

        return f"{self.name}|{config_key(self.options)}|{id(self.factory) if self.factory else ''}"


# ------------------------------------------------------------------------------- in-process


class InlineExecutor:
    """Evaluates at ``submit``, in this process, one after another (the sequential runner, and
    the simulated clock, whose evaluations are cheap and whose time is the reported cost)."""

    def __init__(self, benchmark: Benchmark):
        self.benchmark = benchmark
        self._done: deque[Completion] = deque()

    def submit(self, key: Hashable, trial: Trial, seed: int) -> None:
        t0 = time.perf_counter()
        rec, result = evaluate_trial(self.benchmark, trial, seed)
        self._done.append(Completion(key, rec, result, "main", time.perf_counter() - t0))

    def wait(self, timeout: float | None = None) -> list[Completion]:
        done = list(self._done)
        self._done.clear()
        return done

    def close(self) -> None:
        pass


# ------------------------------------------------------------------------ local processes


def _worker_main(conn, spec: BenchmarkSpec, threads: int | None) -> None:  # pragma: no cover - runs in a child
    """A local worker process: build the benchmark once, then evaluate what arrives."""
    if threads is not None:
        from .threads import limit_threads

        limit_threads(threads)
    bench = spec.build()
    conn.send("ready")  # the time limit counts from here, not from the process start
    try:
        while True:
            try:
                msg = conn.recv()
            except EOFError:
                return
            if msg is None:
                return
            key, trial, seed = msg
            t0 = time.perf_counter()
            rec, result = evaluate_trial(bench, trial, seed)
            conn.send((key, rec, result, time.perf_counter() - t0))
    finally:
        bench.close()


class ProcessExecutor:
    """``workers`` local processes, each with its own copy of the benchmark (built from
    ``spec``); an evaluation past ``eval_timeout`` seconds is recorded as ``timeout`` and its
    process replaced. A process that dies mid-evaluation gives a ``crashed`` trial.

    Args:
        spec: how each worker builds the benchmark.
        workers: processes (evaluations at once).
        eval_timeout: seconds after which an evaluation is abandoned (None: never).
        threads: torch/BLAS threads per worker (default 1 when ``workers > 1``).
        benchmark: a local copy used only to describe lost evaluations (budget, charge).
    """

    def __init__(self, spec: BenchmarkSpec, workers: int, eval_timeout: float | None = None, threads: int | None = None, benchmark: Benchmark | None = None):
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.spec = spec
        self.eval_timeout = eval_timeout
        self.threads = threads if threads is not None else (1 if workers > 1 else None)
        self._benchmark = benchmark
        self._ctx = mp.get_context("spawn")  # fork would copy torch/BLAS thread pools and locks
        self._slots: list[dict] = [self._start(i) for i in range(workers)]
        self._queue: deque[tuple[int, Trial, int]] = deque()
        self._done: deque[Completion] = deque()
        self._keys: dict[int, Hashable] = {}
        self._token = 0

    def _start(self, index: int) -> dict:
        parent, child = self._ctx.Pipe()
        env = {"OMP_WAIT_POLICY": "PASSIVE"}  # before torch is imported in the child
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            proc = self._ctx.Process(target=_worker_main, args=(child, self.spec, self.threads), daemon=True, name=f"hpobench-worker-{index}")
            proc.start()
        finally:
            for k, v in old.items():
                os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
        child.close()
        return {"index": index, "proc": proc, "conn": parent, "job": None, "since": 0.0, "generation": 0, "ready": False}

    def _replace(self, slot: dict) -> None:
        slot["proc"].kill()
        slot["proc"].join(5)
        slot["conn"].close()
        fresh = self._start(slot["index"])
        fresh["generation"] = slot["generation"] + 1
        slot.update(fresh)

    def _dispatch(self) -> None:
        for slot in self._slots:
            if slot["ready"] and slot["job"] is None and self._queue:
                job = self._queue.popleft()
                slot["conn"].send(job)
                slot["job"], slot["since"] = job, time.perf_counter()

    def submit(self, key: Hashable, trial: Trial, seed: int) -> None:
        # Only a token crosses the pipe: the key may hold objects a child cannot receive.
        self._token += 1
        self._keys[self._token] = key
        self._queue.append((self._token, trial, seed))
        self._dispatch()

    def _lost(self, slot: dict, status: str, error: str) -> None:
        token, trial, seed = slot["job"]
        key = self._keys.pop(token)
        seconds = time.perf_counter() - slot["since"]
        bench = self._benchmark if self._benchmark is not None else self.spec.build()
        rec, result = lost_evaluation(bench, trial, status, error, seconds)
        self._done.append(Completion(key, rec, result, f"local-{slot['index']}.{slot['generation']}", seconds))
        slot["job"] = None
        self._replace(slot)

    def wait(self, timeout: float | None = None) -> list[Completion]:
        deadline = None if timeout is None else time.perf_counter() + timeout
        while not self._done:
            busy = [s for s in self._slots if s["job"] is not None]
            starting = [s for s in self._slots if not s["ready"]]
            if not busy and not (starting and self._queue):
                break
            now = time.perf_counter()
            limits = []
            if self.eval_timeout is not None:
                limits += [s["since"] + self.eval_timeout - now for s in busy]
            if deadline is not None:
                limits.append(deadline - now)
            step = max(0.0, min(limits)) if limits else None
            ready = wait_connections([s["conn"] for s in busy + starting], timeout=step)
            for slot in starting:
                if slot["conn"] in ready:
                    try:
                        slot["ready"] = slot["conn"].recv() == "ready"
                    except (EOFError, OSError):
                        raise RuntimeError(f"a worker process could not start (exit code {slot['proc'].exitcode})") from None
            for slot in busy:
                if slot["conn"] in ready:
                    try:
                        token, rec, result, wall = slot["conn"].recv()
                    except (EOFError, OSError):
                        self._lost(slot, "crashed", f"worker process died (exit code {slot['proc'].exitcode})")
                        continue
                    self._done.append(Completion(self._keys.pop(token), rec, result, f"local-{slot['index']}.{slot['generation']}", wall))
                    slot["job"] = None
                elif self.eval_timeout is not None and time.perf_counter() - slot["since"] >= self.eval_timeout:
                    self._lost(slot, "timeout", f"ran past the evaluation time limit of {self.eval_timeout:g} s")
            self._dispatch()
            if deadline is not None and time.perf_counter() >= deadline:
                break
        done = list(self._done)
        self._done.clear()
        return done

    def close(self) -> None:
        for slot in self._slots:
            try:
                slot["conn"].send(None)
            except (OSError, BrokenPipeError):
                pass
        for slot in self._slots:
            slot["proc"].join(5)
            if slot["proc"].is_alive():
                slot["proc"].kill()
            slot["conn"].close()


# ------------------------------------------------------------------------------------ Dask

_WORKER_BENCHMARKS: dict[str, Benchmark] = {}


def remote_evaluate(spec: BenchmarkSpec, trial: Trial, seed: int) -> tuple[dict, Result, str, float]:
    """A Dask task: evaluate one trial on this worker's copy of the benchmark (built once per
    worker process and kept)."""
    bench = _WORKER_BENCHMARKS.get(spec.cache_key)
    if bench is None:
        bench = _WORKER_BENCHMARKS[spec.cache_key] = spec.build()
    try:
        from distributed import get_worker

        where = get_worker().address
    except (ImportError, ValueError):
        where = f"pid-{os.getpid()}"
    t0 = time.perf_counter()
    rec, result = evaluate_trial(bench, trial, seed)
    return rec, result, where, time.perf_counter() - t0


class DaskExecutor:
    """Evaluations as tasks on a Dask cluster (``client``). A task whose worker dies is rerun
    by Dask on another worker; its result is told once, when it arrives. Several runs share one
    executor: a key is ``(run, trial_id)``, where ``run`` has the ``spec`` its workers build the
    benchmark from and a local ``benchmark`` (to describe a lost evaluation)."""

    def __init__(self, client, eval_timeout: float | None = None):
        self.client = client
        self.eval_timeout = eval_timeout
        self._futures: dict[Any, tuple[Hashable, Trial, float]] = {}

    def submit(self, key: tuple, trial: Trial, seed: int) -> None:
        fut = self.client.submit(remote_evaluate, key[0].spec, trial, seed, pure=False)
        self._futures[fut] = (key, trial, time.perf_counter())

    @property
    def in_flight(self) -> int:
        return len(self._futures)

    def wait(self, timeout: float | None = None) -> list[Completion]:
        from distributed import wait as dask_wait

        if not self._futures:
            return []
        step = timeout
        if self.eval_timeout is not None:
            now = time.perf_counter()
            left = min(t0 + self.eval_timeout - now for _, _, t0 in self._futures.values())
            step = max(0.0, left) if step is None else min(step, max(0.0, left))
        try:
            dask_wait(list(self._futures), timeout=step, return_when="FIRST_COMPLETED")
        except TimeoutError:
            pass
        out = []
        now = time.perf_counter()
        finished = [fut for fut in self._futures if fut.status == "finished"]
        # one round trip for every finished result, not one per future
        for fut, (rec, result, where, wall) in zip(finished, self.client.gather(finished) if finished else []):
            key, trial, t0 = self._futures.pop(fut)
            out.append(Completion(key, rec, result, where, wall))
        for fut in list(self._futures):
            key, trial, t0 = self._futures[fut]
            if fut.status in ("error", "cancelled"):
                rec, result = lost_evaluation(key[0].benchmark, trial, "crashed", f"task failed on the cluster: {fut.exception()!r}", now - t0)
                out.append(Completion(key, rec, result, "dask", now - t0))
            elif self.eval_timeout is not None and now - t0 >= self.eval_timeout:
                fut.cancel()
                rec, result = lost_evaluation(key[0].benchmark, trial, "timeout", f"ran past the evaluation time limit of {self.eval_timeout:g} s", now - t0)
                out.append(Completion(key, rec, result, "dask", now - t0))
            else:
                continue
            del self._futures[fut]
        return out

    def close(self) -> None:
        for fut in self._futures:
            fut.cancel()
        self._futures.clear()
