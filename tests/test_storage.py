"""Result logs on real files: records without a newline, failed writes, paths that must stay under
the output directory, per-writer temporary files and the study lock (issue 9, items 1, 3, 8, 15)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from hpobench import get_benchmark, get_optimizer
from hpobench.runner import run
from hpobench.storage import (
    LogError,
    LogWriteError,
    RunLog,
    StudyLock,
    StudyLockedError,
    UnsafePathError,
    check_resumable,
    log_path,
    read_records,
    safe_name,
    safe_path,
    write_manifest,
)

REPO = Path(__file__).resolve().parents[1]


def _run_branin(log, budget="12", resume=False):
    bench = get_benchmark("branin")
    return run(bench, get_optimizer("random", bench.space, seed=3), budget, seed=3, log_path=log, resume=resume)


def _python(code: str, *args: str, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], env=env, capture_output=True, text=True, timeout=120, **kwargs)


def _trajectory(records):
    return [(r["trial"], r["config"], r["loss"]) for r in records]


# ------------------------------------------------------------------ item 3: a line that parses


def test_item3_complete_last_line_without_newline_is_kept_and_completed(tmp_path):
    full = _run_branin(None, "12")
    log = tmp_path / "seed-3.jsonl"
    _run_branin(log, "12")
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:8]).rstrip(b"\n"))  # killed after the 8th record, before its newline
    assert len(read_records(log)) == 8  # it parses, so it is a record
    res = _run_branin(log, "12", resume=True)
    assert res.replayed == 8
    data = log.read_bytes()
    assert data.count(b"\n") == 12 and data.endswith(b"\n")  # its newline was completed, nothing lost
    assert _trajectory(read_records(log)) == _trajectory(full.records)
    # and it resumes again (before the fix: "trial 8 does not replay")
    assert _run_branin(log, "12", resume=True).replayed == 12


def test_item3_a_last_line_that_does_not_parse_is_still_torn(tmp_path):
    log = tmp_path / "seed-3.jsonl"
    _run_branin(log, "5")
    with open(log, "ab") as fh:
        fh.write(b'{"trial": 5, "config": {"x1"')
    assert len(read_records(log)) == 5
    with RunLog(log, {}):
        pass
    assert log.read_bytes().endswith(b"}\n") and len(read_records(log)) == 5


# --------------------------------------------------------- item 15: full disk, unwritable dirs

_FILL_UP = """
import resource, sys
from hpobench import get_benchmark, get_optimizer
from hpobench.runner import run
from hpobench.storage import LogError
bench = get_benchmark("branin")
limit = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))  # a disk that fills up at `limit` bytes
try:
    run(bench, get_optimizer("random", bench.space, seed=3), "40", seed=3, log_path=sys.argv[1])
except LogError as exc:
    print(exc, file=sys.stderr)
    sys.exit(2)
"""


def test_item15_full_disk_is_one_clear_error_and_the_log_stays_replayable(tmp_path):
    log = tmp_path / "seed-3.jsonl"
    proc = _python(_FILL_UP, str(log), "4000")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot write" in lines[0] and "File too large" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr and "resume=True / --resume" in lines[0]
    data = log.read_bytes()
    assert 0 < len(data) <= 4000 and data.endswith(b"\n")  # the half-written line was undone
    kept = read_records(log)
    assert 5 <= len(kept) < 40
    # with space again, resume replays every kept line and reaches the uninterrupted trajectory
    res = _run_branin(log, "40", resume=True)
    assert res.replayed == len(kept)
    assert _trajectory(read_records(log)) == _trajectory(_run_branin(None, "40").records)


def test_item15_a_file_where_the_log_directory_should_be(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "branin").write_text("not a directory")
    with pytest.raises(LogWriteError, match="cannot write") as err:
        _run_branin(log_path(out, "branin", "random", 3))
    assert "\n" not in str(err.value)


_READ_ONLY = """
import os, sys
from hpobench import get_benchmark, get_optimizer
from hpobench.runner import run
from hpobench.storage import LogError
bench = get_benchmark("branin")
opt = get_optimizer("random", bench.space, seed=3)
os.setgid(65534); os.setuid(65534)  # drop root (after the imports): permissions apply again
try:
    run(bench, opt, "5", seed=3, log_path=sys.argv[1])
except LogError as exc:
    print(exc, file=sys.stderr)
    sys.exit(2)
"""


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="drops root to a real unprivileged user")
def test_item15_unwritable_directory_inside_out(tmp_path):
    # a directory the unprivileged user can enter but not write, outside root's private tmp_path
    out = Path(tempfile.mkdtemp(prefix="hpobench-ro-"))
    try:
        os.chmod(out, 0o755)
        (out / "branin" / "random").mkdir(parents=True)
        os.chmod(out / "branin" / "random", 0o555)
        proc = _python(_READ_ONLY, str(out / "branin" / "random" / "seed-3.jsonl"), cwd="/")
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "Permission denied" in lines[0], proc.stderr
        assert not list((out / "branin" / "random").iterdir())  # nothing half-written
    finally:
        shutil.rmtree(out)


# ------------------------------------------------------------------- item 8: paths stay in out


@pytest.mark.parametrize("name", ["..", ".", "a/../../x", "../../etc", "/abs", ".hidden", "", "x\\..\\y"])
def test_item8_registered_names_cannot_escape_out(tmp_path, name):
    out = tmp_path / "out"
    assert safe_name(name) not in ("", ".", "..") and "/" not in safe_name(name) and not safe_name(name).startswith(".")
    for path in (log_path(out, name, name, 0), safe_path(out, "plots", name + ".png")):
        assert out.resolve() in path.resolve().parents
    log = log_path(out, name, "random", 3)
    _run_branin(log, "2")
    assert [p for p in tmp_path.iterdir()] == [out]  # nothing was written beside out


def test_item8_safe_path_refuses_a_planted_symlink(tmp_path):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "branin").symlink_to(elsewhere)
    with pytest.raises(UnsafePathError, match="outside the output directory"):
        log_path(out, "branin", "random", 0)
    assert safe_name("module:Class") == "module_Class" and safe_name("mf-branin") == "mf-branin"


# ------------------------------------------------------------------------------- wording


def test_log_error_from_the_api_names_both_ways_to_resume(tmp_path):
    log = tmp_path / "seed-3.jsonl"
    _run_branin(log, "2")
    with pytest.raises(LogError) as err:
        check_resumable(log, {}, resume=False)
    assert "resume=True / --resume" in str(err.value) and "pass --resume" not in str(err.value)


# ------------------------------------------------- item 1: temporary files and the study lock

_MANIFESTS = """
import sys
from hpobench.storage import write_manifest
for i in range(int(sys.argv[2])):
    write_manifest(sys.argv[1], {"benchmark": "branin", "writer": sys.argv[3], "i": i})
"""


def test_item1_manifest_temporary_files_are_unique_per_writer(tmp_path):
    log = tmp_path / "seed-0.jsonl"
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    # two writers of one manifest at once: with a shared ".tmp" name one of them crashed
    procs = [
        subprocess.Popen([sys.executable, "-c", _MANIFESTS, str(log), "40", str(k)], env=env, stderr=subprocess.PIPE, text=True)
        for k in range(2)
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seed-0.manifest.json"]  # no temporary left
    write_manifest(log, {"benchmark": "branin"})


_HOLD_LOCK = """
import sys, time
from hpobench.storage import StudyLock
lock = StudyLock(sys.argv[1]).acquire()
print("locked", flush=True)
time.sleep(120)
"""


def test_item1_study_lock_refuses_a_second_process_and_dies_with_a_killed_holder(tmp_path):
    out = tmp_path / "study"
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    holder = subprocess.Popen([sys.executable, "-c", _HOLD_LOCK, str(out)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(StudyLockedError) as err:
            StudyLock(out).acquire()
        msg = str(err.value)
        assert "\n" not in msg and f"process {holder.pid}" in msg and str(out) in msg
        # a second process is refused too, with the same line
        second = _python("import sys\nfrom hpobench.storage import StudyLock, LogError\ntry:\n    StudyLock(sys.argv[1]).acquire()\nexcept LogError as e:\n    print(e); sys.exit(2)\n", str(out))
        assert second.returncode == 2 and f"process {holder.pid}" in second.stdout
    finally:
        holder.send_signal(signal.SIGKILL)  # killed while holding the lock
        holder.wait(timeout=30)
    deadline = time.monotonic() + 10
    while True:  # the kernel releases the lock with the dead process's files
        try:
            lock = StudyLock(out).acquire()
            break
        except StudyLockedError:
            assert time.monotonic() < deadline, "the lock of a killed process was not released"
            time.sleep(0.05)
    assert lock.held and (out / ".hpobench.lock").read_text().strip() == str(os.getpid())
    with pytest.raises(StudyLockedError):  # one holder even within one process
        StudyLock(out).acquire()
    lock.release()
    with StudyLock(out) as again:
        assert again.held
    assert not again.held
