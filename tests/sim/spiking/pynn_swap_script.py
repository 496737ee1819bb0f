"""A small PyNN script, run unchanged on pyNN.nest and on engramsim.sim.spiking (only the import differs).

Usage: python pynn_swap_script.py MODULE OUT.json   (MODULE: pyNN.nest or engramsim.sim.spiking)
"""

import importlib
import json
import sys
import warnings

warnings.filterwarnings("ignore")
sim = importlib.import_module(sys.argv[1])

sim.setup(timestep=1.0)
cell = dict(cm=0.25, tau_m=10.0, tau_refrac=2.0, tau_syn_E=2.0, tau_syn_I=2.0, v_rest=-65.0, v_reset=-65.0,
            v_thresh=-55.0, i_offset=0.0)
src = sim.Population(2, sim.SpikeSourceArray(spike_times=[[5.0, 20.0, 35.0, 50.0], [10.0, 40.0]]), label="src")
exc = sim.Population(3, sim.IF_curr_exp(**cell), label="exc")
inh = sim.Population(2, sim.IF_curr_exp(**cell), label="inh")
exc.initialize(v=-65.0)
inh.initialize(v=-65.0)
drive = sim.Projection(src, exc, sim.AllToAllConnector(), sim.StaticSynapse(weight=3.0, delay=1.0))
fwd = sim.Projection(exc, inh, sim.FromListConnector([(0, 0), (1, 1)]),
                     sim.StaticSynapse(weight=2.5, delay=2.0))
back = sim.Projection(inh, exc, sim.AllToAllConnector(), sim.StaticSynapse(weight=-0.2, delay=3.0),
                      receptor_type="inhibitory")
stdp = sim.STDPMechanism(timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.001,
                                                             A_minus=0.001),
                         weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=1.0),
                         weight=0.2, delay=1.0)
plastic = sim.Projection(src, inh, sim.OneToOneConnector(), stdp)
exc.record(["spikes", "v"])
inh.record("spikes")
sim.run(70.0)

exc_seg, inh_seg = exc.get_data().segments[0], inh.get_data().segments[0]
v = next(sig for sig in exc_seg.analogsignals if sig.name == "v")
out = {
    "exc_spikes": [[float(t) for t in st.magnitude] for st in exc_seg.spiketrains],
    "inh_spikes": [[float(t) for t in st.magnitude] for st in inh_seg.spiketrains],
    "v_shape": list(v.shape), "v_units": str(v.units.dimensionality), "v": v.magnitude.tolist(),
    "drive": [list(map(float, row)) for row in drive.get(["weight", "delay"], format="list")],
    "fwd": [list(map(float, row)) for row in fwd.get(["weight", "delay"], format="list")],
    "back": [list(map(float, row)) for row in back.get(["weight", "delay"], format="list")],
    "plastic_n": len(plastic.get("weight", format="list")),
}
sim.end()
with open(sys.argv[2], "w") as f:
    json.dump(out, f)
