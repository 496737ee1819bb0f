"""The fixed-point emulator on whole networks: the CA3 memory's recall, and a network where truncation shows."""

import json
from pathlib import Path

import numpy as np
import pytest

from engramsim.hardware.emulate import freeze, run_fixed_point
from engramsim.hardware.plan import ExportError
from engramsim.sim.spiking import FixedProbability, IF_curr_exp, Network, Population, Projection, \
    SpikeSourceArray, StaticSynapse

DATA = Path(__file__).resolve().parents[1] / "data" / "ca3" / "inputs.json"


def _spike_set(times, neurons):
    return set(zip(np.asarray(times).tolist(), np.asarray(neurons).tolist()))


def test_ca3_recall_gives_the_same_spikes_in_float_and_fixed_point():
    """Learn the functional test's three memories (engine, float STDP), freeze the weights, then recall by cue 0,
    by content {6} and by content {0, 4}: every population spikes at the same (ms, cell) in float (engine) and
    fixed point (emulator), and OUT shows the published rows (35-36, 45-46, 55-56 ms, here 30 ms earlier)."""
    from engramsim.networks.ca3 import build_circuit

    data = json.loads(DATA.read_text())["functional"]
    learn = [[t for t in ts if t < 30] for ts in data["in_spike_times"]]
    recall = [[t - 30 for t in ts if 30 <= t < 60] for ts in data["in_spike_times"]]
    circuit = build_circuit(data["n_cues"], data["n_content"], learn, backend="numpy")
    circuit.network.run(30.0)
    frozen = freeze(circuit.network, {"IN": recall})
    frozen.run(30.0)
    float_spikes = {m.population.label: _spike_set(m.times, m.neurons) for m in frozen.monitors
                    if m.kind == "spikes"}
    for backend in ("numpy", "numba"):
        fixed = run_fixed_point(freeze(circuit.network, {"IN": recall}), 30.0, backend=backend)
        for label, spikes in float_spikes.items():
            assert _spike_set(*fixed[label]) == spikes, label
    c = data["n_cues"]
    published = {(5.0, 0), *((6.0, c + j) for j in (0, 1, 8, 9)), (15.0, c + 6), (16.0, 3), (16.0, 4),
                 (25.0, c + 0), (25.0, c + 4), (26.0, 0), (26.0, 3)}
    assert float_spikes["OUT"] == published


def test_small_weights_change_the_spikes_in_fixed_point():
    rng = np.random.default_rng(1)
    net = Network(dt=1.0, seed=0, backend="numpy")
    # 800 inputs per cell with weights below 0.012 nA: shift 4 (800 x 0.012 < 16), unit 2**-11 nA, about 4 % of
    # the mean weight lost to truncation
    src = Population(1000, SpikeSourceArray(spike_times=[np.flatnonzero(rng.random(300) < 0.03).astype(float) + 1
                                                         for _ in range(1000)]), label="src")
    cells = Population(20, IF_curr_exp(cm=0.25, tau_m=10.0, tau_syn_E=2.0, v_thresh=-55.0, tau_refrac=2.0),
                       label="cells")
    net.add(Projection(src, cells, FixedProbability(0.8, seed=2), StaticSynapse(
        weight=lambda k: rng.uniform(0.0, 0.012, k), delay=1.0), label="drive"))
    cells.record("spikes")
    fixed = run_fixed_point(freeze(net), 300.0)["cells"]
    copy = freeze(net)
    copy.run(300.0)
    engine = next(m for m in copy.monitors if m.population.label == "cells")
    assert engine.times.size > 100
    assert fixed[0].size < engine.times.size  # truncation only removes drive (measured: 209 against 246)
    assert _spike_set(*fixed) != _spike_set(engine.times, engine.neurons)


def test_ca3_functional_test_same_spikes_in_float_and_fixed_point_engine():
    """The whole functional test (learn, recall by cue and by content, forget; STDP in the engine) with the cells
    in sPyNNaker's fixed point and the weights truncated to ring-buffer units: every population spikes at the same
    (ms, cell) as in float, on the NumPy and the Numba backend; OUT recalls cue 3's new content at 75-76 ms."""
    from engramsim.hardware.emulate import to_fixed_point
    from engramsim.networks.ca3 import build_circuit

    data = json.loads(DATA.read_text())["functional"]
    circuit = build_circuit(data["n_cues"], data["n_content"], data["in_spike_times"], backend="numpy")
    fixed = {b: to_fixed_point(circuit.network, backend=b) for b in ("numpy", "numba")}
    circuit.network.run(data["duration_ms"])
    ref = {m.population.label: _spike_set(m.times, m.neurons) for m in circuit.network.monitors if m.kind == "spikes"}
    assert sum(len(s) for s in ref.values()) > 300
    for backend, net in fixed.items():
        assert type(net.populations[1].celltype).__name__ == "IF_curr_exp_spinnaker"
        net.run(data["duration_ms"])
        got = {m.population.label: _spike_set(m.times, m.neurons) for m in net.monitors if m.kind == "spikes"}
        for label in ref:
            assert got[label] == ref[label], (backend, label)
    c = data["n_cues"]
    assert {n for t, n in ref["OUT"] if t == 75.0} == {3}
    assert {n for t, n in ref["OUT"] if t == 76.0} == {c + j for j in (1, 3, 4, 8)}


def test_engine_fixed_point_cells_agree_with_the_separate_emulator():
    """Two implementations of the fixed-point step (the engine's cell type, NumPy and Numba, and the emulator's
    loop) give the same spikes on a network where float and fixed point differ."""
    from engramsim.hardware.emulate import to_fixed_point

    rng = np.random.default_rng(3)
    net = Network(dt=1.0, seed=0, backend="numpy")
    src = Population(300, SpikeSourceArray(spike_times=[np.flatnonzero(rng.random(200) < 0.05).astype(float) + 1
                                                        for _ in range(300)]), label="src")
    cells = Population(15, IF_curr_exp(cm=0.25, tau_m=10.0, tau_syn_E=2.0, tau_syn_I=4.0, v_thresh=-55.0,
                                        tau_refrac=2.0), label="cells")
    net.add(Projection(src, cells, FixedProbability(0.7, seed=4), StaticSynapse(
        weight=lambda k: rng.uniform(0.0, 0.03, k), delay=2.0), label="drive"))
    net.add(Projection(cells, cells, FixedProbability(0.5, seed=5), StaticSynapse(weight=0.37, delay=3.0),
                       receptor_type="inhibitory", label="inh"))
    emulated = run_fixed_point(freeze(net), 200.0)["cells"]
    float_copy = freeze(net)
    float_copy.run(200.0)
    float_spikes = next(m for m in float_copy.monitors if m.population.label == "cells")
    traces = {}
    for backend in ("numpy", "numba"):
        engine = to_fixed_point(net, backend=backend)
        state = engine.populations[1].record(["v", "isyn_exc", "isyn_inh"])
        engine.run(200.0)
        mon = next(m for m in engine.monitors if m.kind == "spikes" and m.population.label == "cells")
        assert _spike_set(mon.times, mon.neurons) == _spike_set(*emulated), backend
        traces[backend] = state.to_xarray()
    for name in ("v", "isyn_exc", "isyn_inh"):  # the twins are bit-identical
        np.testing.assert_array_equal(traces["numba"][name].values, traces["numpy"][name].values)
    assert np.all(traces["numpy"]["v"].values * 2 ** 15 == np.rint(traces["numpy"]["v"].values * 2 ** 15))
    assert len(_spike_set(*emulated)) > 30
    assert _spike_set(*emulated) != _spike_set(float_spikes.times, float_spikes.neurons)
