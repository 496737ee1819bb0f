"""The counter-based noise generator of the spiking engine: twins, distribution, and its use by the engine."""

import math

import numpy as np
import pytest
from scipy import stats

from engramsim.networks.izhikevich import izhikevich_2003
from engramsim.sim.kernels.splitmix import MASK64, mix, splitmix64
from engramsim.sim.spiking import (
    DCSource,
    Izhikevich,
    Network,
    NoisyCurrentSource,
    Population,
)
from engramsim.sim.spiking.noise_numba import counter_normals as counter_normals_numba
from engramsim.sim.spiking.noise_numpy import (
    ZIG_K,
    ZIG_R,
    counter_normals,
    normal_from_draw,
)

GOLDEN = 0x9E3779B97F4A7C15
KEY = 0x0123456789ABCDEF


@pytest.fixture(scope="module")
def sample():
    """10^6 deviates: 200 steps of 5000 cells."""
    return counter_normals(KEY, 0, 200, 5000)


def test_numba_twin_is_bit_identical_including_slow_paths(sample):
    z = counter_normals_numba(KEY, 0, 200, 5000)
    np.testing.assert_array_equal(z, sample)
    assert np.sum(np.abs(sample) > ZIG_R) > 50  # the tail branch (math.log) ran
    # the wedge branch (math.exp) ran: first draws rejected below ZIG_R
    c = np.arange(sample.size, dtype=np.uint64)
    r = mix(np.uint64(KEY) + (c + np.uint64(1)) * np.uint64(GOLDEN))
    rejected = (r >> np.uint64(12)) >= ZIG_K[(r & np.uint64(0xFF)).astype(np.intp)]
    assert 0.005 < rejected.mean() < 0.02


def test_first_draw_is_the_splitmix64_stream_of_the_key(sample):
    """Deviate ``c`` starts from the ``c``-th output of splitmix64 seeded with the key (the scalar generator)."""
    flat = sample.ravel()
    for c in [0, 1, 2, 4999, 5000, 123457, flat.size - 1]:
        _, draw0 = splitmix64((KEY + c * GOLDEN) & MASK64)
        assert normal_from_draw(draw0) == flat[c]
    # and the rejected first draws continue the splitmix64 chain from draw 0
    tail = np.flatnonzero(np.abs(flat) > ZIG_R)[:5]
    for c in tail.tolist():
        _, draw0 = splitmix64((KEY + c * GOLDEN) & MASK64)
        assert normal_from_draw(draw0) == flat[c]


def test_standard_normal_distribution(sample):
    z = sample.ravel()
    n = z.size
    assert abs(z.mean()) < 5 / math.sqrt(n)
    assert abs(z.var() - 1.0) < 5 * math.sqrt(2 / n)
    assert stats.kstest(z, "norm").pvalue > 1e-3
    for k in (2.0, 3.0, 4.0):  # two-sided tail frequencies against the exact ones
        p = math.erfc(k / math.sqrt(2))
        assert abs(np.mean(np.abs(z) > k) - p) < 5 * math.sqrt(p / n) + 1e-6
    assert abs(stats.skew(z)) < 0.02 and abs(stats.kurtosis(z)) < 0.03
    # no correlation between neighbouring cells or steps
    assert abs(np.corrcoef(sample[:, :-1].ravel(), sample[:, 1:].ravel())[0, 1]) < 0.005
    assert abs(np.corrcoef(sample[:-1].ravel(), sample[1:].ravel())[0, 1]) < 0.005


def test_values_depend_on_the_counter_only():
    whole = counter_normals(KEY, 0, 12, 7)
    np.testing.assert_array_equal(counter_normals(KEY, 5, 7, 7), whole[5:])
    other = counter_normals(KEY + 1, 0, 12, 7)
    assert not np.any(other == whole)


@pytest.mark.parametrize("impl", [counter_normals, counter_normals_numba])
def test_counter_normals_rejects_bad_arguments(impl):
    with pytest.raises(ValueError, match=r"key must be >= 0 and < 2\*\*64, got -1"):
        impl(-1, 0, 1, 1)
    with pytest.raises(ValueError, match="key must be >= 0"):
        impl(2 ** 64, 0, 1, 1)
    with pytest.raises(TypeError, match="size must be an integer, got float 3.0"):
        impl(1, 0, 1, 3.0)
    with pytest.raises(ValueError, match="n_steps must be >= 0"):
        impl(1, 0, -2, 3)


def test_noisy_current_source_key_values_and_seed():
    a, b = NoisyCurrentSource(0.5, 0.25, seed=3), NoisyCurrentSource(0.5, 0.25, seed=3)
    assert a.key == b.key != NoisyCurrentSource(seed=4).key
    np.testing.assert_array_equal(a.values(10, 4, 6, 1.0), 0.5 + 0.25 * counter_normals(a.key, 10, 4, 6))
    np.testing.assert_array_equal(a.values(10, 4, 6, 1.0), b.values(10, 4, 6, 1.0))
    per_cell = NoisyCurrentSource(np.arange(3.0), np.array([0.0, 1.0, 2.0]), seed=1).values(0, 2000, 3, 1.0)
    assert np.all(per_cell[:, 0] == 0.0)
    assert per_cell.mean(axis=0)[1:] == pytest.approx([1.0, 2.0], abs=0.1)
    assert per_cell.std(axis=0)[1:] == pytest.approx([1.0, 2.0], rel=0.05)


def mixed_inputs(backend, pieces=(120.0,)):
    """Two noise sources and a DC source on one Izhikevich population: numpy and numba add them alike."""
    net = Network(dt=1.0, seed=11, backend=backend)
    pop = Population(40, Izhikevich(i_offset=0.002), label="c")
    pop.inject(NoisyCurrentSource(0.001, 0.004))
    pop.inject(DCSource(np.linspace(0.0, 0.004, 40)))
    pop.inject(NoisyCurrentSource(0.0, 0.003, seed=5))
    net.add(pop)
    sp = pop.record("spikes")
    st = pop.record("v")
    for d in pieces:
        net.run(d)
    return net, sp, st


def test_noise_with_host_currents_numba_equals_numpy_and_pieces():
    runs = {b: mixed_inputs(b) for b in ("numpy", "numba")}
    (net, sp_a, st_a), (_, sp_b, st_b) = runs["numpy"], runs["numba"]
    assert net.engine.noise[0].shape[0] == 2 and net.engine.has_currents
    assert sp_a.steps.size > 50
    np.testing.assert_array_equal(sp_a.steps, sp_b.steps)
    np.testing.assert_array_equal(sp_a.neurons, sp_b.neurons)
    np.testing.assert_array_equal(st_a.to_xarray()["v"].values, st_b.to_xarray()["v"].values)
    _, sp_c, st_c = mixed_inputs("numba", pieces=(50.0, 1.0, 69.0))
    np.testing.assert_array_equal(sp_a.steps, sp_c.steps)
    np.testing.assert_array_equal(st_a.to_xarray()["v"].values, st_c.to_xarray()["v"].values)


def test_izhikevich_network_in_pieces_equals_one_run():
    a = izhikevich_2003(500, 0.2, seed=3, backend="numba").run(400.0).spikes()
    m = izhikevich_2003(500, 0.2, seed=3, backend="numba")
    for d in (150.0, 1.0, 249.0):
        m.run(d)
    b = m.spikes()
    assert a[0].size > 500
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_weight_storage_is_lossless():
    """float32 / uint16 storage only when exact; weights read back as float64 equal to the drawn ones."""
    m = izhikevich_2003(300, 0.2, seed=1, backend="numpy")
    m.network.build()
    eng = m.network.engine
    assert eng.proj[4].dtype == np.float32 and eng.proj[3].dtype == np.uint16
    for proj in m.network.projections:
        w = eng.weights_of(proj)
        assert w.dtype == np.float64
        np.testing.assert_array_equal(w, proj.weights)
    S = np.random.default_rng(0).random((50, 50))
    dense = izhikevich_2003(50, seed=0, backend="numpy", weights=S)
    dense.network.build()
    assert dense.network.engine.proj[1].dtype == np.float64
