"""How SMAC3 turns observed costs into the forest's training targets
(``RunHistoryLogScaledEncoder``).

Example:
    >>> import numpy as np
    >>> y, transform = log_scaled_costs(np.array([1.0, 2.0, 5.0]))
    >>> float(y[-1])
    0.0
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["log_scaled_costs"]


def log_scaled_costs(y: np.ndarray) -> tuple[np.ndarray, Any]:
    """SMAC3's ``RunHistoryLogScaledEncoder``: log of min-max-scaled costs.

    y' = log((y - m) / (y_max - m)) with m = y_min - (p5 - y_min) - 1e-10 (p5 = 5th percentile),
    so the best cost maps to a finite, very negative value and the worst to 0.

    Args:
        y: observed costs (finite).

    Returns:
        The transformed costs and a function applying the same transform to other costs.
    """
    y = np.asarray(y, dtype=float)
    y_min, y_max = float(np.min(y)), float(np.max(y))
    p5 = float(np.percentile(y, 5))
    m = y_min - (p5 - y_min) - 1e-10
    if m == y_max:  # one distinct value and tiny magnitudes: keep the denominator non-zero
        m *= 1.0 - 1e-10
    scale = y_max - m

    def transform(values):
        return np.log(np.maximum((np.asarray(values, dtype=float) - m) / scale, 1e-300))

    return transform(y), transform
