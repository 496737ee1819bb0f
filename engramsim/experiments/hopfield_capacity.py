"""Registered experiment ``hopfield-capacity``: retrieval against load, per rule and size.

For each rule, network size N, load alpha = P/N and seed, P random patterns
are stored.  The experiment measures

* the one-step bit-error rate starting at the stored patterns (beside the
  finite-N law Phi(-sqrt((N-1)/(P-1))) of the Hebb rule),
* the fraction of stored patterns that are exact fixed points,
* recall from the stored patterns with a fraction ``cue_noise`` of bits
  flipped: mean final |overlap| with the target and the fraction of
  trials that end with |overlap| > 0.9.

The Dataset also carries ``load_50`` (the load at which half the retrievals
succeed, interpolated) and the AGS capacity ``alpha_c`` as an attribute.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from engramsim.experiments import theory
from engramsim.experiments.plotting import figure_grid, plot_with_band, seed_mean, seed_spread, style
from engramsim.experiments.registry import Experiment, as_list, register
from engramsim.experiments.sweep import Metric
from engramsim.networks.hopfield import DYNAMICS, RULES, Hopfield
from engramsim.networks.patterns import flip_bits, random_patterns
from engramsim.sim.random import stream
from engramsim.sim.validation import check_choice, check_float, check_int

RETRIEVED_OVERLAP = 0.9

DEFAULTS: dict[str, Any] = {
    "rule": ["hebb", "storkey", "pseudo_inverse"],
    "n_neurons": [100, 200, 400],
    "load": [float(round(x, 3)) for x in np.arange(0.05, 0.601, 0.05)],
    "cue_noise": 0.0,
    "n_cues": 50,
    "dynamics": "async",
    "self_coupling": False,
    "max_steps": 100,
    "backend": "auto",
}

PARAMETERS = {
    "rule": ("learning rule: hebb, storkey or pseudo_inverse", ""),
    "n_neurons": ("number of neurons N", "1"),
    "load": ("load alpha = P/N (stored patterns per neuron; P = round(alpha N))", "1"),
    "cue_noise": ("fraction of the cue's bits flipped before recall", "1"),
    "n_cues": ("stored patterns used as recall targets (at most P)", "1"),
    "dynamics": ("recall dynamics: async (random sweeps) or sync", ""),
    "self_coupling": ("keep the diagonal weights W_ii", ""),
    "max_steps": ("most sweeps (async) or steps (sync) of a recall", "1"),
    "backend": ("compute backend: numpy, numba, cupy or auto", ""),
}

METRICS = {
    "overlap": Metric("mean final |overlap| with the target"),
    "retrieved": Metric(f"fraction of trials with final |overlap| > {RETRIEVED_OVERLAP}"),
    "stable_fraction": Metric("fraction of stored patterns that are exact fixed points"),
    "one_step_error": Metric("fraction of bits flipped by one synchronous step from a stored pattern"),
    "mean_steps": Metric("mean number of sweeps (async) or steps (sync) of recall"),
    "n_patterns": Metric("number of stored patterns P"),
}


def n_patterns_for(n_neurons: int, load: float) -> int:
    """P = round(load * N), at least 1."""
    return max(1, int(round(load * n_neurons)))


def check(params: dict[str, Any]) -> None:
    """Reject impossible settings before any work starts."""
    for rule in as_list(params["rule"]):
        check_choice(rule, "rule", RULES)
    for n in as_list(params["n_neurons"]):
        check_int(n, "n_neurons", minimum=2)
    for load in as_list(params["load"]):
        check_float(load, "load", 0.0, strict_minimum=True)
    for noise in as_list(params["cue_noise"]):
        check_float(noise, "cue_noise", 0.0, 0.5)
    check_int(params["n_cues"], "n_cues", minimum=1)
    check_int(params["max_steps"], "max_steps", minimum=1)
    check_choice(params["dynamics"], "dynamics", DYNAMICS)


def point(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """Measure one (rule, N, load, seed) point."""
    n = int(params["n_neurons"])
    p = n_patterns_for(n, float(params["load"]))
    patterns = random_patterns(p, n, stream(seed, "patterns"))
    mem = Hopfield(n, rule=params["rule"], dynamics=params["dynamics"],
                   self_coupling=bool(params["self_coupling"]), max_steps=int(params["max_steps"]),
                   backend=params["backend"], seed=seed).store(patterns)
    one_step = mem.step(patterns)
    targets = patterns[: min(p, int(params["n_cues"]))]
    cues = flip_bits(targets, float(params["cue_noise"]), stream(seed, "cues"))
    result = mem.recall(cues)
    overlap = np.abs(result.overlap_with(targets))
    return {
        "overlap": overlap.mean(),
        "retrieved": (overlap > RETRIEVED_OVERLAP).mean(),
        "stable_fraction": np.all(one_step == patterns, axis=1).mean(),
        "one_step_error": (one_step != patterns).mean(),
        "mean_steps": result.steps.mean(),
        "n_patterns": p,
    }


def half_retrieval_load(retrieved: xr.DataArray) -> xr.DataArray:
    """Load at which the seed-mean retrieved fraction first falls below 0.5 (linear interpolation).

    NaN where it never does within the swept loads.
    """
    mean = seed_mean(retrieved)

    def crossing(values: np.ndarray, loads: np.ndarray) -> float:
        below = np.nonzero(values < 0.5)[0]
        if below.size == 0 or below[0] == 0:
            return float(loads[0]) if below.size else np.nan
        i = below[0]
        x0, x1, y0, y1 = loads[i - 1], loads[i], values[i - 1], values[i]
        return float(x0 + (y0 - 0.5) * (x1 - x0) / (y0 - y1))

    return xr.apply_ufunc(crossing, mean, mean["load"], input_core_dims=[["load"], ["load"]],
                          vectorize=True)


def finalize(ds: xr.Dataset, params: dict[str, Any]) -> xr.Dataset:
    """Add the theory curves, ``load_50`` and ``alpha_c``."""
    alpha_c, m_c = theory.ags_capacity()
    n_pat = xr.apply_ufunc(np.vectorize(n_patterns_for), ds["n_neurons"], ds["load"])
    ds["theory_one_step_error"] = xr.apply_ufunc(theory.one_step_error_finite, ds["n_neurons"], n_pat)
    ds["theory_one_step_error"].attrs.update(
        long_name="Hebb one-step bit-error law Phi(-sqrt((N-1)/(P-1)))", units="1")
    ds["theory_overlap"] = xr.DataArray(theory.ags_overlap(ds["load"].values), dims="load",
                                        attrs={"long_name": "AGS replica-symmetric overlap m(alpha), N -> inf",
                                               "units": "1"})
    if "load" in ds.dims and ds.sizes["load"] > 1:
        ds["load_50"] = half_retrieval_load(ds["retrieved"])
        ds["load_50"].attrs.update(long_name="load at which half the retrievals succeed", units="1")
    ds.attrs.update(alpha_c=alpha_c, m_c=m_c, retrieved_threshold=RETRIEVED_OVERLAP, tie="keep")
    return ds


def plot(ds: xr.Dataset):
    """Retrieval against load, one panel per rule, and the Hebb one-step error beside its law.

    One colour and line style per N, shared by all panels; lines are seed
    means, shaded bands (and error bars) +- one standard deviation over seeds.
    """
    rules = [str(r) for r in ds["rule"].values] if "rule" in ds.dims else [str(ds.attrs.get("rule", ""))]
    sizes = list(ds["n_neurons"].values) if "n_neurons" in ds.dims else [None]
    has_hebb = "hebb" in rules
    fig, axes = figure_grid(len(rules) + int(has_hebb))
    alpha_c = float(ds.attrs.get("alpha_c", 0.138))
    seeds = ds.sizes.get("seed", 1)
    for r_i, rule in enumerate(rules):
        ax = axes[r_i]
        sub = ds.sel(rule=rule) if "rule" in ds.dims else ds
        for n_i, n in enumerate(sizes):
            cur = sub.sel(n_neurons=n) if n is not None else sub
            plot_with_band(ax, cur["load"], cur["retrieved"], lower=0.0, upper=1.0, marker="o", ms=3,
                           label=f"N = {n}" if r_i == 0 else None, **style(n_i))
        ax.axvline(alpha_c, color="k", lw=0.8, ls=":", label=f"AGS alpha_c = {alpha_c:.3f}" if r_i == 0 else None)
        ax.set(xlabel="load alpha = P/N", ylim=(-0.03, 1.03), title=f"{rule} rule",
               ylabel="fraction retrieved (|m| > 0.9)")
    if has_hebb:
        ax_err = axes[-1]
        cur_rule = ds.sel(rule="hebb") if "rule" in ds.dims else ds
        for n_i, n in enumerate(sizes):
            cur = cur_rule.sel(n_neurons=n) if n is not None else cur_rule
            mean, lo, hi = seed_spread(cur["one_step_error"])
            kw = style(n_i)
            ax_err.errorbar(cur["load"], mean, yerr=[mean - lo.clip(0), hi - mean], fmt="o", ms=3.5,
                            color=kw["color"], capsize=2)
            ax_err.plot(cur["load"], cur["theory_one_step_error"], lw=1, **kw)
        ax_err.plot([], [], "o", color="gray", ms=3.5, label="measured")
        ax_err.plot([], [], "-", color="gray", lw=1, label="theory Phi(-sqrt((N-1)/(P-1)))")
        ax_err.set(xlabel="load alpha = P/N", ylabel="one-step bit-error rate", yscale="log",
                   title="Hebb: one-step error")
        ax_err.legend(fontsize=7, loc="lower right")
    handles, labels = axes[0].get_legend_handles_labels()
    note = (f"mean over {seeds} seeds, band and bars +- 1 SD" if seeds > 1 else "one seed")
    fig.legend(handles, labels, loc="outside upper center", ncol=len(labels), fontsize=8, frameon=False,
               title=note + ("; zero error rates are off the log axis" if has_hebb else ""), title_fontsize=8)
    return fig


EXPERIMENT = register(Experiment(
    name="hopfield-capacity",
    description="Hopfield retrieval, fixed points and one-step error against load, per rule and N",
    point=point, defaults=DEFAULTS, metrics=METRICS, seeds=3,
    finalize=finalize, plot=plot, check=check, dims=("rule", "n_neurons", "load"), parameters=PARAMETERS,
    example="engramsim run hopfield-capacity --set rule=hebb --set n_neurons=100 --set seeds=2 "
            "--out results/hopfield-hebb-100.nc",
))
