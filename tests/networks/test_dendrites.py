"""Active dendrites: SDR helpers, htm.core segment semantics, neurons, and Monte Carlo against theory."""

import itertools

import numpy as np
import pytest

from engramsim.experiments import theory
from engramsim.networks import DendriticNeuron, OverlapHistogram, Segment
from engramsim.networks.dendrites import (
    EPSILON,
    add_noise,
    mc_false_match,
    mc_false_negative,
    mc_union_false_match,
    random_sdrs,
    subsample,
)

#: Monte Carlo must agree with theory within this many standard errors
Z = 4.5


# ----------------------------------------------------------------------------- SDR helpers
def test_random_sdrs_have_exactly_a_active_and_are_seeded():
    x = random_sdrs(20, 300, 17, seed=3)
    assert x.shape == (20, 300) and x.dtype == bool
    assert np.all(x.sum(axis=1) == 17)
    assert np.array_equal(x, random_sdrs(20, 300, 17, seed=3))
    assert not np.array_equal(x, random_sdrs(20, 300, 17, seed=4))


def test_add_noise_moves_exactly_v_cells_and_keeps_the_input():
    x = random_sdrs(10, 200, 30, seed=0)
    before = x.copy()
    y = add_noise(x, 12, seed=1)
    assert np.array_equal(x, before)
    assert np.all(y.sum(axis=1) == 30)
    assert np.all((x & y).sum(axis=1) == 18)
    assert np.array_equal(add_noise(x, 0, seed=1), x)
    with pytest.raises(ValueError, match="v must be <="):
        add_noise(x, 31, seed=1)


def test_subsample_picks_active_cells():
    x = random_sdrs(1, 100, 20, seed=2)[0]
    cells = subsample(x, 8, seed=0)
    assert cells.size == 8 and np.unique(cells).size == 8 and np.all(x[cells])
    with pytest.raises(ValueError, match="s must be <= the number of active cells"):
        subsample(x, 21)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: random_sdrs(2, 10, 11), ValueError, "a must be <= 10"),
        (lambda: random_sdrs(2.5, 10, 3), TypeError, "count must be an integer"),
        (lambda: add_noise([[0, 2, 1]], 1), ValueError, "sdrs must only hold values in"),
        (lambda: subsample(np.ones((2, 5)), 1), ValueError, "sdr must be a single pattern"),
    ],
)
def test_helper_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ----------------------------------------------------------------------------- segments
def test_connected_test_uses_htm_epsilon():
    perms = [0.5, 0.5 - EPSILON / 2, 0.5 - 2 * EPSILON, 0.2, 1.0]
    seg = Segment(10, [0, 1, 2, 3, 4], perms)
    assert seg.connected.tolist() == [True, True, False, False, True]
    assert seg.n_connected == 3 and seg.connected_cells.tolist() == [0, 1, 4]


def test_active_counts_connected_and_matching_counts_potential():
    seg = Segment(20, [1, 2, 3, 4, 5], [0.9, 0.9, 0.1, 0.1, 0.1], activation_threshold=2, min_threshold=3)
    cue = np.zeros((3, 20), dtype=bool)
    cue[0, [1, 2]] = True  # two connected: active, not matching (2 potential)
    cue[1, [1, 3, 4]] = True  # one connected, three potential: matching only
    cue[2, [1, 2, 3]] = True  # both
    connected, potential = seg.active_synapses(cue)
    assert connected.tolist() == [2, 1, 2] and potential.tolist() == [2, 3, 3]
    assert seg.is_active(cue).tolist() == [True, False, True]
    assert seg.is_matching(cue).tolist() == [False, True, True]


def test_segment_reproduces_theory_exactly_by_enumeration():
    # every pattern of a = 3 active cells out of n = 10; 4 connected synapses, 2 unconnected
    n, a, theta = 10, 3, 2
    seg = Segment(n, [0, 2, 4, 6, 8, 9], [0.6, 0.5, 0.7, 1.0, 0.3, 0.0], activation_threshold=theta)
    patterns = np.zeros((120, n), dtype=bool)
    for row, cells in zip(patterns, itertools.combinations(range(n), a)):
        row[list(cells)] = True
    rate = seg.is_active(patterns).mean()
    assert rate == pytest.approx(theory.dendrite_false_match(n, a, seg.n_connected, theta), abs=1e-15)


def test_adapt_and_grow_follow_htm_rules():
    seg = Segment(10, [0, 1, 2], [0.95, 0.5, 0.05])
    active = np.zeros(10, dtype=bool)
    active[[0, 2]] = True
    seg.adapt(active, increment=0.1, decrement=0.1)
    np.testing.assert_allclose(seg.permanences, [1.0, 0.4, 0.15])  # clipped to [0, 1]
    winners = np.zeros(10, dtype=bool)
    winners[[0, 5, 6, 7]] = True
    seg.grow(winners, max_new=2, initial_permanence=0.21, seed=0)
    assert seg.n_synapses == 5
    assert set(seg.presynaptic[3:]) <= {5, 6, 7}  # cell 0 already has a synapse
    np.testing.assert_allclose(seg.permanences[3:], 0.21)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"presynaptic": [1, 1]}, ValueError, "must not repeat a cell"),
        ({"presynaptic": [10]}, ValueError, r"cell indices in \[0, 10\)"),
        ({"presynaptic": [1, 2], "permanences": [0.5, 1.5]}, ValueError, r"permanences must lie in \[0, 1\]"),
        ({"presynaptic": [1, 2], "permanences": [0.5]}, ValueError, "permanences must have shape"),
        ({"presynaptic": [1], "activation_threshold": -1}, ValueError, "activation_threshold must be >= 0"),
    ],
)
def test_segment_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        Segment(10, **kwargs)


# ----------------------------------------------------------------------------- neurons
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_neuron_recognises_stored_patterns_and_rejects_others(backend):
    patterns = random_sdrs(30, 4000, 80, seed=0)
    before = patterns.copy()
    neuron = DendriticNeuron(4000, synapses=20, theta=12, backend=backend, seed=1).store(patterns)
    assert np.array_equal(patterns, before)
    assert len(neuron.segments) == 30
    assert neuron.respond(patterns).all()
    assert np.all(np.diag(neuron.segment_overlaps(patterns)) == 20)
    others = random_sdrs(200, 4000, 80, seed=5)
    assert not neuron.respond(others).any()  # P_fm ~ 1e-15 per segment
    noisy = add_noise(patterns, 20, seed=2)  # P_fn(80, 20, 12, 20) ~ 1e-3 per pattern
    assert neuron.respond(noisy).mean() > 0.9


def test_neuron_backends_agree_and_unions_share_segments():
    patterns = random_sdrs(12, 1000, 40, seed=3)
    cues = random_sdrs(50, 1000, 40, seed=4)
    results = []
    for backend in ("numpy", "numba"):
        neuron = DendriticNeuron(1000, 10, 6, patterns_per_segment=4, backend=backend, seed=0).store(patterns)
        assert len(neuron.segments) == 3
        assert all(seg.n_connected <= 40 for seg in neuron.segments)
        assert neuron.respond(patterns).all()
        results.append(neuron.segment_overlaps(np.vstack([patterns, cues])))
    assert np.array_equal(*results)


def test_neuron_input_errors():
    neuron = DendriticNeuron(100, synapses=10, theta=5, backend="numpy")
    with pytest.raises(ValueError, match="at least synapses=10 active cells"):
        neuron.store(random_sdrs(2, 100, 5, seed=0))
    with pytest.raises(ValueError, match="must have 100 cells"):
        neuron.store(random_sdrs(2, 99, 20, seed=0))
    with pytest.raises(ValueError, match="synapses must be <= 100"):
        DendriticNeuron(100, synapses=101)
    assert neuron.store([[1] * 20 + [0] * 80]).respond([True] * 20 + [False] * 80).tolist() == [True]


# ----------------------------------------------------------------------------- Monte Carlo
def assert_within_sampling_error(estimate: OverlapHistogram, rates: dict, theory_values: dict):
    checked = 0
    for theta, p in theory_values.items():
        if p < 1e-4:
            continue
        sigma = np.sqrt(p * (1 - p) / estimate.trials)
        assert abs(rates[theta] - p) <= Z * sigma + 1e-12, (theta, rates[theta], p, sigma)
        checked += 1
    assert checked >= 3


@pytest.mark.parametrize(("n", "a", "s"), [(2000, 64, 24), (10000, 300, 24)])
def test_false_match_monte_carlo_agrees_with_theory(n, a, s):
    est = mc_false_match(n, a, s, trials=400_000, seed=11, backend="numba")
    thetas = range(1, s + 1)
    assert_within_sampling_error(
        est, {t: est.at_least(t) for t in thetas}, {t: float(theory.dendrite_false_match(n, a, s, t)) for t in thetas})


@pytest.mark.parametrize("v", [32, 64, 90])
def test_false_negative_monte_carlo_agrees_with_theory(v):
    a, s = 128, 30
    est = mc_false_negative(a, s, v, trials=400_000, seed=12, backend="numba")
    thetas = range(1, s + 1)
    assert_within_sampling_error(
        est, {t: est.below(t) for t in thetas}, {t: float(theory.dendrite_false_negative(a, s, t, v)) for t in thetas})


def test_false_negative_monte_carlo_does_not_need_n():
    # the kernel never sees n: the rate is a property of (a, s, theta, v) alone, as the formula says
    est = mc_false_negative(128, 30, 64, trials=1000, seed=0, backend="numba")
    assert est.counts.shape == (31,) and est.counts.sum() == 1000


@pytest.mark.parametrize(("n", "m"), [(1000, 3), (2000, 8)])
def test_union_monte_carlo_agrees_with_size_averaged_theory(n, m):
    a, s = 64, 24
    est = mc_union_false_match(n, a, s, m, trials=200_000, seed=13, backend="numba")
    thetas = range(1, 25)
    assert_within_sampling_error(
        est, {t: est.at_least(t) for t in thetas},
        {t: float(theory.dendrite_union_false_match(n, a, s, t, m, method="distribution")) for t in thetas})
    sizes, weights = theory._union_size_distribution(n, s, m)
    sd = np.sqrt(weights @ (sizes - sizes @ weights) ** 2)
    expected = theory.union_synapse_count(n, s, m, rounded=False)
    assert abs(est.mean_synapses - expected) <= Z * sd / np.sqrt(est.trials)


def test_monte_carlo_backends_agree_and_are_seeded():
    for func, args in [(mc_false_match, (500, 40, 12)), (mc_false_negative, (40, 12, 10)),
                       (mc_union_false_match, (500, 40, 12, 3))]:
        slow = func(*args, trials=2000, seed=5, backend="numpy")
        fast = func(*args, trials=2000, seed=5, backend="numba")
        assert np.array_equal(slow.counts, fast.counts) and slow.mean_synapses == fast.mean_synapses
        again = func(*args, trials=2000, seed=6, backend="numba")
        assert not np.array_equal(fast.counts, again.counts)


def test_monte_carlo_input_errors():
    with pytest.raises(ValueError, match="s must be <= 10"):
        mc_false_match(100, 10, 11, trials=10)
    with pytest.raises(ValueError, match="trials must be >= 1"):
        mc_false_negative(10, 5, 2, trials=0)
    with pytest.raises(TypeError, match="n_stored must be an integer"):
        mc_union_false_match(100, 10, 5, 1.5, trials=10)
