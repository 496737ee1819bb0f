"""Map test networks with sPyNNaker's virtual board (no machine), in its own interpreter.

Usage: ``python spinnaker_map_run.py OUT.json CASE [CASE ...]``, run with ``HOME``
pointing at a folder whose ``.spynnaker.cfg`` says ``virtual_board = True``
(see the test).  For each case it writes whether sPyNNaker mapped it, the
exception it raised if not, the application cores placed per population
(delay extensions under ``<label>_delayed``), the chips used, and the
ring-buffer shifts sPyNNaker chose for each neural population.
"""

import json
import sys
import warnings
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from cases import CASES  # noqa: E402

from engramsim.hardware.pynn import to_pynn  # noqa: E402

SYSTEM = ("ExtraMonitorSupportMachineVertex", "DataSpeedUpPacketGatherMachineVertex")


def map_case(name):
    import pyNN.spiNNaker as sim
    from spynnaker.pyNN.data import SpynnakerDataView

    net = CASES[name]()
    exported = to_pynn(net, sim, strict=False)
    out = {"maps": True, "error": None, "cores": {}, "chips": 0, "shifts": {}}
    try:
        exported.run(net.dt * 2)
    except Exception as exc:  # sPyNNaker refuses: record why
        out.update(maps=False, error=f"{type(exc).__name__}: {exc}")
        sim.end()
        return out
    cores, chips = Counter(), set()
    for placement in SpynnakerDataView.iterate_placemements():
        vertex = placement.vertex
        if type(vertex).__name__ in SYSTEM:
            continue
        cores[vertex.app_vertex.label] += 1
        chips.add((placement.x, placement.y))
    out["cores"], out["chips"] = dict(cores), len(chips)
    for label, pop in exported.populations.items():
        vertex = pop._vertex
        if hasattr(vertex, "get_ring_buffer_shifts"):
            out["shifts"][label] = [int(s) for s in vertex.get_ring_buffer_shifts()]
    sim.end()
    return out


def constants():
    """The sPyNNaker numbers engramsim.hardware.spinnaker states, as the installed version has them."""
    from spynnaker.pyNN.models.spike_source import spike_source_poisson
    from spynnaker.pyNN.models.utility_models.delays.delay_extension_vertex import DelayExtensionVertex
    from spynnaker.pyNN.utilities import constants as c

    return {"ROW_LIMIT": c.POP_TABLE_MAX_ROW_LENGTH, "RING_BUFFER_BITS": c.MAX_RING_BUFFER_BITS,
            "DELAY_EXTENSION_FACTOR": DelayExtensionVertex.MAX_SLOTS,
            "POISSON_PER_CORE": spike_source_poisson.DEFAULT_MAX_ATOMS_PER_CORE}


if __name__ == "__main__":
    import time

    results = {"_constants": constants(), "_seconds": {}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for case in sys.argv[2:]:
            t0 = time.perf_counter()
            results[case] = map_case(case)
            results["_seconds"][case] = time.perf_counter() - t0
    Path(sys.argv[1]).write_text(json.dumps(results, indent=1))
