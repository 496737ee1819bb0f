"""Hopfield recall: engramsim's numba backend against plain NumPy, in one process.

Synchronous batched recall (1000 cues, 10 % of the bits flipped, at most 50
steps, converged cues dropped) runs on

* the NumPy reference: ``S @ W`` in float32 BLAS each step, on the cues not
  yet converged (engramsim's ``numpy`` backend is exactly this), and
* the numba backend: one low-rank field evaluation ``(S Xi^T) Xi - P S``
  (BLAS), then the compiled kernel that updates the fields only for the units
  that flipped.

Asynchronous recall compares the numba kernel with the NumPy loop (one unit
at a time, fields updated after each flip), timed on fewer cues and reported
per cue.  Both backends give identical final states (checked here).

Usage::

    python benchmarks/bench_hopfield.py            # the full table (about a minute)
    python benchmarks/bench_hopfield.py --quick    # smaller sizes
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np

from engramsim.networks import Hopfield
from engramsim.networks.patterns import flip_bits, random_patterns


def best_of(repeats, func):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = func()
        times.append(time.perf_counter() - start)
    return min(times), out


def machine_peaks():
    """Measured sgemm throughput (GFLOP/s) and memory bandwidth (GB/s, read + write of a copy)."""
    a = np.random.default_rng(0).standard_normal((4096, 4096), dtype=np.float32)
    t, _ = best_of(3, lambda: a @ a)
    gflops = 2 * 4096**3 / t / 1e9
    big = np.ones(64 * 2**20, dtype=np.float64)  # 512 MB
    out = np.empty_like(big)
    t, _ = best_of(3, lambda: np.copyto(out, big))
    return gflops, 2 * big.nbytes / t / 1e9


def bench_sync(n, p, n_cues, repeats=3):
    xi = random_patterns(p, n, seed=0)
    cues = flip_bits(xi[np.arange(n_cues) % p], 0.1, seed=1)
    ref = Hopfield(n, dynamics="sync", max_steps=50, backend="numpy").store(xi)
    fast = Hopfield(n, dynamics="sync", max_steps=50, backend="numba").store(xi)
    fast.recall(cues[:2])  # compile (cached on disk after the first run)
    t_ref, r_ref = best_of(repeats, lambda: ref.recall(cues))
    t_fast, r_fast = best_of(repeats, lambda: fast.recall(cues))
    assert np.array_equal(r_ref.states, r_fast.states), "backends disagree"
    t_fields, _ = best_of(repeats, lambda: fast._initial_fields(cues))
    # work done by the reference: one B x N x N product per active cue and step
    flops_ref = 2.0 * n * n * r_ref.steps.sum()
    flips = int((r_fast.states != cues).sum())
    return {
        "n_neurons": n, "n_patterns": p, "n_cues": n_cues,
        "numpy_s": t_ref, "numba_s": t_fast, "speedup": t_ref / t_fast,
        "numba_fields_s": t_fields, "numba_kernel_s": t_fast - t_fields,
        "mean_steps": float(r_ref.steps.mean()),
        "numpy_gflops": flops_ref / t_ref / 1e9,
        "fields_gflops": 4.0 * n * p * n_cues / t_fields / 1e9,
        "flips": flips,
    }


def bench_async(n, p, n_cues, n_ref_cues, repeats=3):
    xi = random_patterns(p, n, seed=0)
    cues = flip_bits(xi[np.arange(n_cues) % p], 0.1, seed=1)
    ref = Hopfield(n, dynamics="async", max_steps=50, backend="numpy").store(xi)
    fast = Hopfield(n, dynamics="async", max_steps=50, backend="numba").store(xi)
    fast.recall(cues[:2], seed=0)
    t_ref, r_ref = best_of(1, lambda: ref.recall(cues[:n_ref_cues], seed=3))
    t_fast, r_fast = best_of(repeats, lambda: fast.recall(cues, seed=3))
    assert np.array_equal(r_ref.states, r_fast.states[:n_ref_cues]), "backends disagree"
    per_ref, per_fast = t_ref / n_ref_cues, t_fast / n_cues
    return {
        "n_neurons": n, "n_patterns": p, "n_cues": n_cues, "numpy_cues": n_ref_cues,
        "numpy_s_per_cue": per_ref, "numba_s_per_cue": per_fast, "speedup": per_ref / per_fast,
        "mean_sweeps": float(r_fast.steps.mean()),
        "unit_updates_per_s": float(r_fast.steps.sum()) * n / t_fast,
        "row_bytes_per_s": float((r_fast.states != cues).sum()) * n * 4 / t_fast,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    sizes = [(1000, 100), (4096, 410)] if not args.quick else [(500, 50), (1000, 100)]
    gflops, bandwidth = machine_peaks()
    n_cues = 1000 if not args.quick else 200
    print(f"# Hopfield recall on {platform.processor() or platform.machine()}, numpy {np.__version__}")
    print(f"machine: sgemm {gflops:.0f} GFLOP/s (4096^3), copy bandwidth {bandwidth:.1f} GB/s")
    sync = [bench_sync(n, p, n_cues) for n, p in sizes]
    print("\n| sync recall | NumPy float32 BLAS | numba | speed-up | numba: fields / rest | NumPy GFLOP/s | "
          "low-rank fields GFLOP/s |")
    print("|---|---|---|---|---|---|---|")
    for r in sync:
        print(f"| N={r['n_neurons']}, P={r['n_patterns']}, {r['n_cues']} cues | {r['numpy_s']:.3f} s | "
              f"{r['numba_s']:.3f} s | **{r['speedup']:.1f}x** | {r['numba_fields_s']:.3f} s / "
              f"{r['numba_kernel_s']:.3f} s | {r['numpy_gflops']:.0f} | {r['fields_gflops']:.0f} |")
    asyn = [bench_async(n, p, n_cues, 10 if n > 2000 else 20) for n, p in sizes]
    print("\n| async recall | NumPy loop (per cue) | numba (per cue) | speed-up | unit updates/s (numba) | W-row traffic |")
    print("|---|---|---|---|---|---|")
    for r in asyn:
        print(f"| N={r['n_neurons']}, P={r['n_patterns']} | {r['numpy_s_per_cue'] * 1e3:.1f} ms | "
              f"{r['numba_s_per_cue'] * 1e3:.3f} ms | **{r['speedup']:.0f}x** | {r['unit_updates_per_s']:.2e} | "
              f"{r['row_bytes_per_s'] / 1e9:.1f} GB/s |")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"sgemm_gflops": gflops, "bandwidth_gbs": bandwidth, "sync": sync, "async": asyn},
                      handle, indent=2)


if __name__ == "__main__":
    main()
