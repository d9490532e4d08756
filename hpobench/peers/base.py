"""What every peer adapter shares: the optional import, the one-line error when the library is
missing, and the answers the CLI asks for (``peer_library``, :meth:`PeerOptimizer.is_available`,
:meth:`PeerOptimizer.library_version`).

A peer adapter is an ordinary :class:`~hpobench.optimizers.base.Optimizer`: the runner, the logs,
``compare`` and the analysis treat it like ours. Its module imports the library only inside the
constructor, so ``import hpobench`` and ``hpobench list`` work without it.
"""

from __future__ import annotations

import importlib
import importlib.util
import shutil
import tempfile
import weakref
from importlib import metadata
from typing import Any, ClassVar

from ..optimizers.base import Optimizer

__all__ = ["MissingPeerError", "PeerOptimizer", "ScratchDir", "library_seed", "unit_levels"]


class MissingPeerError(ImportError):
    """A peer library is not installed; the message names the extra to install (CLI: exit 2)."""


def library_seed(seed: int | None) -> int:
    """The integer seed handed to a library (``None`` becomes 0: peers must be reproducible)."""
    return 0 if seed is None else int(seed) % (2**31 - 1)


def unit_levels(name: str, fidelity, eta) -> tuple[int, int]:
    """``(eta, max_level)`` of a scheduler that steps a configuration one fidelity unit at a time
    (level ``k`` is budget ``k * fidelity.min``); one clear error for a missing fidelity or a
    non-integer ``eta``."""
    if fidelity is None:
        raise ValueError(f"{name} needs a benchmark with a fidelity")
    if int(eta) != eta or eta < 2:
        raise ValueError(f"eta must be an integer >= 2, got {eta}")
    return int(eta), max(1, int(round(fidelity.max / fidelity.min)))


class PeerOptimizer(Optimizer):
    """Base class of the adapters that run another library's optimizer through ask/tell.

    Class attributes:
        peer_library: the library's distribution name (``pip install`` name), e.g. ``"optuna"``.
        peer_modules: the modules that must import (the library and what the adapter needs).
        peer_extra: the hpobench extra that installs it (``pip install "hpobench[<extra>]"``).
        space_notes: how the adapter expresses conditions and dependent bounds, in one sentence.
        reproducibility: where the same seed does not give the same run, or ``""``.
    """

    peer_library: ClassVar[str] = ""
    peer_modules: ClassVar[tuple[str, ...]] = ()
    peer_extra: ClassVar[str] = ""
    space_notes: ClassVar[str] = ""
    reproducibility: ClassVar[str] = ""

    def __init__(self, space, seed: int | None = 0, fidelity=None, **options: Any):
        self.require()
        super().__init__(space, seed=seed, fidelity=fidelity, **options)

    def worst_loss(self) -> float | None:
        """The worst finite loss told so far (what libraries that need a finite value for a
        failed evaluation are told instead), or ``None`` while nothing has succeeded."""
        losses = [float(r.loss) for _, r in self.history if r.ok]
        return max(losses) if losses else None

    # ------------------------------------------------------------------------ what the CLI asks
    @classmethod
    def is_available(cls) -> bool:
        """True when the top-level package of every module in :attr:`peer_modules` is installed
        (nothing is imported: ``find_spec`` of a submodule would import its parent)."""
        try:
            return all(importlib.util.find_spec(m.split(".")[0]) is not None for m in cls.peer_modules)
        except (ImportError, ValueError):
            return False

    @classmethod
    def library_version(cls) -> str | None:
        """The installed version of :attr:`peer_library`, or ``None``."""
        try:
            return metadata.version(cls.peer_library)
        except metadata.PackageNotFoundError:
            return None

    @classmethod
    def install_hint(cls) -> str:
        return f'pip install "hpobench[{cls.peer_extra}]"'

    @classmethod
    def require(cls) -> None:
        """Import the library's modules; raise :class:`MissingPeerError` (one line) if one fails."""
        for module in cls.peer_modules:
            try:
                importlib.import_module(module)
            except ImportError as exc:
                raise MissingPeerError(
                    f"optimizer {cls.name!r} needs the library {cls.peer_library!r} ({exc}); "
                    f"install it with {cls.install_hint()}"
                ) from None


class ScratchDir:
    """A private temporary directory for libraries that insist on writing files (SMAC3, Keras
    Tuner, DEHB); removed when the adapter is garbage-collected or at interpreter exit."""

    def __init__(self, prefix: str):
        self.path = tempfile.mkdtemp(prefix=f"hpobench-{prefix}-")
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.path, True)
