"""PyTorch as an optional dependency of the CNN benchmarks: the guarded import, a clear error
when it is missing, and the device choice.

Every module of :mod:`hpobench.benchmarks.cnn` takes ``torch``, ``nn`` and ``F`` from here, so
torch is imported in one place and after :func:`~hpobench.threads.passive_wait`.
"""

from __future__ import annotations

from ...threads import passive_wait
from ..base import UnavailableError

# OpenMP threads that spin between ops starve the other workers on a shared machine (measured:
# 2 torch threads on 2 busy cores ran LeNet 5-15x slower with ACTIVE than PASSIVE waiting).
# Only effective if torch is not loaded yet; an explicit OMP_WAIT_POLICY is respected.
passive_wait()

try:  # torch is an optional dependency (extra "cnn"); the package imports without it
    import torch
    from torch import nn
    from torch.nn import functional as F
except ImportError:  # pragma: no cover - exercised only without torch
    torch = None
    nn = None
    F = None

__all__ = ["torch", "nn", "F", "TORCH_MISSING", "TorchMissingError", "require_torch", "resolve_device"]

#: What to tell a user who has no torch (one line).
TORCH_MISSING = (
    "the CNN benchmarks need PyTorch, which is not installed: "
    'pip install -e ".[cnn]" (or the torch==2.13.0 CPU build: '
    "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu)"
)


class TorchMissingError(ImportError, UnavailableError):
    """PyTorch is not installed; the message says what to install."""


def require_torch() -> None:
    """Raise :class:`TorchMissingError` (one line naming what to install) without torch."""
    if torch is None:
        raise TorchMissingError(TORCH_MISSING)


def resolve_device(device: str = "auto") -> str:
    """``"auto"`` → ``"cuda"`` when a GPU is available, else ``"cpu"``; other values pass through."""
    require_torch()
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device not in ("cpu", "cuda") and not str(device).startswith("cuda:"):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {device!r}")
    return device
