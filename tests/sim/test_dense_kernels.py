"""The dense-memory kernels: the Numba twins against the NumPy references."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engramsim.networks import DenseAssociativeMemory
from engramsim.networks.patterns import flip_bits, random_patterns
from engramsim.sim import get_backend
from engramsim.sim.kernels import CONVERGED, NOT_CONVERGED, dense_numba

NUMPY, NUMBA = get_backend("numpy"), get_backend("numba")


def kernel_inputs(interaction, degree, n_units, n_patterns, n_states, seed):
    """Patterns, states and the model's table for a random instance."""
    patterns = random_patterns(n_patterns, n_units, seed=seed)
    states = flip_bits(patterns[np.arange(n_states) % n_patterns], 0.3, seed=seed + 1)
    mem = DenseAssociativeMemory(n_units, interaction, degree, backend="numpy").store(patterns)
    t = mem._kernel_tables()
    return patterns, states, (t["table"], t["base"], t["relative"]), mem.exact


CASES = [  # interaction, degree, N, K: int64 tables (float64-exact, and beyond 2**53)
    ("polynomial", 2, 50, 8),
    ("polynomial", 3, 40, 150),
    ("polynomial", 4, 30, 400),
    ("rectified_polynomial", 3, 40, 150),
    ("rectified_polynomial", 4, 30, 400),
    ("polynomial", 9, 40, 100),  # 4 K max|g| > 2**53: int64 matrix product
]


@pytest.mark.parametrize("interaction, degree, n_units, n_patterns", CASES)
def test_step_bit_exact(interaction, degree, n_units, n_patterns):
    patterns, states, table, exact = kernel_inputs(interaction, degree, n_units, n_patterns, 64, seed=degree)
    assert exact
    expected = NUMPY.kernel("dense_step")(patterns, states, *table)
    got = NUMBA.kernel("dense_step")(patterns, states, *table)
    assert got.dtype == np.int8
    np.testing.assert_array_equal(got, expected)
    assert (expected != states).any()  # the cases are not trivial


def test_step_in_blocks(monkeypatch):
    patterns, states, table, _ = kernel_inputs("polynomial", 3, 40, 150, 64, seed=0)
    expected = NUMPY.kernel("dense_step")(patterns, states, *table)
    monkeypatch.setattr(dense_numba, "_CHUNK", 1000)  # blocks of 6 states
    np.testing.assert_array_equal(NUMBA.kernel("dense_step")(patterns, states, *table), expected)


def test_integer_table_beyond_float64_is_exact():
    _, _, (table, _, _), _ = kernel_inputs("polynomial", 9, 40, 100, 1, seed=0)
    assert 4 * 100 * int(np.abs(table).max()) > dense_numba._FLOAT64_EXACT


@pytest.mark.parametrize("interaction, degree, n_units, n_patterns", CASES)
def test_async_bit_exact(interaction, degree, n_units, n_patterns):
    patterns, states, table, _ = kernel_inputs(interaction, degree, n_units, n_patterns, 12, seed=degree)
    seeds = np.random.default_rng(0).integers(0, 2**63, size=12, dtype=np.uint64)
    a = NUMPY.kernel("dense_async")(patterns, states.copy(), *table, 50, seeds)
    b = NUMBA.kernel("dense_async")(patterns, states.copy(), *table, 50, seeds)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert (a[2] == CONVERGED).all()
    assert (a[1] >= 2).any()


@pytest.mark.parametrize("interaction, degree", [("exponential", 3), ("polynomial", 40)])
def test_float_tables_agree(interaction, degree):
    patterns, states, table, exact = kernel_inputs(interaction, degree, 32, 200, 40, seed=5)
    assert not exact
    np.testing.assert_array_equal(NUMBA.kernel("dense_step")(patterns, states, *table),
                                  NUMPY.kernel("dense_step")(patterns, states, *table))
    seeds = np.arange(40, dtype=np.uint64)
    a = NUMPY.kernel("dense_async")(patterns, states.copy(), *table, 20, seeds)
    b = NUMBA.kernel("dense_async")(patterns, states.copy(), *table, 20, seeds)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("backend", [NUMPY, NUMBA])
def test_async_budget_and_in_place(backend):
    patterns, states, table, _ = kernel_inputs("polynomial", 3, 40, 150, 8, seed=1)
    seeds = np.arange(8, dtype=np.uint64)
    work = states.copy()
    out, steps, status = backend.kernel("dense_async")(patterns, work, *table, 1, seeds)
    assert out is work
    np.testing.assert_array_equal(steps, 1)
    assert (status == NOT_CONVERGED).all()  # every cue flips in its first sweep
    again = backend.kernel("dense_async")(patterns, states.copy(), *table, 1, seeds)[0]
    np.testing.assert_array_equal(out, again)  # same seeds, same order


@pytest.mark.parametrize("backend", [NUMPY, NUMBA])
def test_step_leaves_states_alone(backend):
    patterns, states, table, _ = kernel_inputs("exponential", 3, 20, 30, 5, seed=2)
    before = states.copy()
    backend.kernel("dense_step")(patterns, states, *table)
    np.testing.assert_array_equal(states, before)


@settings(max_examples=40, deadline=None)
@given(
    interaction=st.sampled_from(["polynomial", "rectified_polynomial"]),
    degree=st.integers(2, 7),
    n_units=st.integers(2, 12),
    n_patterns=st.integers(1, 20),
    seed=st.integers(0, 2**16),
)
def test_twins_agree_on_random_instances(interaction, degree, n_units, n_patterns, seed):
    rng = np.random.default_rng(seed)
    patterns = random_patterns(n_patterns, n_units, seed=rng)
    states = random_patterns(6, n_units, seed=rng)
    mem = DenseAssociativeMemory(n_units, interaction, degree, backend="numpy").store(patterns)
    t = mem._kernel_tables()
    table = (t["table"], t["base"], t["relative"])
    np.testing.assert_array_equal(NUMBA.kernel("dense_step")(patterns, states, *table),
                                  NUMPY.kernel("dense_step")(patterns, states, *table))
    seeds = rng.integers(0, 2**63, size=6, dtype=np.uint64)
    a = NUMPY.kernel("dense_async")(patterns, states.copy(), *table, 30, seeds)
    b = NUMBA.kernel("dense_async")(patterns, states.copy(), *table, 30, seeds)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert np.all(mem.energy(a[0]) <= mem.energy(states))
