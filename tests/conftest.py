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
