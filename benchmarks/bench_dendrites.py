"""Active-dendrite Monte Carlo: trials per second, numba kernels against the NumPy reference, in one process.

The three Monte-Carlo kernels behind the ``dendrite-*`` experiments
(``sdr_match_histogram``: false match; ``sdr_noise_histogram``: false
negative; ``sdr_union_histogram``: union false match) run on

* the NumPy reference (``engramsim.sim.kernels.sdr_numpy``): Floyd's
  sampling vectorised over a chunk of trials, bit-packed SDRs, popcounts, and
* the numba kernels (``engramsim.sim.kernels.sdr_numba``): the same random
  streams and draws, trials in parallel blocks (``NUMBA_NUM_THREADS``); the
  false-negative kernel uses a branch-free Floyd step and interleaves four
  trials per block.

Both sides run the same number of trials with the same seed, are called the
same number of times (``--calls``, default 3) and are summarised alike
(fastest and median call); the histograms of the timed calls are compared
bit for bit (the script stops if they differ).  Rates are trials per second
of wall-clock time.  The per-CPU-second column divides trials by the CPU
time the process used (all threads) in the fastest call, i.e. the speed-up
per core, which a busy machine disturbs less than the wall-clock ratio; on an
idle machine the wall-clock speed-up is about this times the number of
threads.

Usage::

    python benchmarks/bench_dendrites.py            # the full table (about a minute)
    python benchmarks/bench_dendrites.py --quick    # smaller runs
    python benchmarks/bench_dendrites.py --repeat 3 # each case 3 times, median speed-ups
    python benchmarks/bench_dendrites.py --only "false negative" --repeat 3
    python benchmarks/bench_dendrites.py --json out.json

With ``--repeat N`` every case is measured N times in the same process (both
backends each time) and the table shows the median speed-ups, followed by
the individual ones: on a shared machine the load changes between runs.
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np
from benchtools import describe, machine, timed

from engramsim.networks.dendrites import Segment, random_sdrs, sdr_kernel, subsample


def cases(quick: bool):
    """(estimate, parameters, kernel, arguments, trials): the trials are the same on both sides."""
    scale = 0.2 if quick else 1.0
    trials = lambda k: max(200, int(k * scale))
    segment = lambda n, a, s: Segment(n, subsample(random_sdrs(1, n, a, seed=0)[0], s, seed=0)).connected_mask()
    return [
        ("false match", "n=10000, a=300, s=24", "sdr_match_histogram",
         (segment(10000, 300, 24), 10000, 300), trials(40_000)),
        ("false match", "n=100000, a=2000, s=10", "sdr_match_histogram",
         (segment(100000, 2000, 10), 100000, 2000), trials(4_000)),
        ("false negative", "a=128, s=30, v=64", "sdr_noise_histogram", (128, 30, 64), trials(200_000)),
        ("union", "n=10000, a=200, s=25, M=10", "sdr_union_histogram", (10000, 200, 25, 10), trials(10_000)),
    ]


def bench(kernel_name, args, trials, calls):
    """Both kernels on the same trials and seed, ``calls`` times each; the timed answers must agree."""
    ref = sdr_kernel(kernel_name, "numpy")
    fast = sdr_kernel(kernel_name, "numba")
    fast(*args, 64, 1)  # compile (cached on disk after the first run)
    t_ref, out_ref = timed(lambda: ref(*args, trials, 1), calls)
    t_fast, out_fast = timed(lambda: fast(*args, trials, 1), calls)
    first = [o[0] if isinstance(o, tuple) else o for o in (out_ref, out_fast)]
    if not np.array_equal(*first) or first[0].sum() != trials:
        raise SystemExit(f"{kernel_name}: numba and NumPy histograms differ")
    if isinstance(out_ref, tuple) and out_ref[1] != out_fast[1]:
        raise SystemExit(f"{kernel_name}: numba and NumPy synapse totals differ")
    return {"trials": trials, "numpy": t_ref, "numba": t_fast,
            "numpy_trials_per_s": trials / t_ref["min_s"], "numba_trials_per_s": trials / t_fast["min_s"],
            "numpy_trials_per_cpu_s": trials / t_ref["cpu_s"], "numba_trials_per_cpu_s": trials / t_fast["cpu_s"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="measure every case this many times (median)")
    parser.add_argument("--calls", type=int, default=3, help="timed calls per side in each run (fastest kept)")
    parser.add_argument("--only", help="run only the cases of this estimate (e.g. 'false negative')")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    m = machine(args.quick)
    print("# Active-dendrite Monte Carlo, numba against the NumPy reference, same trials on both sides, "
          f"{args.calls} calls per side")
    print(describe(m))
    extra = " each run: wall / per CPU-second |" if args.repeat > 1 else ""
    print("\n| estimate | parameters | trials | NumPy reference (trials/s, fastest / median call) | "
          "numba (trials/s, fastest / median call) | speed-up (wall, fastest calls) | "
          "speed-up per CPU-second |" + extra)
    print("|---|---|---|---|---|---|---|" + ("---|" if extra else ""))
    rows = []
    for label, params, kernel_name, kernel_args, trials in cases(args.quick):
        if args.only and label != args.only:
            continue
        runs = [bench(kernel_name, kernel_args, trials, args.calls) for _ in range(max(1, args.repeat))]
        wall = [r["numba_trials_per_s"] / r["numpy_trials_per_s"] for r in runs]
        cpu = [r["numba_trials_per_cpu_s"] / r["numpy_trials_per_cpu_s"] for r in runs]
        r = {key: float(np.median([run[key] for run in runs])) for key in runs[0] if key.endswith("_s")}
        r.update(estimate=label, parameters=params, kernel=kernel_name, runs=runs,
                 speedup=float(np.median(wall)), speedup_per_cpu_s=float(np.median(cpu)),
                 speedups=wall, speedups_per_cpu_s=cpu)
        rows.append(r)
        each = f" {', '.join(f'{x:.1f}' for x in wall)} / {', '.join(f'{x:.1f}' for x in cpu)} |" if extra else ""
        median_rate = {side: float(np.median([trials / run[side]["median_s"] for run in runs]))
                       for side in ("numpy", "numba")}
        r.update(numpy_trials_per_s_median_call=median_rate["numpy"], numba_trials_per_s_median_call=median_rate["numba"])
        print(f"| {label} | {params} | {trials} | {r['numpy_trials_per_s']:.3g} / {median_rate['numpy']:.3g} | "
              f"{r['numba_trials_per_s']:.3g} / {median_rate['numba']:.3g} | "
              f"**{r['speedup']:.0f}x** | {r['speedup_per_cpu_s']:.0f}x |{each}", flush=True)
    print(f"load average after the run: {os.getloadavg()[0]:.2f}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"machine": m, "load_after": os.getloadavg()[0], "rows": rows}, handle, indent=2)


if __name__ == "__main__":
    main()
