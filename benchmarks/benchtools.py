"""Shared pieces of the benchmark scripts: timing both sides alike, and recording the machine.

Every compared function is called the same number of times and summarised the same way (fastest and
median wall-clock time, plus the process CPU time of the fastest call), so neither side gets a
best-of-N the other does not get.  ``machine()`` records what the figures depend on: cores, the cores
this process may use, numba's thread count, the load average, and measured sgemm throughput and copy
bandwidth.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from typing import Any, Callable

import numpy as np


def timed(func: Callable[[], Any], repeats: int) -> tuple[dict[str, Any], Any]:
    """Call ``func`` ``repeats`` times; return its timings and the last result.

    Returns
    -------
    stats : dict
        ``min_s`` and ``median_s`` (wall clock), ``cpu_s`` (process CPU time of the fastest call, all
        threads) and ``all_s`` (every wall time, in order).
    result
        What the last call returned (for the answer checks).
    """
    walls, cpus, result = [], [], None
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        result = func()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    best = int(np.argmin(walls))
    return {"min_s": walls[best], "median_s": statistics.median(walls), "cpu_s": cpus[best],
            "all_s": walls}, result


def machine(quick: bool = False) -> dict[str, Any]:
    """Cores, load, library versions, measured sgemm GFLOP/s and copy bandwidth (GB/s, read + write)."""
    import numba

    size = 2048 if quick else 4096
    a = np.random.default_rng(0).standard_normal((size, size), dtype=np.float32)
    t, _ = timed(lambda: a @ a, 3)
    big = np.ones((16 if quick else 64) * 2**20, dtype=np.float64)
    out = np.empty_like(big)
    c, _ = timed(lambda: np.copyto(out, big), 3)
    return {
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "numba_threads": numba.get_num_threads(),
        "numpy": np.__version__, "numba": numba.__version__,
        "load_average": os.getloadavg()[0],
        "sgemm_gflops": 2 * size**3 / t["min_s"] / 1e9, "sgemm_size": size,
        "copy_gbs": 2 * big.nbytes / c["min_s"] / 1e9, "copy_mb": big.nbytes / 2**20,
    }


def describe(m: dict[str, Any]) -> str:
    """One line for the top of a benchmark's output."""
    return (f"machine: {m['processor']}, {m['cpu_count']} CPUs ({m['usable_cpus']} usable), numba "
            f"{m['numba']} with {m['numba_threads']} threads, numpy {m['numpy']}; load average "
            f"{m['load_average']:.2f}; sgemm {m['sgemm_gflops']:.0f} GFLOP/s ({m['sgemm_size']}^3), "
            f"copy {m['copy_gbs']:.1f} GB/s ({m['copy_mb']:.0f} MB)")
