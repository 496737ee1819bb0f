"""Dense associative memory (Krotov & Hopfield 2016; Demircigil et al. 2017)."""

import math

import numpy as np
import pytest

from engramsim.experiments.theory import dense_one_step_error
from engramsim.networks import DenseAssociativeMemory, Hopfield
from engramsim.networks.patterns import flip_bits, random_patterns
from engramsim.sim.kernels import CONVERGED

INTERACTIONS = ("polynomial", "rectified_polynomial", "exponential")
BACKENDS = ("numpy", "numba")


def energy_differences(interaction, degree, patterns, state):
    """E(s_i = -1) - E(s_i = +1) for each unit, from the definition, with exact ties.

    Returns the signs (+1, -1, 0 for an exact tie).  Polynomials use Python
    integers; for the exponential, a tie means equal multisets of overlaps
    (e is transcendental), and otherwise the sign of a correctly rounded sum.
    """
    def overlaps(s):
        return sorted(int(np.dot(x.astype(int), s)) for x in patterns)

    def neg_energy(m):
        if interaction == "exponential":
            return math.fsum(math.exp(v) for v in m)
        if interaction == "rectified_polynomial":
            return sum(v**degree if v > 0 else 0 for v in m)
        return sum(v**degree for v in m)

    signs = np.zeros(state.size, dtype=int)
    for i in range(state.size):
        up, down = state.astype(int), state.astype(int)
        up[i], down[i] = 1, -1
        m_up, m_down = overlaps(up), overlaps(down)
        if m_up != m_down:
            signs[i] = np.sign(neg_energy(m_up) - neg_energy(m_down))
    return signs


# ------------------------------------------------------------------ definition
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("interaction, degree", [
    ("polynomial", 2), ("polynomial", 3), ("polynomial", 4), ("polynomial", 30),
    ("rectified_polynomial", 3), ("rectified_polynomial", 4), ("exponential", 3),
])
def test_step_follows_the_energy_difference(backend, interaction, degree):
    rng = np.random.default_rng(degree)
    patterns = random_patterns(12, 9, seed=rng)
    states = random_patterns(10, 9, seed=rng)
    mem = DenseAssociativeMemory(9, interaction, degree, backend=backend).store(patterns)
    signs = np.array([energy_differences(interaction, degree, patterns, s) for s in states])
    expected = np.where(signs == 0, states, signs)
    new = mem.step(states)
    if mem.exact:
        np.testing.assert_array_equal(new, expected)
    else:  # floating point: exact ties come out within rounding of zero
        np.testing.assert_array_equal(new[signs != 0], expected[signs != 0])


def test_exactness_switches_to_float_for_high_degree():
    patterns = random_patterns(5, 40, seed=0)
    assert DenseAssociativeMemory(40, degree=5).store(patterns).exact
    assert not DenseAssociativeMemory(40, degree=30).store(patterns).exact
    assert not DenseAssociativeMemory(40, "exponential").store(patterns).exact


# ------------------------------------------------------------ n = 2 is Hopfield
@pytest.mark.parametrize("backend", BACKENDS)
def test_degree_two_equals_hebbian_hopfield(backend):
    patterns = random_patterns(12, 64, seed=1)
    cues = flip_bits(np.repeat(patterns, 2, axis=0), 0.25, seed=2)
    dam = DenseAssociativeMemory(64, degree=2, backend=backend).store(patterns)
    hop = Hopfield(64, rule="hebb", backend=backend).store(patterns)
    np.testing.assert_array_equal(dam.step(cues), hop.step(cues))
    for dynamics in ("async", "sync"):
        a = dam.recall(cues, dynamics=dynamics, seed=5)
        b = hop.recall(cues, dynamics=dynamics, seed=5)
        np.testing.assert_array_equal(a.states, b.states)
        np.testing.assert_array_equal(a.steps, b.steps)
        np.testing.assert_array_equal(a.status, b.status)


# ----------------------------------------------------------------- energy
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("interaction, n_units, n_patterns", [
    ("polynomial", 40, 150), ("rectified_polynomial", 40, 150), ("exponential", 24, 300),
])
def test_energy_never_increases_under_async_updates(backend, interaction, n_units, n_patterns):
    patterns = random_patterns(n_patterns, n_units, seed=3)
    cues = random_patterns(16, n_units, seed=4)
    mem = DenseAssociativeMemory(n_units, interaction, 3, backend=backend).store(patterns)
    energies = [mem.energy(cues)]
    for sweeps in (1, 2, 3, 4):
        energies.append(mem.energy(mem.recall(cues, max_steps=sweeps, seed=7).states))
    energies = np.array(energies)
    scale = np.abs(energies).max(axis=0)
    assert np.all(np.diff(energies, axis=0) <= 1e-12 * scale)
    assert np.any(np.diff(energies, axis=0) < 0)


def test_energy_values():
    patterns = random_patterns(6, 10, seed=5)
    states = random_patterns(4, 10, seed=6)
    m = states.astype(int) @ patterns.T.astype(int)
    poly = DenseAssociativeMemory(10, degree=3).store(patterns)
    np.testing.assert_array_equal(poly.energy(states), -(m**3).sum(axis=1))
    rect = DenseAssociativeMemory(10, "rectified_polynomial", 4).store(patterns)
    np.testing.assert_array_equal(rect.energy(states), -(np.where(m > 0, m, 0) ** 4).sum(axis=1))
    np.testing.assert_allclose(rect.log_neg_energy(states), np.log(-rect.energy(states)), rtol=1e-13)
    expo = DenseAssociativeMemory(10, "exponential").store(patterns)
    np.testing.assert_allclose(expo.energy(states), -np.exp(m).sum(axis=1), rtol=1e-13)
    np.testing.assert_allclose(expo.log_neg_energy(states), np.log(np.exp(m).sum(axis=1)), rtol=1e-13)
    with pytest.raises(ValueError, match="log_neg_energy"):
        poly.log_neg_energy(states)


# ------------------------------------------------------------- capacity laws
@pytest.mark.parametrize("degree, n_units, n_patterns", [(2, 200, 30), (3, 100, 600), (4, 50, 1500)])
def test_one_step_error_matches_theory(degree, n_units, n_patterns):
    predicted = float(dense_one_step_error(n_units, n_patterns, degree))
    assert 1e-3 < predicted < 1e-1
    errors = []
    for seed in range(6):
        patterns = random_patterns(n_patterns, n_units, seed=seed)
        mem = DenseAssociativeMemory(n_units, degree=degree).store(patterns)
        errors.append(np.mean(mem.step(patterns) != patterns))
    errors = np.array(errors)
    # errors within one pattern set are correlated: use the spread over sets, and
    # never less than the binomial error of all bits together
    binomial = math.sqrt(predicted * (1 - predicted) / (len(errors) * n_units * n_patterns))
    sigma = max(errors.std(ddof=1) / math.sqrt(len(errors)), binomial)
    assert abs(errors.mean() - predicted) < 4 * sigma


def test_exponential_stores_many_more_patterns_than_units():
    patterns = random_patterns(200, 32, seed=8)
    mem = DenseAssociativeMemory(32, "exponential").store(patterns)
    assert mem.is_fixed_point(patterns).all()
    cues = flip_bits(patterns, 3 / 32, seed=9)
    result = mem.recall(cues, seed=0)
    assert np.isfinite(mem.energy(result.states)).all()
    assert np.mean(np.all(result.states == patterns, axis=1)) > 0.9


def test_exponential_does_not_overflow_at_large_n():
    patterns = random_patterns(20, 1500, seed=10)
    mem = DenseAssociativeMemory(1500, "exponential").store(patterns)
    cues = flip_bits(patterns, 0.3, seed=11)
    assert mem.is_fixed_point(patterns).all()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        result = mem.recall(cues, seed=0)
        log_e = mem.log_neg_energy(result.states)
    np.testing.assert_array_equal(result.states, patterns)
    np.testing.assert_allclose(log_e, 1500, rtol=1e-3)
    assert np.all(mem.energy(result.states) == -np.inf)  # documented: exp(lse) overflows


@pytest.mark.parametrize("degree, n_patterns", [(2, 4), (4, 60)])
def test_even_polynomial_inverse_patterns_are_fixed_points(degree, n_patterns):
    patterns = random_patterns(n_patterns, 60, seed=12)
    plain = DenseAssociativeMemory(60, degree=degree).store(patterns)
    assert plain.is_fixed_point(patterns).all()
    assert plain.is_fixed_point(-patterns).all()
    rectified = DenseAssociativeMemory(60, "rectified_polynomial", degree).store(patterns)
    assert rectified.is_fixed_point(patterns).all()
    assert not rectified.is_fixed_point(-patterns).any()


# ------------------------------------------------------------------ recall
def test_recall_result_and_reproducibility():
    patterns = random_patterns(60, 50, seed=13)
    cues = flip_bits(patterns, 0.1, seed=14)
    mem = DenseAssociativeMemory(50, degree=3, seed=1).store(patterns)
    result = mem.recall(cues)
    assert result.states.dtype == np.int8 and result.states.shape == cues.shape
    assert (result.status == CONVERGED).all() and result.converged.all()
    assert result.attrs["interaction"] == "polynomial" and result.attrs["degree"] == 3
    np.testing.assert_allclose(result.overlap_with(patterns), 1.0)
    again = DenseAssociativeMemory(50, degree=3, seed=1).store(patterns).recall(cues)
    np.testing.assert_array_equal(result.states, again.states)
    sync = mem.recall(cues, dynamics="sync")
    np.testing.assert_array_equal(sync.states, patterns)
    assert sync.attrs["dynamics"] == "sync"


def test_inputs_are_not_modified():
    patterns = random_patterns(20, 30, seed=15)
    cues = flip_bits(patterns, 0.2, seed=16)
    p0, c0 = patterns.copy(), cues.copy()
    mem = DenseAssociativeMemory(30, "exponential").store(patterns)
    mem.recall(cues)
    mem.step(cues)
    mem.energy(cues)
    np.testing.assert_array_equal(patterns, p0)
    np.testing.assert_array_equal(cues, c0)
    patterns[0] *= -1
    np.testing.assert_array_equal(mem.patterns, p0)


def test_store_accumulates_and_clear_forgets():
    patterns = random_patterns(10, 20, seed=17)
    mem = DenseAssociativeMemory(20, degree=3).store(patterns[:4]).store(patterns[4])
    assert mem.n_patterns == 5
    whole = DenseAssociativeMemory(20, degree=3).store(patterns[:5])
    np.testing.assert_array_equal(mem.step(patterns), whole.step(patterns))
    assert mem.clear().n_patterns == 0
    with pytest.raises(RuntimeError, match="store"):
        mem.recall(patterns)


# -------------------------------------------------------------- validation
@pytest.mark.parametrize("kwargs, error, match", [
    ({"interaction": "cubic"}, ValueError, "interaction"),
    ({"degree": 1}, ValueError, "degree"),
    ({"degree": 2.5}, TypeError, "degree"),
    ({"degree": "3"}, TypeError, "degree"),
    ({"max_steps": 0}, ValueError, "max_steps"),
    ({"backend": "fortran"}, ValueError, "backend"),
    ({"seed": -1}, ValueError, "seed"),
])
def test_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        DenseAssociativeMemory(10, **kwargs)


@pytest.mark.parametrize("patterns, error, match", [
    (np.zeros((2, 10)), ValueError, "patterns"),
    (np.full((2, 10), 2), ValueError, "patterns"),
    (np.ones((2, 11)), ValueError, r"patterns.*\(P, 10\)"),
    (np.ones((2, 10), dtype=bool), TypeError, "patterns"),
    (np.full((2, 10), np.nan), ValueError, "patterns"),
    (np.ones((0, 10)), ValueError, "patterns"),
    (np.ones((2, 2, 10)), ValueError, "patterns"),
])
def test_bad_patterns(patterns, error, match):
    with pytest.raises(error, match=match):
        DenseAssociativeMemory(10).store(patterns)


def test_bad_cues():
    mem = DenseAssociativeMemory(10).store(random_patterns(3, 10, seed=0))
    with pytest.raises(ValueError, match="cues"):
        mem.recall(np.ones((2, 9)))
    with pytest.raises(ValueError, match="cues"):
        mem.recall(np.zeros((2, 10)))
    with pytest.raises(ValueError, match="states"):
        mem.step(np.ones(11))
    with pytest.raises(ValueError, match="dynamics"):
        mem.recall(np.ones(10), dynamics="parallel")
    with pytest.raises(ValueError, match="max_steps"):
        mem.recall(np.ones(10), max_steps=0)
