"""Run a small Izhikevich network in NEST, in its own interpreter.

Usage: ``python nest_izhikevich_run.py PARAMS.npz DURATION OUT.npz``.

NEST is run in a separate process because its kernel crashes in
``ResetKernel`` when other OpenMP runtimes (those bundled with torch and
scikit-learn) were loaded earlier in the same process, which is what a full
test session does.
"""

import sys
import warnings

import numpy as np


def run(params: dict, duration: float) -> tuple[np.ndarray, np.ndarray]:
    """Simulate NEST's ``izhikevich`` with the published scheme; return sorted (t, i) spikes."""
    import nest

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.resolution = 1.0
    a, b, c, d, i_e, W = (params[k] for k in ("a", "b", "c", "d", "i_e", "W"))
    n = a.size
    cells = nest.Create("izhikevich", n)
    for k in range(n):
        cells[k].set(a=a[k], b=b[k], c=c[k], d=d[k], I_e=i_e[k], V_m=-65.0,
                     U_m=b[k] * -65.0, consistent_integration=False)
    for i in range(n):
        nest.Connect(cells[i:i + 1], cells, "all_to_all",
                     {"synapse_model": "static_synapse", "weight": W[i][:, None], "delay": 1.0})
    rec = nest.Create("spike_recorder")
    nest.Connect(cells, rec)
    nest.Simulate(duration + 1.0)
    ev = rec.get("events")
    # NEST stamps a spike at the end of its step, one step after engramsim.
    t = np.asarray(ev["times"]) - 1.0
    i = np.asarray(ev["senders"]) - cells[0].global_id
    keep = t < duration
    order = np.lexsort((i[keep], t[keep]))
    return t[keep][order], i[keep][order]


if __name__ == "__main__":
    with np.load(sys.argv[1]) as f:
        p = {k: f[k] for k in f.files}
    times, neurons = run(p, float(sys.argv[2]))
    np.savez(sys.argv[3], times=times, neurons=neurons)
