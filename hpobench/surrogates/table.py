"""The on-disk form of a recording: an append-only gzip'd JSON Lines table plus a manifest.

``<root>/<benchmark>/curves.jsonl.gz`` holds one row per (configuration, seed, budget). The file
is a sequence of gzip *members*, one per learning curve, appended whole: ``gzip -dc`` (and
:func:`read_rows`) read the concatenation as one JSON Lines stream. A recording killed while
writing can only leave a torn *last* member; :func:`scan` finds the longest prefix of complete
members and :func:`repair` truncates the file to it, so a curve is either entirely in the table
or not at all. Appending keeps the bytes already written unchanged, so git stores each commit of
a growing table as a small delta.

``manifest.json`` beside it describes the recording (benchmark and options, budgets, design,
machine, package versions, the commands run) and pins the table: its SHA-256, row count and
curve count. Every append rewrites the manifest under the same lock (``.append.lock``, a
``flock``), so a reader that takes the lock — ``surrogates/commit.sh`` does — always sees a
matching pair.

Row fields: ``config_id`` (index in the Sobol design), ``seed`` (training seed), ``budget``,
``config``, ``val_error``, ``test_error`` (``null`` for a failed evaluation), ``seconds`` (the
cost of reaching ``budget`` from scratch: cumulative training seconds for benchmarks that
continue from checkpoints, the one evaluation's seconds otherwise), ``step_seconds`` (the cost of
the call that produced the row), ``status`` (``ok``, ``failed`` or ``diverged``) and the
benchmark's resource counters where it reports them (``iterations``, ``n_train``,
``n_features``).
"""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import hashlib
import json
import math
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

__all__ = [
    "TABLE_FILE",
    "MANIFEST_FILE",
    "TableScan",
    "scan",
    "repair",
    "read_rows",
    "append_curve",
    "file_sha256",
    "read_manifest",
    "write_manifest",
    "table_summary",
    "check",
    "refresh_manifest",
    "append_lock",
    "TableMissingError",
]

TABLE_FILE = "curves.jsonl.gz"
MANIFEST_FILE = "manifest.json"
APPEND_LOCK = ".append.lock"


class TableMissingError(FileNotFoundError):
    """No recorded table where a benchmark or command needs one."""


@dataclass
class TableScan:
    """What :func:`scan` found: the rows of the complete members and where they end."""

    rows: list[dict] = field(default_factory=list)
    good_bytes: int = 0
    total_bytes: int = 0
    members: int = 0

    @property
    def torn(self) -> bool:
        """Whether bytes after the last complete member exist (an interrupted append)."""
        return self.total_bytes > self.good_bytes


def _clean(value):
    # JSON has no NaN: failed evaluations store null
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _encode_rows(rows: list[dict]) -> bytes:
    lines = [json.dumps({k: _clean(v) for k, v in row.items()}, separators=(",", ":")) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def scan(path: str | os.PathLike) -> TableScan:
    """Parse the complete gzip members of ``path`` (a missing file is an empty table)."""
    path = Path(path)
    out = TableScan()
    if not path.is_file():
        return out
    data = path.read_bytes()
    out.total_bytes = len(data)
    offset = 0
    while offset < len(data):
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            text = d.decompress(data[offset:])
        except zlib.error:
            break
        if not d.eof:  # the member stops before its end: torn
            break
        try:
            rows = [json.loads(line) for line in text.decode().splitlines() if line.strip()]
        except (UnicodeDecodeError, json.JSONDecodeError):
            break
        offset = len(data) - len(d.unused_data)
        out.rows.extend(rows)
        out.members += 1
        out.good_bytes = offset
    return out


def repair(path: str | os.PathLike) -> TableScan:
    """Truncate ``path`` after its last complete member; returns the scan of what remains."""
    s = scan(path)
    if s.torn:
        with open(path, "r+b") as fh:
            fh.truncate(s.good_bytes)
            fh.flush()
            os.fsync(fh.fileno())
        s.total_bytes = s.good_bytes
    return s


def read_rows(directory: str | os.PathLike) -> list[dict]:
    """All rows of the table in ``directory`` (complete members only).

    Raises:
        TableMissingError: there is no table there.
    """
    path = Path(directory) / TABLE_FILE
    if not path.is_file():
        raise TableMissingError(f"no recorded table at {path}")
    return scan(path).rows


def append_curve(path: str | os.PathLike, rows: list[dict]) -> None:
    """Append ``rows`` (one learning curve) as one gzip member, flushed to disk.

    Call it under :func:`append_lock` and follow it with a manifest rewrite.
    """
    blob = gzip.compress(_encode_rows(rows), mtime=0)
    with open(path, "ab") as fh:
        fh.write(blob)
        fh.flush()
        os.fsync(fh.fileno())


def file_sha256(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_manifest(directory: str | os.PathLike) -> dict:
    """The manifest in ``directory``.

    Raises:
        TableMissingError: there is no manifest there.
    """
    path = Path(directory) / MANIFEST_FILE
    if not path.is_file():
        raise TableMissingError(f"no recording manifest at {path}")
    return json.loads(path.read_text())


def write_manifest(directory: str | os.PathLike, manifest: dict) -> None:
    """Write the manifest atomically (a reader sees the old or the new file, never half)."""
    path = Path(directory) / MANIFEST_FILE
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=False) + "\n")
    os.replace(tmp, path)


def table_summary(directory: str | os.PathLike, table_scan: TableScan | None = None) -> dict:
    """The manifest fields that pin the table: checksum, rows, curves, configurations per seed."""
    path = Path(directory) / TABLE_FILE
    s = scan(path) if table_scan is None else table_scan
    curves = sorted({(r["config_id"], r["seed"]) for r in s.rows})
    per_seed: dict[str, int] = {}
    for _, seed in curves:
        per_seed[str(seed)] = per_seed.get(str(seed), 0) + 1
    return {
        "table": TABLE_FILE,
        "sha256": file_sha256(path) if path.is_file() else None,
        "bytes": s.good_bytes,
        "rows": len(s.rows),
        "curves": len(curves),
        "configurations": len({c for c, _ in curves}),
        "curves_per_seed": per_seed,
    }


def check(directory: str | os.PathLike) -> list[str]:
    """Problems with the recording in ``directory`` (an empty list when table and manifest agree).

    Checks the checksum and the counts in the manifest, torn bytes, duplicate rows and curves
    with a budget missing.
    """
    directory = Path(directory)
    try:
        manifest = read_manifest(directory)
    except TableMissingError as exc:
        return [str(exc)]
    path = directory / TABLE_FILE
    if not path.is_file():  # fine only before the first curve is written
        return [] if not manifest.get("rows") else [f"{path} is missing"]
    s = scan(path)
    problems = []
    if s.torn:
        problems.append(f"{path}: {s.total_bytes - s.good_bytes} bytes after the last complete curve (run with --fix)")
    summary = table_summary(directory, s)
    for key in ("sha256", "rows", "curves"):
        if manifest.get(key) != summary[key]:
            problems.append(f"{directory.name}: manifest {key} {manifest.get(key)!r} != table {summary[key]!r}")
    keys = [(r["config_id"], r["seed"], r["budget"]) for r in s.rows]
    if len(set(keys)) != len(keys):
        problems.append(f"{directory.name}: {len(keys) - len(set(keys))} duplicate rows")
    budgets = manifest.get("budgets")
    if budgets is not None:
        by_curve: dict = {}
        for c, seed, b in keys:
            by_curve.setdefault((c, seed), set()).add(b)
        incomplete = [k for k, bs in by_curve.items() if len(bs) != len(budgets)]
        if incomplete:
            problems.append(f"{directory.name}: {len(incomplete)} curves without all {len(budgets)} budgets")
    return problems


@contextlib.contextmanager
def append_lock(directory: str | os.PathLike) -> Iterator[None]:
    """Hold the directory's append lock (``flock`` on ``.append.lock``) for the block."""
    path = Path(directory) / APPEND_LOCK
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def refresh_manifest(directory: str | os.PathLike) -> dict:
    """Cut a torn tail and rewrite the manifest's checksum and counts to match the table
    (under the append lock, so a running recording is not disturbed). Returns the manifest."""
    with append_lock(directory):
        manifest = read_manifest(directory)
        s = repair(Path(directory) / TABLE_FILE)
        manifest.update(table_summary(directory, s))
        write_manifest(directory, manifest)
    return manifest
