"""Search spaces: typed parameters, conditions, dependent bounds and the unit-cube encoding.

(Just over 500 lines: the parameter types, the space and its encodings are one idea and are
read together.)

A :class:`Space` is an ordered list of parameters. A configuration is a plain ``dict`` that maps
the name of every *active* parameter to its value (``float`` for :class:`Float`, ``int`` for
:class:`Int`, one of the choices for :class:`Categorical`).

Two structural features cover the Hyperband paper's spaces:

* a **condition** makes a parameter active only when a parent parameter (declared earlier)
  takes one of given values: ``Int("degree", 2, 5, condition=("kernel", ["poly"]))``;
* a **dependent bound**: ``low`` or ``high`` may be the *name* of an earlier numeric parameter,
  as in the LeNet space, ``Int("k1", 5, "k2")`` (k1 in [5, k2]).

Model-based optimizers work on the unit-cube encoding, one dimension per parameter (inactive
parameters included, at a fixed value of 0.5). A parameter with a dependent bound is encoded as
its position *within the bounds its parents allow*, so every point of the cube decodes to a
valid configuration. (Over 500 lines: the scalar and the vectorized encodings, and the
one-exchange neighbourhood built on them, belong together.)

Example:
    >>> import numpy as np
    >>> space = Space([Float("lr", 1e-3, 1e-1, log=True), Int("k2", 10, 60), Int("k1", 5, "k2")])
    >>> config = space.sample(np.random.default_rng(0))
    >>> space.validate(config)
    >>> space.decode(space.encode(config))["k1"] == config["k1"]
    True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Sequence, Union

import numpy as np

Bound = Union[float, int, str]

#: Unit-cube value used for inactive parameters (SMAC likewise imputes a fixed default).
INACTIVE_VALUE = 0.5


class ConfigError(ValueError):
    """A configuration does not fit its space; the message names the parameter and what is allowed."""


class SpaceError(ValueError):
    """A space definition is inconsistent (unknown parent, bad bounds, duplicate names)."""


@dataclass(frozen=True)
class Condition:
    """Active only when ``parent`` takes one of ``values``."""

    parent: str
    values: tuple

    def __str__(self) -> str:
        return f"{self.parent} in {list(self.values)}"


def _as_condition(condition: Any) -> Condition | None:
    if condition is None or isinstance(condition, Condition):
        return condition
    parent, values = condition
    if isinstance(values, (str, int, float, bool)):
        values = [values]
    return Condition(str(parent), tuple(values))


class Parameter:
    """Base class of the three parameter types."""

    name: str
    condition: Condition | None

    def describe(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def kind(self) -> str:
        return type(self).__name__.lower()


class _Numeric(Parameter):
    """Shared logic of Float and Int: bounds (possibly named), linear or log scale."""

    is_int = False

    def __init__(self, name: str, low: Bound, high: Bound, log: bool = False, condition: Any = None):
        self.name = str(name)
        self.low = low
        self.high = high
        self.log = bool(log)
        self.condition = _as_condition(condition)
        for b in (low, high):
            if not isinstance(b, (int, float, str)) or isinstance(b, bool):
                raise SpaceError(f"parameter {name!r}: a bound must be a number or a parameter name, got {b!r}")
        if not isinstance(low, str) and not isinstance(high, str):
            if not low < high and not (self.is_int and low == high):
                raise SpaceError(f"parameter {name!r}: low ({low}) must be below high ({high})")
        if self.log and not isinstance(low, str) and low <= 0:
            raise SpaceError(f"parameter {name!r}: a log-scale parameter needs low > 0, got {low}")

    def bounds(self, config: dict) -> tuple[float, float]:
        """The numeric bounds, with named bounds read from ``config``."""
        low = config[self.low] if isinstance(self.low, str) else self.low
        high = config[self.high] if isinstance(self.high, str) else self.high
        return low, high

    @property
    def depends_on(self) -> list[str]:
        return [b for b in (self.low, self.high) if isinstance(b, str)]

    # The encoding maps a value into [0, 1] within its (resolved) bounds. Ints use the widened
    # interval [low - 0.5, high + 0.5] so that every integer gets an equal share of the cube.
    def _edges(self, low: float, high: float) -> tuple[float, float]:
        if self.is_int:
            low, high = low - 0.5, high + 0.5  # low >= 1 for log ints, so the log stays defined
        return (math.log(low), math.log(high)) if self.log else (float(low), float(high))

    def to_unit(self, value: float, low: float, high: float) -> float:
        a, b = self._edges(low, high)
        t = math.log(value) if self.log else float(value)
        return min(1.0, max(0.0, (t - a) / (b - a))) if b > a else 0.5

    def from_unit(self, u: float, low: float, high: float):
        a, b = self._edges(low, high)
        t = a + float(u) * (b - a)
        v = math.exp(t) if self.log else t
        if self.is_int:
            return int(min(high, max(low, round(v))))
        return float(min(high, max(low, v)))

    def from_raw(self, raw: Any, config: dict):
        """A valid value from a number another library proposed for this parameter: the
        position within the bounds for a parameter with a named bound (what the encoding
        gives such libraries), else the number rounded (ints) and clipped into the bounds;
        a non-finite number becomes the lower bound."""
        low, high = self.bounds(config)
        x = float(raw)
        if not math.isfinite(x):
            return int(low) if self.is_int else float(low)
        if self.depends_on:
            return self.from_unit(min(1.0, max(0.0, x)), low, high)
        if self.is_int:
            return int(min(high, max(low, int(round(x)))))
        return float(min(high, max(low, x)))

    def check(self, value: Any, low: float, high: float) -> None:
        if self.is_int:
            ok_type = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
            if isinstance(value, float) and value.is_integer():
                ok_type = True
        else:
            ok_type = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
        if not ok_type:
            kind = "an integer" if self.is_int else "a number"
            raise ConfigError(f"parameter {self.name!r}: expected {kind}, got {value!r}")
        if not (math.isfinite(float(value)) and low <= value <= high):
            raise ConfigError(f"parameter {self.name!r}: {value!r} is outside [{low}, {high}]")

    def describe(self) -> str:
        scale = ", log" if self.log else ""
        cond = f" if {self.condition}" if self.condition else ""
        return f"{self.name}: {self.kind} [{self.low}, {self.high}{scale}]{cond}"

    def __repr__(self) -> str:
        extra = ", log=True" if self.log else ""
        cond = f", condition={self.condition}" if self.condition else ""
        return f"{type(self).__name__}({self.name!r}, {self.low!r}, {self.high!r}{extra}{cond})"


class Float(_Numeric):
    """A real parameter on ``[low, high]``, linear or log scale."""


class Int(_Numeric):
    """An integer parameter on ``[low, high]`` (both included), linear or log scale."""

    is_int = True


class Categorical(Parameter):
    """One of a finite list of choices (strings, numbers or booleans)."""

    def __init__(self, name: str, choices: Sequence[Any], condition: Any = None):
        self.name = str(name)
        self.choices = tuple(choices)
        self.condition = _as_condition(condition)
        if len(self.choices) < 1:
            raise SpaceError(f"parameter {name!r}: needs at least one choice")
        if len(set(map(repr, self.choices))) != len(self.choices):
            raise SpaceError(f"parameter {name!r}: choices must be distinct")

    depends_on: list[str] = []

    def index(self, value: Any) -> int:
        for i, c in enumerate(self.choices):
            if type(c) is type(value) and c == value or (
                isinstance(c, (int, float)) and not isinstance(c, bool) and c == value and not isinstance(value, bool)
            ):
                return i
        raise ConfigError(f"parameter {self.name!r}: {value!r} is not one of {list(self.choices)}")

    def to_unit(self, value: Any) -> float:
        return (self.index(value) + 0.5) / len(self.choices)

    def from_unit(self, u: float) -> Any:
        return self.choices[min(len(self.choices) - 1, max(0, int(float(u) * len(self.choices))))]

    def describe(self) -> str:
        cond = f" if {self.condition}" if self.condition else ""
        return f"{self.name}: categorical {list(self.choices)}{cond}"

    def __repr__(self) -> str:
        cond = f", condition={self.condition}" if self.condition else ""
        return f"Categorical({self.name!r}, {list(self.choices)!r}{cond})"


class Space:
    """An ordered set of parameters.

    Parents (of conditions and of named bounds) must be declared before their children, so a
    single pass in order can sample, encode, decode and validate.
    """

    def __init__(self, params: Iterable[Parameter]):
        self.params: list[Parameter] = list(params)
        self._by_name: dict[str, Parameter] = {}
        for p in self.params:
            if p.name in self._by_name:
                raise SpaceError(f"parameter {p.name!r} is declared twice")
            if p.condition is not None:
                parent = self._by_name.get(p.condition.parent)
                if parent is None:
                    raise SpaceError(f"parameter {p.name!r}: condition parent {p.condition.parent!r} must be declared before it")
                if isinstance(parent, Categorical):
                    for v in p.condition.values:
                        parent.index(v)
            for dep in p.depends_on:
                parent = self._by_name.get(dep)
                if not isinstance(parent, _Numeric):
                    raise SpaceError(f"parameter {p.name!r}: bound {dep!r} must name a numeric parameter declared before it")
                if parent.condition is not None and parent.condition != p.condition:
                    raise SpaceError(f"parameter {p.name!r}: bound parent {dep!r} must be active whenever {p.name!r} is")
            self._by_name[p.name] = p

    # ----------------------------------------------------------------------------- inspection
    def __len__(self) -> int:
        return len(self.params)

    def __iter__(self):
        return iter(self.params)

    def __getitem__(self, name: str) -> Parameter:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]

    @property
    def is_conditional(self) -> bool:
        return any(p.condition is not None for p in self.params)

    @property
    def has_dependent_bounds(self) -> bool:
        return any(p.depends_on for p in self.params)

    def kinds(self) -> list[str]:
        """Parameter types present, e.g. ``["float", "int", "categorical"]`` (for ``list``)."""
        out: list[str] = []
        for p in self.params:
            k = p.kind + ("-log" if getattr(p, "log", False) else "")
            if k not in out:
                out.append(k)
        return out

    def is_active(self, param: Parameter, config: dict) -> bool:
        """Whether ``param`` is active given the (partial) ``config`` of its parents."""
        c = param.condition
        if c is None:
            return True
        if c.parent not in config:
            return False
        value = config[c.parent]
        return any(value == v and type(value) is type(v) or (not isinstance(v, (str, bool)) and value == v) for v in c.values)

    def __repr__(self) -> str:
        return "Space([" + ", ".join(map(repr, self.params)) + "])"

    # -------------------------------------------------------------------------------- sampling
    def sample(self, rng: np.random.Generator) -> dict:
        """Draw one configuration from the prior (uniform on each parameter's scale)."""
        return self.decode(rng.random(len(self.params)))

    def sample_many(self, rng: np.random.Generator, n: int) -> list[dict]:
        return [self.decode(u) for u in rng.random((n, len(self.params)))]

    # -------------------------------------------------------------------------------- encoding
    def encode(self, config: dict) -> np.ndarray:
        """Map a configuration to ``[0, 1]^len(space)``; inactive parameters get 0.5."""
        u = np.full(len(self.params), INACTIVE_VALUE)
        for i, p in enumerate(self.params):
            if not self.is_active(p, config) or p.name not in config:
                continue
            if isinstance(p, Categorical):
                u[i] = p.to_unit(config[p.name])
            else:
                low, high = p.bounds(config)
                u[i] = p.to_unit(config[p.name], low, high)
        return u

    def decode(self, u: Sequence[float]) -> dict:
        """Map a point of the unit cube to a valid configuration (inactive parameters dropped)."""
        if len(u) != len(self.params):
            raise ValueError(f"expected a vector of length {len(self.params)}, got {len(u)}")
        config: dict = {}
        for p, x in zip(self.params, u):
            if not self.is_active(p, config):
                continue
            x = min(1.0, max(0.0, float(x)))
            if isinstance(p, Categorical):
                config[p.name] = p.from_unit(x)
            else:
                low, high = p.bounds(config)
                config[p.name] = p.from_unit(x, low, high)
        return config

    def encode_many(self, configs: Sequence[dict]) -> np.ndarray:
        return np.array([self.encode(c) for c in configs]).reshape(len(configs), len(self.params))

    # ------------------------------------------------------------------------------ validation
    def validate(self, config: dict) -> None:
        """Raise :class:`ConfigError` naming the first parameter that is missing, unknown,
        inactive but given, of the wrong type, or out of range."""
        if not isinstance(config, dict):
            raise ConfigError(f"a configuration must be a dict, got {type(config).__name__}")
        for key in config:
            if key not in self._by_name:
                raise ConfigError(f"unknown parameter {key!r}; the space has {self.names}")
        for p in self.params:
            active = self.is_active(p, config)
            if not active:
                if p.name in config:
                    raise ConfigError(f"parameter {p.name!r} is inactive (needs {p.condition}) but was given")
                continue
            if p.name not in config:
                raise ConfigError(f"parameter {p.name!r} is missing")
            if isinstance(p, Categorical):
                p.index(config[p.name])
            else:
                low, high = p.bounds(config)
                p.check(config[p.name], low, high)

    def contains(self, config: dict) -> bool:
        try:
            self.validate(config)
            return True
        except ConfigError:
            return False

    def normalize(self, config: dict) -> dict:
        """Return ``config`` in canonical order with canonical Python types (ints as int)."""
        self.validate(config)
        out = {}
        for p in self.params:
            if p.name in config:
                v = config[p.name]
                if isinstance(p, Int):
                    v = int(v)
                elif isinstance(p, Float):
                    v = float(v)
                elif isinstance(p, Categorical):
                    v = p.choices[p.index(v)]
                out[p.name] = v
        return out

    # --------------------------------------------------------------------- local search support
    def repair(self, config: dict, rng: np.random.Generator) -> dict:
        """Make a config consistent after a change: drop parameters that became inactive, sample
        those that became active, clip values that a dependent bound now excludes."""
        out: dict = {}
        for p in self.params:
            if not self.is_active(p, out):
                continue
            if p.name not in config:
                draw = rng.random()
                out[p.name] = p.from_unit(draw) if isinstance(p, Categorical) else p.from_unit(draw, *p.bounds(out))
                continue
            v = config[p.name]
            if isinstance(p, _Numeric):
                low, high = p.bounds(out)
                v = type(v)(min(high, max(low, v)))
            out[p.name] = v
        return out

    def neighbors(self, config: dict, rng: np.random.Generator, n_numeric: int = 4, std: float = 0.2) -> list[dict]:
        """One-exchange neighbours of one configuration (see :meth:`neighbors_array`), as
        configurations; neighbours that decode back to ``config`` are dropped.

        Inactive parameters get fresh uniform positions first: they are the values a parameter
        takes if a move activates it (as :meth:`repair` samples newly active parameters).
        """
        u = self.encode(config)
        values, _ = self.decode_array(u[None, :])
        inactive = np.isnan(values[0])
        u[inactive] = rng.random(int(inactive.sum()))
        U_nb, _ = self.neighbors_array(u[None, :], rng, n_numeric=n_numeric, std=std)
        out = [self.decode(row) for row in U_nb]
        return [c for c in out if c != config]

    def neighbors_array(self, U: np.ndarray, rng: np.random.Generator, n_numeric: int = 4, std: float = 0.2,
                        decoded: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """One-exchange neighbours (Hutter et al. 2011) of many cube points at once: each changes
        one active parameter. Categoricals move to every other choice; each numeric parameter
        gets ``n_numeric`` Gaussian draws with standard deviation ``std`` around its canonical
        unit position (draws outside [0, 1] are redrawn up to 20 times, then clipped).

        Args:
            U: (m, D) points of the unit cube.
            rng: source of the draws.
            n_numeric: neighbours per numeric parameter.
            std: their standard deviation in the unit encoding.
            decoded: ``decode_array(U)`` when the caller has it already.

        Returns:
            The neighbours (k, D) and, for each, the row of ``U`` it belongs to (k,).
        """
        U = np.atleast_2d(np.asarray(U, dtype=float))
        values, unit = self.decode_array(U) if decoded is None else decoded
        m, d = U.shape
        blocks, owners = [], []
        rows = np.arange(m)
        for j, p in enumerate(self.params):
            act = ~np.isnan(values[:, j])
            if not act.any():
                continue
            r = rows[act]
            if isinstance(p, Categorical):
                k = len(p.choices)
                for c in range(k):
                    rc = r[values[r, j] != c]
                    if len(rc):
                        B = U[rc].copy()
                        B[:, j] = (c + 0.5) / k
                        blocks.append(B)
                        owners.append(rc)
                continue
            if n_numeric == 0:
                continue
            rr = np.repeat(r, int(n_numeric))
            centre = unit[rr, j]
            draw = centre + std * rng.standard_normal(len(rr))
            for _ in range(20):
                bad = (draw < 0.0) | (draw > 1.0)
                if not bad.any():
                    break
                draw[bad] = centre[bad] + std * rng.standard_normal(int(bad.sum()))
            B = U[rr].copy()
            B[:, j] = np.clip(draw, 0.0, 1.0)
            blocks.append(B)
            owners.append(rr)
        if not blocks:
            return np.empty((0, d)), np.empty(0, dtype=int)
        return np.vstack(blocks), np.concatenate(owners)

    def decode_array(self, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Vectorized :meth:`decode` of many cube points, without building dictionaries.

        Args:
            U: (n, D) points (clipped to the unit cube).

        Returns:
            ``values`` (n, D): the decoded value of each parameter (the choice *index* for a
            categorical), NaN where the parameter is inactive; and ``unit`` (n, D): the
            canonical encoding of the decoded configuration (``encode(decode(u))``), NaN where
            inactive.
        """
        U = np.clip(np.atleast_2d(np.asarray(U, dtype=float)), 0.0, 1.0)
        n, d = U.shape
        index = {p.name: i for i, p in enumerate(self.params)}
        values = np.full((n, d), np.nan)
        unit = np.full((n, d), np.nan)
        active = np.ones((n, d), dtype=bool)
        for j, p in enumerate(self.params):
            if p.condition is not None:
                pj = index[p.condition.parent]
                parent = self.params[pj]
                if isinstance(parent, Categorical):
                    match = np.array([parent.index(v) for v in p.condition.values], dtype=float)
                else:
                    match = np.array([float(v) for v in p.condition.values if not isinstance(v, str)], dtype=float)
                active[:, j] = active[:, pj] & np.isin(values[:, pj], match)
            a = active[:, j]
            u = U[:, j]
            if isinstance(p, Categorical):
                k = len(p.choices)
                idx = np.minimum(k - 1, np.floor(u * k)).astype(float)
                values[:, j] = np.where(a, idx, np.nan)
                unit[:, j] = np.where(a, (idx + 0.5) / k, np.nan)
                continue
            low = values[:, index[p.low]] if isinstance(p.low, str) else np.full(n, float(p.low))
            high = values[:, index[p.high]] if isinstance(p.high, str) else np.full(n, float(p.high))
            # Rows where this parameter is inactive may have NaN bounds; give them harmless ones.
            low = np.where(a, low, 1.0)
            high = np.where(a, high, 2.0)
            lo_e, hi_e = (low - 0.5, high + 0.5) if p.is_int else (low, high)
            if p.log:
                lo_e, hi_e = np.log(lo_e), np.log(hi_e)
            width = hi_e - lo_e
            t = lo_e + u * width
            v = np.exp(t) if p.log else t
            if p.is_int:
                v = np.rint(v)
            v = np.minimum(high, np.maximum(low, v))
            tv = np.log(v) if p.log else v
            pos = np.where(width > 0, np.clip((tv - lo_e) / np.where(width > 0, width, 1.0), 0.0, 1.0), 0.5)
            values[:, j] = np.where(a, v, np.nan)
            unit[:, j] = np.where(a, pos, np.nan)
        return values, unit

    def describe(self) -> list[str]:
        return [p.describe() for p in self.params]
