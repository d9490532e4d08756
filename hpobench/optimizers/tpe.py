"""TPE (Bergstra, Bardenet, Bengio, Kégl, NIPS 2011), driven through hyperopt's own implementation.

The optimizer converts an hpobench :class:`~hpobench.space.Space` into a hyperopt search space
(a pyll expression), keeps a :class:`hyperopt.Trials` object and a :class:`hyperopt.base.Domain`,
and calls :func:`hyperopt.tpe.suggest` once per :meth:`~hpobench.optimizers.base.Optimizer.ask`,
exactly the way ``hyperopt.fmin`` does with a queue of pending jobs: the suggested trial
document is inserted into the ``Trials`` in state ``JOB_STATE_RUNNING`` (so later suggestions
see it, as a trial of unknown, i.e. infinite, loss), and :meth:`tell` fills in its result and
marks it ``JOB_STATE_DONE``. There is no ``fmin`` loop and no thread: the model is hyperopt's,
the loop is the hpobench runner's.

Space mapping (see :class:`TPE` for details):

====================================  ==========================================================
hpobench                              hyperopt
====================================  ==========================================================
``Float(lo, hi)``                     ``hp.uniform(label, lo, hi)``
``Float(lo, hi, log=True)``           ``hp.loguniform(label, log lo, log hi)``
``Int(lo, hi)``                       ``hp.quniform(label, lo - 0.5, hi + 0.5, 1)``, then int, clip
``Int(lo, hi, log=True)``             ``hp.qloguniform(label, log(lo - 0.5), log(hi + 0.5), 1)``
``Categorical(choices)``              ``hp.choice(label, branches)`` (value = index of the choice)
child with ``condition=(cat, vals)``  a node inside each branch of ``cat`` whose choice is in vals
dependent bound ``Int("k1", 5, "k2")``  ``hp.uniform(label, 0, 1)`` (a fraction), decoded after
====================================  ==========================================================

Example:
    >>> from hpobench.space import Space, Float, Int
    >>> space = Space([Float("lr", 1e-3, 1e-1, log=True), Int("k2", 10, 60), Int("k1", 5, "k2")])
    >>> opt = TPE(space, seed=0)
    >>> trial = opt.ask()
    >>> space.validate(trial.config)
    >>> sorted(opt.labels.values())
    ['k1', 'k2', 'lr']
"""

from __future__ import annotations

import functools
import math
from typing import Any

from hyperopt import STATUS_FAIL, STATUS_OK, Trials, hp
from hyperopt import tpe as hyperopt_tpe
from hyperopt.base import JOB_STATE_DONE, JOB_STATE_RUNNING, Domain

from ..benchmarks.base import Fidelity, Result
from ..space import Categorical, Parameter, Space, _Numeric
from .base import Capabilities, Optimizer, Trial

__all__ = ["TPE", "hyperopt_space"]

#: A branch path: the (categorical parent name, choice index) pairs leading to a parameter.
Path = tuple


def _objective_placeholder(*_args: Any, **_kwargs: Any) -> float:
    """Domain needs a function; hpobench evaluates configurations itself, so it is never called."""
    raise RuntimeError("the TPE optimizer never evaluates through hyperopt's Domain")


def _categorical_parent(space: Space, p: Parameter) -> Categorical | None:
    """The categorical parent that p's condition nests it under, if any."""
    if p.condition is None:
        return None
    parent = space[p.condition.parent]
    return parent if isinstance(parent, Categorical) else None


def _label(name: str, path: Path, space: Space) -> str:
    """Readable, unique label: ``coef0[kernel=poly]`` for a parameter inside a branch."""
    parts = [name]
    for parent_name, index in path:
        choice = space[parent_name].choices[index]
        parts.append(f"[{parent_name}={choice}]")
    return "".join(parts)


def hyperopt_space(space: Space) -> tuple[dict, dict[tuple[str, Path], str]]:
    """Convert an hpobench space into a hyperopt search space.

    Args:
        space: the hpobench space.

    Returns:
        ``(expr, labels)``: ``expr`` is a dict of hyperopt expressions (what one would pass to
        ``fmin`` as ``space``), ``labels`` maps ``(parameter name, branch path)`` to the
        hyperopt label used for that occurrence of the parameter. A branch path is a tuple of
        ``(categorical parent, choice index)`` pairs; a parameter that is active under several
        choices of its parent occurs once per such branch, under a different label.

    Raises:
        ValueError: if two occurrences would get the same label (choices whose ``str`` collide).
    """
    # Children nested under categorical parents; everything else (unconditional parameters and
    # parameters conditional on a numeric parent) lives in the scope of its parent or at the top.
    nested: dict[str, list[Parameter]] = {}
    same_scope: dict[str, list[Parameter]] = {}
    top: list[Parameter] = []
    for p in space.params:
        if p.condition is None:
            top.append(p)
        elif _categorical_parent(space, p) is not None:
            nested.setdefault(p.condition.parent, []).append(p)
        else:
            # Conditional on a numeric parent: hyperopt has no way to nest on a numeric value,
            # so the parameter is sampled whenever its parent's scope is, and dropped in decoding
            # when its condition does not hold.
            same_scope.setdefault(p.condition.parent, []).append(p)

    labels: dict[tuple[str, Path], str] = {}

    def members(params: list[Parameter]) -> list[Parameter]:
        # A scope's parameters plus, recursively, those conditional on its numeric parameters,
        # in declaration order.
        out: list[Parameter] = []
        stack = list(params)
        while stack:
            p = stack.pop(0)
            out.append(p)
            stack.extend(same_scope.get(p.name, []))
        order = {p.name: i for i, p in enumerate(space.params)}
        return sorted(out, key=lambda p: order[p.name])

    def node(p: Parameter, path: Path) -> Any:
        label = _label(p.name, path, space)
        if label in labels.values():
            raise ValueError(f"hyperopt label {label!r} occurs twice; rename a choice of the space")
        labels[(p.name, path)] = label
        if isinstance(p, Categorical):
            branches = []
            for i, choice in enumerate(p.choices):
                kids = [c for c in nested.get(p.name, []) if any(p.index(v) == i for v in c.condition.values)]
                if kids:
                    branches.append({"__index__": i, **build(members(kids), path + ((p.name, i),))})
                else:
                    branches.append(i)
            return hp.choice(label, branches)
        assert isinstance(p, _Numeric)
        if p.depends_on:
            # A dependent bound: TPE models the position of the value within its resolved bounds
            # (the fraction used by Space.encode); the value is decoded after sampling.
            return hp.uniform(label, 0.0, 1.0)
        low, high = float(p.low), float(p.high)
        if p.is_int:
            # Widened by half a unit so that every integer gets the same prior mass (hyperopt's
            # quniform on [low, high] would give the end points half as much); the decoded value
            # is clipped to [low, high] for the measure-zero draws that round outside.
            if p.log:
                return hp.qloguniform(label, math.log(low - 0.5), math.log(high + 0.5), 1)
            return hp.quniform(label, low - 0.5, high + 0.5, 1)
        if p.log:
            return hp.loguniform(label, math.log(low), math.log(high))
        return hp.uniform(label, low, high)

    def build(params: list[Parameter], path: Path) -> dict:
        return {p.name: node(p, path) for p in params}

    expr = build(members(top), ())
    return expr, labels


class TPE(Optimizer):
    """Tree-structured Parzen Estimator, hyperopt's ``tpe.suggest`` behind ask/tell.

    Every :meth:`ask` calls :func:`hyperopt.tpe.suggest` with a seed drawn from :attr:`rng` on a
    :class:`hyperopt.Trials` that holds every earlier trial (told ones ``JOB_STATE_DONE``,
    pending ones ``JOB_STATE_RUNNING``), which is what ``fmin`` does with several queued jobs.
    So, as in hyperopt: the first ``n_startup_jobs`` trials (pending ones included) come from the
    prior (``rand.suggest``); afterwards pending and failed trials count as observations with
    infinite loss, i.e. in the "above" density g(x), which steers parallel asks apart.

    Space mapping:
        * Float → ``hp.uniform`` / ``hp.loguniform``. Int → ``hp.quniform`` /
          ``hp.qloguniform`` with q = 1 on ``[low - 0.5, high + 0.5]`` (equal prior mass per
          integer, like :meth:`Space.sample`), converted to ``int`` and clipped to
          ``[low, high]``. Categorical → ``hp.choice`` over the choice indices.
        * A parameter conditional on a categorical lives inside the ``hp.choice`` branch of each
          parent value that activates it, under a per-branch label such as
          ``coef0[kernel=poly]`` and ``coef0[kernel=sigmoid]``; TPE then models them as separate
          nodes (each fitted on the trials where that branch was taken), which is how hyperopt
          itself models such spaces. :attr:`labels` maps (name, branch path) to the label.
        * A parameter conditional on a *numeric* parent cannot be nested in hyperopt; it is
          sampled whenever its parent is and dropped from the configuration when inactive.
        * A dependent bound (``Int("k1", 5, "k2")``) becomes ``hp.uniform(label, 0, 1)``, the
          fraction of the resolved interval (on the parameter's scale, ints widened by half a
          unit as above); the value is decoded after sampling with the space's own
          ``from_unit``, e.g. ``k1 = round(5 - 0.5 + frac * (k2 - 5 + 1))`` clipped to
          ``[5, k2]``, so the returned configuration always satisfies the bound.

    Args:
        space: the search space.
        seed: seeds :attr:`rng`, from which every call's hyperopt seed is drawn (as ``fmin``
            draws from its ``rstate``); same seed and told results ⇒ same proposals.
        fidelity: ignored (single-fidelity: every trial runs at the maximum budget).
        gamma: quantile for the good/bad split (hyperopt default 0.25; n_below =
            ceil(gamma·√N), at most 25).
        n_startup_jobs: trials drawn from the prior before the model is used (default 20).
        n_ei_candidates: candidates drawn from l(x) per parameter, best l/g kept (default 24).
        prior_weight: weight of the prior component in each Parzen estimator (default 1.0).

    Attributes:
        trials: the :class:`hyperopt.Trials` handed to ``tpe.suggest`` (tid = trial id).
        domain: the :class:`hyperopt.base.Domain` of the converted space.
        labels: ``{(name, branch path): hyperopt label}``.
    """

    name = "tpe"
    capabilities = Capabilities(conditional=True, dependent_bounds=True, multi_fidelity=False, batch=True)

    def __init__(
        self,
        space: Space,
        seed: int | None = 0,
        fidelity: Fidelity | None = None,
        gamma: float = hyperopt_tpe._default_gamma,
        n_startup_jobs: int = hyperopt_tpe._default_n_startup_jobs,
        n_ei_candidates: int = hyperopt_tpe._default_n_EI_candidates,
        prior_weight: float = hyperopt_tpe._default_prior_weight,
    ):
        super().__init__(space, seed=seed, fidelity=fidelity)
        if not 0.0 < float(gamma) <= 1.0:
            raise ValueError(f"gamma must be in (0, 1], got {gamma}")
        if int(n_startup_jobs) != n_startup_jobs or n_startup_jobs < 1:
            raise ValueError(f"n_startup_jobs must be an integer >= 1, got {n_startup_jobs}")
        if int(n_ei_candidates) != n_ei_candidates or n_ei_candidates < 1:
            raise ValueError(f"n_ei_candidates must be an integer >= 1, got {n_ei_candidates}")
        if not float(prior_weight) > 0.0:
            raise ValueError(f"prior_weight must be > 0, got {prior_weight}")
        self.gamma = float(gamma)
        self.n_startup_jobs = int(n_startup_jobs)
        self.n_ei_candidates = int(n_ei_candidates)
        self.prior_weight = float(prior_weight)
        # verbose=False only silences hyperopt's per-call logger.info lines.
        self._suggest = functools.partial(
            hyperopt_tpe.suggest,
            gamma=self.gamma,
            n_startup_jobs=self.n_startup_jobs,
            n_EI_candidates=self.n_ei_candidates,
            prior_weight=self.prior_weight,
            verbose=False,
        )
        self.expr, self.labels = hyperopt_space(space)
        self.domain = Domain(_objective_placeholder, self.expr)
        self.trials = Trials()
        self._docs: dict[int, dict] = {}

    # ------------------------------------------------------------------------------ ask / tell
    def _ask(self) -> Trial:
        tid = self._next_id
        # Same draw as fmin: rstate.integers(2**31 - 1).
        seed = int(self.rng.integers(2**31 - 1))
        from_prior = len(self.trials.trials) < self.n_startup_jobs
        docs = self._suggest([tid], self.domain, self.trials, seed)
        if len(docs) != 1:  # pragma: no cover - tpe.suggest always returns one doc per call
            raise RuntimeError(f"hyperopt returned {len(docs)} trial documents for one id")
        doc = docs[0]
        doc["state"] = JOB_STATE_RUNNING
        self.trials.insert_trial_docs([doc])
        self.trials.refresh()
        # insert_trial_docs stores a SONified copy; keep the stored one to update on tell.
        stored = self.trials._dynamic_trials[-1]
        assert stored["tid"] == tid
        self._docs[tid] = stored
        config = self.decode_vals(stored["misc"]["vals"])
        return self.new_trial(config, model="prior" if from_prior else "tpe")

    def _tell(self, trial: Trial, result: Result) -> None:
        doc = self._docs.pop(trial.id)
        if result.ok:
            doc["result"] = {"loss": float(result.loss), "status": STATUS_OK}
        else:
            # No loss key: tpe.suggest then treats the trial as loss = inf (a "bad" observation),
            # exactly as for an fmin objective that returns {"status": "fail"}.
            doc["result"] = {"status": STATUS_FAIL}
        doc["state"] = JOB_STATE_DONE
        self.trials.refresh()

    # --------------------------------------------------------------------------------- mapping
    def decode_vals(self, vals: dict[str, list]) -> dict:
        """Map a hyperopt ``misc["vals"]`` dict (label → [value] or []) to a configuration.

        Args:
            vals: the sampled values of one trial document, keyed by hyperopt label.

        Returns:
            A configuration valid in :attr:`space` (conditions applied, ints rounded and
            clipped, dependent bounds decoded from their fractions).
        """
        config: dict = {}
        paths: dict[str, Path] = {}
        for p in self.space.params:
            if not self.space.is_active(p, config):
                continue
            if p.condition is None:
                path: Path = ()
            else:
                parent = self.space[p.condition.parent]
                path = paths[parent.name]
                if isinstance(parent, Categorical):
                    path = path + ((parent.name, parent.index(config[parent.name])),)
            paths[p.name] = path
            label = self.labels[(p.name, path)]
            values = vals.get(label) or []
            if len(values) != 1:
                raise RuntimeError(f"hyperopt sampled no value for active label {label!r}")
            raw = values[0]
            if isinstance(p, Categorical):
                config[p.name] = p.choices[int(raw)]
                continue
            config[p.name] = p.from_raw(raw, config)
        return config
