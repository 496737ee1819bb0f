"""``sparsey-similarity``: the code overlap of variants of a stored input against their input overlap."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from engramsim.experiments import theory
from engramsim.experiments.plotting import figure, seed_mean
from engramsim.experiments.registry import Experiment, as_list, register
from engramsim.experiments.sparsey.inputs import overlapping_variants, random_sparse_inputs
from engramsim.experiments.sweep import Metric
from engramsim.networks.sparsey import PRESETS, Sparsey, SparseyMac, code_overlap, csa_preset
from engramsim.sim.random import stream
from engramsim.sim.validation import check_choice, check_float, check_int

__all__ = ["SIMILARITY", "SIMILARITY_DEFAULTS", "SIMILARITY_METRICS", "check_similarity", "finalize_similarity", "is_monotonic", "plot_similarity", "similarity_point"]


SIMILARITY_DEFAULTS: dict[str, Any] = {
    "csa": ["sparseycore", "sparseypy", "sparsey-csa"],
    "n_stored": [1, 10, 30],
    "input_overlap": [0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
    "n_inputs": 200,
    "n_active": 20,
    "n_modules": 10,
    "cells_per_module": 8,
    "n_variants": 500,
    "backend": "auto",
}

SIMILARITY_METRICS = {
    "learn_overlap": Metric("mean code overlap |C & C_X|/Q of the code learning would choose"),
    "recognize_overlap": Metric("mean code overlap |C & C_X|/Q of the recognised (argmax V) code"),
    "familiarity": Metric("mean global familiarity G of the variants"),
}


def check_similarity(params: dict[str, Any]) -> None:
    """Reject impossible settings before any work starts."""
    for name in as_list(params["csa"]):
        check_choice(name, "csa", PRESETS)
    for n in as_list(params["n_stored"]):
        check_int(n, "n_stored", minimum=1)
    for s in as_list(params["input_overlap"]):
        check_float(s, "input_overlap", 0.0, 1.0)
    n_inputs = check_int(params["n_inputs"], "n_inputs", minimum=2)
    n_active = check_int(params["n_active"], "n_active", minimum=1, maximum=n_inputs // 2)
    del n_active
    check_int(params["n_modules"], "n_modules", minimum=1)
    check_int(params["cells_per_module"], "cells_per_module", minimum=2)
    check_int(params["n_variants"], "n_variants", minimum=1)


def similarity_point(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """Code overlap against input overlap for one (preset, load, overlap, seed)."""
    stored = random_sparse_inputs(int(params["n_stored"]), int(params["n_inputs"]), int(params["n_active"]),
                                  stream(seed, "inputs"))
    mac = SparseyMac(int(params["n_inputs"]), int(params["n_modules"]), int(params["cells_per_module"]),
                     csa=params["csa"], backend=params["backend"], seed=seed)
    codes = mac.store(stored).codes
    variants = overlapping_variants(stored[0], float(params["input_overlap"]), int(params["n_variants"]),
                                    stream(seed, "variants"))
    recognised = mac.recall(variants)
    return {
        "learn_overlap": code_overlap(mac.propose(variants), codes[0]).mean(),
        "recognize_overlap": code_overlap(recognised.winners, codes[0]).mean(),
        "familiarity": recognised.familiarity.mean(),
    }


def is_monotonic(curve: xr.DataArray, dim: str) -> xr.DataArray:
    """True where ``curve`` never decreases along ``dim``."""
    return (curve.diff(dim) >= 0).all(dim)


def finalize_similarity(ds: xr.Dataset, params: dict[str, Any]) -> xr.Dataset:
    """Add the one-item theory curve and a monotonicity flag."""
    k = int(params["cells_per_module"])
    theory_curve = []
    for name in ds["csa"].values:
        csa = csa_preset(str(name))
        theory_curve.append(theory.sparsey_single_item_overlap(
            ds["input_overlap"].values, k, csa.expansivity, csa.v_to_mu, csa.v_to_mu.initial_inflection))
    ds["theory_learn_overlap"] = xr.DataArray(np.array(theory_curve), dims=("csa", "input_overlap"), attrs={
        "long_name": "expected learning code overlap with one stored item, no crosstalk", "units": "1"})
    for var in ("learn_overlap", "recognize_overlap"):
        ds[f"{var}_monotonic"] = is_monotonic(seed_mean(ds[var]), "input_overlap").astype(np.int8)
        ds[f"{var}_monotonic"].attrs.update(long_name=f"seed-mean {var} never decreases with input overlap",
                                            units="1")
    ds.attrs.update(chance_overlap=1.0 / k)
    return ds


def plot_similarity(ds: xr.Dataset):
    """Code overlap against input overlap, per preset and load, with theory."""
    presets = list(ds["csa"].values)
    fig, axes = figure(len(presets))
    for ax, name in zip(axes, presets):
        sub = ds.sel(csa=name)
        for n in sub["n_stored"].values:
            cur = sub.sel(n_stored=n)
            line, = ax.plot(cur["input_overlap"], seed_mean(cur["learn_overlap"]), "o-", ms=3,
                            label=f"learn, {n} stored")
            ax.plot(cur["input_overlap"], seed_mean(cur["recognize_overlap"]), "s--", ms=3, color=line.get_color(),
                    label=f"recognise, {n} stored")
        ax.plot(sub["input_overlap"], sub["theory_learn_overlap"], "k:", label="theory, 1 stored")
        ax.axhline(ds.attrs.get("chance_overlap", 0), color="gray", lw=0.7)
        ax.set(xlabel="input overlap |X & Y|/|X|", ylabel="code overlap |C(X) & C(Y)|/Q", title=str(name),
               ylim=(0, 1.05))
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncol=min(len(labels), 4), fontsize=8, frameon=False,
               title="grey line: chance overlap", title_fontsize=8)
    return fig


SIMILARITY = register(Experiment(
    name="sparsey-similarity",
    description="Sparsey: code overlap against input overlap (similar inputs, similar codes)",
    point=similarity_point, defaults=SIMILARITY_DEFAULTS, metrics=SIMILARITY_METRICS, seeds=3,
    finalize=finalize_similarity, plot=plot_similarity, check=check_similarity,
    dims=("csa", "n_stored", "input_overlap"),
))
