"""The spiking engine on CuPy arrays: the NumPy reference run by the ``cupy`` backend (skips without a GPU)."""

import numpy as np
import pytest

from engramsim.networks.izhikevich import izhikevich_2003
from engramsim.sim.backends import cuda_available

needs_gpu = pytest.mark.skipif(not cuda_available(), reason="needs a CUDA device (CuPy backend)")


@pytest.mark.gpu
@needs_gpu
def test_izhikevich_network_on_cupy_matches_numpy():
    """Same spikes on both: the reference's operations are elementwise IEEE operations on either device."""
    runs = {}
    for backend in ("numpy", "cupy"):
        model = izhikevich_2003(200, 1.0, seed=3, backend=backend)
        model.run(200.0)
        runs[backend] = model.spikes()
    (t0, i0), (t1, i1) = runs["numpy"], runs["cupy"]
    assert t0.size > 100
    np.testing.assert_array_equal(t0, t1)
    np.testing.assert_array_equal(i0, i1)
