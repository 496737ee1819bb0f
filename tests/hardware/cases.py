"""Small native networks shared by the hardware tests (built fresh on each call, fixed seeds)."""

from __future__ import annotations

import numpy as np

from engramsim.learning_rules.stdp import AdditiveWeightDependence, SpikePairRule, STDPMechanism
from engramsim.sim.spiking import (
    AllToAll,
    Dense,
    FixedProbability,
    FromList,
    IF_curr_exp,
    Izhikevich,
    Network,
    OneToOne,
    Population,
    Projection,
    SpikeSourceArray,
    SpikeSourcePoisson,
    StaticSynapse,
)


def izhikevich_net(backend: str = "numpy"):
    """20 Izhikevich cells with DC drive, a dense excitatory and a sparse inhibitory recurrent projection."""
    rng = np.random.default_rng(1)
    n = 20
    net = Network(dt=1.0, seed=0, backend=backend)
    exc = Population(n, Izhikevich(a=0.02, b=0.2, c=-65.0, d=8.0, i_offset=rng.uniform(0.004, 0.012, n)),
                     label="exc")
    exc.initialize(v=-65.0, u=-13.0)
    net.add(Projection(exc, exc, Dense(rng.uniform(0, 3, (n, n))), StaticSynapse(delay=1.0), label="ee"))
    net.add(Projection(exc, exc, FixedProbability(0.3, seed=3), StaticSynapse(weight=2.0, delay=2.0),
                       receptor_type="inhibitory", label="ei"))
    exc.record(["spikes", "v"])
    return net


def lif_net(backend: str = "numpy", dt: float = 0.1):
    """Spike sources -> 30 IF_curr_exp cells -> 10 cells, every connector kind, excitatory and inhibitory."""
    rng = np.random.default_rng(2)
    n_src = 10
    times = [np.unique(np.round(np.sort(rng.uniform(1.0, 190.0, 12)) / dt) * dt) for _ in range(n_src)]
    net = Network(dt=dt, seed=4, backend=backend)
    src = Population(n_src, SpikeSourceArray(spike_times=times), label="src")
    cell = dict(cm=0.25, tau_m=10.0, tau_syn_E=5.0, tau_syn_I=5.0, v_rest=-65.0, v_reset=-65.0,
                v_thresh=-55.0, tau_refrac=2.0)
    hidden = Population(30, IF_curr_exp(**cell), label="hidden")
    out = Population(10, IF_curr_exp(**cell, i_offset=0.1), label="out")
    net.add(Projection(src, hidden, FixedProbability(0.5, seed=5), StaticSynapse(weight=lambda k: rng.uniform(
        0.5, 1.5, k), delay=1.0), label="src-hidden"))
    net.add(Projection(src, out, OneToOne(), StaticSynapse(weight=0.8, delay=2.0), label="src-out"))
    net.add(Projection(hidden, out, AllToAll(), StaticSynapse(weight=0.12, delay=1.5), label="hidden-out"))
    net.add(Projection(out, out, AllToAll(allow_self_connections=False), StaticSynapse(weight=0.1, delay=0.5),
                       receptor_type="inhibitory", label="out-out"))
    conn = [(0, 1, 0.3, 0.7), (1, 0, 0.2, 1.2), (5, 5, 0.25, 3.0)]
    net.add(Projection(hidden, hidden, FromList(conn), label="hidden-hidden"))
    for pop in (src, hidden, out):
        pop.record("spikes")
    out.record("v")
    return net


def stdp_net(backend: str = "numpy", a_plus: float = 0.05, w_max: float = 1.0):
    """Sources drive a cell; plastic synapses (initial weight 0.5) from other sources onto it learn at known lags."""
    dt = 1.0
    pre_times = [[10.0, 60.0, 110.0], [14.0, 64.0, 114.0], [30.0, 80.0]]
    post_drive = [[11.0, 61.0, 111.0, 35.0]]
    net = Network(dt=dt, seed=0, backend=backend)
    pre = Population(3, SpikeSourceArray(spike_times=pre_times), label="pre")
    drive = Population(1, SpikeSourceArray(spike_times=[sorted(post_drive[0])]), label="drive")
    post = Population(2, IF_curr_exp(cm=0.25, tau_m=10.0, tau_syn_E=2.0, v_thresh=-55.0, tau_refrac=2.0),
                      label="post")
    net.add(Projection(drive, post, AllToAll(), StaticSynapse(weight=20.0, delay=1.0), label="drive-post"))
    stdp = STDPMechanism(SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=a_plus, A_minus=a_plus),
                         AdditiveWeightDependence(w_min=0.0, w_max=w_max), weight=0.5, delay=1.0)
    net.add(Projection(pre, post, AllToAll(), stdp, label="plastic"))
    for pop in (pre, drive, post):
        pop.record("spikes")
    return net


def ca3_net(backend: str = "numpy", start: float = 0.0):
    """The CA3 memory (5 cues, 10 content bits) with one learn operation (cue 0, content {0, 1, 8, 9})."""
    from engramsim.networks.ca3 import build_circuit

    times = [[] for _ in range(15)]
    for cell in (0, 5 + 0, 5 + 1, 5 + 8, 5 + 9):
        times[cell] = [start, start + 1.0, start + 2.0]
    return build_circuit(5, 10, times, backend=backend).network


def izh_dense_net(backend: str = "numpy"):
    """The published dense 1000-cell Izhikevich network."""
    from engramsim.networks.izhikevich import izhikevich_2003

    return izhikevich_2003(1000, 1.0, seed=0, backend=backend).network


def izh_sparse_net(backend: str = "numpy"):
    """1000 Izhikevich cells, each synapse with probability 0.1."""
    from engramsim.networks.izhikevich import izhikevich_2003

    return izhikevich_2003(1000, 0.1, seed=0, backend=backend).network


def long_row_net(backend: str = "numpy", n: int = 257):
    """Two cells joined by ``n`` parallel synapses: one row of ``n`` synapses."""
    net = Network(dt=1.0, seed=0, backend=backend)
    a = Population(2, IF_curr_exp(), label="a")
    b = Population(2, IF_curr_exp(), label="b")
    net.add(Projection(a, b, FromList([(0, 1, 0.5, 1.0)] * n), label="a-b"))
    return net


def mixed_net(backend: str = "numpy"):
    """Sources of both kinds, a long delay that needs a delay extension and one that does not, small weights."""
    rng = np.random.default_rng(0)
    net = Network(dt=1.0, seed=0, backend=backend)
    ssa = Population(2000, SpikeSourceArray(spike_times=[[float(t)] for t in rng.integers(1, 50, 2000)]),
                     label="ssa")
    poi = Population(1200, SpikeSourcePoisson(rate=10.0, seed=1), label="poi")
    big = Population(600, IF_curr_exp(), label="big")
    small = Population(10, IF_curr_exp(), label="small")
    net.add(Projection(ssa, big, FixedProbability(0.01, seed=1), StaticSynapse(
        weight=lambda k: rng.uniform(0.0001, 0.5, k), delay=40.0), label="ssa-big"))
    net.add(Projection(poi, big, FixedProbability(0.01, seed=2), StaticSynapse(weight=0.5, delay=1.0),
                       label="poi-big"))
    net.add(Projection(big, small, FixedProbability(0.1, seed=3), StaticSynapse(weight=0.02, delay=40.0),
                       receptor_type="inhibitory", label="big-small"))
    return net


CASES = {"ca3": ca3_net, "izh_dense": izh_dense_net, "izh_sparse": izh_sparse_net, "long_row": long_row_net,
         "mixed": mixed_net, "lif": lif_net, "stdp": stdp_net}
