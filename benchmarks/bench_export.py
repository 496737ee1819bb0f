"""The same network native (Numba) and exported through PyNN to NEST: build time, run time, ratios.

Networks: the CA3 memory (c x m cues x content bits; a sequence of learn and
recall operations, 1 ms steps) and the Izhikevich 2003 network (N = 1000
all-to-all, 1 ms steps, 1000 ms).  Each side runs in a fresh process:

* native: ``network.build()`` (connections, layout, loading the compiled
  kernels) then ``network.run``;
* NEST: ``engramsim.hardware.pynn.to_pynn(network, pyNN.nest)`` (export plan,
  ``sim.setup``, PyNN's Create/Connect) then ``exported.run`` (PyNN 0.13,
  NEST 3.10, one thread).  The native network is constructed in that process
  too (not timed) because the export reads it.

Spike counts of both sides are printed beside the times (Izhikevich on NEST
is the same scheme and the same noise-free drive only when no noise source is
present: here NEST draws its own thalamic noise, so counts compare as
statistics; the CA3 memory on NEST differs in behaviour, see
``docs/hardware.md``).  Min and median of ``--repeats`` fresh-process runs.

    python benchmarks/bench_export.py [--repeats 3] [--ca3 5x10 100x100] [--izhikevich 1000] [--out export.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

CHILD = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
import numpy as np
model, size, side = sys.argv[1], sys.argv[2], sys.argv[3]

def ca3(c, m):
    from engramsim.networks.ca3 import LEARN, RECALL_BY_CUE, build_circuit, make_operation
    from engramsim.networks.ca3.operations import input_spikes, schedule
    rng = np.random.default_rng(0)
    ops = []
    for k in range(40):
        cue = int(rng.integers(c))
        if k % 2 == 0:
            content = (rng.random(m) < 0.2).astype(int)
            content[rng.integers(m)] = 1
            ops.append(make_operation(LEARN, c, m, cue=cue, content=content.tolist()))
        else:
            ops.append(make_operation(RECALL_BY_CUE, c, m, cue=cue))
    starts = schedule(ops, 2.0)
    times = input_spikes(ops, starts, c, m)
    duration = starts[-1] + 10.0
    circuit = build_circuit(c, m, times, backend="numba")
    return circuit.network, circuit.monitors["OUT"], duration

def izhikevich(n):
    from engramsim.networks.izhikevich import izhikevich_2003
    built = izhikevich_2003(n, 1.0, seed=0, backend="numba")
    return built.network, built.spikes_exc, 1000.0

if model == "ca3":
    c, m = map(int, size.split("x"))
    net, monitor, duration = ca3(c, m)
    label = "OUT"
else:
    net, monitor, duration = izhikevich(int(size))
    label = "exc"
t0 = time.perf_counter()
if side == "native":
    net.build()
    t1 = time.perf_counter()
    net.run(duration)
    t2 = time.perf_counter()
    n_spikes = int(monitor.times.size)
else:
    import pyNN.nest as sim
    from engramsim.hardware.pynn import to_pynn
    t0 = time.perf_counter()
    exported = to_pynn(net, sim)
    t1 = time.perf_counter()
    exported.run(duration)
    t2 = time.perf_counter()
    n_spikes = int(exported.spikes(label).time.size)
print(json.dumps({"build": t1 - t0, "run": t2 - t1, "spikes": n_spikes, "duration_ms": duration}))
"""


def run_child(model: str, size: str, side: str) -> dict:
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    proc = subprocess.run([sys.executable, "-c", CHILD, model, size, side], capture_output=True, text=True,
                          env=env, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"{model} {size} {side} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ca3", nargs="*", default=["5x10", "100x100"])
    parser.add_argument("--izhikevich", nargs="*", default=["1000"])
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    cases = [("ca3", s) for s in args.ca3] + [("izhikevich", s) for s in args.izhikevich]
    runs = {(m, s, side): [] for m, s in cases for side in ("native", "nest")}
    for _ in range(args.repeats):
        for m, s in cases:
            for side in ("native", "nest"):
                runs[(m, s, side)].append(run_child(m, s, side))
    rows = []
    print(f"load average {os.getloadavg()[0]:.1f}; {args.repeats} fresh-process runs each (min / median)")
    print(f"{'network':<18}{'side':<8}{'build (s)':>16}{'run (s)':>16}{'spikes':>9}")
    for m, s in cases:
        stats = {}
        for side in ("native", "nest"):
            r = runs[(m, s, side)]
            b, t = [x["build"] for x in r], [x["run"] for x in r]
            stats[side] = {"build_min": min(b), "build_median": statistics.median(b), "run_min": min(t),
                           "run_median": statistics.median(t), "spikes": r[0]["spikes"],
                           "duration_ms": r[0]["duration_ms"]}
            print(f"{m + ' ' + s:<18}{side:<8}{min(b):>8.3f} /{statistics.median(b):>6.3f}"
                  f"{min(t):>8.3f} /{statistics.median(t):>6.3f}{r[0]['spikes']:>9}")
        ratio_build = stats["nest"]["build_median"] / stats["native"]["build_median"]
        ratio_run = stats["nest"]["run_median"] / stats["native"]["run_median"]
        print(f"{'':<18}NEST / native: build {ratio_build:.1f}x, run {ratio_run:.1f}x (medians)")
        rows.append({"model": m, "size": s, **{f"{side}_{k}": v for side in stats for k, v in stats[side].items()},
                     "nest_over_native_build": ratio_build, "nest_over_native_run": ratio_run})
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"load_average": os.getloadavg(), "repeats": args.repeats, "rows": rows,
                       "time": time.strftime("%Y-%m-%d %H:%M:%S")}, f, indent=1)


if __name__ == "__main__":
    main()
