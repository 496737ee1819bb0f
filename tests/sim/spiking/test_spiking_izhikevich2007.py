"""Izhikevich2007: the Euler step by hand, rheobase theory, the synaptic filter, numba == numpy, and the FORCE loop."""

import math

import numpy as np
import pytest

from engramsim.networks.reservoir_core import FORCE_CELL, SpikingReservoirCore
from engramsim.sim.spiking import Network, OneToOne, Population, Projection, SpikeSourceArray, StaticSynapse
from engramsim.sim.spiking.cells import cell_types
from engramsim.sim.spiking.cells.izhikevich2007 import Izhikevich2007


def test_declared_in_pynn_units_and_found():
    assert cell_types()["Izhikevich2007"] is Izhikevich2007
    cell = Izhikevich2007()
    assert cell.units["cm"] == "nF" and cell.units["d"] == "nA" and cell.units["isyn"] == "nA"
    p = cell.parameters
    # v_t = v_r + 40 - b/k in the reference's units (pA, pF, nS): -60 + 40 + 2/2.5
    assert p["v_t"] == pytest.approx(p["v_r"] + 40 - p["b"] / p["k"])
    assert (p["cm"], p["i_offset"], p["d"]) == (0.25, 1.0, 0.2)
    with pytest.raises(ValueError, match="cm must be > 0"):
        Izhikevich2007(cm=0.0)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_one_euler_step_by_hand(backend):
    net = Network(dt=0.04, backend=backend)
    pop = Population(1, Izhikevich2007(i_offset=0.5))
    pop.initialize(v=-50.0, u=0.01)
    net.add(pop)
    rec = pop.record(["v", "u"])
    net.run(0.08)
    v = rec.to_xarray()["v"].values[:, 0]
    u = rec.to_xarray()["u"].values[:, 0]
    v1 = -50 + 0.04 * (0.0025 * 10 * (-50 + 19.2) - 0.01 + 0.5) / 0.25
    u1 = 0.01 + 0.04 * 0.01 * (-0.002 * 10 - 0.01)
    # the monitor samples after each step
    assert v[0] == pytest.approx(v1, rel=1e-13)
    assert u[0] == pytest.approx(u1, rel=1e-12)
    v2 = v1 + 0.04 * (0.0025 * (v1 + 60) * (v1 + 19.2) - u1 + 0.5) / 0.25
    assert v[1] == pytest.approx(v2, rel=1e-13)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_rheobase_of_the_saddle_node(backend):
    """With b = 0, I_rh = k (v_t - v_r)^2 / 4 = 0.0025 * 40^2 / 4 = 1 nA: just above fires, just below does not."""
    net = Network(dt=0.04, backend=backend)
    pop = Population(2, Izhikevich2007(b=0.0, v_t=-20.0, i_offset=np.array([0.97, 1.03])))
    net.add(pop)
    spikes = pop.record("spikes")
    net.run(2000.0)
    counts = np.bincount(spikes.neurons, minlength=2)
    assert counts[0] == 0 and counts[1] > 0


def test_double_exponential_synapse_matches_the_closed_form():
    """One spike of weight w: i(t) = w (e^{-t/td} - e^{-t/tr}) / (td - tr), up to the O(dt) of the Euler filter."""
    dt, w = 0.01, 0.3
    net = Network(dt=dt, backend="numpy")
    src = Population(1, SpikeSourceArray(spike_times=[0.0]))
    pop = Population(1, Izhikevich2007(i_offset=0.0, v_peak=1e9))
    net.add(Projection(src, pop, OneToOne(), StaticSynapse(weight=w, delay=dt)))
    rec = pop.record("isyn")
    net.run(60.0)
    i = rec.to_xarray()["isyn"].values[:, 0]
    t = np.arange(1, i.size + 1) * dt
    # the weight enters h one step after the spike and i_syn one step after that
    s = t - 2 * dt
    ref = np.where(s > 0, w * (np.exp(-s / 20.0) - np.exp(-s / 2.0)) / 18.0, 0.0)
    assert np.max(np.abs(i - ref)) < 0.01 * ref.max()
    assert np.argmax(i) * dt == pytest.approx(2 * 20 * math.log(10) / 18 + 2 * dt, abs=0.05)


def _random_input_network(backend):
    rng = np.random.default_rng(0)
    n = 40
    bias = 0.9 + 0.4 * rng.random(n)
    net = Network(dt=0.04, seed=0, backend=backend)
    pop = Population(n, Izhikevich2007(i_offset=bias, a=0.01 + 0.01 * rng.random(n)))
    pop.initialize(v=-60 + 90 * rng.random(n))
    src = Population(n, SpikeSourceArray(spike_times=[sorted(rng.uniform(0, 400, 5).round(2).tolist())
                                                      for _ in range(n)]))
    net.add(Projection(src, pop, OneToOne(), StaticSynapse(weight=0.5, delay=0.04)))
    spikes = pop.record("spikes")
    net.run(400.0)
    return spikes


def test_numba_equals_numpy_in_the_engine():
    a, b = _random_input_network("numpy"), _random_input_network("numba")
    assert a.times.size > 100
    np.testing.assert_array_equal(a.times, b.times)
    np.testing.assert_array_equal(a.neurons, b.neurons)


def test_engine_and_force_loop_agree_on_uncoupled_cells():
    """The same cells in nA/nF (engine) and pA/pF (FORCE loop) give the same spike counts."""
    rng = np.random.default_rng(1)
    n = 30
    bias = 0.95 + 0.3 * rng.random(n)
    v0 = -60 + 90 * rng.random(n)
    net = Network(dt=0.04, backend="numba")
    pop = Population(n, Izhikevich2007(i_offset=bias))
    pop.initialize(v=v0, u=0.0)
    net.add(pop)
    spikes = pop.record("spikes")
    net.run(1000.0)
    core = SpikingReservoirCore(dict(FORCE_CELL, bias=1000 * bias), np.zeros((n, n)), np.zeros((n, 1)),
                                np.zeros((n, 0)), dt=0.04, backend="numba")
    core.initialize(v0, 0.0)
    rec = core.run(np.zeros((25000, 0)), np.zeros((n, 1)), spike_capacity=100000)
    engine_counts = np.bincount(spikes.neurons, minlength=n)
    core_counts = np.bincount(rec.spike_neurons, minlength=n)
    assert engine_counts.sum() > 100
    assert np.max(np.abs(engine_counts - core_counts)) <= 1
