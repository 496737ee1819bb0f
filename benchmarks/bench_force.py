"""FORCE on the 5 Hz sine (Nicola & Clopath 2017): engramsim (Numba, NumPy) against Brian2, and the reservoir task.

The model is ``IZFORCESINE.m``: N Izhikevich (2007) cells (C = 250 pF,
k = 2.5, v_r = -60 mV, v_t = v_r + 40 - b/k, b = -2 nS, a = 0.01/ms,
d = 200 pA, v_peak = 30 mV, v_reset = -65 mV, bias 1000 pA), static weights
G N(0, 1) Bernoulli(p) / (p sqrt(N)) (G = 5000 pA, p = 0.1), feedback
encoders Q U(-1, 1) (Q = 5000 pA), double-exponential synapses (2 ms, 20 ms)
that also filter the spike trains into the readout features, forward Euler
at dt = 0.04 ms, RLS every 20 steps with P0 = 2 I.  Simulated time
``--duration`` (default 1.5 s: RLS from duration/3 to 2 duration/3).

The Brian2 side is written here from the published model (not Brian2's
example): a NeuronGroup with the 2007 equations (explicit Euler, so ``u``
sees the previous ``v`` as in the reference), the filters as linear ODEs
(Euler), a sparse Synapses object whose on-pre adds ``w / (tau_r tau_d)``
to the rise stage of the synaptic current, and a ``network_operation``
every step that computes the readout ``z = phi^T r``, feeds ``E z`` back and
runs RLS every 20 steps in the reference's order.  It runs with Brian2's
runtime code generation (``--brian2-target``, default ``cython``);
``cpp_standalone`` cannot run the per-step Python operation that FORCE
needs.  Differences from the reference (and so from engramsim) that do not
change the cost: Brian2 integrates the filters by Euler on the ODEs rather
than the reference's exponential decays, and a spike reaches the synaptic
current at the next step.  Each run reports the RMS error after RLS so
that both are seen to learn.

Each simulator runs in a fresh process; build (construction plus
compilation/JIT, excluding interpreter start) and loop times are separate.
The reservoir template's trial rate (trials of ``--trial-ms`` at
dt = 0.1 ms, N = ``--reservoir-n``, three-factor learning on) is measured in
the engramsim process.

    python benchmarks/bench_force.py [--n 2000] [--duration 1500] [--repeats 1] [--out results.json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time

DT = 0.04
RLS_EVERY = 20


def run_engramsim(n: int, duration: float, backend: str, reservoir_n: int, trial_ms: float) -> dict:
    t0 = time.perf_counter()
    import numpy as np

    from engramsim.networks.force import ForceNetwork

    net = ForceNetwork(n, dt=DT, seed=0, backend=backend)
    warm = ForceNetwork(8, dt=DT, seed=0, backend=backend)  # compile (or load the cache) outside the timed loop
    warm.run(1.0, rls_start=0.0)
    t_build = time.perf_counter() - t0
    t1 = time.perf_counter()
    run = net.run(duration, rls_start=duration / 3, rls_stop=2 * duration / 3)
    t_loop = time.perf_counter() - t1
    after = run.time >= 2 * duration / 3
    out = {"build": t_build, "loop": t_loop, "rms_after": float(np.sqrt(np.mean(run.error[after] ** 2))),
           "rate_hz": float(run.spike_counts.sum() / n / (duration / 1000))}
    if reservoir_n:
        from engramsim.networks.reservoir import Reservoir
        from engramsim.networks.reservoir_task import Block, make_trials

        res = Reservoir(reservoir_n, trial_length=trial_ms, seed=0, backend=backend)
        trials = make_trials([Block((0.7, 0.3), (trial_ms * 0.3, trial_ms * 0.6), 12)], seed=0)
        res.train(trials[:2])  # calibration and compilation
        t2 = time.perf_counter()
        res.train(trials[2:])
        out["reservoir_trials_per_s"] = 10 / (time.perf_counter() - t2)
    return out


def run_brian2(n: int, duration: float, target: str) -> dict:
    t0 = time.perf_counter()
    import brian2 as b2
    import numpy as np

    b2.prefs.codegen.target = target
    b2.defaultclock.dt = DT * b2.ms
    rng = np.random.default_rng(0)
    tr, td = 2.0, 20.0
    params = dict(C=250.0, k=2.5, vr=-60.0, b=-2.0, a=0.01, d=200.0, vpeak=30.0, vreset=-65.0, bias=1000.0,
                  tr=tr, td=td)
    params["vt"] = params["vr"] + 40.0 - params["b"] / params["k"]
    eqs = """
    dv/dt = (k*(v - vr)*(v - vt) - u + ipsc + ifb + bias) / C / ms : 1
    du/dt = a*(b*(v - vr) - u) / ms : 1
    dipsc/dt = (-ipsc/tr + h) / ms : 1
    dh/dt = -h/td / ms : 1
    dr/dt = (-r/tr + hr) / ms : 1
    dhr/dt = -hr/td / ms : 1
    ifb : 1
    """
    group = b2.NeuronGroup(n, eqs, threshold="v >= vpeak", reset="v = vreset; u += d; hr += 1/(tr*td)",
                           method="euler", namespace=params)
    group.v = params["vr"] + (params["vpeak"] - params["vr"]) * rng.random(n)
    p = 0.1
    mask = rng.random((n, n)) < p  # [post, pre]
    post, pre = np.nonzero(mask)
    syn = b2.Synapses(group, group, "w : 1", on_pre="h_post += w/(tr*td)", namespace=params)
    syn.connect(i=pre, j=post)
    syn.w = 5000.0 * rng.standard_normal(pre.size) / (p * math.sqrt(n))
    enc = 5000.0 * (2 * rng.random(n) - 1)
    phi = np.zeros(n)
    pinv = 2.0 * np.eye(n)
    steps = int(round(duration / DT))
    lo, hi = round(duration / 3 / DT), round(2 * duration / 3 / DT)
    zs, targets = np.zeros(steps), np.zeros(steps)
    counter = [0]

    @b2.network_operation(when="end")
    def force():
        nonlocal phi, pinv
        i = counter[0]
        r = np.asarray(group.r_[:])
        z = phi @ r
        x = math.sin(2 * math.pi * 5 * (i + 1) * DT / 1000)
        if (i + 1) % RLS_EVERY == 1 and lo < i + 1 < hi:
            c = pinv @ r
            phi = phi - c * (z - x)
            pinv -= np.outer(c, c) / (1 + r @ c)
        group.ifb_[:] = enc * z
        zs[i], targets[i] = z, x
        counter[0] += 1

    spikes = b2.SpikeMonitor(group, record=False)
    net = b2.Network(group, syn, force, spikes)
    net.run(2 * DT * b2.ms)  # code generation and compilation outside the timed loop
    counter[0] = 0
    t_build = time.perf_counter() - t0
    t1 = time.perf_counter()
    net.run(duration * b2.ms)
    t_loop = time.perf_counter() - t1
    after = slice(hi, steps)
    return {"build": t_build, "loop": t_loop,
            "rms_after": float(np.sqrt(np.mean((zs[after] - targets[after]) ** 2))),
            "rate_hz": float(spikes.num_spikes / n / (duration / 1000))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--duration", type=float, default=1500.0, help="simulated ms")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--simulators", nargs="+", default=["engramsim-numba", "brian2"],
                        choices=["engramsim-numba", "engramsim-numpy", "brian2"])
    parser.add_argument("--brian2-target", default="cython", choices=["cython", "numpy"])
    parser.add_argument("--reservoir-n", type=int, default=1000)
    parser.add_argument("--trial-ms", type=float, default=500.0)
    parser.add_argument("--out", default=None)
    parser.add_argument("--single", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.single:
        if args.single.startswith("engramsim"):
            out = run_engramsim(args.n, args.duration, args.single.split("-")[1],
                                args.reservoir_n if args.single == "engramsim-numba" else 0, args.trial_ms)
        else:
            out = run_brian2(args.n, args.duration, args.brian2_target)
        print("RESULT " + json.dumps(out))
        return
    env = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    results = {"n": args.n, "duration_ms": args.duration, "dt_ms": DT, "load_average_start": os.getloadavg(),
               "cpu_count": os.cpu_count(), "runs": {}}
    print(f"FORCE sine, N = {args.n}, {args.duration:.0f} ms simulated at dt = {DT} ms; load average "
          f"{results['load_average_start'][0]:.2f} on {os.cpu_count()} cores")
    for _ in range(args.repeats):
        for sim in args.simulators:
            cmd = [sys.executable, __file__, "--single", sim, "--n", str(args.n), "--duration", str(args.duration),
                   "--brian2-target", args.brian2_target, "--reservoir-n", str(args.reservoir_n),
                   "--trial-ms", str(args.trial_ms)]
            t = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
            line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
            if proc.returncode != 0 or not line:
                print(f"{sim} failed:\n{proc.stderr[-2000:]}")
                continue
            row = json.loads(line[0][7:])
            row["whole"] = time.perf_counter() - t
            row["load_average"] = os.getloadavg()[0]
            row["simulated_s_per_wall_s"] = args.duration / 1000 / row["loop"]
            results["runs"].setdefault(sim, []).append(row)
            extra = (f", reservoir {row['reservoir_trials_per_s']:.2f} trials/s (N = {args.reservoir_n}, "
                     f"{args.trial_ms:.0f} ms trials)") if "reservoir_trials_per_s" in row else ""
            print(f"{sim:>16}: loop {row['loop']:.2f} s ({row['simulated_s_per_wall_s']:.3f} simulated s per "
                  f"wall s), build {row['build']:.1f} s, whole {row['whole']:.1f} s, {row['rate_hz']:.1f} Hz, "
                  f"RMS error after RLS {row['rms_after']:.3f}{extra}; load {row['load_average']:.1f}")
    base = results["runs"].get("engramsim-numba")
    for sim, rows in results["runs"].items():
        if base and sim != "engramsim-numba":
            ratio = sorted(r["loop"] / b["loop"] for r, b in zip(rows, base))[len(rows) // 2]
            print(f"{sim} / engramsim-numba loop time: x{ratio:.2f}")
    if args.out:
        with open(args.out, "w") as handle:
            json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()
