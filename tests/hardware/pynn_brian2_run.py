"""Export test networks to pyNN.brian2 and run both sides, in its own interpreter.

Usage: ``python pynn_brian2_run.py OUT.npz``.  Brian2 generates NumPy code here (no compiler needed).
"""

import logging
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from cases import lif_net  # noqa: E402

from engramsim.hardware.pynn import compare_spikes, to_pynn  # noqa: E402
from engramsim.sim.spiking import (  # noqa: E402
    FixedProbability,
    IF_curr_exp,
    Network,
    Population,
    Projection,
    SpikeSourceArray,
    StaticSynapse,
)


def one_hop_net(dt: float = 0.1):
    """20 spike sources (60 spikes each in 500 ms) -> 30 IF_curr_exp cells firing about 40 times a second."""
    rng = np.random.default_rng(1)
    times = [np.unique(np.round(np.sort(rng.uniform(1.0, 490.0, 60)) / dt) * dt) for _ in range(20)]
    net = Network(dt=dt, seed=3, backend="numpy")
    src = Population(20, SpikeSourceArray(spike_times=times), label="src")
    cells = Population(30, IF_curr_exp(cm=0.25, tau_m=10.0, tau_syn_E=5.0, v_rest=-65.0, v_reset=-65.0,
                                       v_thresh=-55.0, tau_refrac=2.0), label="cells")
    net.add(Projection(src, cells, FixedProbability(0.5, seed=5), StaticSynapse(weight=0.9, delay=1.0), label="p"))
    cells.record("spikes")
    return net


def main(out_path: str) -> None:
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    import brian2
    import pyNN.brian2 as sim

    brian2.prefs.codegen.target = "numpy"
    out = {}
    net = lif_net()
    ex = to_pynn(net, sim)
    for proj in net.projections:
        k = f"lif/{proj.label}"
        out[k + "/native_w"], out[k + "/pynn_w"] = proj.get_weights("list"), ex.get(proj.label, "weight")
        out[k + "/native_d"], out[k + "/pynn_d"] = proj.delays * net.dt, ex.get(proj.label, "delay")
        pre, post = ex.addresses(proj.label)
        out[k + "/same_pairs"] = np.array(np.array_equal(pre, proj.pre_index) and np.array_equal(post, proj.post_index))
    ex.run(200.0)
    net.run(200.0)
    for label in ("hidden", "out"):
        native = next(m for m in net.monitors if m.kind == "spikes" and m.population.label == label).to_xarray()
        c = compare_spikes(native, ex.spikes(label), tolerance=0.5)
        out[f"lif/{label}/fraction_within"] = np.array(c.fraction_within)
        out[f"lif/{label}/counts"] = np.array([native.time.size, ex.spikes(label).time.size])
    ex.end()
    net = one_hop_net()
    ex = to_pynn(net, sim)
    out["notes"] = np.array(ex.notes)
    ex.run(500.0)
    net.run(500.0)
    mon = next(m for m in net.monitors if m.population.label == "cells")
    spikes = ex.spikes("cells")
    out["native_t"], out["native_i"] = mon.times, mon.neurons
    out["brian2_t"], out["brian2_i"] = spikes.time.values, spikes.neuron.values
    np.savez(out_path, **out)


if __name__ == "__main__":
    main(sys.argv[1])
