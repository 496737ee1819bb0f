"""Izhikevich 2003 network, 1000 ms: engramsim (numba, numpy) against Brian2 cpp_standalone and NEST 3.10.

Configurations: N = 1000 all-to-all (10^6 synapses) and N = 10000 with
connection probability 0.1 (10^7 synapses), 1 ms steps, the published
half-step scheme, thalamic noise 5 / 2 (excitatory / inhibitory).

Every simulator runs in a fresh process, so that the whole-process time
(interpreter start, imports, build, compilation or JIT, simulation) is
measured; inside it the script times the simulation loop alone and the
build (network construction plus code generation / compilation / JIT).
Synaptic events per second = spikes x out-degree / loop time.  The memory
bandwidth of the machine (a large NumPy copy) gives the ceiling for events
per second.  Medians of ``--repeats`` runs; the repeats are the outer loop
(every simulator once, then again), so that a shared machine's changing
background load falls on all simulators alike, and the paired ratios of
the loop times (run ``r`` of one simulator against run ``r`` of the other)
are reported beside the ratio of the medians.  The load average is
recorded with every run.

    python benchmarks/bench_izhikevich.py [--repeats 3] [--sizes 1000 10000] [--out results.json]
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

CONFIGS = {1000: 1.0, 10000: 0.1}
DURATION = 1000.0


def run_engramsim(n: int, p: float, backend: str) -> dict:
    t0 = time.perf_counter()
    from engramsim.networks.izhikevich import izhikevich_2003

    model = izhikevich_2003(n, p, seed=0, backend=backend)
    model.network.build()
    # compile (or load the numba cache) with a zero-length block, outside the timed loop
    model.network.run(0.0)
    t_build = time.perf_counter() - t0
    t1 = time.perf_counter()
    model.run(DURATION)
    t_loop = time.perf_counter() - t1
    t, i = model.spikes()
    syn_out = sum(pr.n_connections for pr in model.network.projections) / n
    return {"loop": t_loop, "build": t_build, "spikes": int(t.size), "events": float(t.size * syn_out)}


def run_brian2(n: int, p: float) -> dict:
    t0 = time.perf_counter()
    import brian2 as b2

    directory = tempfile.mkdtemp(prefix="brian2_izh_")
    b2.set_device("cpp_standalone", directory=directory, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0
    b2.defaultclock.dt = 1 * b2.ms
    n_exc = int(0.8 * n)
    model = "v : 1\nu : 1\nI : 1\na : 1\nb : 1\nc : 1\nd : 1\nsigma : 1"
    g = b2.NeuronGroup(n, model, threshold="v >= 30", reset="v = c; u = u + d", method="euler")
    g.run_regularly("I = sigma * randn()", when="start")
    g.run_regularly("v = v + 0.5 * (0.04 * v**2 + 5 * v + 140 - u + I)\n"
                    "v = v + 0.5 * (0.04 * v**2 + 5 * v + 140 - u + I)\n"
                    "u = u + a * (b * v - u)", when="end")
    g.v = -65
    ge, gi = g[:n_exc], g[n_exc:]
    ge.a, ge.b, ge.sigma = 0.02, 0.2, 5.0
    ge.c = "-65 + 15 * rand()**2"  # (r is drawn separately for c and d here; statistics only)
    ge.d = "8 - 6 * rand()**2"
    gi.a = "0.02 + 0.08 * rand()"
    gi.b = "0.25 - 0.05 * rand()"
    gi.c, gi.d, gi.sigma = -65.0, 2.0, 2.0
    g.u = "b * v"
    s = b2.Synapses(g, g, "w : 1", on_pre="I_post += w")
    if p >= 1.0:
        s.connect()
    else:
        s.connect(p=p)
    s.w[f"i < {n_exc}"] = "0.5 * rand()"
    s.w[f"i >= {n_exc}"] = "-rand()"
    mon = b2.SpikeMonitor(g)
    b2.run(DURATION * b2.ms)
    b2.device.build(directory=directory, compile=True, run=True, debug=False)
    total = time.perf_counter() - t0
    loop = float(b2.device._last_run_time)
    spikes = int(mon.num_spikes)
    syn_out = len(s) / n
    return {"loop": loop, "build": total - loop, "spikes": spikes, "events": float(spikes * syn_out)}


def run_nest(n: int, p: float) -> dict:
    t0 = time.perf_counter()
    import nest
    import numpy as np

    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.resolution = 1.0
    nest.local_num_threads = 2
    nest.rng_seed = 1
    n_exc = int(0.8 * n)
    rng = np.random.default_rng(0)
    re, ri = rng.random(n_exc), rng.random(n - n_exc)
    exc = nest.Create("izhikevich", n_exc, params={"a": 0.02, "b": 0.2, "c": (-65 + 15 * re**2).tolist(),
                                                  "d": (8 - 6 * re**2).tolist(), "V_m": -65.0, "U_m": -13.0,
                                                  "consistent_integration": False})
    inh = nest.Create("izhikevich", n - n_exc, params={"a": (0.02 + 0.08 * ri).tolist(),
                                                      "b": (0.25 - 0.05 * ri).tolist(), "c": -65.0, "d": 2.0,
                                                      "V_m": -65.0, "U_m": (-65.0 * (0.25 - 0.05 * ri)).tolist(),
                                                      "consistent_integration": False})
    cells = exc + inh
    noise_e = nest.Create("noise_generator", params={"mean": 0.0, "std": 5.0, "dt": 1.0})
    noise_i = nest.Create("noise_generator", params={"mean": 0.0, "std": 2.0, "dt": 1.0})
    nest.Connect(noise_e, exc)
    nest.Connect(noise_i, inh)
    rule = "all_to_all" if p >= 1.0 else {"rule": "pairwise_bernoulli", "p": p}
    nest.Connect(exc, cells, rule, {"synapse_model": "static_synapse", "delay": 1.0,
                                    "weight": nest.random.uniform(0.0, 0.5)})
    nest.Connect(inh, cells, rule, {"synapse_model": "static_synapse", "delay": 1.0,
                                    "weight": nest.random.uniform(-1.0, 0.0)})
    rec = nest.Create("spike_recorder")
    nest.Connect(cells, rec)
    nest.Prepare()
    t_build = time.perf_counter() - t0
    t1 = time.perf_counter()
    nest.Run(DURATION)
    loop = time.perf_counter() - t1
    nest.Cleanup()
    spikes = int(rec.n_events)
    syn_out = nest.num_connections / n
    return {"loop": loop, "build": t_build, "spikes": spikes, "events": float(spikes * syn_out)}


def memory_bandwidth() -> float:
    """Bytes per second of a large array copy (read + write), best of 5."""
    import numpy as np

    a = np.ones(1 << 25)  # 256 MiB
    b = np.empty_like(a)
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        np.copyto(b, a)
        best = min(best, time.perf_counter() - t)
    return 2 * a.nbytes / best


def single(which: str, n: int) -> None:
    """Run one configuration in this process and print its timings as JSON."""
    p = CONFIGS[n]
    if which.startswith("engramsim"):
        out = run_engramsim(n, p, which.split("-")[1])
    elif which == "brian2":
        out = run_brian2(n, p)
    else:
        out = run_nest(n, p)
    print("RESULT " + json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(CONFIGS))
    parser.add_argument("--simulators", nargs="+", default=["engramsim-numba", "engramsim-numpy", "brian2", "nest"],
                        choices=["engramsim-numba", "engramsim-numpy", "brian2", "nest"])
    parser.add_argument("--out", default=None)
    parser.add_argument("--single", nargs=2, metavar=("SIMULATOR", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.single:
        single(args.single[0], int(args.single[1]))
        return
    load_start = os.getloadavg()
    bw = memory_bandwidth()
    print(f"memory bandwidth (copy): {bw / 1e9:.1f} GB/s; load average {load_start[0]:.2f} "
          f"on {os.cpu_count()} cores")
    results = {"bandwidth_bytes_per_s": bw, "load_average_start": load_start, "cpu_count": os.cpu_count(),
               "runs": {}}
    env = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1")
    for n in args.sizes:
        # repeats outermost: on a shared machine every simulator sees the same spread of background load
        rows: dict[str, list[dict]] = {sim: [] for sim in args.simulators}
        failed: set[str] = set()
        for _ in range(args.repeats):
            for sim in args.simulators:
                if sim in failed:
                    continue
                t = time.perf_counter()
                proc = subprocess.run([sys.executable, __file__, "--single", sim, str(n)], capture_output=True,
                                      text=True, env=env)
                whole = time.perf_counter() - t
                line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
                if proc.returncode != 0 or not line:
                    print(f"{sim} N={n} failed:\n{proc.stderr[-2000:]}")
                    failed.add(sim)
                    continue
                row = json.loads(line[0][7:])
                row["whole"] = whole
                row["load_average"] = os.getloadavg()[0]
                rows[sim].append(row)
        for sim in args.simulators:
            if not rows[sim]:
                continue
            med = {k: statistics.median(r[k] for r in rows[sim]) for k in rows[sim][0]}
            med["events_per_s"] = med["events"] / med["loop"]
            med["loop_all"] = [r["loop"] for r in rows[sim]]
            med["load_average_all"] = [r["load_average"] for r in rows[sim]]
            results["runs"][f"{sim}/N={n}"] = med
            print(f"N={n:>6} {sim:>16}: loop {med['loop']:.3f} s, build/JIT {med['build']:.2f} s, "
                  f"whole process {med['whole']:.2f} s, {med['spikes'] / n:.1f} Hz, "
                  f"{med['events_per_s'] / 1e6:.0f} M events/s (loop of each run: "
                  f"{', '.join(f'{x:.3f}' for x in med['loop_all'])} s; load {med['load_average']:.1f})")
    for n in args.sizes:
        base = results["runs"].get(f"engramsim-numba/N={n}")
        for sim in ("brian2", "nest", "engramsim-numpy"):
            other = results["runs"].get(f"{sim}/N={n}")
            if base and other:
                paired = [o / b for o, b in zip(other["loop_all"], base["loop_all"])]
                other["paired_loop_ratio"] = statistics.median(paired)
                print(f"N={n}: {sim} / engramsim-numba: loop x{other['loop'] / base['loop']:.2f} "
                      f"(median of paired runs x{other['paired_loop_ratio']:.2f}), "
                      f"whole process x{other['whole'] / base['whole']:.2f}")
    results["load_average_end"] = os.getloadavg()
    print(f"load average at the end: {results['load_average_end'][0]:.2f}")
    if args.out:
        with open(args.out, "w") as handle:
            json.dump(results, handle, indent=2)


if __name__ == "__main__":
    main()
