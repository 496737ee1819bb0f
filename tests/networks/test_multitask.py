"""Multitasking Hebbian network with diluted patterns (Agliari et al. 2012)."""

import numpy as np
import pytest

from engramsim.experiments.theory import (
    multitask_breakdown_dilution,
    multitask_hierarchy_consistent,
    multitask_magnetization,
)
from engramsim.networks import Hopfield, MultitaskHopfield, diluted_patterns
from engramsim.networks.patterns import flip_bits, random_patterns

LARGE_N = 20_000


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_no_dilution_is_hebbian_hopfield(backend):
    patterns = diluted_patterns(8, 100, 0.0, seed=0)
    assert set(np.unique(patterns)) == {-1, 1}
    cues = flip_bits(np.repeat(patterns, 2, axis=0), 0.2, seed=1)
    multi = MultitaskHopfield(100, backend=backend).store(patterns)
    hop = Hopfield(100, rule="hebb", backend=backend).store(patterns)
    np.testing.assert_array_equal(multi.weights, hop.weights)
    np.testing.assert_array_equal(multi.step(cues), hop.step(cues))
    np.testing.assert_array_equal(multi.energy(cues), hop.energy(cues))
    for dynamics in ("async", "sync"):
        a = multi.recall(cues, dynamics=dynamics, seed=3)
        b = hop.recall(cues, dynamics=dynamics, seed=3)
        np.testing.assert_array_equal(a.states, b.states)
        np.testing.assert_array_equal(a.steps, b.steps)


def test_diluted_couplings_have_zero_diagonal():
    patterns = diluted_patterns(5, 40, 0.4, seed=2)
    mem = MultitaskHopfield(40).store(patterns)
    expected = patterns.T.astype(float) @ patterns.astype(float) / 40
    np.fill_diagonal(expected, 0)
    np.testing.assert_allclose(mem.weights, expected, rtol=1e-15)


@pytest.mark.parametrize("dilution", [0.0, 0.3, 0.8, 1.0])
def test_pattern_statistics(dilution):
    patterns = diluted_patterns(20, 5000, dilution, seed=4)
    assert patterns.dtype == np.int8 and patterns.shape == (20, 5000)
    n = patterns.size
    for value, p in [(0, dilution), (1, (1 - dilution) / 2), (-1, (1 - dilution) / 2)]:
        sigma = np.sqrt(p * (1 - p) / n)
        assert abs(np.mean(patterns == value) - p) <= 5 * sigma
    np.testing.assert_array_equal(patterns, diluted_patterns(20, 5000, dilution, seed=4))


@pytest.mark.parametrize("kwargs, error, match", [
    ({"dilution": 1.5}, ValueError, "dilution"),
    ({"dilution": -0.1}, ValueError, "dilution"),
    ({"dilution": "0.1"}, TypeError, "dilution"),
    ({"n_patterns": 0}, ValueError, "n_patterns"),
    ({"n_neurons": 2.5}, TypeError, "n_neurons"),
    ({"seed": -3}, ValueError, "seed"),
])
def test_bad_pattern_arguments(kwargs, error, match):
    arguments = {"n_patterns": 3, "n_neurons": 10, "dilution": 0.2, "seed": 0} | kwargs
    with pytest.raises(error, match=match):
        diluted_patterns(**arguments)


def test_magnetizations():
    patterns = diluted_patterns(4, 1000, 0.25, seed=5)
    mem = MultitaskHopfield(1000).store(patterns)
    pure = np.where(patterns[2] == 0, 1, patterns[2])
    m = mem.magnetizations(pure)
    assert m.shape == (1, 4)
    assert m[0, 2] == pytest.approx(np.mean(patterns[2] != 0))
    np.testing.assert_allclose(m[0], pure @ patterns.T.astype(float) / 1000)
    ordered = mem.sorted_magnetizations(np.stack([pure, -pure]))
    np.testing.assert_allclose(ordered[0], np.sort(np.abs(m[0]))[::-1])
    np.testing.assert_allclose(ordered[1], ordered[0])


def test_hierarchical_state_by_hand():
    patterns = [[1, 0, 0, 0, 0], [-1, -1, 0, 0, 0], [1, 1, -1, 0, 1]]
    mem = MultitaskHopfield(5).store(patterns)
    state = mem.hierarchical_state()
    assert state.dtype == np.int8
    np.testing.assert_array_equal(state, [1, -1, -1, 1, 1])  # site 3 is blank everywhere: +1


@pytest.mark.parametrize("n_patterns", [3, 4])
@pytest.mark.parametrize("dilution", [0.1, 0.2, 0.3])
def test_ansatz_amplitudes(n_patterns, dilution):
    patterns = diluted_patterns(n_patterns, LARGE_N, dilution, seed=n_patterns + int(10 * dilution))
    mem = MultitaskHopfield(LARGE_N).store(patterns)
    measured = mem.sorted_magnetizations(mem.hierarchical_state())[0]
    expected = multitask_magnetization(dilution, n_patterns)
    np.testing.assert_allclose(measured, expected, atol=5 / np.sqrt(LARGE_N))
    # in the ansatz every pattern keeps its priority: m_k > 0, in storage order
    assert np.all(np.diff(mem.magnetizations(mem.hierarchical_state())[0]) < 0)


@pytest.mark.parametrize("n_patterns, dilution", [(3, 0.3), (3, 0.58), (3, 0.66), (3, 0.8), (4, 0.5), (4, 0.6)])
def test_ansatz_is_a_fixed_point_only_inside_the_consistency_region(n_patterns, dilution):
    consistent = multitask_hierarchy_consistent(dilution, n_patterns)
    assert consistent == (dilution < multitask_breakdown_dilution(n_patterns))
    patterns = diluted_patterns(n_patterns, LARGE_N, dilution, seed=7)
    mem = MultitaskHopfield(LARGE_N).store(patterns)
    state = mem.hierarchical_state()
    new = mem.step(state)[0]
    blank = np.all(patterns == 0, axis=0)
    assert blank.any()
    np.testing.assert_array_equal(new[blank], state[blank])  # zero field: ties keep the state
    assert bool(mem.is_fixed_point(state)[0]) == consistent
    if not consistent:
        # the flips sit where the first pattern is outvoted by all later ones
        flipped = new != state
        first = patterns[0, flipped]
        assert np.all(first != 0)
        assert np.all(patterns[1:, flipped] == -first)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_energy_never_increases(backend):
    patterns = diluted_patterns(6, 300, 0.3, seed=8)
    cues = random_patterns(10, 300, seed=9)
    mem = MultitaskHopfield(300, backend=backend).store(patterns)
    energies = [mem.energy(cues)]
    for sweeps in (1, 2, 3, 4):
        energies.append(mem.energy(mem.recall(cues, max_steps=sweeps, seed=1).states))
    assert np.all(np.diff(np.array(energies), axis=0) <= 1e-12)


def test_recall_from_the_first_pattern_fills_the_blanks():
    n, dilution = 3000, 0.2
    patterns = diluted_patterns(3, n, dilution, seed=10)
    mem = MultitaskHopfield(n, seed=0).store(patterns)
    rng = np.random.default_rng(11)
    start = np.where(patterns[0] == 0, rng.choice([-1, 1], size=n), patterns[0])
    result = mem.recall(start)
    assert result.converged.all()
    measured = mem.sorted_magnetizations(result.states)[0]
    np.testing.assert_allclose(measured[:2], multitask_magnetization(dilution, 3)[:2], atol=5 / np.sqrt(n))


def test_inputs_are_not_modified():
    patterns = diluted_patterns(3, 50, 0.3, seed=12)
    cues = random_patterns(4, 50, seed=13)
    p0, c0 = patterns.copy(), cues.copy()
    mem = MultitaskHopfield(50).store(patterns)
    mem.recall(cues)
    mem.magnetizations(cues)
    mem.hierarchical_state()[:] = 0
    np.testing.assert_array_equal(patterns, p0)
    np.testing.assert_array_equal(cues, c0)
    np.testing.assert_array_equal(mem.patterns, p0)


def test_bad_input():
    mem = MultitaskHopfield(10)
    with pytest.raises(ValueError, match="patterns"):
        mem.store(np.full((2, 10), 2))
    with pytest.raises(TypeError, match="patterns"):
        mem.store(np.zeros((2, 10), dtype=bool))
    with pytest.raises(ValueError, match="patterns"):
        mem.store(np.full((2, 10), np.nan))
    with pytest.raises(ValueError, match="patterns"):
        mem.store(np.zeros((2, 9)))
    mem.store(diluted_patterns(2, 10, 0.5, seed=0))
    with pytest.raises(ValueError, match="states"):
        mem.magnetizations(np.zeros(10))  # states are +-1: zeros belong to patterns only
    with pytest.raises(ValueError, match="cues"):
        mem.recall(np.ones(9))
    with pytest.raises(TypeError):
        MultitaskHopfield(10, rule="storkey")
