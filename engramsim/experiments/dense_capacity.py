"""Registered experiment ``dense-capacity``: one-step error and error-free capacity of F(x) = x^n.

For each interaction order ``n``, network size N, load and seed, K random
+-1 patterns are stored in a polynomial dense associative memory
(Krotov & Hopfield 2016) and every unit is updated once, synchronously, from
stored patterns.  The load is measured in the unit that makes the large-N
one-step error law the same for every n,

    K = round(load * N^(n-1) / (2n-3)!!),   P_err -> Phi(-1/sqrt(load)),

so for n = 2 ``load`` is the Hopfield load K/N.  (Krotov & Hopfield's
error-free capacity, eq. 6, is ``load = 1/(2 ln N)`` in this unit.)

Per point the experiment measures

* ``bit_error``: the fraction of bits that one synchronous update changes,
  over the first ``min(K, n_probe)`` stored patterns (the patterns are
  i.i.d., so these are a random sample);
* ``error_free``: 1 if the update changes no bit of any of the K stored
  patterns, else 0 (the remaining patterns are checked in blocks of
  ``n_probe`` until the first error).

``finalize`` adds the exact finite-N one-step law (``theory_bit_error``), its
large-N limit, the pattern counts, and per (n, N):

* ``max_error_free_patterns``: the largest swept K such that, for every
  seed, this K and every smaller swept K leave all stored patterns unchanged
  (NaN when the smallest swept K already fails);
* ``first_failing_patterns``: the smallest swept K with an error in some
  seed (NaN when none fails); the two bracket the measured threshold;
* ``theory_max_patterns``: Krotov & Hopfield's ``N^(n-1) / (2 (2n-3)!! ln N)``
  (eq. 6, from the per-bit criterion ``P_err ~ 1/N``);
* ``theory_error_free_patterns``: the finite-N estimate of the measured
  quantity, the largest K whose expected number of one-step errors over all
  K N bits, ``K N P_err(N, K, n)``, is at most ln 2 (one network is then
  error-free with probability >= 1/2 if errors were independent).

See ``docs/models/dense_associative.md``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import xarray as xr
from scipy.special import factorial2, ndtr

from engramsim.experiments import theory
from engramsim.experiments.plotting import figure_grid, seed_mean, seed_spread, style
from engramsim.experiments.registry import Experiment, as_list, register
from engramsim.experiments.sweep import Metric
from engramsim.networks.dense import DenseAssociativeMemory
from engramsim.networks.patterns import random_patterns
from engramsim.sim.backends import BACKEND_NAMES
from engramsim.sim.random import stream
from engramsim.sim.validation import check_choice, check_float, check_int

#: largest K N accepted: the step kernel holds a float64 copy of the patterns (8 K N bytes)
MAX_PATTERN_ENTRIES = 50_000_000

DEFAULTS: dict[str, Any] = {
    "n": [2, 3, 4],
    "n_neurons": [25, 50, 100],
    "load": [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.1, 0.12, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6],
    "n_probe": 200,
    "backend": "auto",
}

METRICS = {
    "bit_error": Metric("measured one-step bit-error rate from stored patterns"),
    "error_free": Metric("1 if one synchronous update leaves every stored pattern unchanged, else 0"),
}


def n_patterns_for(n: int, n_neurons: int, load: float) -> int:
    """K = round(load * N^(n-1) / (2n-3)!!), at least 1.

    Parameters
    ----------
    n
        Interaction order of ``F(x) = x^n`` (>= 2).
    n_neurons
        N (>= 2).
    load
        Load in units of ``N^(n-1) / (2n-3)!!`` (> 0).

    Returns
    -------
    int
    """
    n = check_int(n, "n", minimum=2)
    n_neurons = check_int(n_neurons, "n_neurons", minimum=2)
    load = check_float(load, "load", 0.0, strict_minimum=True)
    unit = n_neurons ** (n - 1) / int(factorial2(2 * n - 3, exact=True))
    return max(1, round(load * unit))


def error_free_patterns_estimate(n_neurons: int, n: int, expected_errors: float = math.log(2)) -> int:
    """Largest K with ``K N P_err(N, K, n) <= expected_errors`` (finite-N one-step law).

    ``P_err`` is :func:`engramsim.experiments.theory.dense_one_step_error`
    (exact finite-N Gaussian form), which grows with K, so the count is found
    by integer bisection.  With independent bit errors the number of errors is
    about Poisson, and the default ``ln 2`` makes a network of K patterns
    error-free with probability 1/2.

    Parameters
    ----------
    n_neurons
        N (>= 2).
    n
        Interaction order (>= 2).
    expected_errors
        Allowed expected number of one-step bit errors (> 0).

    Returns
    -------
    int
    """
    n_neurons = check_int(n_neurons, "n_neurons", minimum=2)
    n = check_int(n, "n", minimum=2)
    expected_errors = check_float(expected_errors, "expected_errors", 0.0, strict_minimum=True)

    def errors(k: int) -> float:
        return k * n_neurons * float(theory.dense_one_step_error(n_neurons, k, n))

    low, high = 1, 2
    while errors(high) <= expected_errors:
        low, high = high, 2 * high
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if errors(mid) <= expected_errors else (low, mid)
    return low


def check(params: dict[str, Any]) -> None:
    """Reject impossible settings before any work starts."""
    orders = [check_int(n, "n", minimum=2) for n in as_list(params["n"])]
    sizes = [check_int(n_neurons, "n_neurons", minimum=2) for n_neurons in as_list(params["n_neurons"])]
    loads = [check_float(load, "load", 0.0, strict_minimum=True) for load in as_list(params["load"])]
    for n in orders:
        for n_neurons in sizes:
            k = n_patterns_for(n, n_neurons, max(loads))
            if k * n_neurons > MAX_PATTERN_ENTRIES:
                raise ValueError(
                    f"load={max(loads)} with n={n} and n_neurons={n_neurons} means K={k} patterns; "
                    f"K * n_neurons must be <= {MAX_PATTERN_ENTRIES} (memory), got {k * n_neurons}")
    check_int(params["n_probe"], "n_probe", minimum=1)
    check_choice(params["backend"], "backend", BACKEND_NAMES)


def point(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """Measure one (n, N, load, seed) point."""
    n, n_neurons = int(params["n"]), int(params["n_neurons"])
    k = n_patterns_for(n, n_neurons, float(params["load"]))
    n_probe = int(params["n_probe"])
    patterns = random_patterns(k, n_neurons, stream(seed, "patterns"))
    mem = DenseAssociativeMemory(n_neurons, "polynomial", n, backend=params["backend"]).store(patterns)
    probes = patterns[:n_probe]
    changed = mem.step(probes) != probes
    error_free = not changed.any()
    for start in range(n_probe, k, n_probe):  # the rest, until the first error
        if not error_free:
            break
        block = patterns[start:start + n_probe]
        error_free = bool(np.all(mem.step(block) == block))
    return {"bit_error": changed.mean(), "error_free": int(error_free)}


def _pattern_counts(ds: xr.Dataset) -> xr.DataArray:
    counts = np.vectorize(n_patterns_for, otypes=[np.int64])
    return xr.apply_ufunc(counts, ds["n"], ds["n_neurons"], ds["load"])


def error_free_bracket(error_free: xr.DataArray, n_patterns: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray]:
    """Largest error-free K and smallest failing K over the swept loads.

    A swept K counts as error-free when every seed is error-free there and at
    every smaller swept load.

    Parameters
    ----------
    error_free
        0/1 per (..., load, seed).
    n_patterns
        K per (..., load), increasing with load.

    Returns
    -------
    max_error_free, first_failing : xarray.DataArray
        NaN where no swept K is error-free, or where none fails.
    """
    all_seeds = error_free.min("seed") if "seed" in error_free.dims else error_free
    order = np.argsort(all_seeds["load"].values)
    all_seeds = all_seeds.isel(load=order)
    counts = n_patterns.isel(load=order)

    def bracket(ok: np.ndarray, k: np.ndarray) -> tuple[float, float]:
        failing = np.nonzero(ok == 0)[0]
        first = failing[0] if failing.size else ok.size
        below = float(k[first - 1]) if first > 0 else np.nan
        above = float(k[first]) if first < ok.size else np.nan
        return below, above

    return xr.apply_ufunc(bracket, all_seeds, counts, input_core_dims=[["load"], ["load"]],
                          output_core_dims=[[], []], vectorize=True)


def finalize(ds: xr.Dataset, params: dict[str, Any]) -> xr.Dataset:
    """Add pattern counts, the one-step laws and the error-free bracket with its theory."""
    ds["n"].attrs.update(long_name="interaction order n of F(x) = x^n", units="1")
    ds["n_neurons"].attrs.update(long_name="number of neurons N", units="1")
    ds["load"].attrs.update(long_name="load K (2n-3)!! / N^(n-1)", units="1")
    counts = _pattern_counts(ds)
    ds["n_patterns"] = counts.assign_attrs(long_name="number of stored patterns K", units="1")
    law = np.vectorize(lambda n, big_n, k: float(theory.dense_one_step_error(big_n, k, n)), otypes=[float])
    ds["theory_bit_error"] = xr.apply_ufunc(law, ds["n"], ds["n_neurons"], counts).assign_attrs(
        long_name="one-step bit-error law Phi(-g(N-1)/sqrt((K-1) E[g(a)^2])), exact finite N", units="1")
    ds["theory_bit_error_large_n"] = xr.DataArray(
        ndtr(-1.0 / np.sqrt(ds["load"].values)), dims="load",
        attrs={"long_name": "large-N one-step bit-error law Phi(-1/sqrt(load))", "units": "1"})
    below, above = error_free_bracket(ds["error_free"], counts)
    ds["max_error_free_patterns"] = below.assign_attrs(
        long_name="largest swept K error-free in every seed (and at every smaller swept K)", units="1")
    ds["first_failing_patterns"] = above.assign_attrs(
        long_name="smallest swept K with a one-step error in some seed", units="1")
    ds["theory_max_patterns"] = xr.apply_ufunc(
        theory.krotov_hopfield_capacity, ds["n_neurons"], ds["n"]).transpose("n", "n_neurons").assign_attrs(
        long_name="Krotov-Hopfield error-free capacity N^(n-1) / (2 (2n-3)!! ln N)", units="1")
    estimate = np.vectorize(error_free_patterns_estimate, otypes=[np.int64])
    ds["theory_error_free_patterns"] = xr.apply_ufunc(
        estimate, ds["n_neurons"], ds["n"]).transpose("n", "n_neurons").assign_attrs(
        long_name="largest K with expected one-step errors K N P_err <= ln 2 (finite-N law)", units="1")
    ds.attrs.update(interaction="polynomial", dynamics="one synchronous step from stored patterns",
                    tie="keep", error_free_definition=(
                        "largest swept K with error_free = 1 in every seed, at it and at every smaller swept load"))
    return ds


def plot(ds: xr.Dataset):
    """One-step error against load, one panel per order n, and the largest error-free K against N.

    In the error panels every N has its own colour and line style (dots:
    seed mean, bars +- one standard deviation over seeds, lines: the exact
    finite-N law); the dashed black line is the large-N law, the same for
    every n in this unit of load.
    """
    orders = ds["n"].values
    fig, axes = figure_grid(len(orders) + 1)
    sizes = ds["n_neurons"].values
    positive = seed_mean(ds["bit_error"]).values
    positive = positive[positive > 0]
    floor = positive.min() / 3 if positive.size else 1e-6
    seeds = ds.sizes.get("seed", 1)
    for o_i, n in enumerate(orders):
        ax = axes[o_i]
        sub = ds.sel(n=n)
        for s_i, size in enumerate(sizes):
            cur = sub.sel(n_neurons=size)
            kw = style(s_i)
            mean, lo, hi = seed_spread(cur["bit_error"])
            shown = mean > 0
            ax.errorbar(cur["load"][shown], mean[shown], yerr=[(mean - lo.clip(0))[shown], (hi - mean)[shown]],
                        fmt="o", ms=3, color=kw["color"], capsize=1.5, elinewidth=0.8)
            ax.plot(cur["load"], cur["theory_bit_error"], lw=1, label=f"N = {size}" if o_i == 0 else None, **kw)
        ax.plot(ds["load"], ds["theory_bit_error_large_n"], "k--", lw=1,
                label="Phi(-1/sqrt(load)), N -> inf" if o_i == 0 else None)
        ax.set(xlabel="load K (2n-3)!! / N^(n-1)", ylabel="one-step bit-error rate", xscale="log", yscale="log",
               ylim=(floor, 1.0), title=f"n = {n}")
    ax_cap = axes[-1]
    for o_i, n in enumerate(orders):
        sub = ds.sel(n=n)
        color = style(len(sizes) + o_i)["color"]  # colours not used for N in the error panels
        low, high = sub["max_error_free_patterns"].values, sub["first_failing_patterns"].values
        ax_cap.plot(sizes, low, "o", color=color)
        ax_cap.vlines(sizes, low, high, color=color, lw=0.8, alpha=0.6)
        ax_cap.plot(sizes, sub["theory_max_patterns"], "-", color=color, lw=1)
        ax_cap.plot(sizes, sub["theory_error_free_patterns"], "--", color=color, lw=1)
        ax_cap.annotate(f"n = {n}", (sizes[-1], float(sub["theory_max_patterns"][-1])), fontsize=8,
                        xytext=(3, 0), textcoords="offset points", va="center", color=color)
    from matplotlib.ticker import FixedLocator, NullLocator, ScalarFormatter

    top = float(np.nanmax([ds["theory_max_patterns"].max(), ds["first_failing_patterns"].max()]))
    bottom = float(np.nanmin([ds["theory_error_free_patterns"].min(), ds["max_error_free_patterns"].min()]))
    ax_cap.set(xlabel="N", ylabel="patterns K", xscale="log", yscale="log", ylim=(bottom / 2, top * 40),
               title="error-free capacity", xlim=(sizes[0] / 1.15, sizes[-1] * 1.6))
    ax_cap.xaxis.set_major_locator(FixedLocator([float(v) for v in sizes]))
    ax_cap.xaxis.set_major_formatter(ScalarFormatter())
    ax_cap.xaxis.set_minor_locator(NullLocator())
    from matplotlib.lines import Line2D

    cap_handles = [Line2D([], [], color="gray", marker="o", ls="none",
                          label="measured (bar: to the first failing K)"),
                   Line2D([], [], color="gray", ls="-", label="N^(n-1) / (2 (2n-3)!! ln N)"),
                   Line2D([], [], color="gray", ls="--", label="finite N: K N P_err = ln 2")]
    ax_cap.legend(handles=cap_handles, fontsize=6.5, loc="upper left")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncol=len(labels), fontsize=8, frameon=False,
               title=f"error panels: lines exact finite-N theory; dots mean over {seeds} seeds, bars +- 1 SD; "
                     "zero rates are off the log axis", title_fontsize=8)
    return fig


EXPERIMENT = register(Experiment(
    name="dense-capacity",
    description="Dense associative memory F(x)=x^n: one-step error and error-free pattern count against load",
    point=point, defaults=DEFAULTS, metrics=METRICS, seeds=3,
    finalize=finalize, plot=plot, check=check, dims=("n", "n_neurons", "load"),
    parameters={
        "n": ("interaction order n of F(x) = x^n (2: Hopfield)", "1"),
        "n_neurons": ("number of neurons N", "1"),
        "load": ("load in units of N^(n-1)/(2n-3)!!: K = round(load N^(n-1)/(2n-3)!!) patterns", "1"),
        "n_probe": ("stored patterns probed for the bit-error rate (and block size of the error-free check)",
                    "1"),
        "backend": ("compute backend: numpy, numba, cupy or auto", ""),
    },
))
