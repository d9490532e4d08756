"""Shared helpers for the pytest-benchmark suite.

Targets are recorded in each benchmark's ``extra_info``; they are asserted only when
``HPOBENCH_ENFORCE_TARGETS=1`` (a loaded CI machine must not fail on timing noise). Run the suite
with ``python -m pytest tests/benchmarks --benchmark-only``.
"""

import os

import pytest

ENFORCE = os.environ.get("HPOBENCH_ENFORCE_TARGETS") == "1"


def median_seconds(benchmark):
    """The benchmark's median in seconds, or None under ``--benchmark-disable`` (the function
    then ran once as a plain test and no statistics exist)."""
    stats = getattr(benchmark, "stats", None)
    return None if stats is None else stats.stats.median


@pytest.fixture
def target():
    """``target(benchmark, name, value, limit, higher_is_better=False)`` records and checks a target."""

    def check(benchmark, name, value, limit, higher_is_better=False):
        if value is None:  # --benchmark-disable: nothing was timed
            return None
        benchmark.extra_info[name] = value
        benchmark.extra_info[name + "_target"] = limit
        met = value >= limit if higher_is_better else value <= limit
        benchmark.extra_info[name + "_met"] = bool(met)
        if ENFORCE:
            assert met, f"{name} = {value:.4g}, target {'>=' if higher_is_better else '<='} {limit}"
        return met

    return check
