"""Sparsey: time per input against the number of stored items, numba against NumPy, and fused against composed.

Two comparisons, each side called ``--calls`` times (default 3) on the same inputs and summarised alike
(fastest and median), with the answers of the timed calls checked:

1. **Backends, against the number of stored items P.**  One mac (N = 400 inputs, 20 active, Q = 20,
   K = 16) learns P random items; copies of its state (weights, freezing, inflection) on the numba
   kernels and on the NumPy reference kernels recognise the same probe inputs (``recall(x)``, one call
   each) and learn them (``store(x)``, one call each, every timed call on a fresh copy).  Times are per input and include the input checks and the result, i.e.
   what a user pays per call.  Checks: the recognised probes are identical (argmax V); the winners
   sampled while learning the probes agree to within 1 % (the backends round the float mu sums
   differently in the last bits, so a uniform within rounding of a boundary picks the neighbour cell,
   and the weights then drift apart; the count is printed).
   The CSA's cost per frame depends on the mac's size, not on P, so both columns should stay flat in P.
2. **Fused kernel against composed strategies.**  The built-in SparseyCore CSA runs eta(G), mu(V) and the
   sampling in one compiled kernel (``csa_choose``).  The same CSA wrapped as user-defined strategies takes
   the general path: eta and mu as NumPy functions, then ``csa_sample``.  Both macs (numba backend) learn
   the same inputs one call each (check: identical codes), then propose codes for 2000 cues in one batched
   call, which times the CSA without the per-call overhead (check: at most 1 % of the winners differ, float
   rounding as above).

Usage::

    python benchmarks/bench_sparsey.py [--quick] [--calls 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np
from benchtools import describe, machine, timed

from engramsim.experiments.sparsey import random_sparse_inputs
from engramsim.networks.sparsey import CSA, SparseyMac, csa_preset

N_INPUTS, N_ACTIVE, Q, K = 400, 20, 20, 16


class _Composed:
    """A built-in strategy wrapped so that the mac takes the general (non-fused) path."""

    def __init__(self, inner):
        self.inner = inner
        self.initial_inflection = getattr(inner, "initial_inflection", None)

    def __call__(self, *args):
        return self.inner(*args)

    def next_inflection(self, *args):
        return self.inner.next_inflection(*args)


def _store_each(mac, rows):
    return np.stack([mac.store(row[None]).codes[-1] for row in rows])


def _recall_each(mac, rows):
    return np.stack([mac.recall(row).winners[0] for row in rows])


def _agree(row, what, a, b):
    """Record how many winners differ between the backends; stop above 1 %.

    Sampled winners come from float mu sums that the two backends round differently in the last bits: a
    uniform within rounding of a boundary picks the neighbour cell, and the weights then drift apart.
    """
    row[f"{what}_differing"] = f"{int((a != b).sum())} of {a.size}"
    if (a != b).sum() > 0.01 * a.size:
        raise SystemExit(f"P={row['stored']}: the backends' {what} winners differ: {row[f'{what}_differing']}")


def bench_backends(n_stored, probes, calls, seed=0):
    """Per-input seconds of recall and store on both backends, from the same mac state with P items."""
    rng = np.random.default_rng(seed)
    stored = random_sparse_inputs(n_stored + 2, N_INPUTS, N_ACTIVE, rng)
    tests = random_sparse_inputs(probes, N_INPUTS, N_ACTIVE, rng)
    learned_state = SparseyMac(N_INPUTS, Q, K, backend="numba", seed=seed).store(stored)

    def clone(backend):
        """A mac on ``backend`` in the state of ``learned_state`` (the same weights, freezing and inflection)."""
        mac = SparseyMac(N_INPUTS, Q, K, backend=backend, seed=seed)
        mac.weights[...] = learned_state.weights
        mac.frozen[...] = learned_state.frozen
        mac.inflection, mac._best_mean_v = learned_state.inflection, learned_state._best_mean_v
        return mac

    macs = {b: clone(b) for b in ("numba", "numpy")}
    row = {"stored": n_stored, "probes": probes}
    recalled = {}
    for backend, mac in macs.items():
        t, recalled[backend] = timed(lambda: _recall_each(mac, tests), calls)
        row[f"recall_{backend}"] = {k: v / probes for k, v in t.items() if k != "all_s"}
    if not np.array_equal(recalled["numba"], recalled["numpy"]):  # argmax V of the same weights: exact
        raise SystemExit(f"P={n_stored}: the backends recognised the probes differently")
    learned = {}
    for backend in macs:  # every timed call learns the probes on its own copy of the mac with P items
        copies = iter([clone(backend) for _ in range(calls)])
        t, learned[backend] = timed(lambda: _store_each(next(copies), tests), calls)
        row[f"store_{backend}"] = {k: v / probes for k, v in t.items() if k != "all_s"}
    _agree(row, "learned", learned["numba"], learned["numpy"])
    return row


def bench_fused(n_items, calls, seed=0):
    """Seconds per learned input: built-in CSA (fused kernel) against the same CSA composed in NumPy."""
    inputs = random_sparse_inputs(n_items, N_INPUTS, N_ACTIVE, np.random.default_rng(seed))
    core = csa_preset("sparseycore")
    composed = CSA(_Composed(core.expansivity), _Composed(core.v_to_mu), name="composed")
    results, times = {}, {}
    for name, csa in (("fused", core), ("composed", composed)):
        def learn(csa=csa):
            mac = SparseyMac(N_INPUTS, Q, K, csa=csa, backend="numba", seed=seed)
            return _store_each(mac, inputs)

        learn()  # compile
        times[name], results[name] = timed(learn, calls)
    if not np.array_equal(results["fused"], results["composed"]):
        raise SystemExit("the fused and the composed CSA learned different codes")
    # the CSA alone, batched: propose() runs the familiarity and the choice once for all the cues
    cues = random_sparse_inputs(2000, N_INPUTS, N_ACTIVE, np.random.default_rng(seed + 1))
    batch, proposed = {}, {}
    for name, csa in (("fused", core), ("composed", composed)):
        mac = SparseyMac(N_INPUTS, Q, K, csa=csa, backend="numba", seed=seed).store(inputs)
        mac.propose(cues[:2])
        batch[name], proposed[name] = timed(lambda mac=mac: mac.propose(cues), calls)
    if np.mean(proposed["fused"] != proposed["composed"]) > 0.01:
        raise SystemExit("the fused and the composed CSA proposed different codes")
    return {"items": n_items, **{f"{k}_per_input": {s: v[s] / n_items for s in ("min_s", "median_s")}
                                  for k, v in times.items()},
            "batch_cues": len(cues), **{f"{k}_propose_per_cue": {s: v[s] / len(cues) for s in ("min_s", "median_s")}
                                        for k, v in batch.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--calls", type=int, default=3, help="timed calls per side (fastest and median)")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    loads = (0, 100, 1000) if args.quick else (0, 100, 1000, 5000)
    probes = 50 if args.quick else 200
    m = machine(args.quick)
    print(f"# Sparsey, {args.calls} calls per side; mac N={N_INPUTS} ({N_ACTIVE} active), Q={Q}, K={K}")
    print(describe(m))
    rows = [bench_backends(n, probes, args.calls) for n in loads]
    print(f"\ntimes per input, fastest / median call\n\n| stored P | recall numba (µs) | recall NumPy (µs) | ratio | store numba (µs) | store NumPy (µs) | ratio | learned winners differing |"
          f"\n|---|---|---|---|---|---|---|---|")
    for r in rows:
        rn, rp, sn, sp = (r[k] for k in ("recall_numba", "recall_numpy", "store_numba", "store_numpy"))
        print(f"| {r['stored']} | {rn['min_s'] * 1e6:.0f} / {rn['median_s'] * 1e6:.0f} | "
              f"{rp['min_s'] * 1e6:.0f} / {rp['median_s'] * 1e6:.0f} | {rp['min_s'] / rn['min_s']:.1f} | "
              f"{sn['min_s'] * 1e6:.0f} / {sn['median_s'] * 1e6:.0f} | "
              f"{sp['min_s'] * 1e6:.0f} / {sp['median_s'] * 1e6:.0f} | {sp['min_s'] / sn['min_s']:.1f} | "
              f"{r['learned_differing']} |")
    fused = bench_fused(100 if args.quick else 300, args.calls)
    f, c = fused["fused_per_input"], fused["composed_per_input"]
    print(f"\nlearning {fused['items']} inputs, per input (fastest / median call): fused kernel "
          f"{f['min_s'] * 1e6:.0f} / {f['median_s'] * 1e6:.0f} µs, composed NumPy strategies "
          f"{c['min_s'] * 1e6:.0f} / {c['median_s'] * 1e6:.0f} µs: **{c['min_s'] / f['min_s']:.1f}x**")
    f, c = fused["fused_propose_per_cue"], fused["composed_propose_per_cue"]
    print(f"the CSA alone, {fused['batch_cues']} cues in one propose() call, per cue: fused kernel "
          f"{f['min_s'] * 1e6:.1f} / {f['median_s'] * 1e6:.1f} µs, composed NumPy strategies "
          f"{c['min_s'] * 1e6:.1f} / {c['median_s'] * 1e6:.1f} µs: **{c['min_s'] / f['min_s']:.1f}x**")
    after = os.getloadavg()[0]
    print(f"load average after the run: {after:.2f}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"machine": m, "load_after": after, "backends": rows, "fused": fused}, handle, indent=2)


if __name__ == "__main__":
    main()
