"""Export a one-pairing CA3 memory to pyNN.nest with and without the STDP amplitude conversion (own interpreter).

Usage: ``python ca3_nest_run.py``; prints JSON.  NEST runs in a separate process because its kernel crashed in
``ResetKernel`` once other OpenMP runtimes were loaded in the same test session.
"""

import json
import warnings

warnings.simplefilter("ignore")

from engramsim.hardware.pynn import to_pynn  # noqa: E402
from engramsim.networks.ca3.circuit import build_circuit  # noqa: E402

import pyNN.nest as sim  # noqa: E402

out = {}
for convert in (True, False):
    # c = m = 1: the cue and the content bit fire once together, the cue again 25 ms later (that spike applies the
    # deferred change, which NEST then stores)
    circuit = build_circuit(1, 1, [[5.0, 30.0], [5.0]], "numpy")
    ex = to_pynn(circuit.network, sim, convert_stdp=convert)
    ex.run(50.0)
    out[str(convert)] = {"w": ex.get("CueCue->ContCue:excitatory", "weight").tolist(), "notes": ex.notes,
                         "cue": ex.spikes("CueCue").time.values.tolist(),
                         "content": ex.spikes("ContCue").time.values.tolist()}
    ex.end()
print(json.dumps(out))
