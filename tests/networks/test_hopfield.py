"""Hopfield network: the checks of the hopfield brief, with fixed seeds."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engramsim.experiments import theory
from engramsim.networks import Hopfield
from engramsim.networks.patterns import flip_bits, random_patterns
from engramsim.sim.kernels import CONVERGED, CYCLE


def test_hebb_weights_match_closed_form():
    xi = random_patterns(7, 60, seed=0)
    w = Hopfield(60, "hebb", backend="numpy").store(xi).weights
    expected = xi.T.astype(float) @ xi / 60 - 7 / 60 * np.eye(60)
    np.testing.assert_allclose(w, expected, atol=1e-12)
    np.testing.assert_array_equal(w, w.T)
    assert np.all(np.diag(w) == 0)


def test_store_is_incremental_and_order_free_for_hebb():
    xi = random_patterns(9, 50, seed=1)
    a = Hopfield(50, backend="numpy").store(xi[:4]).store(xi[4:])
    b = Hopfield(50, backend="numpy").store(xi[::-1])
    np.testing.assert_array_equal(a.weights, b.weights)
    assert a.n_patterns == 9


@pytest.mark.parametrize("rule", ["hebb", "storkey", "pseudo_inverse"])
def test_async_energy_never_increases(rule):
    n, p = 200, 40
    xi = random_patterns(p, n, seed=2)
    mem = Hopfield(n, rule, backend="numba").store(xi)
    cues = flip_bits(xi[:10], 0.3, seed=3)
    energies = [mem.energy(cues)]
    for sweeps in range(1, 6):
        energies.append(mem.energy(mem.recall(cues, max_steps=sweeps, seed=11).states))
    diffs = np.diff(np.array(energies), axis=0)
    assert np.all(diffs <= 1e-9), diffs.max()
    assert np.any(diffs < 0)


@pytest.mark.parametrize("rule", ["hebb", "storkey", "pseudo_inverse"])
def test_sync_ends_in_fixed_point_or_two_cycle(rule):
    n = 150
    xi = random_patterns(45, n, seed=4)
    mem = Hopfield(n, rule, dynamics="sync", backend="numba").store(xi)
    rng = np.random.default_rng(5)
    cues = rng.choice(np.array([-1, 1], np.int8), size=(200, n))
    result = mem.recall(cues, max_steps=500)
    assert set(np.unique(result.status)) <= {CONVERGED, CYCLE}
    fixed = result.status == CONVERGED
    np.testing.assert_array_equal(mem.step(result.states[fixed]), result.states[fixed])
    cyc = result.states[~fixed]
    if len(cyc):
        once = mem.step(cyc)
        assert np.all(np.any(once != cyc, axis=1))
        np.testing.assert_array_equal(mem.step(once), cyc)


@pytest.mark.parametrize("load", [0.1, 0.2, 0.3])
def test_one_step_error_matches_law_at_n1000(load):
    n = 1000
    p = int(load * n)
    flips = []
    for seed in range(3):
        xi = random_patterns(p, n, seed=seed)
        mem = Hopfield(n, backend="numba").store(xi)
        flips.append((mem.step(xi) != xi).mean())
    measured = np.mean(flips)
    predicted = theory.one_step_error_finite(n, p)
    trials = 3 * n * p
    sigma = np.sqrt(predicted * (1 - predicted) / trials)
    # bits of one pattern share its crosstalk; allow 5 binomial sigmas plus 3 % of the value
    assert abs(measured - predicted) < 5 * sigma + 0.03 * predicted, (measured, predicted)
    # and the asymptotic law is close at this size
    assert abs(measured - theory.one_step_error(load)) < 0.15 * theory.one_step_error(load)


@pytest.mark.parametrize("load", [0.2, 0.5, 0.8, 0.95])
def test_pseudo_inverse_stores_every_pattern(load):
    n = 100
    p = int(load * n)
    xi = random_patterns(p, n, seed=6)
    mem = Hopfield(n, "pseudo_inverse", backend="numba").store(xi)
    c = Hopfield(n, "pseudo_inverse", self_coupling=True, backend="numpy").store(xi).weights
    # projector properties
    np.testing.assert_allclose(c @ c, c, atol=1e-9)
    np.testing.assert_allclose(np.trace(c), np.linalg.matrix_rank(xi), atol=1e-8)
    # with the diagonal removed, h = (1 - C_ii) xi exactly
    np.testing.assert_allclose(mem.fields(xi), (1 - np.diag(c)) * xi, atol=1e-9)
    assert np.all(np.diag(c) < 1)
    assert mem.is_fixed_point(xi).all()
    assert np.all(mem.weights.diagonal() == 0)


def test_storkey_beats_hebb_at_n200():
    n = 200
    hebb_stable, storkey_stable = [], []
    for seed in range(3):
        xi = random_patterns(40, n, seed=seed)  # well above N/(2 ln N) = 18.9
        hebb_stable.append(Hopfield(n, "hebb", backend="numba").store(xi).is_fixed_point(xi).mean())
        storkey_stable.append(Hopfield(n, "storkey", backend="numba").store(xi).is_fixed_point(xi).mean())
    assert np.mean(storkey_stable) > 0.9
    assert np.mean(hebb_stable) < 0.5
    assert np.mean(storkey_stable) > np.mean(hebb_stable) + 0.4


def test_keeping_the_diagonal_inflates_stability():
    n = 100
    xi = random_patterns(60, n, seed=7)
    zero = Hopfield(n, "storkey", backend="numpy").store(xi)
    kept = Hopfield(n, "storkey", self_coupling=True, backend="numpy").store(xi)
    assert np.all(zero.weights.diagonal() == 0)
    assert np.any(kept.weights.diagonal() != 0)
    assert kept.is_fixed_point(xi).mean() > zero.is_fixed_point(xi).mean()


@pytest.mark.parametrize("rule", ["hebb", "storkey", "pseudo_inverse"])
def test_gauge_symmetry(rule):
    xi = random_patterns(10, 120, seed=8)
    mem = Hopfield(120, rule, backend="numpy").store(xi)
    np.testing.assert_array_equal(mem.is_fixed_point(xi), mem.is_fixed_point(-xi))
    np.testing.assert_allclose(mem.energy(xi), mem.energy(-xi))


@pytest.mark.parametrize("dynamics", ["async", "sync"])
def test_backends_agree_on_recall(dynamics):
    xi = random_patterns(30, 200, seed=9)
    cues = flip_bits(np.repeat(xi, 3, axis=0), 0.15, seed=10)
    results = [Hopfield(200, dynamics=dynamics, backend=b).store(xi).recall(cues, seed=4) for b in ("numpy", "numba")]
    np.testing.assert_array_equal(results[0].states, results[1].states)
    np.testing.assert_array_equal(results[0].steps, results[1].steps)


def test_recall_retrieves_noisy_cues_and_records_settings():
    xi = random_patterns(20, 400, seed=11)
    mem = Hopfield(400, backend="numba", seed=0).store(xi)
    result = mem.recall(flip_bits(xi, 0.1, seed=1))
    assert result.states.shape == (20, 400)
    assert np.all(result.overlap_with(xi) == 1.0)
    assert result.overlaps.shape == (20, 20)
    assert result.converged.all()
    ds = result.to_xarray()
    assert ds.attrs["rule"] == "hebb" and ds.attrs["tie"] == "keep"
    assert ds["overlaps"].dims == ("cue", "pattern")


def test_same_seed_same_result():
    xi = random_patterns(60, 200, seed=12)
    cues = flip_bits(xi, 0.3, seed=13)
    a = Hopfield(200, backend="numba", seed=5).store(xi).recall(cues)
    b = Hopfield(200, backend="numba", seed=5).store(xi).recall(cues)
    np.testing.assert_array_equal(a.states, b.states)


def test_caller_arrays_are_not_modified():
    xi = random_patterns(5, 64, seed=14)
    cues = flip_bits(xi, 0.2, seed=15)
    xi0, cues0 = xi.copy(), cues.copy()
    mem = Hopfield(64, backend="numba").store(xi)
    mem.recall(cues)
    mem.recall(cues, dynamics="sync")
    np.testing.assert_array_equal(xi, xi0)
    np.testing.assert_array_equal(cues, cues0)


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.ones((3, 10)), r"patterns must have shape \(P, 12\)"),
        (np.full((2, 12), 2), r"patterns must only hold values in"),
        (np.full((2, 12), np.nan), r"patterns must be finite"),
        (np.zeros((0, 12)), r"patterns must not be empty"),
        (np.ones((2, 12), dtype=bool), r"patterns must hold real numbers"),
        (np.ones((2, 3, 12)), r"patterns must be 1-D or 2-D"),
        ("abc", r"patterns must hold real numbers"),
    ],
)
def test_bad_patterns(bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        Hopfield(12, backend="numpy").store(bad)


def test_bad_cues_and_settings():
    mem = Hopfield(12, backend="numpy").store(np.ones((1, 12)))
    with pytest.raises(ValueError, match=r"cues must have length 12"):
        mem.recall(np.ones((2, 11)))
    with pytest.raises(ValueError, match=r"cues must only hold values"):
        mem.recall(np.zeros((1, 12)))
    with pytest.raises(ValueError, match=r"dynamics must be one of"):
        mem.recall(np.ones(12), dynamics="parallel")
    with pytest.raises(ValueError, match=r"max_steps must be >= 1"):
        mem.recall(np.ones(12), max_steps=0)
    with pytest.raises(ValueError, match=r"rule must be one of"):
        Hopfield(12, "oja")
    with pytest.raises(ValueError, match=r"n_neurons must be >= 2"):
        Hopfield(1)
    with pytest.raises(TypeError, match=r"n_neurons must be an integer"):
        Hopfield("12")
    with pytest.raises(TypeError, match=r"self_coupling must be True or False"):
        Hopfield(12, self_coupling="yes")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=8, max_size=8))
def test_alphabet_property(values):
    mem = Hopfield(8, backend="numpy")
    arr = np.array(values)
    if set(values) <= {-1, 1}:
        mem.store(arr)
        assert mem.n_patterns == 1
    else:
        with pytest.raises(ValueError, match="patterns must only hold values"):
            mem.store(arr)
