"""Checkpoints of the CNN benchmarks: where they live, how they are named, read and written.

A checkpoint holds what continuing a training run needs — the network's and the optimizer's
``state_dict`` (momentum buffers included) and the global iteration count — plus the benchmark
signature, configuration and seed it belongs to, which are checked when it is read back. The
mini-batch order and the learning rate are functions of the iteration count, so nothing else is
needed to continue exactly.

Files are written to a temporary name and renamed, so a reader never sees half a checkpoint;
an unreadable or foreign file counts as no checkpoint. They are read with
``torch.load(weights_only=True)``, which builds tensors, containers, numbers and strings only:
a pickle planted in a shared checkpoint directory cannot run code.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import shutil
import tempfile
import weakref

from ..datasets import cache_dir
from .device import torch

__all__ = ["CheckpointStore"]


class CheckpointStore:
    """The checkpoint directory of one benchmark instance.

    Args:
        directory: where checkpoints go. ``None``: a fresh temporary directory under
            ``cache_dir()/checkpoints``, created on first use and deleted by :meth:`close` (or
            when the store is garbage-collected). A directory you pass is kept.
        prefix: name prefix of the temporary directory (the benchmark's name).
    """

    def __init__(self, directory: str | os.PathLike | None = None, prefix: str = "cnn"):
        self._user_dir = pathlib.Path(directory) if directory is not None else None
        self.prefix = prefix
        self._tmp_dir: pathlib.Path | None = None
        self._finalizer = None

    def __getstate__(self):
        # a temporary directory belongs to the process that made it (Dask workers make their own)
        return {**self.__dict__, "_tmp_dir": None, "_finalizer": None}

    @property
    def directory(self) -> pathlib.Path:
        """The directory checkpoints go to (a temporary one is created on first use)."""
        if self._user_dir is not None:
            self._user_dir.mkdir(parents=True, exist_ok=True)
            return self._user_dir
        if self._tmp_dir is None:
            root = cache_dir() / "checkpoints"
            root.mkdir(parents=True, exist_ok=True)
            self._tmp_dir = pathlib.Path(tempfile.mkdtemp(prefix=f"{self.prefix}-", dir=root))
            self._finalizer = weakref.finalize(self, shutil.rmtree, str(self._tmp_dir), True)
        return self._tmp_dir

    def path(self, key: str) -> pathlib.Path:
        """The file of the checkpoint identified by ``key`` (a digest of it: keys are long)."""
        digest = hashlib.sha1(key.encode()).hexdigest()[:20]
        return self.directory / f"{digest}.pt"

    def read(self, path: pathlib.Path, device: str, expect: dict) -> dict | None:
        """The checkpoint at ``path`` if it exists, loads, and agrees with ``expect`` on every
        key of ``expect``; ``None`` otherwise."""
        if not path.is_file():
            return None
        try:
            # weights_only: tensors, containers, numbers and strings only. A checkpoint directory
            # may be shared, and a full unpickler would run any code planted at this path.
            ck = torch.load(path, map_location=device, weights_only=True)
        except Exception:  # a torn, foreign or planted file counts as no checkpoint
            return None
        if not isinstance(ck, dict) or any(ck.get(k) != v for k, v in expect.items()):
            return None
        return ck

    def write(self, path: pathlib.Path, checkpoint: dict) -> None:
        """Save ``checkpoint`` at ``path`` atomically (temporary file, then rename)."""
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        torch.save(checkpoint, tmp)
        os.replace(tmp, path)  # atomic: a reader never sees half a checkpoint

    def close(self) -> None:
        """Delete the temporary directory (a directory you passed is kept)."""
        if self._finalizer is not None:
            self._finalizer()
        self._finalizer = None
        self._tmp_dir = None
