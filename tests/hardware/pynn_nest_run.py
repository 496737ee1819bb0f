"""Export the test networks to pyNN.nest and run both sides, in its own interpreter.

Usage: ``python pynn_nest_run.py OUT.npz``.  NEST runs in a separate process
because its kernel crashed in ``ResetKernel`` once other OpenMP runtimes
(torch, scikit-learn) were loaded in the same test session.
"""

import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from cases import izhikevich_net, lif_net, stdp_net  # noqa: E402

from engramsim.hardware.pynn import compare_spikes, to_pynn  # noqa: E402


def _spikes(net, label):
    mon = next(m for m in net.monitors if m.kind == "spikes" and m.population.label == label)
    return mon.to_xarray()


def structure(out, key, net, ex):
    for proj in net.projections:
        k = f"{key}/{proj.label}"
        out[k + "/native_w"] = proj.get_weights("list")
        out[k + "/native_d"] = proj.delays * net.dt
        out[k + "/native_pre"], out[k + "/native_post"] = proj.pre_index, proj.post_index
        out[k + "/pynn_w"] = ex.get(proj.label, "weight")
        out[k + "/pynn_d"] = ex.get(proj.label, "delay")
        out[k + "/pynn_pre"], out[k + "/pynn_post"] = ex.addresses(proj.label)


def behaviour(out, key, net, ex, labels, tolerance):
    for label in labels:
        a, b = _spikes(net, label), ex.spikes(label)
        out[f"{key}/{label}/native_t"], out[f"{key}/{label}/native_i"] = a.time.values, a.neuron.values
        out[f"{key}/{label}/pynn_t"], out[f"{key}/{label}/pynn_i"] = b.time.values, b.neuron.values
        c = compare_spikes(a, b, tolerance=tolerance)
        out[f"{key}/{label}/fraction_within"] = c.fraction_within
        out[f"{key}/{label}/identical"] = c.identical


def ca3(out, sim):
    """The CA3 functional test (inputs 2 ms later: NEST's sources need t >= 2 dt), with and without conversion."""
    import json

    import nest

    from engramsim.networks.ca3 import build_circuit

    data = json.loads((Path(__file__).parents[1] / "data" / "ca3" / "inputs.json").read_text())["functional"]
    times = [[t + 2.0 for t in ts] for ts in data["in_spike_times"]]
    for convert in (True, False):
        circuit = build_circuit(data["n_cues"], data["n_content"], times, backend="numpy")
        ex = to_pynn(circuit.network, sim, convert_stdp=convert)
        key = f"ca3/{convert}"
        if convert:
            structure(out, "ca3", circuit.network, ex)
        plastic = [p.label for p in circuit.network.projections if p.plastic]
        out[key + "/lambda"] = np.array([nest.GetStatus(ex.projections[label].nest_connections, "lambda")[0]
                                         for label in plastic])
        circuit.network.run(data["duration_ms"] + 3.0)
        ex.run(data["duration_ms"] + 3.0)
        a, b = circuit.monitors["OUT"].to_xarray(), ex.spikes("OUT")
        out[key + "/native_t"], out[key + "/native_i"] = a.time.values, a.neuron.values
        out[key + "/pynn_t"], out[key + "/pynn_i"] = b.time.values, b.neuron.values
        ex.end()


def main(path):
    import pyNN.nest as sim

    out = {}
    net = izhikevich_net()
    ex = to_pynn(net, sim)
    net.run(300.0)
    ex.run(300.0)
    structure(out, "izh", net, ex)
    behaviour(out, "izh", net, ex, ["exc"], 0.0)
    mon = next(m for m in net.monitors if m.kind == "state")
    out["izh/native_v"] = mon.to_xarray().v.values
    out["izh/pynn_v"] = ex.state("exc", "v").v.values
    ex.end()

    net = lif_net()
    ex = to_pynn(net, sim)
    net.run(200.0)
    ex.run(200.0)
    structure(out, "lif", net, ex)
    behaviour(out, "lif", net, ex, ["src", "hidden", "out"], 0.5)
    out["lif/notes"] = np.array(ex.notes)
    ex.end()

    for w_max, convert in ((1.0, True), (4.0, True), (4.0, False)):
        net = stdp_net(w_max=w_max)
        ex = to_pynn(net, sim, convert_stdp=convert)
        net.run(150.0)
        ex.run(150.0)
        key = f"stdp/{w_max}/{convert}"
        out[key + "/native_w"] = net.projections[-1].get_weights("list")
        out[key + "/pynn_w"] = ex.get("plastic")
        out[key + "/amp_plus"] = net.projections[-1].synapse_type.pair_stdp_parameters()["amp_plus"]
        ex.end()
    ca3(out, sim)
    np.savez(path, **out)


if __name__ == "__main__":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        main(sys.argv[1])
