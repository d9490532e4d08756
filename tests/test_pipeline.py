"""The scikit-learn pipeline benchmarks (paper §4.2.1): conditional space, subsample fidelity,
determinism, the fixed split and the CSV loader (real scikit-learn, real files)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from hpobench.benchmarks import get_benchmark
from hpobench.benchmarks.pipeline import CLASSIFIERS, PipelineBenchmark, _build, pipeline_space, subsample_order
from hpobench.benchmarks.tabular import TABULAR_DATASETS, TABULAR_SIZES, CSVError, load_csv, load_tabular, train_size


def test_sampled_configs_carry_exactly_the_chosen_components_parameters():
    space = pipeline_space()
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(300):
        c = space.sample(rng)
        space.validate(c)
        seen.add(c["classifier"])
        for name in c:
            if name.startswith("pca_"):
                assert c["preprocessor"] == "pca", c
            elif name not in ("preprocessor", "classifier"):
                assert name.startswith(c["classifier"] + "_"), c
        assert ("pca_keep_variance" in c) == (c["preprocessor"] == "pca")
        if c["classifier"] == "rbf_svm":
            assert {"rbf_svm_C", "rbf_svm_gamma"} <= set(c)
    assert seen == set(CLASSIFIERS)


def test_the_built_pipeline_uses_the_configured_values():
    model, _ = _build({"preprocessor": "pca", "pca_keep_variance": 0.8, "classifier": "rbf_svm", "rbf_svm_C": 3.0, "rbf_svm_gamma": 0.25}, 100, 0)
    pca, svc = model[0], model[-1]
    assert pca.n_components == 0.8 and svc.C == 3.0 and svc.gamma == 0.25
    # more neighbours than training points: all of them, and the log says so
    model, notes = _build({"preprocessor": "none", "classifier": "knn", "knn_n_neighbors": 90, "knn_weights": "uniform", "knn_p": 1}, 14, 0)
    assert model[-1].n_neighbors == 14 and notes == {"n_neighbors_used": 14}


def test_split_is_two_thirds_then_halves_stratified_and_fixed():
    a, b = load_tabular("breast-cancer"), load_tabular("breast-cancer")
    n = len(a.y_train) + len(a.y_val) + len(a.y_test)
    assert n == 569 and len(a.y_train) == 379 and abs(len(a.y_val) - len(a.y_test)) <= 1
    np.testing.assert_array_equal(a.X_val, b.X_val)
    share = [np.mean(part == 1) for part in (a.y_train, a.y_val, a.y_test)]
    assert max(share) - min(share) < 0.02


def test_known_sizes_match_the_loaded_data_sets():
    for name in TABULAR_DATASETS:
        d = load_tabular(name)
        assert len(d.y_train) + len(d.y_val) + len(d.y_test) == TABULAR_SIZES[name] and len(d.y_train) == train_size(TABULAR_SIZES[name])


def test_budget_is_the_training_subsample_and_larger_budgets_contain_smaller():
    b = get_benchmark("pipeline-breast-cancer")
    assert b.fidelity.max == b.R == 379 and b.fidelity.min == pytest.approx(379 / 9)
    small, big = b.subsample(b.fidelity.min, seed=3), b.subsample(200, seed=3)
    assert len(small) == 42 and len(big) == 200 and set(small) <= set(big)
    cfg = {"preprocessor": "standardize", "classifier": "logreg", "logreg_C": 1.0}
    assert b.evaluate(cfg, budget=b.fidelity.min, seed=3).info["n_train"] == 42
    assert b.evaluate(cfg, seed=3).info["n_train"] == 379
    # every prefix keeps the class proportions within one example per class
    y = b._data().y_train
    order = subsample_order(y, 7)
    for k in (12, 42, 100):
        counts = np.bincount(y[order[:k]], minlength=2)
        assert np.all(np.abs(counts - k * np.bincount(y) / len(y)) <= 1.0 + 1e-9), (k, counts)


def test_same_seed_same_result_other_seed_other_subsample():
    b = get_benchmark("pipeline-wine")
    cfg = {"preprocessor": "none", "classifier": "random_forest", "random_forest_criterion": "gini",
           "random_forest_max_features": 0.3, "random_forest_min_samples_leaf": 2}
    r1, r2 = b.evaluate(cfg, budget=40, seed=5), get_benchmark("pipeline-wine").evaluate(cfg, budget=40, seed=5)
    assert (r1.loss, r1.test_loss) == (r2.loss, r2.test_loss)
    assert not np.array_equal(b.subsample(40, seed=5), b.subsample(40, seed=6))


def test_a_pipeline_that_fails_to_fit_is_a_failed_evaluation_not_a_crash(monkeypatch):
    b = PipelineBenchmark("iris")
    cfg = {"preprocessor": "none", "classifier": "logreg", "logreg_C": 1.0}
    assert b.evaluate(cfg, budget=b.fidelity.min, seed=0).ok  # the smallest stratified prefix has every class
    # a one-point subsample: logistic regression refuses a single-class training set
    monkeypatch.setattr(b, "n_points", lambda budget: 1)
    res = b.evaluate(cfg, seed=0)
    assert res.status == "failed" and "ValueError" in res.info["error"] and res.info["n_train"] == 1


def write_csv(path, rows):
    path.write_text("\n".join(",".join(map(str, r)) for r in rows) + "\n")


def test_csv_loader_reads_features_and_any_label_text(tmp_path):
    rng = np.random.default_rng(0)
    rows = [["height", "weight", "kind"]]
    for i in range(60):
        kind = ["cat", "dog", "eel"][i % 3]
        rows.append([round(rng.normal(i % 3), 3), round(rng.normal(), 3), kind])
    write_csv(tmp_path / "pets.csv", rows)
    s = load_csv(tmp_path / "pets.csv", "kind")
    assert s.n_classes == 3 and s.X_train.shape == (40, 2) and len(s.y_val) + len(s.y_test) == 20
    b = get_benchmark("pipeline-csv", path=str(tmp_path / "pets.csv"), target="kind")
    assert b.name == "pipeline-pets" and b.R == 40
    assert b.evaluate({"preprocessor": "standardize", "classifier": "knn", "knn_n_neighbors": 3, "knn_weights": "uniform", "knn_p": 2}, seed=0).ok


@pytest.mark.parametrize(
    "content, target, fragment",
    [
        (None, "kind", "does not exist"),
        ("a,b,kind\n1,2,x\n", "label", "has no column 'label'; its columns: a, b, kind"),
        ("a,kind\n1,x\noops,y\n", "kind", "line 3, column 'a': 'oops' is not a finite number"),
        ("a,kind\n" + "1,x\n" * 10, "kind", "1 distinct label(s)"),
    ],
)
def test_csv_loader_refuses_bad_files_in_one_line(tmp_path, content, target, fragment):
    path = tmp_path / "data.csv"
    if content is not None:
        path.write_text(content)
    with pytest.raises(CSVError) as info:
        load_csv(path, target)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_cli_bad_csv_column_is_one_line_and_exit_2(tmp_path):
    write_csv(tmp_path / "d.csv", [["a", "y"]] + [[i, i % 2] for i in range(20)])
    proc = subprocess.run(
        [sys.executable, "-m", "hpobench", "run", "--benchmark", "pipeline-csv", "--optimizer", "random", "--budget", "2",
         "--benchmark-option", f"path={tmp_path / 'd.csv'}", "--benchmark-option", "target=label", "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120, env=os.environ.copy(),
    )
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and "no column 'label'" in lines[0], proc.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.jsonl"))
