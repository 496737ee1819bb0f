import numpy as np
import pytest

from engramsim.sim import get_backend
from engramsim.sim.backends import Backend, register_kernel
from engramsim.sim.random import as_generator, check_seed, stream


def test_named_backends():
    assert get_backend("numpy").name == "numpy"
    assert get_backend("numba").name == "numba"
    assert get_backend("auto").name in ("numba", "cupy")
    b = get_backend("numpy")
    assert get_backend(b) is b


def test_unknown_backend_names_the_argument():
    with pytest.raises(ValueError, match="backend must be one of"):
        get_backend("fortran")


def test_kernel_lookup_and_missing_kernel():
    assert callable(get_backend("numpy").kernel("sign_sync"))
    with pytest.raises(NotImplementedError, match="no kernel 'nope'"):
        get_backend("numpy").kernel("nope")


def test_register_kernel_rejects_unknown_backend():
    with pytest.raises(ValueError, match="backend must be one of"):
        register_kernel("x", "opencl")


@pytest.mark.gpu
def test_cupy_backend_runs_sign_sync():
    import cupy

    backend = Backend("cupy")
    rng = np.random.default_rng(0)
    w = rng.standard_normal((50, 50)).astype(np.float32)
    w = w + w.T
    s = rng.choice(np.array([-1, 1], dtype=np.int8), size=(8, 50))
    ref = get_backend("numpy").kernel("sign_sync")(w, s.copy(), 20)
    out = backend.kernel("sign_sync")(cupy.asarray(w), cupy.asarray(s), 20)
    for a, b in zip(ref, out):
        np.testing.assert_array_equal(a, cupy.asnumpy(b))


def test_streams_are_reproducible_and_independent():
    a1 = stream(3, "patterns").integers(0, 1000, 10)
    a2 = stream(3, "patterns").integers(0, 1000, 10)
    b = stream(3, "cues").integers(0, 1000, 10)
    np.testing.assert_array_equal(a1, a2)
    assert not np.array_equal(a1, b)
    g = np.random.default_rng(0)
    assert as_generator(g) is g


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
def test_bad_seed(bad):
    with pytest.raises((TypeError, ValueError), match="seed"):
        check_seed(bad)


@pytest.mark.gpu
def test_cupy_sign_async_equals_numpy_reference():
    import cupy

    rng = np.random.default_rng(1)
    xi = rng.choice(np.array([-1, 1], dtype=np.int8), size=(10, 80))
    w = (xi.T.astype(np.float32) @ xi)
    np.fill_diagonal(w, 0)
    cues = xi.copy()
    cues[rng.random(cues.shape) < 0.2] *= -1
    seeds = np.arange(10, dtype=np.uint64) + np.uint64(3)
    ref = get_backend("numpy").kernel("sign_async")(w, cues.copy(), 30, seeds)
    out = Backend("cupy").kernel("sign_async")(cupy.asarray(w), cupy.asarray(cues), 30, seeds)
    for a, b in zip(ref, out):
        np.testing.assert_array_equal(a, cupy.asnumpy(b))
