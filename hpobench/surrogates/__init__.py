"""Learning curves recorded from real training, and the surrogate and tabular benchmarks built
on them (see ``surrogates/README.md`` and docs/surrogates.md).

* :mod:`~hpobench.surrogates.design` — the Sobol design of configurations;
* :mod:`~hpobench.surrogates.table` — the table format (gzip'd JSON Lines + manifest);
* :mod:`~hpobench.surrogates.record` — recording curves (``hpobench surrogate record``);
* :mod:`~hpobench.surrogates.model` — the fitted surrogate model;
* :mod:`~hpobench.surrogates.validate` — cross-validated fidelity (``hpobench surrogate validate``).
"""
