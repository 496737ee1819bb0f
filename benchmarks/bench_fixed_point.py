"""The fixed-point emulator (cells and STDP in sPyNNaker's arithmetic): NumPy reference against its Numba twin.

Networks: the CA3 memory on a random operation sequence
(:func:`engramsim.hardware.stdp_comparison.ca3_memory`'s sequence: 0.4 learn, 0.3 recall by cue, 0.3 recall by a
2-bit fragment) and the ``long-post-bursts`` teaching network of
:mod:`engramsim.hardware.stdp_comparison` (50 plastic synapses, 10 s).  Each is run by
:func:`engramsim.hardware.emulate.run_fixed_point` with ``backend="numpy"`` (the reference) and
``backend="numba"`` (the twins), and by the engine in double precision (Numba) for scale.  The two emulations
must give the same spikes and weights (checked here); the script prints min and median wall times and the
ratios.  Numba's compilation is excluded (one warm-up call per side).

    python benchmarks/bench_fixed_point.py [--repeats 3] [--ca3 50x50 100x100] [--out fixed.json]
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from benchtools import describe, machine, timed

from engramsim.hardware.emulate import run_fixed_point, simulate
from engramsim.hardware.stdp_comparison import teaching_network
from engramsim.networks.ca3 import build_circuit
from engramsim.networks.ca3.operations import input_spikes, operations_from_spec, random_operations, schedule


def ca3_network(c: int, m: int, n_ops: int = 200):
    rng = np.random.default_rng([0, c, m])
    ops = operations_from_spec(random_operations(rng, c, m, n_ops, 0.1, 2, 0.4, 0.3), c, m)
    starts = schedule(ops, 0.0)
    return build_circuit(c, m, input_spikes(ops, starts, c, m), backend="numba").network, float(starts[-1] + 12)


def bench(name: str, make, repeats: int) -> dict:
    net, duration = make()
    sides = {}
    results = {}
    for backend in ("numpy", "numba"):
        run_fixed_point(make()[0], duration, backend=backend)  # warm-up (compilation)
        sides[backend], results[backend] = timed(
            lambda b=backend: run_fixed_point(net, duration, backend=b, return_weights=True), repeats)
    simulate(net, duration, arithmetic="float", backend="numba")
    sides["engine float (numba)"], _ = timed(lambda: simulate(net, duration, arithmetic="float",
                                                              backend="numba"), repeats)
    (s_np, w_np), (s_nb, w_nb) = results["numpy"], results["numba"]
    same = all(np.array_equal(s_np[k][0], s_nb[k][0]) and np.array_equal(s_np[k][1], s_nb[k][1]) for k in s_np) \
        and all(np.array_equal(w_np[k], w_nb[k]) for k in w_np)
    spikes = sum(v[0].size for v in s_np.values())
    print(f"{name}: {duration:.0f} ms, {spikes} spikes, NumPy and Numba emulations identical: {same}")
    for side, t in sides.items():
        print(f"  {side:22s} min {t['min_s']:.3f} s  median {t['median_s']:.3f} s")
    ratio = sides["numpy"]["median_s"] / sides["numba"]["median_s"]
    print(f"  NumPy reference / Numba twin: x{ratio:.1f}; Numba emulation / engine float: "
          f"x{sides['numba']['median_s'] / sides['engine float (numba)']['median_s']:.1f}")
    return {"name": name, "duration_ms": duration, "spikes": spikes, "identical": same,
            "times": {k: v for k, v in sides.items()}, "numpy_over_numba": ratio}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ca3", nargs="*", default=["50x50", "100x100"], help="CxM sizes of the CA3 memory")
    parser.add_argument("--out", help="write the results as JSON")
    args = parser.parse_args()
    m = machine(quick=True)
    print(describe(m))
    out = {"machine": m, "runs": []}
    for size in args.ca3:
        c, n = (int(x) for x in size.lower().split("x"))
        out["runs"].append(bench(f"CA3 {c}x{n}, 200 operations", lambda c=c, n=n: ca3_network(c, n), args.repeats))
    out["runs"].append(bench("teaching network long-post-bursts, 50 synapses",
                             lambda: (teaching_network("long-post-bursts"), 10_000.0), args.repeats))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(out, f, indent=1, default=float)


if __name__ == "__main__":
    main()
