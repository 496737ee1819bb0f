"""NIR: export -> nir.read -> import round trip, and an snnTorch network imported and run natively."""

import numpy as np
import pytest

nir = pytest.importorskip("nir")

from engramsim.hardware.nir import from_nir, to_nir, write_nir  # noqa: E402
from engramsim.hardware.plan import ExportError  # noqa: E402
from engramsim.sim.spiking import (  # noqa: E402
    AllToAll,
    FixedProbability,
    FromList,
    IF_curr_exp,
    Network,
    OneToOne,
    Population,
    Projection,
    SpikeSourceArray,
    StaticSynapse,
)


def _network():
    rng = np.random.default_rng(5)
    net = Network(dt=0.1, seed=1, backend="numpy")
    src = Population(6, SpikeSourceArray(spike_times=[np.unique(np.round(rng.uniform(0.5, 40, 10), 1))
                                                      for _ in range(6)]), label="src")
    cell = dict(cm=0.2, tau_m=8.0, tau_refrac=0.0, tau_syn_E=2.0, tau_syn_I=2.0, v_rest=-65.0, v_reset=-70.0,
                v_thresh=-58.0)
    a = Population(12, IF_curr_exp(**cell), label="a")
    b = Population(4, IF_curr_exp(**{**cell, "tau_m": rng.uniform(5, 12, 4)}), label="b")
    net.add(Projection(src, a, FixedProbability(0.6, seed=2), StaticSynapse(weight=lambda k: rng.uniform(0.5, 2, k),
                                                                             delay=0.1), label="src-a"))
    net.add(Projection(a, b, AllToAll(), StaticSynapse(weight=0.9, delay=0.1), label="a-b"))
    net.add(Projection(b, b, AllToAll(allow_self_connections=False), StaticSynapse(weight=0.7, delay=0.1),
                       receptor_type="inhibitory", label="b-b"))
    net.add(Projection(src, b, FromList([(0, 0, 1.5), (0, 0, 0.5), (3, 2, 2.0)]), StaticSynapse(delay=0.1),
                       label="src-b"))
    for pop in (src, a, b):
        pop.record("spikes")
    return net


def _weights(net):
    """Summed (pre, post) weight matrix per (pre, post, receptor)."""
    out = {}
    for p in net.projections:
        key = (p.pre.label, p.post.label, p.receptor_type)
        mat = np.nan_to_num(p.get("weight", format="array", multiple_synapses="sum"))
        out[key] = out.get(key, 0.0) + mat
    return out


def _spikes(net):
    return {m.population.label: (m.steps.tolist(), m.neurons.tolist()) for m in net.monitors if m.kind == "spikes"}


def test_export_read_import_gives_the_same_network(tmp_path):
    native = _network()
    path = tmp_path / "net.nir"
    write_nir(native, path)
    graph = nir.read(str(path))
    assert {type(n).__name__ for n in graph.nodes.values()} == {"Input", "CubaLIF", "Linear", "Output"}
    src_steps = np.zeros((420, 6), bool)
    for i, t in enumerate(native.populations[0].celltype.times_per_neuron(6)):
        src_steps[np.rint(t / 0.1).astype(int), i] = True
    back = from_nir(graph, inputs={"src": src_steps})
    assert back.dt == native.dt
    for label in ("a", "b"):
        p0 = next(p for p in native.populations if p.label == label).celltype.parameters
        p1 = next(p for p in back.populations if p.label == label).celltype.parameters
        for key, value in p0.items():
            np.testing.assert_array_equal(np.broadcast_to(p1[key], np.shape(p1[key])), np.broadcast_to(
                value, np.shape(p1[key])), err_msg=f"{label}.{key}")
    native.build()
    back.build()
    w0, w1 = _weights(native), _weights(back)
    assert set(w0) == set(w1)
    for key in w0:  # weights pass through x * g / g: equal to rounding
        np.testing.assert_allclose(w1[key], w0[key], rtol=1e-12, atol=1e-15, err_msg=str(key))
    native.run(42.0)
    back.run(42.0)
    s0, s1 = _spikes(native), _spikes(back)
    assert sum(len(t) for t, _ in s0.values()) > 50
    assert s0 == s1


def test_unsupported_parts_are_named():
    net = _network()
    net.populations[1].celltype.parameters["tau_refrac"] = 1.0
    with pytest.raises(ExportError, match="population 'a'.*refractory"):
        to_nir(net)
    net = _network()
    net.projections[1].synapse_type = StaticSynapse(weight=0.9, delay=0.3)
    net2 = Network(dt=0.1, backend="numpy")
    a, b = Population(2, IF_curr_exp(tau_refrac=0.0)), Population(2, IF_curr_exp(tau_refrac=0.0))
    net2.add(Projection(a, b, OneToOne(), StaticSynapse(weight=1.0, delay=0.3), label="slow"))
    with pytest.raises(ExportError, match="projection 'slow'.*delay"):
        to_nir(net2)


def _snntorch_net(n_in, n_hidden, n_out, seed):
    torch = pytest.importorskip("torch")
    snn = pytest.importorskip("snntorch")
    torch.manual_seed(seed)
    lif1 = snn.Leaky(beta=torch.rand(n_hidden) * 0.4 + 0.5, threshold=torch.rand(n_hidden) * 0.5 + 0.75,
                     reset_mechanism="zero", init_hidden=True)
    lif2 = snn.Leaky(beta=torch.rand(n_out) * 0.4 + 0.5, threshold=torch.ones(n_out), reset_mechanism="zero",
                     init_hidden=True, output=True)
    # no biases: the engine's layer k starts k steps earlier and would integrate a bias for those steps
    net = torch.nn.Sequential(torch.nn.Linear(n_in, n_hidden, bias=False), lif1,
                              torch.nn.Linear(n_hidden, n_out, bias=False), lif2)
    with torch.no_grad():  # mostly excitatory, so that both layers fire
        net[0].weight.uniform_(-0.4, 1.0)
        net[2].weight.uniform_(-0.4, 0.8)
    return net, lif1


def test_snntorch_network_runs_natively_with_the_same_spikes(tmp_path):
    """snnTorch Leaky (zero reset) -> NIR -> engine: identical spikes, one step later per layer.

    The engine needs at least one step of synaptic delay, so a spike entering
    layer k at snnTorch step t arrives at engine step t + k.  Tolerance: none
    (the maps between the two per-step updates are exact to rounding; a tie at
    threshold would show as a differing spike).
    """
    torch = pytest.importorskip("torch")
    from snntorch import utils
    from snntorch.export_nir import export_to_nir

    n_in, n_hidden, n_out, steps = 5, 10, 3, 80
    net, lif1 = _snntorch_net(n_in, n_hidden, n_out, seed=3)
    rng = np.random.default_rng(4)
    x = rng.random((steps, n_in)) < 0.4
    utils.reset(net)
    hidden, out = [], []
    lif1.register_forward_hook(lambda module, args, spk: hidden.append(spk.numpy()[0].copy()))
    with torch.no_grad():
        for t in range(steps):
            spk2, _ = net(torch.tensor(x[t:t + 1], dtype=torch.float32))
            out.append(spk2.numpy()[0].copy())
        graph = export_to_nir(net, torch.zeros(1, n_in), ignore_dims=[0])
    path = tmp_path / "snn.nir"
    nir.write(str(path), graph)
    graph = nir.read(str(path))
    inputs = [k for k, v in graph.nodes.items() if type(v).__name__ == "Input"]
    lifs = [k for k, v in graph.nodes.items() if type(v).__name__ == "LIF"]
    assert len(inputs) == 1 and len(lifs) == 2
    native = from_nir(graph, inputs={inputs[0]: x}, dt=0.1)
    native.run((steps + 2) * 0.1)
    mons = {m.population.label: m for m in native.monitors if m.kind == "spikes"}
    ref_out = np.array(out, dtype=bool)
    assert 10 < ref_out.sum() < ref_out.size
    order = sorted(lifs, key=lambda k: graph.nodes[k].v_threshold.size, reverse=True)  # hidden first
    raster = mons[order[1]].raster().values
    np.testing.assert_array_equal(raster[2:steps + 2], ref_out)
    ref_hidden = np.array(hidden[:steps], dtype=bool)  # (the exporter runs one more forward pass)
    assert 10 < ref_hidden.sum() < ref_hidden.size
    np.testing.assert_array_equal(mons[order[0]].raster().values[1:steps + 1], ref_hidden)
