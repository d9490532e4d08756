"""Thread limits live in hpobench.threads and the context manager restores what it changed."""

from __future__ import annotations

import os

import pytest
from threadpoolctl import threadpool_info

from hpobench.threads import THREAD_VARIABLES, limited_threads, thread_environment, torch_threads

torch = pytest.importorskip("torch")  # optional dependency: only the torch half needs it


def _blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info()]


def test_limited_threads_restores_torch_and_blas_even_on_error():
    torch_before, blas_before = torch_threads(), _blas_threads()
    # start from 2 threads so that a limit to 1 is a visible change on any machine
    with limited_threads(2):
        with pytest.raises(RuntimeError):
            with limited_threads(1) as n:
                assert n == 1 and torch.get_num_threads() == 1
                assert all(t == 1 for t in _blas_threads())
                raise RuntimeError("the work inside failed")
        assert torch.get_num_threads() == 2
    assert torch_threads() == torch_before and _blas_threads() == blas_before


def test_limited_threads_can_limit_blas_only():
    with limited_threads(2):
        # torch's intra-op pool is OpenMP, so only leaving OpenMP alone leaves torch alone
        with limited_threads(1, torch=False, user_api="blas"):
            assert torch.get_num_threads() == 2
            assert all(p["num_threads"] == 1 for p in threadpool_info() if p["user_api"] == "blas")
    with pytest.raises(ValueError, match=">= 1"):
        with limited_threads(0):
            pass


def test_cnn_evaluate_with_threads_restores_the_callers_setting(tmp_path, monkeypatch):
    from hpobench.benchmarks.cnn import LeNetDigits

    monkeypatch.setenv("HPOBENCH_CACHE_DIR", str(tmp_path))
    b = LeNetDigits(iters_per_unit=1, threads=1, device="cpu")
    with limited_threads(2):
        b.evaluate({"lr": 0.05, "batch_size": 16, "k2": 10, "k1": 5}, budget=1, seed=0)
        assert torch.get_num_threads() == 2
    b.close()


def test_thread_environment_sets_and_restores_variables(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    with thread_environment(1):
        assert all(os.environ[k] == "1" for k in THREAD_VARIABLES)
        assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    assert os.environ["OMP_NUM_THREADS"] == "7" and "MKL_NUM_THREADS" not in os.environ
