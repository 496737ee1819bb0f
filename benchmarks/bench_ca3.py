"""CA3 content-addressable memory: operations per second and real-time factor, and what an operation costs.

For each size (c cues, m content bits) a random sequence of operations
(``engramsim.experiments.ca3.random_operations``: 40 % learn, 30 % recall by
cue, 30 % recall by a 2-bit content fragment, density 0.2, documented
spacing) runs on the CA3 circuit.  Timed separately: the build (connections,
layout, loading the compiled kernels) and the simulation loop.  Reported per
size and backend: operations per second and the real-time factor (simulated
ms / wall ms; SpiNNaker runs this circuit at 1.0) of the loop, and the
synapses an operation touches: every spike's outgoing row (static and
plastic) plus, for the plastic projections, the column of every
postsynaptic spike (potentiation).  The loop time per touched synapse shows
that the cost follows the synapses touched, not c x m.

With ``--nest`` the same circuit, exported through
:func:`engramsim.hardware.pynn.to_pynn` (PyNN 0.13 on NEST 3.10), runs the same
input in a separate interpreter (NEST's STDP has other timing conventions,
so only the time is compared, not the spikes); the NEST time is the
``sim.run`` call alone.

    python benchmarks/bench_ca3.py [--sizes 5x10 100x100 1000x1000] [--operations 200] [--repeats 3]
                                   [--densities 0.2] [--backends numba numpy] [--nest] [--out results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np


def sequence(c: int, m: int, n_ops: int, seed: int = 0, density: float = 0.2):
    """The operations and the IN spike times of one random sequence."""
    from engramsim.experiments.ca3 import _operations, random_operations
    from engramsim.networks.ca3.operations import input_spikes, schedule

    rng = np.random.default_rng([seed, c, m])
    ops = _operations(random_operations(rng, c, m, n_ops, density, 2, 0.4, 0.3), c, m)
    starts = schedule(ops, 0.0)
    duration = max(s + op.duration for op, s in zip(ops, starts))
    return ops, input_spikes(ops, starts, c, m), duration


def touched_synapses(circuit) -> int:
    """Synapses the run touched: each spike's outgoing rows, and each plastic target spike's column."""
    total = 0
    out_degree = {name: np.zeros(pop.size, np.int64) for name, pop in circuit.populations.items()}
    in_plastic = {name: np.zeros(pop.size, np.int64) for name, pop in circuit.populations.items()}
    for (pre, post, _), proj in circuit.projections.items():
        out_degree[pre] += np.bincount(proj.pre_index, minlength=proj.pre.size)
        if proj.plastic:
            in_plastic[post] += np.bincount(proj.post_index, minlength=proj.post.size)
    for name, mon in circuit.monitors.items():
        cells = mon.neurons
        total += int(out_degree[name][cells].sum() + in_plastic[name][cells].sum())
    return total


def native(c: int, m: int, n_ops: int, backend: str, density: float = 0.2) -> dict:
    from engramsim.networks.ca3.circuit import build_circuit

    ops, times, duration = sequence(c, m, n_ops, density=density)
    t0 = time.perf_counter()
    circuit = build_circuit(c, m, times, backend)
    circuit.network.build()
    t1 = time.perf_counter()
    circuit.network.run(duration)
    t2 = time.perf_counter()
    loop = t2 - t1
    touched = touched_synapses(circuit)
    n_syn = sum(p.n_connections for p in circuit.projections.values())
    spikes = sum(mon.neurons.size for mon in circuit.monitors.values())
    return {"c": c, "m": m, "density": density, "backend": backend, "operations": len(ops), "sim_ms": duration, "build_s": t1 - t0,
            "loop_s": loop, "operations_per_s": len(ops) / loop, "real_time_factor": duration / 1000.0 / loop,
            "synapses": n_syn, "spikes": spikes, "touched_per_operation": touched / len(ops),
            "ns_per_touched_synapse": loop / touched * 1e9, "us_per_operation": loop / len(ops) * 1e6,
            "load_average": os.getloadavg()[0]}


NEST_SCRIPT = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, sys.argv[1])
from bench_ca3 import sequence
from engramsim.networks.ca3.circuit import build_circuit
from engramsim.hardware.pynn import to_pynn
import pyNN.nest as sim
c, m, n_ops, density = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
ops, times, duration = sequence(c, m, n_ops, density=density)
# NEST's spike_generator cannot emit before t = dt (the exporter aims a hair below the grid): input 2 steps later
times, duration = [[t + 2.0 for t in seq] for seq in times], duration + 2.0
circuit = build_circuit(c, m, times, "numpy")
t0 = time.perf_counter()
ex = to_pynn(circuit.network, sim)
t1 = time.perf_counter()
ex.run(duration)
t2 = time.perf_counter()
print(json.dumps({"build_s": t1 - t0, "loop_s": t2 - t1, "notes": ex.notes[:5]}))
ex.end()
"""


def nest(c: int, m: int, n_ops: int, density: float = 0.2) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(NEST_SCRIPT)
    try:
        proc = subprocess.run([sys.executable, f.name, os.path.dirname(os.path.abspath(__file__)), str(c), str(m),
                               str(n_ops), str(density)], capture_output=True, text=True, timeout=3600)
    finally:
        os.unlink(f.name)
    if proc.returncode != 0:
        return {"c": c, "m": m, "backend": "nest", "error": proc.stderr.strip().splitlines()[-1:]}
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    _, _, duration = sequence(c, m, n_ops, density=density)
    duration += 2.0
    res.update({"c": c, "m": m, "density": density, "backend": "nest", "operations": n_ops, "sim_ms": duration,
                "operations_per_s": n_ops / res["loop_s"], "real_time_factor": duration / 1000.0 / res["loop_s"]})
    return res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["5x10", "100x100", "1000x1000"])
    parser.add_argument("--operations", type=int, default=200)
    parser.add_argument("--densities", nargs="+", type=float, default=[0.2],
                        help="content densities (the synapses an operation touches grow with it at fixed c, m)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--backends", nargs="+", default=["numba"])
    parser.add_argument("--nest", action="store_true")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    sizes = [tuple(int(x) for x in s.split("x")) for s in args.sizes]
    rows = []
    for c, m in sizes:
        for density in args.densities:
            for backend in args.backends:
                runs = [native(c, m, args.operations, backend, density) for _ in range(args.repeats)]
                best = min(runs, key=lambda r: r["loop_s"])
                best["loop_s_median"] = statistics.median(r["loop_s"] for r in runs)
                rows.append(best)
                print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in best.items()}),
                      flush=True)
            if args.nest:
                res = nest(c, m, args.operations, density)
                rows.append(res)
                print(json.dumps(res), flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
