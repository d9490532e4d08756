"""scikit-optimize's ``Optimizer`` (GP, library defaults) driven through ``ask`` / ``tell``.

scikit-optimize has no conditions and no dependent bounds: it gets the flat view of
:mod:`hpobench.peers.translate` (every parameter, inactive ones included as dimensions the model
must learn to ignore, dependent bounds as relative positions), and the proposal is decoded
afterwards. Defaults are the library's: ``base_estimator="GP"``, ``acq_func="gp_hedge"``,
``n_initial_points=10`` random points, ``acq_optimizer="auto"``.

scikit-optimize needs a finite value for every point it is told: a failed evaluation is told as
the worst loss seen so far (not told at all while nothing has succeeded).
"""

from __future__ import annotations

from ..benchmarks.base import Result
from ..optimizers.base import Capabilities, Trial
from .base import PeerOptimizer, library_seed
from .translate import decode, flat_params

__all__ = ["SkoptGP", "skopt_dimensions"]


def skopt_dimensions(space) -> list:
    """The flat view of ``space`` as scikit-optimize dimensions (named after the parameters)."""
    from skopt.space import Categorical, Integer, Real

    dims = []
    for fp in flat_params(space):
        prior = "log-uniform" if fp.log else "uniform"
        if fp.kind == "categorical":
            dims.append(Categorical(list(fp.labels), name=fp.name))
        elif fp.kind == "int":
            dims.append(Integer(int(fp.low), int(fp.high), prior=prior, name=fp.name))
        else:
            dims.append(Real(float(fp.low), float(fp.high), prior=prior, name=fp.name))
    return dims


class SkoptGP(PeerOptimizer):
    """scikit-optimize's Gaussian-process optimizer (``skopt.Optimizer(base_estimator="GP")``).

    Several asks before tells: the extra points come from ``ask(n_points=k, strategy="cl_min")``
    (constant liar, the library's batch mode), whose first ``k - 1`` points are the pending ones.
    """

    name = "skopt-gp"
    peer_library = "scikit-optimize"
    peer_modules = ("skopt",)
    peer_extra = "skopt"
    space_notes = "no conditions (inactive parameters stay in the model, dropped after decoding); dependent bounds as relative positions"
    capabilities = Capabilities(conditional=True, dependent_bounds=True, multi_fidelity=False, batch=True)

    def __init__(self, space, seed=0, fidelity=None, n_initial_points: int = 10, acq_func: str = "gp_hedge"):
        super().__init__(space, seed=seed, fidelity=fidelity)
        import skopt

        self._names = [fp.name for fp in flat_params(space)]
        self.optimizer = skopt.Optimizer(
            skopt_dimensions(space), base_estimator="GP", n_initial_points=int(n_initial_points),
            acq_func=acq_func, random_state=library_seed(seed),
        )
        self._points: dict[int, list] = {}

    def _ask(self) -> Trial:
        k = len(self._points)
        if k == 0:
            x = self.optimizer.ask()
        else:
            x = self.optimizer.ask(n_points=k + 1, strategy="cl_min")[-1]
        x = [v.item() if hasattr(v, "item") else v for v in x]
        self._points[self._next_id] = x
        return self.new_trial(decode(self.space, dict(zip(self._names, x))))

    def _tell(self, trial: Trial, result: Result) -> None:
        x = self._points.pop(trial.id)
        worst = self.worst_loss()
        if result.ok:
            self.optimizer.tell(x, float(result.loss))
        elif worst is not None:
            self.optimizer.tell(x, worst)
