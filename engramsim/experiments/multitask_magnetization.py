"""Registered experiment ``multitask-magnetization``: sorted magnetisations against dilution.

For each dilution d, number of patterns K and seed, K diluted patterns
(entries 0 with probability d, else +-1) are stored in a
:class:`~engramsim.networks.MultitaskHopfield` network of N units.  The
network starts from

* ``initial="first_pattern"`` (default, the brief's protocol): the first
  pattern on its non-zero sites and random +-1 (stream ``"initial"``) on its
  blanks, or
* ``initial="ansatz"``: the hierarchical ansatz state built from the
  patterns (:meth:`~engramsim.networks.MultitaskHopfield.hierarchical_state`),

and runs zero-temperature asynchronous dynamics (random-permutation sweeps,
ties keep the state) until a sweep without a flip.  The measured variable is
``magnetization``: the final Mattis magnetisations ``|m_mu|`` sorted in
descending order, along a ``rank`` dimension (rank 1 is the largest).
Which lower pattern ends up second is spontaneous symmetry breaking, so
ranks, not pattern indices, are compared with the hierarchical ansatz
``theory_magnetization = (1 - d) d^(k-1)``.

The Dataset also carries, per K, the ``breakdown_dilution`` (the root of
``d + d^2 + ... + d^(K-1) = 1``; the ansatz is a fixed point below it) and,
per (d, K), ``hierarchy_consistent``.  See ``docs/models/multitask.md``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from engramsim.experiments import theory
from engramsim.experiments.plotting import figure, first_of_other_dims, seed_mean, style
from engramsim.experiments.registry import Experiment, as_list, register
from engramsim.experiments.sweep import Metric
from engramsim.networks.multitask import MultitaskHopfield, diluted_patterns
from engramsim.sim.backends import BACKEND_NAMES
from engramsim.sim.random import stream
from engramsim.sim.validation import check_choice, check_float, check_int

INITIAL = ("first_pattern", "ansatz")
INITIAL_DESCRIPTION = {
    "first_pattern": "first pattern on its non-zero sites, random +-1 on its blanks",
    "ansatz": "hierarchical ansatz state",
}

DEFAULTS: dict[str, Any] = {
    "dilution": [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
    "n_patterns": [3, 4],
    "n_neurons": 10000,
    "initial": "first_pattern",
    "max_steps": 100,
    "backend": "auto",
}

METRICS = {
    "magnetization": Metric("sorted Mattis magnetisation |m| of the final state", dims=("rank",)),
    "sweeps": Metric("asynchronous sweeps until a sweep without flips"),
    "converged": Metric("1 if the dynamics reached a fixed point within max_steps, else 0"),
}


def check(params: dict[str, Any]) -> None:
    """Reject impossible settings before any work starts."""
    for d in as_list(params["dilution"]):
        check_float(d, "dilution", 0.0, 1.0)
    for k in as_list(params["n_patterns"]):
        check_int(k, "n_patterns", minimum=1)
    for n in as_list(params["n_neurons"]):
        check_int(n, "n_neurons", minimum=2)
    for initial in as_list(params["initial"]):
        check_choice(initial, "initial", INITIAL)
    check_int(params["max_steps"], "max_steps", minimum=1)
    check_choice(params["backend"], "backend", BACKEND_NAMES)


def initial_state(mem: MultitaskHopfield, initial: str, seed: int) -> np.ndarray:
    """The starting state of one run, shape (N,), int8.

    ``"first_pattern"``: the first stored pattern where it is non-zero,
    random +-1 (stream ``"initial"`` of ``seed``) on its blanks.
    ``"ansatz"``: the hierarchical ansatz state.
    """
    initial = check_choice(initial, "initial", INITIAL)
    if initial == "ansatz":
        return mem.hierarchical_state()
    first = mem.patterns[0]
    fill = 2 * stream(seed, "initial").integers(0, 2, size=first.size, dtype=np.int8) - 1
    return np.where(first != 0, first, fill).astype(np.int8)


def point(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """Measure one (dilution, K, seed) point."""
    n_neurons, k = int(params["n_neurons"]), int(params["n_patterns"])
    patterns = diluted_patterns(k, n_neurons, float(params["dilution"]), stream(seed, "patterns"))
    mem = MultitaskHopfield(n_neurons, dynamics="async", max_steps=int(params["max_steps"]),
                            backend=params["backend"], seed=seed).store(patterns)
    start = initial_state(mem, params["initial"], seed)
    result = mem.recall(start, seed=seed)
    return {"magnetization": mem.sorted_magnetizations(result.states)[0],
            "sweeps": int(result.steps[0]), "converged": int(result.converged[0])}


def finalize(ds: xr.Dataset, params: dict[str, Any]) -> xr.Dataset:
    """Add the ansatz amplitudes, the breakdown dilution and the consistency flag."""
    ds = ds.assign_coords(rank=np.arange(1, ds.sizes["rank"] + 1))
    ds["rank"].attrs.update(long_name="rank k of |m| (1 = largest)", units="1")
    ds["dilution"].attrs.update(long_name="dilution d (fraction of zero entries per pattern)", units="1")
    ds["n_patterns"].attrs.update(long_name="number of stored patterns K", units="1")
    d, ks, ranks = ds["dilution"].values, ds["n_patterns"].values, ds["rank"].values
    amplitudes = np.full((d.size, ks.size, ranks.size), np.nan)
    for j, k in enumerate(ks):
        amplitudes[:, j, :k] = theory.multitask_magnetization(d, int(k))
    ds["theory_magnetization"] = xr.DataArray(
        amplitudes, dims=("dilution", "n_patterns", "rank"),
        attrs={"long_name": "hierarchical-ansatz magnetisation (1 - d) d^(k-1)", "units": "1"})
    ds["breakdown_dilution"] = xr.DataArray(
        [theory.multitask_breakdown_dilution(int(k)) if k >= 2 else 1.0 for k in ks], dims="n_patterns",
        attrs={"long_name": "dilution where d + ... + d^(K-1) = 1 (ansatz fixed point below it)", "units": "1"})
    consistent = np.stack([np.asarray(theory.multitask_hierarchy_consistent(d, int(k))) for k in ks], axis=1)
    ds["hierarchy_consistent"] = xr.DataArray(
        consistent.astype(np.int8), dims=("dilution", "n_patterns"),
        attrs={"long_name": "1 if d + ... + d^(K-1) < 1 (hierarchical ansatz consistent), else 0",
               "units": "1"})
    ds.attrs.update(dynamics="async", temperature=0.0, tie="keep", self_coupling=0,
                    initial_condition="; ".join(f"{name}: {INITIAL_DESCRIPTION[name]}"
                                                for name in as_list(params["initial"])))
    if not isinstance(params["n_neurons"], (list, tuple)):
        ds.attrs["n_neurons"] = int(params["n_neurons"])
    return ds


def plot(ds: xr.Dataset):
    """Sorted |m_k| against dilution, one panel per K, with the ansatz and its breakdown."""
    ks = ds["n_patterns"].values
    fig, axes = figure(len(ks))
    fine = np.linspace(0.0, 1.0, 201)
    for ax, k in zip(axes, ks):
        sub = ds.sel(n_patterns=k)
        magnetization, note = first_of_other_dims(sub["magnetization"], ("dilution", "rank", "seed"))
        measured = seed_mean(magnetization)
        spread = magnetization.std("seed") if "seed" in magnetization.dims and magnetization.sizes["seed"] > 1 else None
        ansatz = theory.multitask_magnetization(fine, int(k))
        for r_i in range(int(k)):
            kw = style(r_i)
            y = measured.isel(rank=r_i)
            err = None if spread is None else spread.isel(rank=r_i)
            ax.errorbar(sub["dilution"], y, yerr=err, fmt="o", ms=3.5, color=kw["color"], capsize=2)
            ax.plot(fine, ansatz[:, r_i], lw=1.2, label=f"rank {r_i + 1}: (1-d) d^{r_i}", **kw)
        d_c = float(sub["breakdown_dilution"])
        ax.axvline(d_c, color="k", ls=":", lw=1)
        ax.text(d_c, 0.97, f" breakdown\n d = {d_c:.3f}", fontsize=7, va="top", ha="left")
        ax.axvspan(d_c, 1.0, color="0.9", zorder=0)
        ax.set(xlabel="dilution d", ylabel="sorted |m_k|", xlim=(0, 1), ylim=(0, 1.02),
               title=", ".join(filter(None, [f"K = {k}", note, f"N = {ds.attrs['n_neurons']}"
                                             if "n_neurons" in ds.attrs else ""])))
    from matplotlib.lines import Line2D

    handles, _ = axes[int(np.argmax(ks))].get_legend_handles_labels()
    seeds = ds.sizes.get("seed", 1)
    handles.append(Line2D([], [], color="gray", marker="o", ls="none",
                          label=f"measured, mean over {seeds} seeds" + (" +- 1 SD" if seeds > 1 else "")))
    fig.legend(handles=handles, loc="outside upper center", ncol=min(len(handles), 5), fontsize=8, frameon=False,
               title="lines: hierarchical ansatz; grey: beyond its breakdown", title_fontsize=8)
    return fig


EXPERIMENT = register(Experiment(
    name="multitask-magnetization",
    description="Multitasking network: sorted magnetisations against dilution, beside the hierarchical ansatz",
    point=point, defaults=DEFAULTS, metrics=METRICS, seeds=2,
    finalize=finalize, plot=plot, check=check, dims=("dilution", "n_patterns"),
    parameters={
        "dilution": ("probability d that a pattern entry is 0 (blank)", "1"),
        "n_patterns": ("number of stored diluted patterns K", "1"),
        "n_neurons": ("number of neurons N", "1"),
        "initial": ("initial state: first_pattern (blanks random) or ansatz (the hierarchical state)", ""),
        "max_steps": ("most asynchronous sweeps", "1"),
        "backend": ("compute backend: numpy, numba, cupy or auto", ""),
    },
))
