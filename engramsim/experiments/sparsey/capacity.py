"""``sparsey-capacity``: how many random sparse inputs one mac stores and still identifies."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import xarray as xr

from engramsim.experiments import theory
from engramsim.experiments.plotting import figure, seed_mean, style
from engramsim.experiments.registry import Experiment, as_list, register
from engramsim.experiments.sparsey.inputs import random_sparse_inputs
from engramsim.experiments.sweep import Metric
from engramsim.networks.sparsey import PRESETS, Sparsey, SparseyMac, code_overlap
from engramsim.sim.random import stream
from engramsim.sim.validation import check_choice, check_float, check_int

__all__ = ["CAPACITY", "CAPACITY_DEFAULTS", "CAPACITY_METRICS", "capacity_point", "check_capacity", "finalize_capacity", "identification", "plot_capacity"]


CAPACITY_DEFAULTS: dict[str, Any] = {
    "n_modules": [5, 10, 20],
    "cells_per_module": [4, 8, 16],
    "n_items": [10, 30, 100, 300, 1000],
    "n_inputs": 200,
    "n_active": 20,
    "csa": "sparseycore",
    "saturation_threshold": 0.5,
    "backend": "auto",
}

CAPACITY_METRICS = {
    "accuracy": Metric("fraction of items whose recognised code overlaps their own code most"),
    "exact": Metric("fraction of items whose recognised code equals their stored code"),
    "own_overlap": Metric("mean code overlap of the recognised code with the item's own code"),
    "frozen_fraction": Metric("fraction of inputs whose weights are frozen"),
    "learn_time": Metric("learning time per item", "s"),
    "recognize_time": Metric("recognition time per item", "s"),
}


def check_capacity(params: dict[str, Any]) -> None:
    """Reject impossible settings before any work starts."""
    for q in as_list(params["n_modules"]):
        check_int(q, "n_modules", minimum=1)
    for k in as_list(params["cells_per_module"]):
        check_int(k, "cells_per_module", minimum=2)
    for p in as_list(params["n_items"]):
        check_int(p, "n_items", minimum=2)
    n_inputs = check_int(params["n_inputs"], "n_inputs", minimum=2)
    check_int(params["n_active"], "n_active", minimum=1, maximum=n_inputs)
    check_choice(params["csa"], "csa", PRESETS)
    check_float(params["saturation_threshold"], "saturation_threshold", 0.0, 1.0)


def identification(overlaps: np.ndarray) -> np.ndarray:
    """True for each item (row) whose own (diagonal) overlap beats every other stored code's strictly."""
    own = np.diagonal(overlaps).copy()
    others = overlaps.copy()
    np.fill_diagonal(others, -np.inf)
    return own > others.max(axis=1)


def capacity_point(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """Recognition of every stored item after learning ``n_items``."""
    items = random_sparse_inputs(int(params["n_items"]), int(params["n_inputs"]), int(params["n_active"]),
                                 stream(seed, "inputs"))
    mac = SparseyMac(int(params["n_inputs"]), int(params["n_modules"]), int(params["cells_per_module"]),
                     csa=params["csa"], saturation_threshold=float(params["saturation_threshold"]),
                     backend=params["backend"], seed=seed)
    mac.store(items[:2])  # compile and warm up outside the timed region (counted as stored items)
    start = time.perf_counter()
    mac.store(items[2:])
    learn_time = (time.perf_counter() - start) / max(1, items.shape[0] - 2)
    codes = mac.codes
    start = time.perf_counter()
    result = mac.recall(items)
    recognize_time = (time.perf_counter() - start) / items.shape[0]
    return {
        "accuracy": identification(result.overlaps).mean(),
        "exact": np.all(result.winners == codes, axis=1).mean(),
        "own_overlap": code_overlap(result.winners, codes).mean(),
        "frozen_fraction": mac.frozen.mean(),
        "learn_time": learn_time,
        "recognize_time": recognize_time,
    }


def finalize_capacity(ds: xr.Dataset, params: dict[str, Any]) -> xr.Dataset:
    """Add the freezing load of random codes."""
    density = float(params["n_active"]) / float(params["n_inputs"])
    ds["theory_freeze_load"] = xr.DataArray(
        theory.sparsey_freeze_load(density, ds["cells_per_module"].values, float(params["saturation_threshold"])),
        dims="cells_per_module",
        attrs={"long_name": "items stored before a typical input freezes (random codes)", "units": "1"})
    return ds


def plot_capacity(ds: xr.Dataset):
    """Identification accuracy and learning time against the number of stored items."""
    fig, (ax_acc, ax_time) = figure(2)
    curve = 0
    for k in ds["cells_per_module"].values:
        for q in ds["n_modules"].values:
            cur = ds.sel(cells_per_module=k, n_modules=q)
            ax_acc.plot(cur["n_items"], seed_mean(cur["accuracy"]), marker="o", ms=3, label=f"Q={q}, K={k}",
                        **style(curve))
            ax_time.plot(cur["n_items"], seed_mean(cur["learn_time"]) * 1e6, marker="o", ms=3, **style(curve))
            curve += 1
        ax_acc.axvline(float(ds["theory_freeze_load"].sel(cells_per_module=k)), color="gray", lw=0.7, ls=":")
    ax_acc.set(xscale="log", xlabel="stored items", ylabel="identification accuracy",
               title="Recognition (dotted: freezing load per K)")
    ax_acc.legend(fontsize=6, ncol=2)
    ax_time.set(xscale="log", xlabel="stored items", ylabel="learning time per item (us)",
                title="Fixed-time learning", ylim=(0, None))
    return fig


CAPACITY = register(Experiment(
    name="sparsey-capacity",
    description="Sparsey: recognition accuracy against the number of stored items, per (Q, K)",
    point=capacity_point, defaults=CAPACITY_DEFAULTS, metrics=CAPACITY_METRICS, seeds=2,
    finalize=finalize_capacity, plot=plot_capacity, check=check_capacity,
    dims=("n_modules", "cells_per_module", "n_items"),
))
