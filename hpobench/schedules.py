"""Learning-rate schedules for the neural-network benchmarks (Smith, WACV 2017, arXiv 1506.01186; Loshchilov & Hutter; the Keras and Caffe policies).

A schedule is a small object whose :meth:`Schedule.lr` maps the **global** mini-batch iteration
counter ``t`` (0 for the first update) to a learning rate. Because it is a pure function of
``t``, a training run that stops at iteration ``t0`` and is later continued from a checkpoint
(Hyperband promoting a configuration) simply keeps calling ``lr(t)`` for ``t = t0, t0 + 1, ...``:
the counter is never reset (a continued run keeps its place in the cycle).

Schedules provided:

* :class:`Constant` — ``lr(t) = lr``.
* :class:`ExponentialDecay` — the talk's tf.keras example: constant for ``hold_epochs`` epochs,
  then ``lr · exp(rate · (hold_epochs − epoch))`` (so ×exp(−0.1) per epoch with the defaults).
* :class:`CyclicLR` — Smith's cyclical learning rates, ``triangular``, ``triangular2`` and
  ``exp_range`` (Smith, WACV 2017, §3).
* :class:`OneCycle` — Smith's 1cycle policy: linear warm-up, linear cool-down, annihilation.
* :class:`StepDecay` — Caffe's ``step`` policy as used by the Hyperband CNN experiments:
  ×``gamma`` (0.1) every ``max_iter / (reductions + 1)`` iterations.

:func:`lr_range_test` runs Smith's LR range test on a PyTorch model and suggests ``base_lr`` and
``max_lr``. :func:`make_schedule` builds the schedule named by a benchmark option. Torch is only
imported by the functions that need it, so this module stays light.

Example:
    >>> clr = CyclicLR(base_lr=0.001, max_lr=0.006, stepsize=2000)
    >>> [round(clr.lr(t), 6) for t in (0, 1000, 2000, 4000)]
    [0.001, 0.0035, 0.006, 0.001]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

__all__ = [
    "Schedule",
    "Constant",
    "ExponentialDecay",
    "CyclicLR",
    "OneCycle",
    "StepDecay",
    "SCHEDULE_NAMES",
    "make_schedule",
    "set_lr",
    "lambda_lr",
    "LRRangeResult",
    "lr_range_test",
    "suggest_lrs",
]


class Schedule:
    """Base class: a learning rate as a function of the global iteration counter ``t >= 0``.

    Subclasses implement :meth:`lr`. ``peak`` is the largest rate the schedule reaches (used to
    express a schedule as a multiplier of a searched learning rate).
    """

    #: The largest learning rate the schedule reaches.
    peak: float = 0.0

    def lr(self, t: int) -> float:
        """The learning rate for the update with global index ``t`` (0-based)."""
        raise NotImplementedError

    def __call__(self, t: int) -> float:
        return self.lr(t)

    def factor(self, t: int) -> float:
        """``lr(t) / peak``: the schedule as a multiplier in (0, 1] of its peak rate."""
        return self.lr(t) / self.peak if self.peak > 0 else 0.0

    def values(self, ts: Sequence[int] | np.ndarray) -> np.ndarray:
        """``lr(t)`` for every ``t`` in ``ts`` (for plots and tests)."""
        return np.array([self.lr(int(t)) for t in ts], dtype=float)

    @staticmethod
    def _check_t(t: int) -> int:
        if t < 0:
            raise ValueError(f"iteration counter t must be >= 0, got {t}")
        return int(t)


def _positive(name: str, value: float) -> float:
    value = float(value)
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a positive number, got {value}")
    return value


@dataclass
class Constant(Schedule):
    """A fixed learning rate.

    Args:
        lr_value: the learning rate.
    """

    lr_value: float

    def __post_init__(self):
        self.peak = _positive("lr", self.lr_value)

    def lr(self, t: int) -> float:
        self._check_t(t)
        return self.lr_value


@dataclass
class ExponentialDecay(Schedule):
    """Constant for ``hold_epochs`` epochs, then exponential decay (the talk's tf.keras example).

    ``epoch = t // iters_per_epoch``; ``lr(t) = lr`` while ``epoch < hold_epochs``, else
    ``lr · exp(rate · (hold_epochs − epoch))``. With the defaults (``hold_epochs=10``,
    ``rate=0.1``) and ``lr=0.001`` this is exactly::

        def scheduler(epoch):
            if epoch < 10:
                return 0.001
            else:
                return 0.001 * tf.math.exp(0.1 * (10 - epoch))

    i.e. epoch 10 still trains at 0.001 and every later epoch multiplies the rate by exp(−0.1).

    Args:
        lr_value: the initial (and largest) learning rate.
        iters_per_epoch: mini-batch iterations per epoch (the benchmarks use one budget unit).
        hold_epochs: epochs at the initial rate.
        rate: decay exponent per epoch.
    """

    lr_value: float
    iters_per_epoch: int = 1
    hold_epochs: int = 10
    rate: float = 0.1

    def __post_init__(self):
        self.peak = _positive("lr", self.lr_value)
        if int(self.iters_per_epoch) < 1:
            raise ValueError(f"iters_per_epoch must be >= 1, got {self.iters_per_epoch}")
        if self.hold_epochs < 0 or self.rate < 0:
            raise ValueError("hold_epochs and rate must be >= 0")

    def lr(self, t: int) -> float:
        epoch = self._check_t(t) // int(self.iters_per_epoch)
        if epoch < self.hold_epochs:
            return self.lr_value
        return self.lr_value * math.exp(self.rate * (self.hold_epochs - epoch))


CLR_MODES = ("triangular", "triangular2", "exp_range")


@dataclass
class CyclicLR(Schedule):
    """Smith's cyclical learning rate (Smith, WACV 2017; arXiv 1506.01186).

    ``cycle = floor(1 + t / (2·stepsize))``, ``x = |t / stepsize − 2·cycle + 1|`` and
    ``lr = base_lr + (max_lr − base_lr) · max(0, 1 − x) · scale`` where ``scale`` is 1
    (``triangular``), ``1 / 2^(cycle−1)`` (``triangular2``: the amplitude halves every cycle) or
    ``gamma^t`` (``exp_range``: per iteration). PyTorch's ``CyclicLR(step_size_up=stepsize)``
    gives the same values.

    Args:
        base_lr: lower bound (the rate at the start and end of every cycle).
        max_lr: upper bound (reached at the middle of the first cycle).
        stepsize: half a cycle, in iterations (Smith: 2–10 epochs).
        mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``.
        gamma: the per-iteration factor of ``exp_range`` (e.g. 0.99994).
    """

    base_lr: float
    max_lr: float
    stepsize: float = 2000
    mode: str = "triangular"
    gamma: float = 1.0

    def __post_init__(self):
        _positive("base_lr", self.base_lr)
        self.peak = _positive("max_lr", self.max_lr)
        if self.max_lr < self.base_lr:
            raise ValueError(f"max_lr ({self.max_lr}) must be >= base_lr ({self.base_lr})")
        _positive("stepsize", self.stepsize)
        if self.mode not in CLR_MODES:
            raise ValueError(f"unknown CLR mode {self.mode!r}; known: {', '.join(CLR_MODES)}")
        if not (0 < self.gamma <= 1):
            raise ValueError(f"gamma must be in (0, 1], got {self.gamma}")

    def cycle(self, t: int) -> int:
        """The 1-based cycle that iteration ``t`` belongs to."""
        return int(math.floor(1 + self._check_t(t) / (2 * self.stepsize)))

    def lr(self, t: int) -> float:
        cycle = self.cycle(t)
        x = abs(t / self.stepsize - 2 * cycle + 1)
        amplitude = (self.max_lr - self.base_lr) * max(0.0, 1.0 - x)
        if self.mode == "triangular2":
            amplitude /= 2.0 ** (cycle - 1)
        elif self.mode == "exp_range":
            amplitude *= self.gamma**t
        return self.base_lr + amplitude


@dataclass
class OneCycle(Schedule):
    """Smith's 1cycle policy (Smith 2018, "A disciplined approach to neural network
    hyper-parameters"), with linear pieces.

    With ``T = total_iters``, ``c = (1 − annihilate_frac) · T`` and ``lo = max_lr / div_factor``:

    * ``0 <= t < c/2``: linear from ``lo`` up to ``max_lr``;
    * ``c/2 <= t < c``: linear from ``max_lr`` back down to ``lo``;
    * ``c <= t < T``: annihilation, linear from ``lo`` down to ``lo / final_div``;
    * ``t >= T``: ``lo / final_div``.

    (fastai's ``fit_one_cycle`` uses cosine pieces, a 25–30% warm-up and no separate
    annihilation phase; this is the shape of Smith's paper.)

    Args:
        max_lr: the peak rate (from an LR range test).
        total_iters: iterations of the whole policy.
        div_factor: ``max_lr / lo`` (Smith: about 10).
        annihilate_frac: share of ``total_iters`` spent annihilating (Smith: "a little").
        final_div: how far below ``lo`` the annihilation goes.
    """

    max_lr: float
    total_iters: int
    div_factor: float = 10.0
    annihilate_frac: float = 0.1
    final_div: float = 100.0

    def __post_init__(self):
        self.peak = _positive("max_lr", self.max_lr)
        if int(self.total_iters) < 1:
            raise ValueError(f"total_iters must be >= 1, got {self.total_iters}")
        if self.div_factor < 1 or self.final_div < 1:
            raise ValueError("div_factor and final_div must be >= 1")
        if not (0 <= self.annihilate_frac < 1):
            raise ValueError(f"annihilate_frac must be in [0, 1), got {self.annihilate_frac}")

    def lr(self, t: int) -> float:
        t = self._check_t(t)
        total = float(self.total_iters)
        lo = self.max_lr / self.div_factor
        end = lo / self.final_div
        c = (1.0 - self.annihilate_frac) * total
        half = c / 2.0
        if t < half:
            return lo + (self.max_lr - lo) * t / half
        if t < c:
            return self.max_lr - (self.max_lr - lo) * (t - half) / half
        if t < total:
            return lo - (lo - end) * (t - c) / (total - c)
        return end


@dataclass
class StepDecay(Schedule):
    """Caffe's ``step`` policy as in the Hyperband CNN experiments (Li et al., JMLR 2018, Appendix A.2).

    ``lr(t) = lr · gamma^floor(t / stepsize)`` with ``stepsize = max_iter // (reductions + 1)``,
    so ``reductions`` drops are spread evenly over the **maximum** iteration window (CIFAR-10:
    30k iterations, 2 reductions → a drop at 10k and at 20k), whatever budget a run stops at.

    Args:
        lr_value: initial learning rate.
        max_iter: the maximum iteration window (R units in iterations).
        reductions: number of drops (0–3 in Table 3).
        gamma: factor per drop.
    """

    lr_value: float
    max_iter: int
    reductions: int = 0
    gamma: float = 0.1

    def __post_init__(self):
        self.peak = _positive("lr", self.lr_value)
        if int(self.max_iter) < 1 or int(self.reductions) < 0:
            raise ValueError("max_iter must be >= 1 and reductions >= 0")
        self.stepsize = max(1, int(self.max_iter) // (int(self.reductions) + 1))

    def lr(self, t: int) -> float:
        return self.lr_value * self.gamma ** (self._check_t(t) // self.stepsize)


#: Names accepted by :func:`make_schedule` (and by the LeNet benchmark's ``schedule`` option).
SCHEDULE_NAMES = ("constant", "exp_decay", "clr", "one_cycle")


def make_schedule(name: str, lr: float, iters_per_unit: int, max_units: float, **options: Any) -> Schedule:
    """Build a named schedule whose **peak** is ``lr`` (the searched learning rate).

    The neural-network benchmarks count budget in units of ``iters_per_unit`` iterations with a
    maximum of ``max_units`` (R). The searched rate is the schedule's peak in every case, so no
    schedule ever exceeds the search range:

    * ``"constant"``: ``lr``.
    * ``"exp_decay"``: :class:`ExponentialDecay` with one unit as an epoch: ``lr`` for 10 units,
      then ×exp(−0.1) per unit.
    * ``"clr"``: :class:`CyclicLR` triangular between ``lr/4`` (Smith's rule base = max/4) and
      ``lr`` with ``stepsize = iters_per_unit / 2``, so every whole-unit budget ends at the end
      of a cycle (Smith: stop training at a cycle end).
    * ``"one_cycle"``: :class:`OneCycle` over the maximum window (``max_units`` units),
      peaking at ``lr``; short budgets see only its warm-up, as in the step policy.

    Extra ``options`` override the defaults above (e.g. ``mode="exp_range", gamma=0.9999`` for
    ``clr``, ``hold_epochs=5`` for ``exp_decay``).

    Raises:
        ValueError: unknown name.
    """
    iters_per_unit = int(iters_per_unit)
    if name == "constant":
        return Constant(lr, **options)
    if name == "exp_decay":
        return ExponentialDecay(lr, **{"iters_per_epoch": iters_per_unit, **options})
    if name == "clr":
        kw = {"stepsize": iters_per_unit / 2.0, "mode": "triangular", **options}
        return CyclicLR(base_lr=lr / 4.0, max_lr=lr, **kw)
    if name == "one_cycle":
        return OneCycle(lr, **{"total_iters": int(round(max_units * iters_per_unit)), **options})
    raise ValueError(f"unknown schedule {name!r}; known: {', '.join(SCHEDULE_NAMES)}")


# ------------------------------------------------------------------------- torch helpers


def set_lr(optimizer: Any, lr: float) -> None:
    """Set every parameter group's rate to ``lr · group["lr_mult"]`` (default multiplier 1).

    ``lr_mult`` is how the CNN benchmark gives biases twice the weights' rate (Caffe's
    ``lr_mult: 2``).
    """
    for group in optimizer.param_groups:
        group["lr"] = lr * group.get("lr_mult", 1.0)


def lambda_lr(optimizer: Any, schedule: Schedule, start_iter: int = 0):
    """A ``torch.optim.lr_scheduler.LambdaLR`` that follows ``schedule``, stepped once per
    iteration.

    The optimizer's current rates are taken as the schedule's peak (group multipliers are kept);
    ``start_iter`` resumes at a global iteration (never reset ``t`` when continuing a run). After
    construction the groups hold ``lr(start_iter)``; call ``scheduler.step()`` after every
    ``optimizer.step()``.
    """
    from torch.optim.lr_scheduler import LambdaLR

    for group in optimizer.param_groups:
        group.setdefault("initial_lr", group["lr"])
    return LambdaLR(optimizer, schedule.factor, last_epoch=int(start_iter) - 1)


# ------------------------------------------------------------------------- LR range test


@dataclass
class LRRangeResult:
    """Outcome of :func:`lr_range_test`.

    Attributes:
        lrs: the learning rate at each measurement point.
        accuracies: validation accuracy at each point.
        base_lr: suggested lower CLR bound (where accuracy starts to rise).
        max_lr: suggested upper bound (where accuracy stops rising: flattens or falls).
        losses: mean training loss over the iterations before each point.
    """

    lrs: np.ndarray
    accuracies: np.ndarray
    base_lr: float
    max_lr: float
    losses: np.ndarray = field(default_factory=lambda: np.zeros(0))


def suggest_lrs(lrs: Sequence[float], accuracies: Sequence[float], rise: float = 0.1, flat: float = 0.9) -> tuple[float, float]:
    """Read ``(base_lr, max_lr)`` off an LR range test curve (Smith, WACV 2017, §3.3).

    The accuracies are smoothed with a centred moving average of 3 points; with ``a0`` the first
    and ``a*`` the best smoothed accuracy, ``base_lr`` is the first rate where the accuracy has
    risen by ``rise · (a* − a0)`` ("starts to increase") and ``max_lr`` the first rate where it
    reaches ``a0 + flat · (a* − a0)`` ("flattens"; a curve that then becomes ragged or falls
    has its peak at or after this point). If the curve never rises, Smith's rule of thumb
    ``base_lr = max_lr / 4`` is used around the best point.
    """
    lrs = np.asarray(lrs, dtype=float)
    acc = np.asarray(accuracies, dtype=float)
    if lrs.shape != acc.shape or lrs.size == 0:
        raise ValueError("lrs and accuracies must be non-empty and of the same length")
    if acc.size >= 3:
        padded = np.concatenate([acc[:1], acc, acc[-1:]])
        smooth = (padded[:-2] + padded[1:-1] + padded[2:]) / 3.0
    else:
        smooth = acc
    a0, best = smooth[0], smooth.max()
    span = best - a0
    if not span > 0:
        top = float(lrs[int(np.argmax(smooth))])
        return top / 4.0, top
    i_base = int(np.argmax(smooth >= a0 + rise * span))
    i_max = int(np.argmax(smooth >= a0 + flat * span))
    base, top = float(lrs[i_base]), float(lrs[max(i_max, i_base)])
    if base <= 0 or base >= top:
        base = top / 4.0
    return base, top


def lr_range_test(
    model: Any,
    X_train: Any,
    y_train: Any,
    X_val: Any,
    y_val: Any,
    min_lr: float = 0.0,
    max_lr: float = 0.1,
    epochs: float = 8,
    batch_size: int = 100,
    n_points: int = 40,
    momentum: float = 0.9,
    seed: int = 0,
    device: str = "cpu",
) -> LRRangeResult:
    """Smith's LR range test: train ``model`` for ``epochs`` epochs while the learning rate grows
    linearly from ``min_lr`` to ``max_lr``, measuring validation accuracy ``n_points`` times.

    The model is trained in place (pass a fresh one); SGD with ``momentum``, cross-entropy loss,
    mini-batches drawn from per-epoch permutations seeded by ``seed``.

    Args:
        model: a ``torch.nn.Module`` returning class scores.
        X_train, y_train, X_val, y_val: arrays or tensors (float inputs, integer labels).
        min_lr, max_lr: the range to sweep (Smith's CIFAR-10 example: 0 to 0.02 over 8 epochs).
        epochs: length of the sweep in epochs of ``X_train``.
        batch_size: mini-batch size.
        n_points: number of measurements (evenly spaced in iterations).
        momentum: SGD momentum.
        seed: seeds the mini-batch order.
        device: torch device.

    Returns:
        :class:`LRRangeResult` with the curve and the suggested ``base_lr`` / ``max_lr``.

    Example:
        >>> import torch, numpy as np
        >>> X = np.random.default_rng(0).normal(size=(200, 5)).astype("float32")
        >>> y = (X[:, 0] > 0).astype("int64")
        >>> res = lr_range_test(torch.nn.Linear(5, 2), X, y, X, y, max_lr=1.0, epochs=2,
        ...                     batch_size=20, n_points=5)
        >>> len(res.lrs), res.base_lr <= res.max_lr
        (5, True)
    """
    import torch

    def tensor(a, dtype):
        return torch.as_tensor(np.asarray(a) if not torch.is_tensor(a) else a, dtype=dtype, device=device)

    Xt, yt = tensor(X_train, torch.float32), tensor(y_train, torch.int64)
    Xv, yv = tensor(X_val, torch.float32), tensor(y_val, torch.int64)
    n = len(Xt)
    batch_size = max(1, min(int(batch_size), n))
    total = max(1, int(round(epochs * n / batch_size)))
    n_points = max(1, min(int(n_points), total))
    checkpoints = set(np.linspace(total / n_points, total, n_points).round().astype(int).tolist())
    model.to(device)
    opt = torch.optim.SGD(model.parameters(), lr=float(max(min_lr, 1e-12)), momentum=momentum)
    loss_fn = torch.nn.CrossEntropyLoss()
    rng = np.random.default_rng(seed)
    order = np.zeros(0, dtype=np.int64)
    lrs, accs, losses, running = [], [], [], []
    for it in range(1, total + 1):
        lr = min_lr + (max_lr - min_lr) * it / total
        set_lr(opt, lr)
        while len(order) < batch_size:
            order = np.concatenate([order, rng.permutation(n)])
        idx, order = order[:batch_size], order[batch_size:]
        model.train()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(Xt[idx]), yt[idx])
        loss.backward()
        opt.step()
        running.append(float(loss.detach()))
        if it in checkpoints:
            model.eval()
            with torch.no_grad():
                pred = torch.cat([model(Xv[i : i + 1000]).argmax(1) for i in range(0, len(Xv), 1000)])
            lrs.append(lr)
            accs.append(float((pred == yv).float().mean()))
            losses.append(float(np.mean(running)) if running else float("nan"))
            running = []
    base, top = suggest_lrs(lrs, accs)
    return LRRangeResult(np.array(lrs), np.array(accs), base, top, np.array(losses))

