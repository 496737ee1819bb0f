"""The numba binary kernels against their NumPy twins: bit-exact final states."""

import numpy as np
import pytest

from engramsim.learning_rules import hebb_counts, storkey
from engramsim.sim import get_backend
from engramsim.sim.kernels import CONVERGED, CYCLE

REF = get_backend("numpy")
FAST = get_backend("numba")


def _problem(n=120, p=15, b=40, noise=0.2, seed=0, rule="hebb"):
    rng = np.random.default_rng(seed)
    xi = rng.choice(np.array([-1, 1], dtype=np.int8), size=(p, n))
    if rule == "hebb":
        w = hebb_counts(xi).astype(np.float32)
    else:
        w = storkey(xi)
    np.fill_diagonal(w, 0)
    cues = xi[rng.integers(0, p, b)].copy()
    cues[rng.random(cues.shape) < noise] *= -1
    return w, cues


@pytest.mark.parametrize("rule", ["hebb", "storkey"])
@pytest.mark.parametrize("load", [0.05, 0.3])
def test_sync_numba_equals_numpy(rule, load):
    n = 150
    w, cues = _problem(n=n, p=int(load * n), rule=rule, seed=int(load * 100))
    ref = REF.kernel("sign_sync")(w, cues.copy(), 30)
    fast = FAST.kernel("sign_sync")(w, cues.copy(), 30)
    for a, b in zip(ref, fast):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("rule", ["hebb", "storkey"])
def test_async_numba_equals_numpy(rule):
    w, cues = _problem(n=100, p=25, b=12, rule=rule, seed=5)
    seeds = np.arange(12, dtype=np.uint64) * np.uint64(7919) + np.uint64(11)
    ref = REF.kernel("sign_async")(w, cues.copy(), 20, seeds)
    fast = FAST.kernel("sign_async")(w, cues.copy(), 20, seeds)
    for a, b in zip(ref, fast):
        np.testing.assert_array_equal(a, b)


def test_incremental_fields_equal_recomputed_fields():
    w, cues = _problem(n=90, p=20, b=10, seed=2)
    fields = cues.astype(np.float32) @ w
    states, _, status = FAST.kernel("sign_async")(w, cues.copy(), 50, np.arange(10, dtype=np.uint64), fields)
    np.testing.assert_array_equal(fields, states.astype(np.float32) @ w)
    assert np.all(status == CONVERGED)


def test_sync_detects_two_cycle():
    # Two units coupled negatively with self-coupling 0: (+1,+1) -> (-1,-1) -> (+1,+1)
    w = np.array([[0.0, -1.0], [-1.0, 0.0]])
    for backend in (REF, FAST):
        states, steps, status = backend.kernel("sign_sync")(w, np.array([[1, 1]], np.int8), 10)
        assert status[0] == CYCLE
        assert steps[0] == 2
        np.testing.assert_array_equal(states[0], [1, 1])


def test_tie_keeps_state():
    w = np.zeros((3, 3))
    start = np.array([[1, -1, 1]], np.int8)
    for backend in (REF, FAST):
        states, steps, status = backend.kernel("sign_sync")(w, start.copy(), 5)
        np.testing.assert_array_equal(states, start)
        assert status[0] == CONVERGED and steps[0] == 1
        states, _, status = backend.kernel("sign_async")(w, start.copy(), 5, np.array([1], np.uint64))
        np.testing.assert_array_equal(states, start)
