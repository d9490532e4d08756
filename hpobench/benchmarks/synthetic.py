"""Cheap synthetic objectives with known optima (Surjanovic & Bingham, Virtual Library of
Simulation Experiments) and multi-fidelity versions (Kandasamy et al. 2017, BOCA).

Every function is a minimization problem. ``noise`` (a standard deviation) adds Gaussian
observation noise seeded by the evaluation seed, the configuration and the budget, so that the
same call gives the same value in any process; ``test_loss`` is always the noise-free value.

``cpu_work`` (an iteration count, default 0) makes each evaluation spin a pure-Python loop of
that many steps first: a deterministic, CPU-bound stand-in for an expensive objective, used to
measure parallel throughput and to test interrupted runs.
"""

from __future__ import annotations

import math

import numpy as np

from ..space import Categorical, Float, Space
from .base import Benchmark, Fidelity, Result, config_key, stable_seed
from .instances import Instance

# --------------------------------------------------------------------------------- functions


def branin(x1, x2, b=5.1 / (4 * math.pi**2), c=5 / math.pi, t=1 / (8 * math.pi)):
    a, r, s = 1.0, 6.0, 10.0
    return a * (x2 - b * x1**2 + c * x1 - r) ** 2 + s * (1 - t) * np.cos(x1) + s


HARTMANN3_A = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
HARTMANN3_P = 1e-4 * np.array([[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]])
HARTMANN6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
HARTMANN6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
HARTMANN_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann(x, A, P, alpha=HARTMANN_ALPHA):
    x = np.asarray(x, dtype=float)
    return float(-np.sum(alpha * np.exp(-np.sum(A * (x - P) ** 2, axis=1))))


def rosenbrock(x):
    x = np.asarray(x, dtype=float)
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (x[:-1] - 1) ** 2))


def ackley(x, a=20.0, b=0.2, c=2 * math.pi):
    x = np.asarray(x, dtype=float)
    d = len(x)
    return float(-a * math.exp(-b * math.sqrt(np.sum(x**2) / d)) - math.exp(np.sum(np.cos(c * x)) / d) + a + math.e)


def levy(x):
    w = 1 + (np.asarray(x, dtype=float) - 1) / 4
    head = math.sin(math.pi * w[0]) ** 2
    mid = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2))
    tail = (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
    return float(head + mid + tail)


def styblinski_tang(x):
    x = np.asarray(x, dtype=float)
    return float(0.5 * np.sum(x**4 - 16 * x**2 + 5 * x))


def goldstein_price(x1, x2):
    a = 1 + (x1 + x2 + 1) ** 2 * (19 - 14 * x1 + 3 * x1**2 - 14 * x2 + 6 * x1 * x2 + 3 * x2**2)
    b = 30 + (2 * x1 - 3 * x2) ** 2 * (18 - 32 * x1 + 12 * x1**2 + 48 * x2 - 36 * x1 * x2 + 27 * x2**2)
    return float(a * b)


def six_hump_camel(x1, x2):
    return float((4 - 2.1 * x1**2 + x1**4 / 3) * x1**2 + x1 * x2 + (-4 + 4 * x2**2) * x2**2)


# -------------------------------------------------------------------------------- benchmarks


def _spin(n: int) -> int:
    """Burn CPU deterministically (holds the GIL, so threads do not help; processes do)."""
    acc = 0
    for i in range(n):
        acc = (acc * 31 + i) & 0xFFFF
    return acc


class SyntheticBenchmark(Benchmark):
    """A closed-form function of named float inputs ``x0..x{d-1}`` (or ``x1, x2``).

    Subclasses provide :meth:`f` (the textbook function) on a vector in the order of
    :attr:`space`, the known :attr:`optimum` and :attr:`textbook_minimizers`.

    ``instance=k`` (k > 0) moves the optimum to a seeded point inside the box, and rotates the
    function around it where :attr:`rotate_instances` says a rotation keeps its character
    (:mod:`hpobench.benchmarks.instances`); the optimum value is unchanged and
    :attr:`minimizers` gives where it now lies. ``instance=0`` is the textbook function.
    """

    kind = "synthetic"
    textbook_minimizers: list[list[float]] = []
    #: Whether instances also rotate the function (for functions without axis-aligned structure).
    rotate_instances = False

    def __init__(self, noise: float = 0.0, cpu_work: int = 0, instance: int = 0):
        if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not noise >= 0:
            raise ValueError(f"noise must be a number >= 0 (the standard deviation of the observation noise), got {noise!r}")
        if isinstance(cpu_work, bool) or not isinstance(cpu_work, int):
            raise ValueError(f"cpu_work must be a whole number of iterations >= 0, got {cpu_work!r}")
        if cpu_work < 0:
            raise ValueError(f"cpu_work must be >= 0, got {cpu_work}")
        if isinstance(instance, bool) or int(instance) != instance or instance < 0:
            raise ValueError(f"instance must be a non-negative integer, got {instance!r}")
        self.noise = float(noise)
        self.cpu_work = int(cpu_work)
        self.instance = int(instance)
        self._instance: Instance | None = None

    @property
    def instance_transform(self) -> Instance:
        """The shift (and rotation) of this instance, drawn on first use."""
        if self._instance is None:
            low = np.array([p.low for p in self.space.params], dtype=float)
            high = np.array([p.high for p in self.space.params], dtype=float)
            x_opt = np.array(self.textbook_minimizers[0], dtype=float)
            self._instance = Instance.draw(self.name, low, high, x_opt, self.instance, self.rotate_instances)
        return self._instance

    @property
    def minimizers(self) -> list[list[float]]:
        """Where the optimum lies in this instance: the textbook minimizers moved by the
        instance's transform, those inside the box (always including the drawn location)."""
        if self.instance == 0:
            return [list(m) for m in self.textbook_minimizers]
        inst = self.instance_transform
        low = np.array([p.low for p in self.space.params], dtype=float)
        high = np.array([p.high for p in self.space.params], dtype=float)
        out = [inst.location.tolist()]
        for m in self.textbook_minimizers[1:]:
            x = inst.from_textbook(np.array(m, dtype=float))
            if np.all(x >= low - 1e-9) and np.all(x <= high + 1e-9):
                out.append(x.tolist())
        return out

    @property
    def simulated_cost(self) -> bool:
        """The cost is the budget (1 per evaluation without a fidelity), a model, unless
        ``cpu_work`` makes each evaluation spend real time."""
        return self.cpu_work == 0

    def f(self, x: np.ndarray, budget: float | None = None) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def vector(self, config: dict) -> np.ndarray:
        return np.array([config[n] for n in self.space.names], dtype=float)

    def _noise(self, config: dict, budget: float | None, seed: int | None) -> float:
        if self.noise == 0:
            return 0.0
        rng = np.random.default_rng(stable_seed(0 if seed is None else seed, config_key(config), budget or 0.0))
        return self.noise * float(rng.standard_normal())

    def _evaluate(self, config, budget, seed, **kwargs) -> Result:
        if self.cpu_work:
            _spin(self.cpu_work)
        x = self.vector(config)
        if self.instance:
            x = self.instance_transform.to_textbook(x)
        clean = float(self.f(x, budget))
        target = float(self.f(x, None)) if self.fidelity is not None else clean
        cost = float(budget) if budget is not None else 1.0
        return Result(loss=clean + self._noise(config, budget, seed), cost=cost, test_loss=target)


def _box(bounds: list[tuple[float, float]], names: list[str] | None = None) -> Space:
    names = names or [f"x{i}" for i in range(len(bounds))]
    return Space([Float(n, lo, hi) for n, (lo, hi) in zip(names, bounds)])


class Branin(SyntheticBenchmark):
    """Branin-Hoo, 2-D; minimum 0.397887 at three points."""

    name = "branin"
    optimum = 0.39788735772973816
    textbook_minimizers = [[-math.pi, 12.275], [math.pi, 2.275], [9.42478, 2.475]]

    def __init__(self, noise: float = 0.0, cpu_work: int = 0, instance: int = 0):
        super().__init__(noise, cpu_work, instance)
        self.space = _box([(-5.0, 10.0), (0.0, 15.0)], ["x1", "x2"])

    def f(self, x, budget=None):
        return float(branin(x[0], x[1]))


class Hartmann3(SyntheticBenchmark):
    """Hartmann 3-D on [0, 1]^3; minimum -3.86278."""

    name = "hartmann3"
    optimum = -3.86278214782076
    textbook_minimizers = [[0.114614, 0.555649, 0.852547]]

    def __init__(self, noise: float = 0.0, cpu_work: int = 0, instance: int = 0):
        super().__init__(noise, cpu_work, instance)
        self.space = _box([(0.0, 1.0)] * 3)

    def f(self, x, budget=None):
        return hartmann(x, HARTMANN3_A, HARTMANN3_P)


class Hartmann6(SyntheticBenchmark):
    """Hartmann 6-D on [0, 1]^6; minimum -3.32237."""

    name = "hartmann6"
    optimum = -3.3223680114155147
    textbook_minimizers = [[0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573]]

    def __init__(self, noise: float = 0.0, cpu_work: int = 0, instance: int = 0):
        super().__init__(noise, cpu_work, instance)
        self.space = _box([(0.0, 1.0)] * 6)

    def f(self, x, budget=None):
        return hartmann(x, HARTMANN6_A, HARTMANN6_P)


class _DimBenchmark(SyntheticBenchmark):
    default_dim = 4
    bounds: tuple[float, float] = (0.0, 1.0)

    def __init__(self, dim: int | None = None, noise: float = 0.0, cpu_work: int = 0, instance: int = 0):
        super().__init__(noise, cpu_work, instance)
        dim = self.default_dim if dim is None else int(dim)
        if dim < 1 or (isinstance(self, Rosenbrock) and dim < 2):
            raise ValueError(f"{self.name}: dim must be >= {2 if isinstance(self, Rosenbrock) else 1}, got {dim}")
        self.dim = dim
        self.space = _box([self.bounds] * dim)


class Rosenbrock(_DimBenchmark):
    """Rosenbrock on [-5, 10]^d (default d = 4); minimum 0 at (1, ..., 1)."""

    name = "rosenbrock"
    optimum = 0.0
    rotate_instances = True  # as BBOB's rotated Rosenbrock (f9)
    bounds = (-5.0, 10.0)

    @property
    def textbook_minimizers(self):
        return [[1.0] * self.dim]

    def f(self, x, budget=None):
        return rosenbrock(x)


class Ackley(_DimBenchmark):
    """Ackley on [-32.768, 32.768]^d (default d = 5); minimum 0 at the origin."""

    name = "ackley"
    optimum = 0.0
    rotate_instances = True  # radially symmetric up to its cosine ripples
    default_dim = 5
    bounds = (-32.768, 32.768)

    @property
    def textbook_minimizers(self):
        return [[0.0] * self.dim]

    def f(self, x, budget=None):
        return ackley(x)


class Levy(_DimBenchmark):
    """Levy on [-10, 10]^d (default d = 4); minimum 0 at (1, ..., 1)."""

    name = "levy"
    optimum = 0.0
    bounds = (-10.0, 10.0)

    @property
    def textbook_minimizers(self):
        return [[1.0] * self.dim]

    def f(self, x, budget=None):
        return levy(x)


class StyblinskiTang(_DimBenchmark):
    """Styblinski-Tang on [-5, 5]^d (default d = 4); minimum -39.16599 d at x_i = -2.903534."""

    name = "styblinski-tang"
    bounds = (-5.0, 5.0)

    @property
    def optimum(self):
        return -39.16616570377142 * self.dim

    @property
    def textbook_minimizers(self):
        return [[-2.903534027771177] * self.dim]

    def f(self, x, budget=None):
        return styblinski_tang(x)


class GoldsteinPrice(SyntheticBenchmark):
    """Goldstein-Price on [-2, 2]^2; minimum 3 at (0, -1)."""

    name = "goldstein-price"
    optimum = 3.0
    textbook_minimizers = [[0.0, -1.0]]

    def __init__(self, noise: float = 0.0, cpu_work: int = 0, instance: int = 0):
        super().__init__(noise, cpu_work, instance)
        self.space = _box([(-2.0, 2.0)] * 2, ["x1", "x2"])

    def f(self, x, budget=None):
        return goldstein_price(x[0], x[1])


class SixHumpCamel(SyntheticBenchmark):
    """Six-hump camel on [-3, 3] x [-2, 2]; minimum -1.0316 at (±0.0898, ∓0.7126)."""

    name = "six-hump-camel"
    optimum = -1.0316284534898774
    textbook_minimizers = [[0.08984201368301331, -0.7126564032704135], [-0.08984201368301331, 0.7126564032704135]]

    def __init__(self, noise: float = 0.0, cpu_work: int = 0, instance: int = 0):
        super().__init__(noise, cpu_work, instance)
        self.space = _box([(-3.0, 3.0), (-2.0, 2.0)], ["x1", "x2"])

    def f(self, x, budget=None):
        return six_hump_camel(x[0], x[1])


# ---------------------------------------------------------------------- multi-fidelity versions


class _MultiFidelity(SyntheticBenchmark):
    """Budget r in [1, R] maps to fidelity z = r / R; z = 1 is the target function.

    Synthetic functions have no state, so continuing from r to r' is the same as evaluating at
    r' and ``can_continue`` is True: Hyperband charges only r' - r.
    """

    can_continue = True

    def __init__(self, max_budget: float = 81, min_budget: float = 1, noise: float = 0.0, cpu_work: int = 0,
                 instance: int = 0):
        super().__init__(noise, cpu_work, instance)
        if not (0 < min_budget <= max_budget):
            raise ValueError(f"{self.name}: need 0 < min_budget <= max_budget, got {min_budget}, {max_budget}")
        self.fidelity = Fidelity("budget", float(min_budget), float(max_budget), "units")

    def z(self, budget: float | None) -> float:
        return 1.0 if budget is None else float(budget) / self.fidelity.max


class MFBranin(_MultiFidelity):
    """Branin with Kandasamy et al.'s fidelity shifts (Dragonfly's constants), one fidelity axis
    driving all three: b - 0.01(1-z), c - 0.1(1-z), t + 0.005(1-z)."""

    name = "mf-branin"
    optimum = Branin.optimum
    textbook_minimizers = Branin.textbook_minimizers

    def __init__(self, max_budget: float = 81, min_budget: float = 1, noise: float = 0.0, cpu_work: int = 0,
                 instance: int = 0):
        super().__init__(max_budget, min_budget, noise, cpu_work, instance)
        self.space = _box([(-5.0, 10.0), (0.0, 15.0)], ["x1", "x2"])

    def f(self, x, budget=None):
        d = 1.0 - self.z(budget)
        b = 5.1 / (4 * math.pi**2) - 0.01 * d
        c = 5 / math.pi - 0.1 * d
        t = 1 / (8 * math.pi) + 0.005 * d
        return float(branin(x[0], x[1], b=b, c=c, t=t))


class MFHartmann3(_MultiFidelity):
    """Hartmann-3 with alpha' = alpha - 0.1 (1 - z) on every entry (Kandasamy et al., p = 4
    fidelity dimensions collapsed onto the one budget axis)."""

    name = "mf-hartmann3"
    optimum = Hartmann3.optimum
    textbook_minimizers = Hartmann3.textbook_minimizers
    A, P = HARTMANN3_A, HARTMANN3_P

    def __init__(self, max_budget: float = 81, min_budget: float = 1, noise: float = 0.0, cpu_work: int = 0,
                 instance: int = 0):
        super().__init__(max_budget, min_budget, noise, cpu_work, instance)
        self.space = _box([(0.0, 1.0)] * self.A.shape[1])

    def f(self, x, budget=None):
        alpha = HARTMANN_ALPHA - 0.1 * (1.0 - self.z(budget))
        return hartmann(x, self.A, self.P, alpha)


class MFHartmann6(MFHartmann3):
    """Hartmann-6 with alpha' = alpha - 0.1 (1 - z)."""

    name = "mf-hartmann6"
    optimum = Hartmann6.optimum
    textbook_minimizers = Hartmann6.textbook_minimizers
    A, P = HARTMANN6_A, HARTMANN6_P


class CountingOnes(Benchmark):
    """BOHB's counting-ones: ``n_cat`` binary categoricals and ``n_cont`` floats in [0, 1].

    loss = -(sum of the categoricals + sum over the floats of the mean of ``b`` Bernoulli(x_j)
    samples); the budget b is the number of samples, so noise shrinks as the budget grows. The
    optimum is -(n_cat + n_cont). ``test_loss`` is the expected value. Samples are seeded by the
    evaluation seed, the configuration and the budget.
    """

    name = "counting-ones"
    kind = "synthetic"

    #: the cost is the budget (Bernoulli samples drawn): a model, not spent time
    simulated_cost = True

    def __init__(self, n_cat: int = 8, n_cont: int = 8, max_budget: float = 729, min_budget: float = 9):
        if n_cat < 0 or n_cont < 0 or n_cat + n_cont == 0:
            raise ValueError("counting-ones needs n_cat + n_cont >= 1")
        self.n_cat, self.n_cont = int(n_cat), int(n_cont)
        params = [Categorical(f"c{i}", [0, 1]) for i in range(self.n_cat)]
        params += [Float(f"x{i}", 0.0, 1.0) for i in range(self.n_cont)]
        self.space = Space(params)
        self.fidelity = Fidelity("samples", float(min_budget), float(max_budget), "samples")
        self.optimum = -float(self.n_cat + self.n_cont)

    def _evaluate(self, config, budget, seed, **kwargs) -> Result:
        cats = sum(int(config[f"c{i}"]) for i in range(self.n_cat))
        probs = np.array([config[f"x{i}"] for i in range(self.n_cont)], dtype=float)
        n = max(1, int(round(budget)))
        rng = np.random.default_rng(stable_seed(0 if seed is None else seed, config_key(config), n))
        means = rng.binomial(n, probs) / n if self.n_cont else np.zeros(0)
        return Result(loss=-(cats + float(means.sum())), cost=float(budget), test_loss=-(cats + float(probs.sum())))
