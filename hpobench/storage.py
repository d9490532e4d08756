"""Crash-safe result logs: one JSON Lines file per run plus a manifest beside it.

Layout (all on-disk names live here)::

    OUT/<benchmark>/<optimizer>/seed-<k>.jsonl           one line per finished evaluation
    OUT/<benchmark>/<optimizer>/seed-<k>.manifest.json   settings, seed, package versions

    OUT/.hpobench.lock                                   held by the process running a study there

Every line is flushed and fsynced as soon as its evaluation finishes, so a killed run loses at
most the evaluations in flight. A last line that parses is a record even without its newline
(the newline is completed when the log is reopened); a last line that does not parse is torn
(the process died mid-write) and is dropped; a damaged line anywhere else makes the log
corrupt, which is refused, never repaired in place. A write that fails (full disk, file-size
limit, permissions) is undone back to the last complete line and raised as
:class:`LogWriteError`, so the log stays replayable.

Every path under ``OUT`` is built by :func:`safe_path` from sanitized names and checked to stay
under ``OUT``. :class:`StudyLock` keeps two processes from writing one study directory at once.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import json
import math
import os
import platform
import secrets
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable

LOG_SUFFIX = ".jsonl"
LOCK_NAME = ".hpobench.lock"
MANIFEST_SUFFIX = ".manifest.json"
#: Settings that must agree between a manifest and a resumed run.
MANIFEST_KEYS = ("benchmark", "benchmark_options", "optimizer", "optimizer_options", "seed", "budget", "parallel_evals")
_PACKAGES = ("numpy", "scipy", "scikit-learn", "hyperopt", "dask", "distributed", "torch",
             # the peer libraries (hpobench.peers), where installed
             "optuna", "cmaes", "scikit-optimize", "smac", "ConfigSpace", "dehb", "syne-tune", "keras-tuner", "keras", "ray")


def _sync(fd: int) -> None:
    """fdatasync where the OS has it: it persists the data and the file size an append
    changes, which is all a reader needs, and skips the timestamp write that makes fsync
    slower (measured 2.3 ms vs 3.6 ms per call on a virtual disk)."""
    (getattr(os, "fdatasync", None) or os.fsync)(fd)


class LogError(ValueError):
    """A result log that cannot be used (corrupt, or written with other settings)."""


class LogWriteError(LogError):
    """Writing under the output directory failed (full disk, file-size limit, permissions, a
    file where a directory should be). The log keeps every complete line."""


class UnsafePathError(LogError):
    """A path built from names would leave the output directory."""


class StudyLockedError(LogError):
    """Another process holds the study directory's lock."""


def _write_error(path: Path, exc: OSError) -> LogWriteError:
    reason = exc.strerror or errno.errorcode.get(exc.errno or 0, "") or str(exc)
    return LogWriteError(
        f"cannot write {path}: {reason}; every complete line written so far is kept "
        "(free space or fix the directory, then continue with resume=True / --resume)"
    )


def safe_name(name: str) -> str:
    """A file-system friendly version of a benchmark or optimizer name (``module:Class`` too).

    Only letters, digits, ``-``, ``_`` and ``.`` are kept (anything else becomes ``_``), and
    leading dots become ``_``, so the result is one path component and never ``.``, ``..`` or a
    hidden file.
    """
    clean = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in str(name))
    stripped = clean.lstrip(".")
    return "_" * (len(clean) - len(stripped)) + stripped or "_"


def safe_path(out: str | os.PathLike, *names: str) -> Path:
    """``out / safe_name(n1) / safe_name(n2) / ...``, checked to stay under ``out``.

    Use it for every file a study writes under its output directory (logs, figures, summaries):
    each name becomes one sanitized path component, and the resolved result (symbolic links
    followed) must lie under the resolved ``out``.

    Raises:
        UnsafePathError: the path would leave ``out`` (e.g. through a planted symbolic link).
    """
    root = Path(out)
    path = root.joinpath(*(safe_name(n) for n in names))
    base = root.resolve()
    real = path.resolve()
    if real != base and base not in real.parents:
        raise UnsafePathError(f"{path} resolves to {real}, outside the output directory {base}; refusing to write there")
    return path


def log_path(out: str | os.PathLike, benchmark: str, optimizer: str, seed: int) -> Path:
    """Where the log of one (benchmark, optimizer, seed) run lives."""
    return safe_path(out, benchmark, optimizer, f"seed-{int(seed)}{LOG_SUFFIX}")


def manifest_path(log: str | os.PathLike) -> Path:
    log = Path(log)
    return log.with_name(log.name[: -len(LOG_SUFFIX)] + MANIFEST_SUFFIX if log.name.endswith(LOG_SUFFIX) else log.name + MANIFEST_SUFFIX)


@functools.lru_cache(maxsize=1)
def _package_versions() -> tuple:
    # Looking up ~20 distributions costs ~0.2 s; versions do not change while a process runs.
    return tuple(_lookup_versions().items())


def package_versions() -> dict[str, str]:
    """The versions of Python and of the packages a result depends on (those installed)."""
    return dict(_package_versions())


def _lookup_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in (*_PACKAGES, "hpobench"):
        try:
            out[pkg] = metadata.version(pkg)
        except Exception:  # noqa: BLE001 - not installed, or unreadable metadata: a manifest without it beats a lost run
            pass
    return out


def _jsonable(value: Any) -> Any:
    """Make a record JSON-safe: non-finite floats become None (strict JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _jsonable(value.item())
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)


def dumps(record: dict) -> str:
    return json.dumps(_jsonable(record), separators=(",", ":"), allow_nan=False)


def read_manifest(log: str | os.PathLike) -> dict | None:
    path = manifest_path(log)
    if not path.exists():
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, json.JSONDecodeError) as exc:
        raise LogError(f"manifest {path} is unreadable ({exc}); move it away or choose another output directory") from None


def _parse_record(line: bytes) -> dict | None:
    """The record a line holds, or ``None`` if it is not a JSON object."""
    try:
        rec = json.loads(line)
    except ValueError:
        return None
    return rec if isinstance(rec, dict) else None


def read_records(log: str | os.PathLike) -> list[dict]:
    """Read a log: every line that parses is a record (the last one also without its newline);
    a last line that does not parse is torn and dropped; a damaged line before it raises
    :class:`LogError`."""
    path = Path(log)
    if not path.exists():
        return []
    with open(path, "rb") as fh:
        data = fh.read()
    lines = data.split(b"\n")
    records = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        rec = _parse_record(line)
        if rec is None:
            is_last = all(not rest.strip() for rest in lines[i + 1 :])
            if is_last and not data.endswith(b"\n"):
                break  # torn write of the last evaluation: drop it
            raise LogError(f"log {path} is corrupt at line {i + 1}; it is left untouched (move it away or use another output directory)")
        records.append(rec)
    return records


def write_manifest(log: str | os.PathLike, settings: dict) -> None:
    """Write the manifest atomically (temporary file + rename)."""
    path = manifest_path(log)
    body = {**_jsonable(settings), "versions": package_versions(), "argv": sys.argv[1:]}
    # unique per writer: two processes writing one manifest never share a temporary file
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(body, fh, indent=2, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise _write_error(path, exc) from None


def check_resumable(log: str | os.PathLike, settings: dict, resume: bool) -> list[dict]:
    """Decide whether a run may write ``log``; return the records to replay.

    * No log yet: fine, nothing to replay.
    * A log exists and ``resume`` is False: refused (never overwritten).
    * ``resume``: the manifest must match ``settings`` on :data:`MANIFEST_KEYS`; the log must be
      readable (a torn last line is fine).
    """
    path = Path(log)
    manifest = read_manifest(path)
    exists = path.exists() and path.stat().st_size > 0
    if not resume:
        if exists or manifest is not None:
            raise LogError(f"{path} already exists; continue it with resume=True / --resume, or choose another output directory")
        return []
    if manifest is None:
        if exists:
            raise LogError(f"{path} has no manifest beside it, so its settings are unknown; refusing to resume it")
        return []
    wanted = _jsonable(settings)
    for key in MANIFEST_KEYS:
        if manifest.get(key) != wanted.get(key):
            raise LogError(
                f"{path} was written with {key}={manifest.get(key)!r}, but this run asks for {wanted.get(key)!r}; "
                "resume with the same settings or choose another output directory"
            )
    return read_records(path)


class RunLog:
    """Append-only writer for one run's log.

    Opening drops only a torn tail (bytes after the last newline that do not parse), which
    :func:`read_records` already ignored, and completes the newline of a last line that parses;
    every record is kept. A failed append is undone back to the last complete line and raised
    as :class:`LogWriteError`.
    """

    def __init__(self, log: str | os.PathLike, settings: dict):
        self.path = Path(log)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _write_error(self.path, exc) from None
        if not manifest_path(self.path).exists():
            write_manifest(self.path, settings)
        try:
            # unbuffered: a failed write leaves nothing behind in a buffer to be flushed later
            self._fh = open(self.path, "ab+", buffering=0)
            self._size = self._repair_tail()
        except OSError as exc:
            self._fh = None
            raise _write_error(self.path, exc) from None

    def _repair_tail(self) -> int:
        """Drop a torn last line or complete the newline of one that parses; return the size."""
        fh = self._fh
        size = fh.seek(0, os.SEEK_END)
        if size == 0:
            return 0
        fh.seek(0)
        data = fh.read()
        keep = data.rfind(b"\n") + 1
        if keep == size:
            return size
        if _parse_record(data[keep:]) is not None:
            self._write_all(b"\n")  # a complete record that lost only its newline
            keep = size + 1
        else:
            fh.truncate(keep)
        _sync(fh.fileno())
        return keep

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = self._fh.write(view)
            if not written:  # pragma: no cover - a raw write of 0 bytes without an error
                raise OSError(errno.EIO, "the write made no progress")
            view = view[written:]

    def append(self, record: dict) -> None:
        """Write one record as a line, flush and sync it to disk before returning.

        Raises:
            LogWriteError: the write failed; the log is cut back to its last complete line.
        """
        line = dumps(record).encode("utf-8") + b"\n"
        try:
            self._write_all(line)
            _sync(self._fh.fileno())
        except OSError as exc:
            with contextlib.suppress(OSError):  # shrinking a file works on a full disk too
                self._fh.truncate(self._size)
                _sync(self._fh.fileno())
            raise _write_error(self.path, exc) from None
        self._size += len(line)

    def close(self) -> None:
        if self._fh is not None and not self._fh.closed:
            self._fh.close()

    def __enter__(self) -> "RunLog":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class StudyLock:
    """An exclusive lock on a study directory: ``OUT/.hpobench.lock`` held with ``flock``.

    One process runs a study in a directory at a time. The operating system releases the lock
    when the holder's file is closed or the process dies, even by SIGKILL, so no stale lock is
    ever left behind. The holder's pid is written into the file for the error message.

    Example:
        >>> import tempfile
        >>> out = tempfile.mkdtemp()
        >>> with StudyLock(out):
        ...     pass  # run the study here

    Raises:
        StudyLockedError: another process holds the lock (one line, naming its pid).
        LogWriteError: the lock file cannot be created.
    """

    def __init__(self, out: str | os.PathLike):
        self.out = Path(out)
        self.path = self.out / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> "StudyLock":
        """Take the lock without waiting."""
        if self._fd is not None:
            return self
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise _write_error(self.path, exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = _read_pid(fd)
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise _write_error(self.path, exc) from None
            who = f"process {holder}" if holder else "another process"
            raise StudyLockedError(
                f"{self.out} is in use by {who} running a study there; wait for it to finish or choose another output directory"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        """Give the lock back (closing the file releases it)."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> "StudyLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def iter_logs(out: str | os.PathLike) -> Iterable[tuple[str, str, int, Path]]:
    """Every ``(benchmark, optimizer, seed, path)`` below ``out``, sorted."""
    root = Path(out)
    for path in sorted(root.glob(f"*/*/seed-*{LOG_SUFFIX}")):
        seed_text = path.name[len("seed-") : -len(LOG_SUFFIX)]
        if not seed_text.isdigit():
            continue
        manifest = read_manifest(path) or {}
        bench = manifest.get("benchmark", path.parent.parent.name)
        opt = manifest.get("optimizer", path.parent.name)
        yield bench, opt, int(seed_text), path


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as strict, indented JSON (NaN and inf become null, as in the logs),
    atomically: a reader sees the old file or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(_jsonable(obj), fh, indent=2, allow_nan=False)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def read_json(path: str | os.PathLike) -> Any:
    """Read a JSON file written by :func:`write_json`."""
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)
