"""Hopfield recall: engramsim's numba kernels against the NumPy reference kernels, timed alike, in one process.

Both sides get the same couplings (the model's float32 Hebbian counts), the same cues (stored patterns with
10 % of the bits flipped) and the same step budget, and each side does only the work its kernel needs:

* synchronous recall: the NumPy reference ``sign_sync`` (``S @ W`` in float32 BLAS every step, on the
  cues not yet converged; it is given no precomputed fields, which it would ignore) against the numba
  ``sign_sync`` including the initial low-rank fields ``(S Xi^T) Xi - P S`` it needs;
* asynchronous recall: the NumPy loop against the compiled sweeps, on the same cues and seeds.

Each side is called ``--repeat`` times (default 5) and reported as fastest and median; the final states,
steps and statuses of the timed calls are compared (the script stops if they differ).  The numba
synchronous call is then taken apart: initial fields (BLAS), the bulk sign update of step 1
(``_bulk_sign``), the fields recomputed after step 1 (BLAS) and the compiled loop of the later steps, each
timed the same way and set against the machine's measured sgemm rate and copy bandwidth.

Usage::

    python benchmarks/bench_hopfield.py              # N = 1000 and 4096 (a few minutes on 2 cores)
    python benchmarks/bench_hopfield.py --quick      # N = 500 and 1000
    python benchmarks/bench_hopfield.py --json FILE  # also save every timing
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np
from benchtools import describe, machine, timed

from engramsim.networks import Hopfield
from engramsim.networks.patterns import flip_bits, random_patterns
from engramsim.sim import get_backend
from engramsim.sim.kernels import NOT_CONVERGED, binary_numba

REF, FAST = get_backend("numpy"), get_backend("numba")


def _same(a, b, what):
    for x, y, name in zip(a, b, ("states", "steps", "status")):
        if not np.array_equal(x, y):
            raise SystemExit(f"{what}: NumPy and numba {name} differ")


def bench_sync(n, p, n_cues, repeats):
    xi = random_patterns(p, n, seed=0)
    cues = flip_bits(xi[np.arange(n_cues) % p], 0.1, seed=1)
    mem = Hopfield(n, dynamics="sync", max_steps=50, backend="numba").store(xi)
    coupling, _ = mem._kernel_coupling()
    ref_kernel, fast_kernel = REF.kernel("sign_sync"), FAST.kernel("sign_sync")

    def run_ref():
        return ref_kernel(coupling, cues.copy(), 50)

    def run_fast():
        s = cues.copy()
        return fast_kernel(coupling, s, 50, mem._initial_fields(s), mem._initial_fields)

    run_fast()  # compile (cached on disk after the first run)
    t_ref, out_ref = timed(run_ref, repeats)
    t_fast, out_fast = timed(run_fast, repeats)
    _same(out_ref, out_fast, f"sync N={n}")

    # the numba call taken apart, on the same cues
    states = cues.copy()
    fields0 = mem._initial_fields(states)
    t_fields, _ = timed(lambda: mem._initial_fields(states), repeats)
    status = np.full(n_cues, NOT_CONVERGED, dtype=np.int8)

    def bulk():
        s = cues.copy()
        binary_numba._bulk_sign(fields0, s, status.copy())
        return s

    t_bulk, after_one = timed(bulk, repeats)
    t_copy, _ = timed(lambda: cues.copy(), repeats)
    t_refields, fields1 = timed(lambda: np.ascontiguousarray(mem._initial_fields(after_one), dtype=coupling.dtype),
                                repeats)
    status1 = np.where(np.all(after_one == cues, axis=1), 0, NOT_CONVERGED).astype(np.int8)

    def loop():
        s, h, st = after_one.copy(), fields1.copy(), status1.copy()
        steps = np.ones(n_cues, dtype=np.int64)
        binary_numba._sync_loop(coupling, s, h, cues.copy(), 1, 50, steps, st)
        return s

    t_loop, final = timed(loop, repeats)
    if not np.array_equal(final, out_ref[0]):
        raise SystemExit(f"sync N={n}: the pieces do not add up to the kernel's answer")
    flips_first = int((after_one != cues).sum())
    flips_later = int((final != after_one).sum())  # at least this many row updates in the loop
    bytes_bulk = n_cues * n * (fields0.dtype.itemsize + 2)  # read fields, read + write states
    return {
        "n_neurons": n, "n_patterns": p, "n_cues": n_cues, "repeats": repeats,
        "numpy": t_ref, "numba": t_fast,
        "speedup_min": t_ref["min_s"] / t_fast["min_s"], "speedup_median": t_ref["median_s"] / t_fast["median_s"],
        "mean_steps": float(out_ref[1].mean()),
        "numpy_gflops": 2.0 * n * n * float(out_ref[1].sum()) / t_ref["min_s"] / 1e9,
        "fields": t_fields, "bulk_sign": t_bulk, "copy_cues": t_copy, "refields": t_refields, "loop": t_loop,
        "fields_gflops": 4.0 * n * p * n_cues / t_fields["min_s"] / 1e9,
        "bulk_sign_gbs": bytes_bulk / max(t_bulk["min_s"] - t_copy["min_s"], 1e-9) / 1e9,
        "flips_step1": flips_first, "flips_later_min": flips_later,
        "loop_row_gbs": flips_later * n * coupling.dtype.itemsize / t_loop["min_s"] / 1e9,
    }


def bench_async(n, p, n_cues, repeats):
    xi = random_patterns(p, n, seed=0)
    cues = flip_bits(xi[np.arange(n_cues) % p], 0.1, seed=1)
    mem = Hopfield(n, backend="numba").store(xi)
    coupling, _ = mem._kernel_coupling()
    seeds = np.arange(n_cues, dtype=np.uint64) * np.uint64(7919) + np.uint64(3)
    ref_kernel, fast_kernel = REF.kernel("sign_async"), FAST.kernel("sign_async")
    fast_kernel(coupling, cues[:2].copy(), 50, seeds[:2])  # compile
    t_ref, out_ref = timed(lambda: ref_kernel(coupling, cues.copy(), 50, seeds), repeats)
    t_fast, out_fast = timed(lambda: fast_kernel(coupling, cues.copy(), 50, seeds), repeats)
    _same(out_ref, out_fast, f"async N={n}")
    return {
        "n_neurons": n, "n_patterns": p, "n_cues": n_cues, "repeats": repeats, "numpy": t_ref, "numba": t_fast,
        "speedup_min": t_ref["min_s"] / t_fast["min_s"], "speedup_median": t_ref["median_s"] / t_fast["median_s"],
        "mean_sweeps": float(out_ref[1].mean()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=5, help="calls per side (fastest and median reported)")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    sizes = [(500, 50), (1000, 100)] if args.quick else [(1000, 100), (4096, 410)]
    n_cues = 200 if args.quick else 1000
    before = machine(args.quick)
    print(f"# Hopfield recall, numba against the NumPy reference ({args.repeat} calls per side)")
    print(describe(before))
    sync = [bench_sync(n, p, n_cues, args.repeat) for n, p in sizes]
    print("\n| sync recall | NumPy (min / median) | numba (min / median) | speed-up (min / median) | mean steps |"
          " NumPy GFLOP/s |")
    print("|---|---|---|---|---|---|")
    for r in sync:
        print(f"| N={r['n_neurons']}, P={r['n_patterns']}, {r['n_cues']} cues | {r['numpy']['min_s']:.4f} / "
              f"{r['numpy']['median_s']:.4f} s | {r['numba']['min_s']:.4f} / {r['numba']['median_s']:.4f} s | "
              f"**{r['speedup_min']:.1f}x** / {r['speedup_median']:.1f}x | {r['mean_steps']:.2f} | "
              f"{r['numpy_gflops']:.0f} |")
    print("\n| numba sync, taken apart (fastest call: wall / process CPU) | initial fields (BLAS) | "
          "step 1 `_bulk_sign` | fields after step 1 (BLAS) | later steps (loop) | whole call | "
          "flips: step 1 / later |")
    print("|---|---|---|---|---|---|---|")

    def ms(t):
        return f"{t['min_s'] * 1e3:.1f} / {t['cpu_s'] * 1e3:.1f} ms"

    for r in sync:
        print(f"| N={r['n_neurons']} | {ms(r['fields'])} ({r['fields_gflops']:.0f} GFLOP/s) | "
              f"{ms(r['bulk_sign'])} ({r['bulk_sign_gbs']:.1f} GB/s) | {ms(r['refields'])} | "
              f"{ms(r['loop'])} ({r['loop_row_gbs']:.2f} GB/s of rows) | {ms(r['numba'])} | "
              f"{r['flips_step1']} / {r['flips_later_min']} |")
    asyn = [bench_async(n, p, 10 if n > 2000 else 20, args.repeat) for n, p in sizes]
    print("\n| async recall (same cues, same seeds) | NumPy loop (min / median) | numba (min / median) | "
          "speed-up (min / median) | mean sweeps |")
    print("|---|---|---|---|---|")
    for r in asyn:
        print(f"| N={r['n_neurons']}, P={r['n_patterns']}, {r['n_cues']} cues | {r['numpy']['min_s']:.3f} / "
              f"{r['numpy']['median_s']:.3f} s | {r['numba']['min_s'] * 1e3:.2f} / {r['numba']['median_s'] * 1e3:.2f}"
              f" ms | **{r['speedup_min']:.0f}x** / {r['speedup_median']:.0f}x | {r['mean_sweeps']:.2f} |")
    after = os.getloadavg()[0]
    print(f"\nload average after the run: {after:.2f}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"machine": before, "load_after": after, "sync": sync, "async": asyn}, handle, indent=2)


if __name__ == "__main__":
    main()
