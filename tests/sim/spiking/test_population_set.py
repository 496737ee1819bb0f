"""PyNN's Population.set between runs: new spike times and cell parameters take effect from the current time on."""

import numpy as np
import pytest

import engramsim.sim.spiking as sim
from engramsim.errors import ValidationError
from engramsim.networks.ca3 import CA3Memory


def _net(backend):
    net = sim.Network(dt=1.0, backend=backend)
    src = sim.Population(2, sim.SpikeSourceArray(spike_times=[[1.0], [3.0]]), label="src")
    cells = sim.Population(3, sim.IF_curr_exp(tau_m=10.0, cm=0.25, v_thresh=-55.0), label="cells")
    net.add(sim.Projection(src, cells, sim.AllToAllConnector(), sim.StaticSynapse(weight=3.0, delay=1.0)))
    return net, src, cells, cells.record("spikes"), cells.record("v")


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_new_spike_times_between_runs_equal_one_run_with_them(backend):
    later = [[1.0, 12.0, 20.0], [3.0, 25.0]]
    net, src, _, sp_a, v_a = _net(backend)
    net.run(10.0)
    src.set(spike_times=later)
    net.run(20.0)
    net_b, src_b, _, sp_b, v_b = _net(backend)
    src_b.set(spike_times=later)
    net_b.run(30.0)
    np.testing.assert_array_equal(sp_a.times, sp_b.times)
    np.testing.assert_array_equal(v_a.to_xarray()["v"].values, v_b.to_xarray()["v"].values)
    assert np.any(sp_a.times > 12.0)  # the new spikes ahead did fire


def test_past_spike_times_do_not_fire_again():
    net, src, _, spikes, _ = _net("numpy")
    net.run(10.0)
    src.set(spike_times=[[1.0, 2.0], [3.0]])  # only times already passed
    net.run(10.0)
    same, _, _, untouched, _ = _net("numpy")
    same.run(20.0)
    np.testing.assert_array_equal(spikes.times, untouched.times)


def test_a_cell_parameter_changed_after_a_run_acts_from_the_next_step():
    cell = sim.Population(1, sim.IF_curr_exp(v_rest=-65.0, v_thresh=100.0, cm=1.0, tau_m=20.0), label="c")
    net = sim.Network(cell, dt=1.0, backend="numba")
    v = cell.record("v")
    net.run(5.0)
    cell.set(i_offset=0.5)
    net.run(3.0)
    trace = v.to_xarray()["v"].values[:, 0]
    assert np.all(trace[:5] == -65.0)
    # closed form of the first step after the change: alpha = v_rest + I tau_m / cm
    alpha = -65.0 + 0.5 * 20.0 / 1.0
    assert trace[5] == pytest.approx(alpha - np.exp(-1 / 20.0) * (alpha + 65.0), rel=1e-12)


def test_set_refuses_unknown_or_bad_parameters():
    cell = sim.Population(2, sim.IF_curr_exp())
    with pytest.raises(ValidationError, match="no parameter"):
        cell.set(tau=3.0)
    with pytest.raises(ValidationError, match="tau_m must be > 0"):
        cell.set(tau_m=-1.0)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0]))
    with pytest.raises(ValidationError, match="spike_times"):
        src.set(spike_times=[np.nan])


def test_the_ca3_memory_continues_its_circuit_instead_of_re_simulating():
    mem = CA3Memory(3, 4, backend="numba")
    mem.learn(0, [1, 0, 1, 0])
    circuit = mem._circuit
    mem.learn(2, [0, 1, 1, 0])
    assert mem._circuit is circuit and circuit.network.t == mem.t
    assert sorted(mem.recall_by_content([0, 0, 1, 0]).cues) == [0, 2]
