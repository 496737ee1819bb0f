"""Izhikevich 2003 network, 1000 ms: engramsim (numba, numpy) against Brian2 cpp_standalone and NEST 3.10.

Configurations: N = 1000 all-to-all (10^6 synapses) and N = 10000 with
connection probability 0.1 (10^7 synapses), 1 ms steps, the published
half-step scheme, thalamic noise 5 / 2 (excitatory / inhibitory).

**The same network on every side.**  The parent process builds the
engramsim network once and writes what defines it to a file: every cell's
a, b, c, d and initial u, every synapse (pre, post, signed weight; the
weights are float32 numbers, held as float64 everywhere) and the thalamic
noise of every cell and step (the values the engramsim kernels generate).
Brian2 reads all of it (the noise through a TimedArray) and engramsim reads
the same noise array (an ``ArrayCurrentSource``), so both runs are the same
computation with the same memory traffic; NEST reads the cells and synapses and draws its own noise
with a ``noise_generator`` of the same standard deviations (feeding 10^6 to
10^7 noise values through current generators would make NEST's build
measure the feeding), so only statistics compare there.  Every side has a
1 ms delay: engramsim and NEST through a one-step synaptic delay, Brian2 by
adding the spikes of a step to the current integrated at its end, which is
the same order of operations as the published program.

``--noise generated`` instead lets each simulator draw its own noise
(engramsim in its kernel, Brian2 with ``randn``): the cost of generating the
noise is then part of each loop, and only statistics compare.

**Answers are checked in the benchmark.**  For each simulator: the number
of spikes relative to engramsim-numba (must be within 5 %), and for Brian2
and engramsim-numpy the fraction of engramsim-numba's spikes reproduced at
the same (step, cell) (Brian2 sums the synaptic input of a step in another
order, so last-bit differences eventually move a spike and the chaotic
network diverges; the fraction of identical spikes over the first 100 ms is
reported).

Every simulator runs in a fresh process, so that the whole-process time
(interpreter start, imports, build, compilation or JIT, simulation) is
measured; inside it the script times the simulation loop alone and the
build.  Synaptic events per second = spikes x out-degree / loop time.  The
memory bandwidth of the machine (a large NumPy copy) is recorded.  Min and
median of ``--repeats`` runs; the repeats are the outer loop (every
simulator once, then again), so that a shared machine's changing background
load falls on all simulators alike, and the paired ratios of the loop times
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


def network_file(n: int, p: float, directory: str) -> str:
    """Build the engramsim network once and write what defines it (cells, synapses, noise) to an .npz file."""
    import numpy as np

    from engramsim.networks.izhikevich import izhikevich_2003

    model = izhikevich_2003(n, p, seed=0, backend="numpy")
    net = model.network
    net.build()
    pars = {k: np.concatenate([pop.celltype.per_neuron(k, pop.size) for pop in (model.exc, model.inh)])
            for k in ("a", "b", "c", "d")}
    u0 = np.concatenate([pop.initial("u") for pop in (model.exc, model.inh)])
    pre, post, w = [], [], []
    for proj in net.projections:
        sign = -1.0 if proj.receptor_type == "inhibitory" else 1.0
        pre.append(proj.pre_index + proj.pre.first_index)
        post.append(proj.post_index + proj.post.first_index)
        w.append(sign * proj.get_weights("list"))
    noise = net.engine.noise_currents(0, int(DURATION))
    path = os.path.join(directory, f"izhikevich_{n}.npz")
    np.savez(path, u0=u0, pre=np.concatenate(pre).astype(np.int32), post=np.concatenate(post).astype(np.int32),
             w=np.concatenate(w), noise=noise, n_exc=model.exc.size, **pars)
    return path


def _save_spikes(path: str, t, i) -> None:
    import numpy as np

    np.savez(path, t=np.asarray(t, dtype=np.float64), i=np.asarray(i, dtype=np.int64))


def run_engramsim(n: int, p: float, backend: str, data: str, spikes_out: str) -> dict:
    t0 = time.perf_counter()
    import numpy as np

    from engramsim.networks.izhikevich import izhikevich_2003

    if os.environ.get("BENCH_NOISE", "array") == "array":
        # the thalamic noise read from the same array as Brian2 reads it (the values engramsim's generator made)
        model = izhikevich_2003(n, p, seed=0, backend=backend, noise=np.load(data)["noise"])
    else:  # each simulator draws its own noise: engramsim's in-kernel counter-based generator
        model = izhikevich_2003(n, p, seed=0, backend=backend)
    model.network.build()
    # compile (or load the numba cache) with a zero-length block, outside the timed loop
    model.network.run(0.0)
    t_build = time.perf_counter() - t0
    t1 = time.perf_counter()
    model.run(DURATION)
    t_loop = time.perf_counter() - t1
    t, i = model.spikes()
    _save_spikes(spikes_out, t, i)
    syn_out = sum(pr.n_connections for pr in model.network.projections) / n
    return {"loop": t_loop, "build": t_build, "spikes": int(t.size), "events": float(t.size * syn_out)}


def run_brian2(n: int, p: float, data: str, spikes_out: str) -> dict:
    t0 = time.perf_counter()
    import brian2 as b2
    import numpy as np

    f = np.load(data)
    directory = tempfile.mkdtemp(prefix="brian2_izh_")
    b2.set_device("cpp_standalone", directory=directory, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0
    b2.defaultclock.dt = 1 * b2.ms
    model = "v : 1\nu : 1\nI : 1\na : 1\nb : 1\nc : 1\nd : 1\nsigma : 1"
    g = b2.NeuronGroup(n, model, threshold="v >= 30", reset="v = c; u = u + d", method="euler")
    if os.environ.get("BENCH_NOISE", "array") == "array":
        thalamic = b2.TimedArray(f["noise"], dt=1 * b2.ms)  # noqa: F841 (used by name in the code string)
        g.run_regularly("I = thalamic(t, i)", when="start")
    else:  # Brian2's own normal deviates, 5 (excitatory) and 2 (inhibitory) as in the published program
        g.sigma = np.where(np.arange(n) < int(f["n_exc"]), 5.0, 2.0)
        g.run_regularly("I = sigma * randn()", when="start")
    g.run_regularly("v = v + 0.5 * (0.04 * v**2 + 5 * v + 140 - u + I)\n"
                    "v = v + 0.5 * (0.04 * v**2 + 5 * v + 140 - u + I)\n"
                    "u = u + a * (b * v - u)", when="end")
    g.v = -65
    g.a, g.b, g.c, g.d, g.u = f["a"], f["b"], f["c"], f["d"], f["u0"]
    s = b2.Synapses(g, g, "w : 1", on_pre="I_post += w")
    s.connect(i=f["pre"], j=f["post"])
    s.w = f["w"]
    mon = b2.SpikeMonitor(g)
    b2.run(DURATION * b2.ms)
    b2.device.build(directory=directory, compile=True, run=True, debug=False)
    total = time.perf_counter() - t0
    loop = float(b2.device._last_run_time)
    # Brian2 stamps the threshold crossing found at the start of the next step: one step after engramsim
    _save_spikes(spikes_out, np.asarray(mon.t / b2.ms) - 1.0, np.asarray(mon.i))
    spikes = int(mon.num_spikes)
    return {"loop": loop, "build": total - loop, "spikes": spikes, "events": float(spikes * f["w"].size / n)}


def run_nest(n: int, p: float, data: str, spikes_out: str) -> dict:
    t0 = time.perf_counter()
    import nest
    import numpy as np

    f = np.load(data)
    n_exc = int(f["n_exc"])
    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.resolution = 1.0
    nest.local_num_threads = 2
    nest.rng_seed = 1
    cells = nest.Create("izhikevich", n, params={"a": f["a"].tolist(), "b": f["b"].tolist(), "c": f["c"].tolist(),
                                                 "d": f["d"].tolist(), "V_m": -65.0, "U_m": f["u0"].tolist(),
                                                 "consistent_integration": False})
    noise_e = nest.Create("noise_generator", params={"mean": 0.0, "std": 5.0, "dt": 1.0})
    noise_i = nest.Create("noise_generator", params={"mean": 0.0, "std": 2.0, "dt": 1.0})
    nest.Connect(noise_e, cells[:n_exc])
    nest.Connect(noise_i, cells[n_exc:])
    first = cells[0].global_id
    nest.Connect(f["pre"] + first, f["post"] + first, "one_to_one",
                 {"synapse_model": "static_synapse", "delay": np.ones(f["w"].size), "weight": f["w"]})
    rec = nest.Create("spike_recorder")
    nest.Connect(cells, rec)
    nest.Prepare()
    t_build = time.perf_counter() - t0
    t1 = time.perf_counter()
    nest.Run(DURATION)
    loop = time.perf_counter() - t1
    nest.Cleanup()
    ev = rec.get("events")
    _save_spikes(spikes_out, np.asarray(ev["times"]) - 1.0, np.asarray(ev["senders"]) - first)
    spikes = int(rec.n_events)
    syn_out = nest.num_connections / n
    return {"loop": loop, "build": t_build, "spikes": spikes, "events": float(spikes * syn_out)}


def compare(reference: str, other: str, window: float = 100.0) -> dict:
    """Spike count ratio, and the fraction of the reference's spikes of the first ``window`` ms found in ``other``."""
    import numpy as np

    a, b = np.load(reference), np.load(other)
    key = lambda f, m: set(zip(np.rint(f["t"][m]).astype(int).tolist(), f["i"][m].tolist()))  # noqa: E731
    early_a = key(a, a["t"] < window)
    early_b = key(b, b["t"] < window)
    return {"count_ratio": float(b["t"].size / max(a["t"].size, 1)),
            "same_early": float(len(early_a & early_b) / max(len(early_a), 1))}


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


def single(which: str, n: int, data: str, spikes_out: str) -> None:
    """Run one configuration in this process and print its timings as JSON."""
    p = CONFIGS[n]
    if which.startswith("engramsim"):
        out = run_engramsim(n, p, which.split("-")[1], data, spikes_out)
    elif which == "brian2":
        out = run_brian2(n, p, data, spikes_out)
    else:
        out = run_nest(n, p, data, spikes_out)
    print("RESULT " + json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(CONFIGS))
    parser.add_argument("--simulators", nargs="+", default=["engramsim-numba", "engramsim-numpy", "brian2", "nest"],
                        choices=["engramsim-numba", "engramsim-numpy", "brian2", "nest"])
    parser.add_argument("--out", default=None)
    parser.add_argument("--noise", choices=("array", "generated"), default="array",
                        help="array: every simulator reads the same noise array (like for like, default); "
                             "generated: each draws its own (engramsim in its kernel, Brian2 randn, NEST its "
                             "generator), statistics compared")
    parser.add_argument("--single", nargs=4, metavar=("SIMULATOR", "N", "DATA", "SPIKES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.single:
        single(args.single[0], int(args.single[1]), args.single[2], args.single[3])
        return
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1, got {args.repeats}")
    bad = [n for n in args.sizes if n not in CONFIGS]
    if bad:
        parser.error(f"--sizes must be among {sorted(CONFIGS)}, got {bad}")
    workdir = tempfile.mkdtemp(prefix="bench_izh_")
    load_start = os.getloadavg()
    bw = memory_bandwidth()
    print(f"memory bandwidth (copy): {bw / 1e9:.1f} GB/s; load average {load_start[0]:.2f} "
          f"on {os.cpu_count()} cores")
    results = {"bandwidth_bytes_per_s": bw, "load_average_start": load_start, "cpu_count": os.cpu_count(),
               "runs": {}}
    env = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1", BENCH_NOISE=args.noise)
    results["noise"] = args.noise
    for n in args.sizes:
        data = network_file(n, CONFIGS[n], workdir)
        # repeats outermost: on a shared machine every simulator sees the same spread of background load
        rows: dict[str, list[dict]] = {sim: [] for sim in args.simulators}
        failed: set[str] = set()
        for _ in range(args.repeats):
            for sim in args.simulators:
                if sim in failed:
                    continue
                t = time.perf_counter()
                spikes_out = os.path.join(workdir, f"{sim}_{n}.npz")
                proc = subprocess.run([sys.executable, __file__, "--single", sim, str(n), data, spikes_out],
                                      capture_output=True, text=True, env=env)
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
            med["loop_min"] = min(r["loop"] for r in rows[sim])
            med["whole_min"] = min(r["whole"] for r in rows[sim])
            med["events_per_s"] = med["events"] / med["loop"]
            med["loop_all"] = [r["loop"] for r in rows[sim]]
            med["load_average_all"] = [r["load_average"] for r in rows[sim]]
            results["runs"][f"{sim}/N={n}"] = med
            print(f"N={n:>6} {sim:>16}: loop {med['loop']:.3f} s (min {med['loop_min']:.3f}), "
                  f"build/JIT {med['build']:.2f} s, whole process {med['whole']:.2f} s (min {med['whole_min']:.2f}), "
                  f"{med['spikes'] / n:.1f} Hz, "
                  f"{med['events_per_s'] / 1e6:.0f} M events/s (loop of each run: "
                  f"{', '.join(f'{x:.3f}' for x in med['loop_all'])} s; load {med['load_average']:.1f})")
        reference = os.path.join(workdir, f"engramsim-numba_{n}.npz")
        for sim in args.simulators:
            mine = os.path.join(workdir, f"{sim}_{n}.npz")
            if sim == "engramsim-numba" or not rows[sim] or not os.path.exists(reference):
                continue
            check = compare(reference, mine)
            results["runs"][f"{sim}/N={n}"]["check"] = check
            ok = abs(check["count_ratio"] - 1.0) <= 0.05
            print(f"N={n:>6} {sim:>16}: spikes x{check['count_ratio']:.3f} of engramsim-numba's "
                  f"({'ok' if ok else 'OUTSIDE 5 %'}); same (step, cell) as engramsim-numba in the first 100 ms: "
                  f"{100 * check['same_early']:.1f} %")
            if not ok:
                results.setdefault("failed_checks", []).append(f"{sim}/N={n}")
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
    if results.get("failed_checks"):
        sys.exit(f"answers differ beyond the stated tolerance: {results['failed_checks']}")


if __name__ == "__main__":
    main()
