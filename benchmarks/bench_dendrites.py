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

Both produce the same histogram bit for bit (checked here).  The NumPy
reference is timed on fewer trials than numba (it is slow); rates are trials
per second of wall-clock time.  The last column divides trials by the CPU
time the process used (all threads), i.e. the speed-up per core, which a
busy machine disturbs less than the wall-clock ratio; on an idle machine the
wall-clock speed-up is about this times the number of threads.

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
import platform
import time

import numpy as np

from engramsim.networks.dendrites import Segment, random_sdrs, sdr_kernel, subsample


def best_of(repeats, func):
    """Fastest of ``repeats`` calls: (wall seconds, CPU seconds of the process, result)."""
    best, out = None, None
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        out = func()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if best is None or wall < best[0]:
            best = (wall, cpu)
    return best[0], best[1], out


def cases(quick: bool):
    scale = 0.2 if quick else 1.0
    n_ref = lambda k: max(200, int(k * scale))
    segment = lambda n, a, s: Segment(n, subsample(random_sdrs(1, n, a, seed=0)[0], s, seed=0)).connected_mask()
    return [
        ("false match", "n=10000, a=300, s=24", "sdr_match_histogram",
         (segment(10000, 300, 24), 10000, 300), n_ref(20_000), n_ref(1_000_000)),
        ("false match", "n=100000, a=2000, s=10", "sdr_match_histogram",
         (segment(100000, 2000, 10), 100000, 2000), n_ref(2_000), n_ref(100_000)),
        ("false negative", "a=128, s=30, v=64", "sdr_noise_histogram",
         (128, 30, 64), n_ref(100_000), n_ref(4_000_000)),
        ("union", "n=10000, a=200, s=25, M=10", "sdr_union_histogram",
         (10000, 200, 25, 10), n_ref(5_000), n_ref(400_000)),
    ]


def bench(kernel_name, args, ref_trials, fast_trials, repeats=3):
    ref = sdr_kernel(kernel_name, "numpy")
    fast = sdr_kernel(kernel_name, "numba")
    fast(*args, 64, 1)  # compile (cached on disk after the first run)
    wall_ref, cpu_ref, out_ref = best_of(1, lambda: ref(*args, ref_trials, 1))
    out_fast = fast(*args, ref_trials, 1)
    same = np.array_equal(*(o[0] if isinstance(o, tuple) else o for o in (out_ref, out_fast)))
    assert same, f"{kernel_name}: numba and NumPy histograms differ"
    wall_fast, cpu_fast, _ = best_of(repeats, lambda: fast(*args, fast_trials, 1))
    return {"numpy_trials_per_s": ref_trials / wall_ref, "numba_trials_per_s": fast_trials / wall_fast,
            "numpy_trials_per_cpu_s": ref_trials / cpu_ref, "numba_trials_per_cpu_s": fast_trials / cpu_fast}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="measure every case this many times (median)")
    parser.add_argument("--only", help="run only the cases of this estimate (e.g. 'false negative')")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    import numba

    print(f"# Active-dendrite Monte Carlo on {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, numba {numba.__version__} with {numba.get_num_threads()} threads, "
          f"numpy {np.__version__}")
    print(f"load average before the run: {os.getloadavg()[0]:.2f}")
    extra = " each run: wall / per CPU-second |" if args.repeat > 1 else ""
    print("\n| estimate | parameters | NumPy reference (trials/s) | numba (trials/s) | speed-up (wall) | "
          "speed-up per CPU-second |" + extra)
    print("|---|---|---|---|---|---|" + ("---|" if extra else ""))
    rows = []
    for label, params, kernel_name, kernel_args, ref_trials, fast_trials in cases(args.quick):
        if args.only and label != args.only:
            continue
        runs = [bench(kernel_name, kernel_args, ref_trials, fast_trials) for _ in range(max(1, args.repeat))]
        wall = [r["numba_trials_per_s"] / r["numpy_trials_per_s"] for r in runs]
        cpu = [r["numba_trials_per_cpu_s"] / r["numpy_trials_per_cpu_s"] for r in runs]
        r = {key: float(np.median([run[key] for run in runs])) for key in runs[0]}
        r.update(estimate=label, parameters=params, kernel=kernel_name, runs=runs,
                 speedup=float(np.median(wall)), speedup_per_cpu_s=float(np.median(cpu)),
                 speedups=wall, speedups_per_cpu_s=cpu)
        rows.append(r)
        each = f" {', '.join(f'{x:.1f}' for x in wall)} / {', '.join(f'{x:.1f}' for x in cpu)} |" if extra else ""
        print(f"| {label} | {params} | {r['numpy_trials_per_s']:.3g} | {r['numba_trials_per_s']:.3g} | "
              f"**{r['speedup']:.0f}x** | {r['speedup_per_cpu_s']:.0f}x |{each}", flush=True)
    print(f"load average after the run: {os.getloadavg()[0]:.2f}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"threads": numba.get_num_threads(), "rows": rows}, handle, indent=2)


if __name__ == "__main__":
    main()
