"""Sparsey: learning and recognition time per input against the number of stored items.

Times one mac, one input per call (``learn(x)``, ``recall(x)``: the CSA
plus input checks and the result), with the Numba kernels against the NumPy
reference kernels, after storing P items, for several P.  The CSA's cost
per frame depends on the mac's size, not on P, so both curves should be
flat.  Prints a table and writes it as JSON.

    python benchmarks/bench_sparsey.py [--out benchmarks/results/sparsey.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from engramsim.experiments.sparsey import random_sparse_inputs
from engramsim.networks import SparseyMac

N_INPUTS, N_ACTIVE, Q, K = 400, 20, 20, 16
LOADS = (0, 100, 1000, 5000)
PROBES = 300


def time_per_item(backend: str, n_stored: int, seed: int = 0) -> tuple[float, float]:
    """Seconds per learned and per recognised input, after ``n_stored`` items."""
    rng = np.random.default_rng(seed)
    mac = SparseyMac(N_INPUTS, Q, K, backend=backend, seed=seed)
    mac.store(random_sparse_inputs(2, N_INPUTS, N_ACTIVE, rng))          # warm-up / compile
    if n_stored:
        mac.store(random_sparse_inputs(n_stored, N_INPUTS, N_ACTIVE, rng))
    probes = random_sparse_inputs(PROBES, N_INPUTS, N_ACTIVE, rng)
    start = time.perf_counter()
    for row in probes:
        mac.recall(row)
    recognise = (time.perf_counter() - start) / PROBES
    start = time.perf_counter()
    for row in probes:
        mac.store(row)
    learn = (time.perf_counter() - start) / PROBES
    return learn, recognise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/sparsey.json")
    args = parser.parse_args()
    rows = []
    print(f"mac: N={N_INPUTS} inputs ({N_ACTIVE} active), Q={Q}, K={K}; {PROBES} probe inputs per point")
    print(f"{'stored':>7} | {'learn numba':>12} {'learn numpy':>12} {'ratio':>6} | "
          f"{'recog numba':>12} {'recog numpy':>12} {'ratio':>6}   (us per input)")
    for n in LOADS:
        ln, rn = time_per_item("numba", n)
        lp, rp = time_per_item("numpy", n)
        rows.append({"stored": n, "learn_numba_s": ln, "learn_numpy_s": lp,
                     "recognize_numba_s": rn, "recognize_numpy_s": rp})
        print(f"{n:>7} | {ln * 1e6:>12.1f} {lp * 1e6:>12.1f} {lp / ln:>6.1f} | "
              f"{rn * 1e6:>12.1f} {rp * 1e6:>12.1f} {rp / rn:>6.1f}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"machine": platform.processor() or platform.machine(),
                                          "n_inputs": N_INPUTS, "n_active": N_ACTIVE, "Q": Q, "K": K,
                                          "rows": rows}, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
