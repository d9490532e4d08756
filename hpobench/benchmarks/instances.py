"""Benchmark instances: seeded moves of a synthetic function's optimum inside its box.

A function whose optimum sits at the centre of the box (Ackley, the default-configuration start
of SMAC) or at a round number rewards a method for where it starts, not for how it searches.
As the COCO/BBOB suite does (Hansen, Finck, Ros & Auger 2009, "Real-parameter black-box
optimization benchmarking: noiseless functions definitions"), instance ``k > 0`` evaluates the
textbook function ``f`` at

    z = x_opt + R (x - x_new)

where ``x_opt`` is the textbook minimizer, ``x_new`` a point drawn uniformly from the middle 80 %
of the box in every coordinate, and ``R`` a random rotation (only for functions whose character
survives a rotation; the identity otherwise). The optimum value is unchanged and lies at
``x_new``; instance 0 is the textbook function. Everything is drawn from a generator seeded by
the function's name, its dimension and ``k``, so an instance is the same in every process.

Example:
    >>> import numpy as np
    >>> inst = Instance.draw("ackley", np.array([-1.0, -1.0]), np.array([1.0, 1.0]), np.zeros(2), 3, rotate=True)
    >>> bool(np.allclose(inst.to_textbook(inst.location), 0.0))
    True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import stable_seed

__all__ = ["Instance", "random_rotation"]

#: Share of each side of the box, centred, from which a new optimum location is drawn.
INNER = 0.8


def random_rotation(d: int, rng: np.random.Generator) -> np.ndarray:
    """A uniformly random rotation matrix (QR of a Gaussian matrix with the signs fixed)."""
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:  # a rotation, not a reflection
        q[:, 0] = -q[:, 0]
    return q


@dataclass(frozen=True)
class Instance:
    """One instance of a synthetic function: ``z = x_opt + R (x - location)``."""

    number: int
    location: np.ndarray
    x_opt: np.ndarray
    rotation: np.ndarray

    @classmethod
    def draw(cls, name: str, low: np.ndarray, high: np.ndarray, x_opt: np.ndarray, number: int,
             rotate: bool = False) -> Instance:
        """Instance ``number`` of function ``name`` on the box ``[low, high]``.

        Args:
            name: the function's registered name (part of the seed).
            low: lower corner of the box.
            high: upper corner.
            x_opt: the textbook minimizer the instance moves.
            number: the instance; 0 is the textbook function.
            rotate: also draw a random rotation around the new optimum.
        """
        low, high, x_opt = (np.asarray(v, dtype=float) for v in (low, high, x_opt))
        d = len(low)
        if number == 0:
            return cls(0, x_opt.copy(), x_opt.copy(), np.eye(d))
        rng = np.random.default_rng(stable_seed("instance", name, d, int(number)))
        margin = 0.5 * (1.0 - INNER) * (high - low)
        location = rng.uniform(low + margin, high - margin)
        rotation = random_rotation(d, rng) if rotate else np.eye(d)
        return cls(int(number), location, x_opt.copy(), rotation)

    def to_textbook(self, x: np.ndarray) -> np.ndarray:
        """The point of the textbook function that ``x`` stands for."""
        if self.number == 0:
            return x
        return self.x_opt + self.rotation @ (np.asarray(x, dtype=float) - self.location)

    def from_textbook(self, z: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`to_textbook` (where a textbook minimizer lands)."""
        if self.number == 0:
            return np.asarray(z, dtype=float)
        return self.location + self.rotation.T @ (np.asarray(z, dtype=float) - self.x_opt)
