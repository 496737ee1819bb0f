"""HLOP: wall time per task of the rate and spiking networks, and HLOP's overhead over plain training.

Each case trains a fresh network on the permuted-digits tasks of
``hlop-permuted-digits`` (the brief's size: 784-100-100-10, 5 epochs of SGD,
batch 32, per task) with plain sequential training (``baseline``) and with
HLOP, on one thread (torch and BLAS), and reports

* the wall time of a task's training loop (median over the tasks),
* the CPU time of the whole run divided by the number of tasks,
* HLOP's overhead in two ways: the time spent inside the loop in lateral
  learning and gradient projection, divided by the rest of that loop (the
  plain training work), and the ratio of the CPU times of the HLOP and
  baseline runs minus one.

Usage::

    python benchmarks/bench_hlop.py                 # rate and spiking, 5 tasks (a few minutes on 2 cores)
    python benchmarks/bench_hlop.py --quick         # 2 tasks, 2 epochs
    python benchmarks/bench_hlop.py --json out.json
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import numpy as np
from benchtools import describe, machine


def run_case(network: str, method: str, n_tasks: int, epochs: int, timesteps: int, seed: int = 0) -> dict:
    import torch

    from engramsim.experiments.hlop import permuted_digits
    from engramsim.networks.hlop import RateMLP, SpikingMLP, train_continual

    tasks = permuted_digits(n_tasks, seed)
    net = RateMLP(seed=seed) if network == "rate" else SpikingMLP(timesteps=timesteps, seed=seed)
    torch.set_num_threads(1)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the hidden layers' subspace budget fills up by design
        res = train_continual(net, tasks, method, epochs=epochs, seed=seed)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    plain = res.train_seconds - res.projection_seconds
    return {"network": network, "method": method, "task_wall_s": float(np.median(res.train_seconds)),
            "cpu_per_task_s": cpu / n_tasks, "run_wall_s": wall,
            "in_loop_overhead": float(res.projection_seconds.sum() / plain.sum()),
            "bwt": res.bwt, "acc": res.acc}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--timesteps", type=int, default=8)
    parser.add_argument("--json")
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits

    n_tasks, epochs = (2, 2) if args.quick else (5, 5)
    m = machine(args.quick)
    print(describe(m))
    rows = []
    with threadpool_limits(1):
        run_case("rate", "hlop", 2, 1, args.timesteps)  # warm-up: torch's lazy initialisation is not timed
        for network in ("rate", "spiking"):
            for method in ("baseline", "hlop"):
                rows.append(run_case(network, method, n_tasks, epochs, args.timesteps))
    print(f"\n{n_tasks} tasks, {epochs} epochs each, one thread; spiking: {args.timesteps} time steps\n")
    print("| network | method | training loop per task (s, median) | CPU per task (s) | HLOP in-loop overhead "
          "| CPU ratio HLOP / baseline - 1 | ACC | BWT |")
    print("|---|---|---|---|---|---|---|---|")
    by = {(r["network"], r["method"]): r for r in rows}
    for r in rows:
        base = by[(r["network"], "baseline")]
        ratio = r["cpu_per_task_s"] / base["cpu_per_task_s"] - 1 if r["method"] == "hlop" else 0.0
        overhead = f"{100 * r['in_loop_overhead']:.0f} %" if r["method"] == "hlop" else "-"
        print(f"| {r['network']} | {r['method']} | {r['task_wall_s']:.2f} | {r['cpu_per_task_s']:.2f} | {overhead} "
              f"| {100 * ratio:+.0f} % | {100 * r['acc']:.1f} % | {100 * r['bwt']:+.1f} % |")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"machine": m, "rows": rows}, handle, indent=1)


if __name__ == "__main__":
    main()
