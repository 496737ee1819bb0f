"""Validation 1: a deterministic IF_curr_exp network gives the same spikes natively and through Brian2.

Brian2 (numpy code generation) runs the same network written as explicit
per-step statements of sPyNNaker's update.  Brian2's schedule is: state
update (``groups``), threshold, synaptic events, reset; a spike at step ``k``
with engramsim delay ``d`` steps is queued with Brian2 delay ``(d - 1) dt``, so
that the update of step ``k + d`` sees it, as in engramsim.  Weights are
multiples of 1/8 so that sums of arriving weights are exact in any order.
"""

import numpy as np
import pytest

brian2 = pytest.importorskip("brian2")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pyparsing API notices inside Brian2

from engramsim.sim.spiking import (  # noqa: E402
    FromList,
    IF_curr_exp,
    Network,
    Population,
    Projection,
    SpikeSourceArray,
)

DT = 1.0
SRC_TIMES = [[0.0, 1.0, 2.0, 10.0, 30.0], [5.0, 6.0, 40.0], [12.0, 13.0, 14.0, 50.0, 51.0], [20.0, 60.0]]
CELLS = {
    "slow": dict(cm=0.27, tau_m=3.0, tau_refrac=1.0, tau_syn_E=0.3, tau_syn_I=0.3, v_rest=-60.0, v_reset=-60.0,
                 v_thresh=-57.0),
    "fast": dict(cm=0.14, tau_m=0.5, tau_refrac=2.0, tau_syn_E=0.3, tau_syn_I=1.5, v_rest=-60.0, v_reset=-62.0,
                 v_thresh=-57.0, i_offset=0.01),
    "lif": dict(cm=0.5, tau_m=12.0, tau_refrac=3.0, tau_syn_E=4.0, tau_syn_I=6.0, v_rest=-65.0, v_reset=-70.0,
                v_thresh=-58.0, i_offset=0.125),
}
SIZES = {"in": 4, "slow": 4, "fast": 6, "lif": 8}


def connections():
    """(pre, post, conn_list rows (i, j, w, delay_ms), receptor) with dyadic weights."""
    rng = np.random.default_rng(11)
    out = [("in", "slow", [(i, i, 6.0, 1.0) for i in range(4)], "excitatory"),
           ("slow", "fast", [(i, j, 3.0, 2.0) for i in range(4) for j in range(6)], "excitatory"),
           ("in", "lif", [(i, j, 1.5, 1.0 + (i + j) % 4) for i in range(4) for j in range(8)], "excitatory")]
    pairs = [(i, j) for i in range(8) for j in range(8) if i != j and rng.random() < 0.4]
    out.append(("lif", "lif", [(i, j, rng.integers(1, 9) / 8.0, float(rng.integers(1, 5))) for i, j in pairs],
                "excitatory"))
    out.append(("fast", "lif", [(i, j, rng.integers(1, 17) / 8.0, 3.0) for i in range(6) for j in range(8)
                                if rng.random() < 0.5], "inhibitory"))
    out.append(("lif", "fast", [(i, i % 6, 2.5, 2.0) for i in range(8)], "excitatory"))
    out.append(("fast", "slow", [(i, j, 0.75, 1.0) for i in range(6) for j in range(4)], "inhibitory"))
    return out


def run_engramsim():
    net = Network(dt=DT, backend="numba")
    pops = {"in": Population(4, SpikeSourceArray(spike_times=SRC_TIMES), label="in")}
    for name, params in CELLS.items():
        pops[name] = Population(SIZES[name], IF_curr_exp(**params), label=name)
    for pre, post, rows, receptor in connections():
        net.add(Projection(pops[pre], pops[post], FromList(rows), receptor_type=receptor, label=f"{pre}->{post}"))
    monitors = {name: pops[name].record("spikes") for name in CELLS}
    net.run(80.0)
    return {name: sorted(zip(m.times.tolist(), m.neurons.tolist())) for name, m in monitors.items()}


def run_brian2():
    b2 = brian2
    b2.prefs.codegen.target = "numpy"
    b2.start_scope()
    b2.defaultclock.dt = DT * b2.ms
    model = """
    v : 1
    ie : 1
    ii : 1
    in_e : 1
    in_i : 1
    refr : 1
    v_rest : 1
    R : 1
    exp_tc : 1
    init_e : 1
    init_i : 1
    decay_e : 1
    decay_i : 1
    v_thresh : 1
    v_reset : 1
    i_offset : 1
    tref : 1
    """
    update = """
    ie = ie + init_e * in_e
    ii = ii + init_i * in_i
    in_e = 0
    in_i = 0
    v = int(refr <= 0) * ((((ie - ii) + i_offset) * R + v_rest) - exp_tc * ((((ie - ii) + i_offset) * R + v_rest) - v)) + int(refr > 0) * v
    refr = refr - int(refr > 0)
    """
    groups = {}
    for name, p in CELLS.items():
        p = {**IF_curr_exp.default_parameters, **p}
        g = b2.NeuronGroup(SIZES[name], model, threshold="v >= v_thresh", reset="v = v_reset; refr = tref",
                           method="exact", name=name)
        g.v_rest, g.R, g.exp_tc = p["v_rest"], p["tau_m"] / p["cm"], np.exp(-DT / p["tau_m"])
        g.init_e = (p["tau_syn_E"] / DT) * (1.0 - np.exp(-DT / p["tau_syn_E"]))
        g.init_i = (p["tau_syn_I"] / DT) * (1.0 - np.exp(-DT / p["tau_syn_I"]))
        g.decay_e, g.decay_i = np.exp(-DT / p["tau_syn_E"]), np.exp(-DT / p["tau_syn_I"])
        g.v_thresh, g.v_reset, g.i_offset = p["v_thresh"], p["v_reset"], p["i_offset"]
        g.tref = np.ceil(p["tau_refrac"] / DT - 1e-9)
        g.v = p["v_rest"]
        g.run_regularly(update, when="groups", order=0)
        g.run_regularly("ie = ie * decay_e\nii = ii * decay_i", when="end")
        groups[name] = g
    idx = [i for i, ts in enumerate(SRC_TIMES) for _ in ts]
    times = [t for ts in SRC_TIMES for t in ts]
    groups["in"] = b2.SpikeGeneratorGroup(4, idx, times * b2.ms, name="src")
    synapses = []
    for k, (pre, post, rows, receptor) in enumerate(connections()):
        target = "in_e_post" if receptor == "excitatory" else "in_i_post"
        s = b2.Synapses(groups[pre], groups[post], "w : 1", on_pre=f"{target} += w", order=k, name=f"s{k}")
        rows = np.array(rows)
        s.connect(i=rows[:, 0].astype(int), j=rows[:, 1].astype(int))
        s.w = rows[:, 2]
        s.delay = (rows[:, 3] - DT) * b2.ms
        synapses.append(s)
    monitors = {name: b2.SpikeMonitor(groups[name]) for name in CELLS}
    net = b2.Network(*groups.values(), *synapses, *monitors.values())
    net.run(80.0 * b2.ms)
    return {name: sorted(zip(np.round(m.t / b2.ms, 9).tolist(), np.asarray(m.i).tolist()))
            for name, m in monitors.items()}


def test_if_curr_exp_network_matches_brian2():
    ours, theirs = run_engramsim(), run_brian2()
    for name in CELLS:
        assert len(ours[name]) > 3, f"population {name} is silent; the test would prove little"
        assert ours[name] == theirs[name], name
