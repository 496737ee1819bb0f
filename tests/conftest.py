"""Shared test settings: a non-interactive plot backend and the GPU skip."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402

from engramsim.sim.backends import cuda_available  # noqa: E402

CPU_BACKENDS = ["numpy", "numba"]


def pytest_collection_modifyitems(config, items):
    if cuda_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device (CuPy backend)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def one_torch_thread():
    """Small matrices: one thread each for torch and BLAS (oversubscribed pools are far slower on 2 cores)."""
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(before)
