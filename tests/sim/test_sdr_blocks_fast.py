"""SDR Monte-Carlo kernels on numba: the histograms do not depend on how the trials are split.

The NumPy reference's chunking is tested in ``test_sdr_kernels.py``; here the compiled kernels' parallel
blocks (``_MAX_BLOCKS``) and thread count are varied, and every split must give the NumPy reference's
histogram bit for bit (each trial owns its counter-based random stream, so the split cannot matter).
"""

import numba
import numpy as np
import pytest

from engramsim.networks.dendrites import sdr_kernel
from engramsim.sim.kernels import sdr_numba

CASES = [
    ("sdr_match_histogram", lambda ref: (ref.pack(np.arange(500) < 20), 500, 50)),
    ("sdr_noise_histogram", lambda ref: (60, 20, 25)),
    ("sdr_union_histogram", lambda ref: (400, 30, 10, 4)),
]


@pytest.mark.parametrize("name, make_args", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("blocks", [1, 3, 7, 256])
def test_numba_blocks_do_not_change_the_histogram(monkeypatch, name, make_args, blocks):
    from engramsim.sim.kernels import sdr_numpy

    args = make_args(sdr_numpy)
    want = sdr_kernel(name, "numpy")(*args, 2003, 9)
    monkeypatch.setattr(sdr_numba, "_MAX_BLOCKS", blocks)
    got = sdr_kernel(name, "numba")(*args, 2003, 9)
    for w, g in zip(want if isinstance(want, tuple) else (want,), got if isinstance(got, tuple) else (got,)):
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("name, make_args", CASES, ids=[c[0] for c in CASES])
def test_numba_thread_count_does_not_change_the_histogram(name, make_args):
    from engramsim.sim.kernels import sdr_numpy

    args = make_args(sdr_numpy)
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = sdr_kernel(name, "numba")(*args, 3001, 4)
    finally:
        numba.set_num_threads(threads)
    many = sdr_kernel(name, "numba")(*args, 3001, 4)
    for a, b in zip(one if isinstance(one, tuple) else (one,), many if isinstance(many, tuple) else (many,)):
        np.testing.assert_array_equal(a, b)
