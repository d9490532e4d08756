"""Hyperband plans as text and JSON: what ``hpobench plan`` prints and what the family's
optimizers return from ``describe_plan()``.

Example:
    >>> print(plan_text(9, eta=3).splitlines()[2])
      2        9     13  9@1 3@3 1@9          3.00       2.33
"""

from __future__ import annotations

import json
from typing import Sequence

from .schedule import Bracket, plan_total, schedule

__all__ = ["format_plan", "plan_dict", "plan_text"]


def _fmt(x: float) -> str:
    return f"{x:g}"


def plan_dict(brackets: Sequence[Bracket]) -> dict:
    """A JSON-ready description of ``brackets`` (for ``hpobench plan --json``).

    Keys: ``max_budget``, ``min_budget``, ``R``, ``eta``, ``rounding``, ``s_max`` (the largest
    s in ``brackets``), ``brackets``
    (each with ``s``, ``rungs`` = [{``n``, ``budget``, ``units``}], ``configs``, ``evaluations``,
    ``resource_R``, ``resource_resumed_R``) and ``total`` (``configs``, ``evaluations``,
    ``resource_R``, ``resource_resumed_R``).
    """
    if not brackets:
        raise ValueError("plan_dict needs at least one bracket")
    b0 = brackets[0]
    out_brackets = []
    for b in brackets:
        out_brackets.append(
            {
                "s": b.s,
                "rungs": [
                    {"n": n, "budget": b.budget(i), "units": float(r)} for i, (n, r) in enumerate(b.rungs)
                ],
                "configs": b.n_configs,
                "evaluations": b.n_evaluations,
                "resource_R": b.resource_R(False),
                "resource_resumed_R": b.resource_R(True),
            }
        )
    return {
        "max_budget": float(b0.max_budget),
        "min_budget": float(b0.min_budget),
        "R": float(b0.R),
        "eta": float(b0.eta) if b0.eta.denominator != 1 else int(b0.eta),
        "rounding": b0.rounding,
        "s_max": max(b.s for b in brackets),
        "brackets": out_brackets,
        "total": {
            "configs": sum(b.n_configs for b in brackets),
            "evaluations": sum(b.n_evaluations for b in brackets),
            "resource_R": plan_total(brackets, False),
            "resource_resumed_R": plan_total(brackets, True),
        },
    }


def format_plan(brackets: Sequence[Bracket], unit: str = "", title: str | None = None, label: str = "Hyperband") -> str:
    """A readable table of ``brackets``: one row per bracket, then totals.

    Columns: bracket s, rungs as ``n_i@r_i`` (r_i in the benchmark's budget units), configurations
    sampled, evaluations, resource in multiples of R from scratch (the paper's Table 1 convention) and with
    promoted configurations resuming.

    Args:
        brackets: from :func:`schedule` (or any optimizer's ``plan()``).
        unit: the budget's unit name, shown in the header (e.g. ``"epochs"``).
        title: first line; by default it states R, eta and the rounding.
        label: the first word of the default title.

    Example:
        >>> print(format_plan(schedule(9, eta=3)))
        Hyperband plan: max_budget 9, min_budget 1 (R = 9 units), eta 3, rounding ceil_formula, brackets s=2..0
          s  configs  evals  rungs n_i@r_i  resource/R  resumed/R
          2        9     13  9@1 3@3 1@9          3.00       2.33
          1        5      6  5@3 1@9              2.67       2.33
          0        3      3  3@9                  3.00       3.00
        total     17     22                       8.67       7.67
    """
    if not brackets:
        raise ValueError("format_plan needs at least one bracket")
    b0 = brackets[0]
    u = f" {unit}" if unit else ""
    if title is None:
        title = (
            f"{label} plan: max_budget {_fmt(float(b0.max_budget))}{u}, min_budget {_fmt(float(b0.min_budget))}{u} "
            f"(R = {_fmt(float(b0.R))} units), eta {_fmt(float(b0.eta))}, rounding {b0.rounding}, "
            + (f"brackets s={brackets[0].s}..{brackets[-1].s}" if len(brackets) > 1 else f"bracket s={b0.s}")
        )
    rung_txt = [" ".join(f"{n}@{_fmt(r)}" for n, r in b.as_pairs()) for b in brackets]
    w = max(len("rungs n_i@r_i"), *(len(t) for t in rung_txt))
    lines = [title, f"  s  configs  evals  {'rungs n_i@r_i':<{w}}  resource/R  resumed/R"]
    for b, txt in zip(brackets, rung_txt):
        lines.append(
            f"{b.s:>3}  {b.n_configs:>7}  {b.n_evaluations:>5}  {txt:<{w}}  {b.resource_R(False):>10.2f}  {b.resource_R(True):>9.2f}"
        )
    lines.append(
        f"{'total':<5}  {sum(b.n_configs for b in brackets):>5}  {sum(b.n_evaluations for b in brackets):>5}  "
        f"{'':<{w}}  {plan_total(brackets, False):>10.2f}  {plan_total(brackets, True):>9.2f}"
    )
    return "\n".join(lines)


def plan_text(max_budget: float, as_json: bool = False, **schedule_options) -> str:
    """One outer loop of :func:`~.schedule.schedule` (``max_budget`` and ``eta``, ``min_budget``,
    ``rounding``, ``n_max``, ``s_min`` as there) as :func:`format_plan`'s table, or as
    :func:`plan_dict` in indented JSON with ``as_json`` (what ``hpobench plan`` prints).

    Raises:
        ValueError: a bad R, eta, rounding, n_max or s_min, with a sentence naming it.
    """
    brackets = schedule(max_budget, **schedule_options)
    if as_json:
        return json.dumps(plan_dict(brackets), indent=2)
    return format_plan(brackets)
