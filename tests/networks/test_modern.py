"""Modern continuous Hopfield network (Ramsauer et al. 2021)."""

import numpy as np
import pytest

from engramsim.networks import ModernHopfield
from engramsim.sim.kernels import CONVERGED, NOT_CONVERGED


def spherical_patterns(n_patterns, dim, radius, seed):
    x = np.random.default_rng(seed).normal(size=(n_patterns, dim))
    return radius * x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize("beta", [0.05, 1.0, 8.0])
def test_energy_never_increases(beta):
    rng = np.random.default_rng(0)
    patterns = rng.normal(size=(30, 16))
    mem = ModernHopfield(16, beta=beta, backend="numpy").store(patterns)
    states = 3 * rng.normal(size=(20, 16))
    energies = [mem.energy(states)]
    for _ in range(25):
        states = mem.step(states)
        energies.append(mem.energy(states))
    energies = np.array(energies)
    assert np.all(np.diff(energies, axis=0) <= 1e-12 * (1 + np.abs(energies[:-1])))


def test_energy_bounds_and_norms():
    rng = np.random.default_rng(1)
    patterns = rng.normal(size=(25, 12)) * rng.uniform(0.5, 2, size=(25, 1))
    mem = ModernHopfield(12, beta=2.0, backend="numpy").store(patterns)
    big_m = mem.max_norm
    assert big_m == pytest.approx(np.linalg.norm(patterns, axis=1).max())
    states = rng.normal(size=(200, 12)) * rng.uniform(0, 3 * big_m / np.sqrt(12), size=(200, 1))
    energy = mem.energy(states)
    norms = np.linalg.norm(states, axis=1)
    assert np.all(energy >= 0.5 * (norms - big_m) ** 2 - 1e-12)
    inside = norms <= big_m
    assert inside.any() and np.all(energy[inside] <= 2 * big_m**2)
    after = mem.step(states)  # convex combinations of the patterns
    assert np.all(np.linalg.norm(after, axis=1) <= big_m * (1 + 1e-12))


def test_small_beta_returns_the_mean():
    patterns = np.random.default_rng(2).normal(size=(40, 10))
    mem = ModernHopfield(10, beta=1e-8, backend="numpy").store(patterns)
    states = np.random.default_rng(3).normal(size=(5, 10))
    np.testing.assert_allclose(mem.step(states), np.repeat(patterns.mean(axis=0)[None], 5, axis=0), atol=1e-6)


def test_one_step_retrieval_within_theorem_5():
    n_patterns, dim, radius, beta = 20, 64, 4.0, 4.0
    patterns = spherical_patterns(n_patterns, dim, radius, seed=4)
    mem = ModernHopfield(dim, beta=beta, tol=1e-15, backend="numpy").store(patterns)
    gram = patterns @ patterns.T
    separation = np.diag(gram) - np.max(gram - np.diag(np.full(n_patterns, np.inf)), axis=1)
    fixed = mem.recall(patterns).states  # x_i*, the fixed points near the patterns
    drift = np.linalg.norm(fixed - patterns, axis=1)
    # second part of Theorem 5: the fixed point is exponentially close to the pattern
    assert np.all(drift <= 1 / (2 * beta * radius))
    assert np.all(drift <= 2 * np.e * (n_patterns - 1) * radius * np.exp(-beta * separation))
    # first part: one update from a noisy query
    noise = np.random.default_rng(5).normal(size=patterns.shape)
    queries = patterns + 0.5 * noise / np.linalg.norm(noise, axis=1, keepdims=True)
    error = np.linalg.norm(mem.step(queries) - patterns, axis=1)
    distance = np.maximum(np.linalg.norm(queries - patterns, axis=1), drift)
    bound = 2 * (n_patterns - 1) * np.exp(-beta * (separation - 2 * distance * radius)) * radius
    assert np.all(bound < 1e-4)  # the bound says something here
    assert np.all(error <= bound)
    assert np.all(error < 1e-6)


def test_association_matrix():
    rng = np.random.default_rng(6)
    patterns = rng.normal(size=(7, 5))
    states = rng.normal(size=(3, 5))
    mem = ModernHopfield(5, beta=0.7, backend="numpy").store(patterns)
    z = 0.7 * states @ patterns.T
    expected = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(mem.association(states), expected, rtol=1e-13)
    np.testing.assert_allclose(mem.step(states), expected @ patterns, rtol=1e-13)
    sphere = spherical_patterns(7, 5, 1.0, seed=6)  # x_i . x_i is the largest overlap of x_i
    hot = ModernHopfield(5, beta=1e6, backend="numpy").store(sphere)
    with np.errstate(over="raise", invalid="raise"):
        weights = hot.association(sphere)
        energy = hot.energy(sphere)
    np.testing.assert_allclose(weights, np.eye(7), atol=1e-12)
    assert np.isfinite(energy).all()


def test_recall():
    patterns = spherical_patterns(10, 32, 3.0, seed=7)
    mem = ModernHopfield(32, beta=3.0, tol=1e-12, backend="numpy").store(patterns)
    cues = patterns + 0.05 * np.random.default_rng(8).normal(size=patterns.shape)
    result = mem.recall(cues)
    assert result.states.dtype == np.float64 and result.states.shape == cues.shape
    assert (result.status == CONVERGED).all() and (result.steps >= 2).all()
    np.testing.assert_allclose(result.states, patterns, atol=1e-5)
    np.testing.assert_allclose(result.states, mem.recall(patterns).states, atol=1e-11)
    assert result.attrs["beta"] == 3.0 and result.attrs["model"] == "ModernHopfield"
    short = mem.recall(cues, max_steps=1)
    assert (short.status == NOT_CONVERGED).all() and (short.steps == 1).all()
    np.testing.assert_allclose(short.states, mem.step(cues))
    again = mem.recall(cues[0])
    np.testing.assert_allclose(again.states[0], result.states[0], rtol=1e-13, atol=1e-15)


def test_store_accumulates_and_inputs_are_not_modified():
    rng = np.random.default_rng(9)
    patterns = rng.normal(size=(6, 4))
    cues = rng.normal(size=(3, 4))
    p0, c0 = patterns.copy(), cues.copy()
    mem = ModernHopfield(4, backend="numpy").store(patterns[:2]).store(patterns[2:])
    assert mem.n_patterns == 6
    np.testing.assert_array_equal(mem.patterns, patterns)
    mem.recall(cues)
    mem.energy(cues)
    np.testing.assert_array_equal(patterns, p0)
    np.testing.assert_array_equal(cues, c0)
    assert mem.clear().n_patterns == 0
    with pytest.raises(RuntimeError, match="store"):
        mem.step(cues)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"beta": 0.0}, ValueError, "beta"),
    ({"beta": -1.0}, ValueError, "beta"),
    ({"beta": np.nan}, ValueError, "beta"),
    ({"beta": "1"}, TypeError, "beta"),
    ({"tol": -1e-3}, ValueError, "tol"),
    ({"max_steps": 0}, ValueError, "max_steps"),
])
def test_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        ModernHopfield(4, **kwargs)


@pytest.mark.parametrize("patterns, error, match", [
    (np.ones((2, 5)), ValueError, r"patterns.*\(P, 4\)"),
    (np.ones((2, 2, 4)), ValueError, "patterns"),
    (np.full((2, 4), np.nan), ValueError, "patterns"),
    (np.ones((2, 4), dtype=bool), TypeError, "patterns"),
    (np.ones((0, 4)), ValueError, "patterns"),
    ([["a"] * 4], TypeError, "patterns"),
])
def test_bad_patterns(patterns, error, match):
    with pytest.raises(error, match=match):
        ModernHopfield(4).store(patterns)


def test_bad_states():
    mem = ModernHopfield(4).store(np.eye(4))
    with pytest.raises(ValueError, match="cues"):
        mem.recall(np.ones((2, 3)))
    with pytest.raises(ValueError, match="states"):
        mem.step([np.inf, 0, 0, 0])
    with pytest.raises(TypeError, match="states"):
        mem.energy(np.ones(4, dtype=bool))
