"""Every registered optimizer, on synthetic and multi-fidelity benchmarks, still does exactly
what it did when the fixture was recorded (nevergrad-style recorded fixed-seed results).

The fixture ``tests/fixtures/compare_fixture.jsonl.gz`` was recorded before the study engine was
restructured; a refactoring must leave every trial, configuration, budget and loss unchanged. An
intended change of behaviour re-records it with ``tests/fixtures/make_compare_fixture.py`` and
says so in the commit.

The study runs in a fresh process on pinned floating-point code paths (NumPy's dispatch limited
to AVX2, OpenBLAS's Haswell kernels; ``PINNED_ENV`` in the fixture script): on a CPU with AVX-512
the default paths differ in the last bit, and that is enough to move later proposals.
"""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import importlib.util

import pytest

_spec = importlib.util.spec_from_file_location("make_compare_fixture", Path(__file__).parent / "fixtures" / "make_compare_fixture.py")
_fixture = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixture)
FIXTURE, read_logs = _fixture.FIXTURE, _fixture.read_logs


def _close(a, b) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None or isinstance(a, (str, bool)) or isinstance(b, (str, bool)):
            return a == b
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def test_compare_logs_match_the_recorded_fixture(tmp_path: Path):
    why_not = _fixture.pinned_paths_available()
    if why_not:
        pytest.skip(why_not)
    proc = _fixture.run_pinned_compare(tmp_path / "study")
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = {(r["run"], r["trial"]): r for r in read_logs(tmp_path / "study")}
    with gzip.open(FIXTURE, "rt", encoding="utf-8") as fh:
        want = [json.loads(line) for line in fh]
    assert len(got) == len(want), "a different number of evaluations than recorded"
    for rec in want:
        key = (rec["run"], rec["trial"])
        assert key in got, f"{key} missing"
        new = got[key]
        # Fields the fixture has must match; fields added since are free.
        for field in ("config", "budget", "loss", "resume_from", "charged", "status", "test_loss", "info"):
            assert _close(rec.get(field), new.get(field)), f"{key} {field}: recorded {rec.get(field)!r}, now {new.get(field)!r}"
