"""Attributes and figure of the ``sparsey-digits`` experiment: the protocol, the hierarchy, the readouts,
and level 2's four criteria (:mod:`~engramsim.experiments.sparsey.criteria`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from engramsim.experiments.plotting import seed_mean
from engramsim.experiments.sparsey.criteria import (
    MAX_OTHER_OVERLAP_TIMES_K,
    MIN_RATIO,
    MIN_SPEARMAN,
    MIN_Z,
    USEFULNESS_MARGIN,
)
from engramsim.experiments.sparsey.digits_data import DIGITS_HOLDOUT_SEED
from engramsim.networks.sparsey import CSA

__all__ = ["CRITERIA_PANELS", "finalize_digits", "plot_digits"]


def finalize_digits(ds: xr.Dataset, params: dict[str, Any]) -> xr.Dataset:
    """Record the split, the preprocessing, the hierarchy and the readouts in the Dataset's attributes."""
    size, grid, field_size = int(params["image_size"]), int(params["l1_grid"]), int(params["l1_field"])
    steps = ["scikit-learn load_digits 8x8 grey levels 0..16",
             f"scipy.ndimage.zoom to {size}x{size} (order 1)",
             f"binarise at grey level >= {int(params['threshold'])}"]
    if bool(params["thin"]):
        steps.append("Zhang-Suen thinning (one-pixel skeletons)")
    if bool(params["complement"]):
        steps.append("complement coding: each pixel as two units (on, off), so every level-1 patch has "
                     "exactly one active unit per pixel")
    steps.append("drop images left blank")
    from engramsim.experiments.sparsey.digits import digits_csa

    l2_csa, l1_csa = digits_csa(params, 2), digits_csa(params, 1)

    def describe(csa: str | CSA) -> str:
        if isinstance(csa, str):
            return f"preset {csa}"
        return f"{params['csa']} preset with {csa.expansivity!r}, {csa.v_to_mu!r}"

    l2_grid, l2_field = int(params["l2_grid"]), int(params["l2_field"])
    l1_band = f"[{int(params['l1_min_on'])}, {field_size * field_size}]" if params["l1_min_on"] else "off"
    l2_band = f"[{int(params['l2_min_active'])}, {l2_field * l2_field}]" if params["l2_min_active"] else "off"
    split = ("train: per_class images per class from the development half; test: the held-out half "
             "(never used while choosing settings)" if params["split"] == "test" else
             "validation: train and evaluate inside the development half (used to choose the settings)")
    ds.attrs.update(
        split=(f"{split}; halves fixed per class by seed {DIGITS_HOLDOUT_SEED} "
               f"(engramsim.experiments.sparsey.digits_holdout)"),
        preprocessing="; ".join(steps),
        image_size=size, thinned=int(bool(params["thin"])), complement_coded=int(bool(params["complement"])),
        hierarchy=(f"level 1: {grid}x{grid} macs on {field_size}x{field_size} pixel patches, "
                   f"Q={int(params['l1_modules'])}, K={int(params['l1_cells'])}, "
                   f"saturation_threshold={float(params['l1_saturation'])}, CSA {describe(l1_csa)}, "
                   f"on-pixel band {l1_band}; "
                   f"level 2: {l2_grid}x{l2_grid} macs on {l2_field}x{l2_field} patches of level-1 macs, "
                   f"Q={int(params['l2_modules'])}, K={int(params['l2_cells'])}, "
                   f"saturation_threshold={float(params['l2_saturation'])}, CSA {describe(l2_csa)}, "
                   f"active-lower-mac band {l2_band}, MCH discount {'on' if params['mch'] else 'off'}; "
                   f"u_exponent={float(params['u_exponent'])} at both levels; "
                   f"frozen_argmax={params['frozen_argmax']}; schedule={params['schedule']}; "
                   f"weights {'SparseyCore WeightTable (decay, permanence)' if params['permanence'] else 'set-once'}; "
                   f"recognition ties broken by {params['tie_break']}"),
        levels=("level 1 (one internal level) is the counterpart of the published MNIST model (2-level = input + "
                "one internal level, 91 %); level 2 is exploratory: no published result claims that a second "
                "internal level's codes cluster by class"),
        readout=("l1_accuracy, accuracy: label of the stored code with the largest code overlap (first on ties); "
                 "class_accuracy: class with the largest mean overlap over its stored level-2 codes; "
                 "class_node_accuracy, l1_class_node_accuracy: class nodes with Hebbian count weights from the "
                 "code cells (engramsim.experiments.sparsey.class_node_label)"),
        level2_criteria=(f"1 similarity: l2_spearman >= {MIN_SPEARMAN}; 2 class structure: l2_same_other_ratio >= "
                         f"{MIN_RATIO} and l2_permutation_z >= {MIN_Z}; 3 non-collapse: l2_other_overlap_k <= "
                         f"{MAX_OTHER_OVERLAP_TIMES_K}; 4 usefulness: l2_usefulness >= -{USEFULNESS_MARGIN}; "
                         f"all four together"),
        settings_chosen_on=("the validation split (split='validation'): level 1 with seeds 0-1 and per_class 5, "
                            "20, 50; level 2's layout, schedule, bands and discount with seed 0 and per_class 20; "
                            "see docs/models/sparsey.md"),
        schedule=str(params["schedule"]),
        chance_accuracy=0.1,
    )
    return ds


def _log_ticks(ax: Any, values: np.ndarray, axis: str = "x") -> None:
    """A log axis labelled in plain numbers at ``values`` only (no crowded minor labels)."""
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator, ScalarFormatter

    getattr(ax, f"set_{axis}scale")("log")
    target = getattr(ax, f"{axis}axis")
    target.set_major_locator(FixedLocator(values))
    formatter = ScalarFormatter()
    formatter.set_scientific(False)
    target.set_major_formatter(formatter)
    target.set_minor_locator(NullLocator())
    target.set_minor_formatter(NullFormatter())


def _one_two_five(low: float, high: float) -> np.ndarray:
    """The 1-2-5 sequence of numbers spanning [low, high] (one step beyond each end)."""
    decades = np.arange(np.floor(np.log10(low)) - 1, np.ceil(np.log10(high)) + 1)
    ladder = np.sort(np.concatenate([m * 10.0**decades for m in (1, 2, 5)]))
    inside = np.flatnonzero((ladder >= low) & (ladder <= high))
    if inside.size == 0:
        return ladder[(ladder >= low / 10) & (ladder <= high * 10)]
    return ladder[max(inside[0] - 1, 0):inside[-1] + 2]


#: the four level-2 criteria as (variable, threshold, passes above, title)
CRITERIA_PANELS = (
    ("l2_spearman", MIN_SPEARMAN, True, "1. similarity: Spearman rho (L2 vs L1)"),
    ("l2_same_other_ratio", MIN_RATIO, True, "2. class structure: same / other overlap"),
    ("l2_other_overlap_k", MAX_OTHER_OVERLAP_TIMES_K, False, "3. non-collapse: other overlap x K2"),
    ("l2_usefulness", -USEFULNESS_MARGIN, True, "4. usefulness: L2 class nodes - L1 nearest"),
)


def plot_digits(ds: xr.Dataset):
    """Top: level 1 (the published model's counterpart) and level 2 against baselines, and training time.
    Bottom: level 2's four criteria, each against its threshold (dashed)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(16, 7.5), layout="constrained")
    grid = fig.add_gridspec(2, 4)
    ax_l1, ax_l2, ax_time = fig.add_subplot(grid[0, :2]), fig.add_subplot(grid[0, 2]), fig.add_subplot(grid[0, 3])
    n = ds["per_class"].values
    baselines = (("baseline_accuracy", "s--", "1-NN, binarised 16x16 pixels"),
                 ("raw_baseline_accuracy", "d:", "1-NN, binarised 8x8 pixels"),
                 ("thinned_baseline_accuracy", "x--", "1-NN, thinned 16x16 pixels"))
    ax_l1.plot(n, seed_mean(ds["l1_accuracy"]), "o-", lw=2, label="level 1, nearest stored code")
    ax_l1.plot(n, seed_mean(ds["l1_class_node_accuracy"]), "^-", label="level 1, class nodes")
    ax_l2.plot(n, seed_mean(ds["class_node_accuracy"]), "^-", label="level 2, class nodes")
    ax_l2.plot(n, seed_mean(ds["class_accuracy"]), "v-", label="level 2, class-mean overlap")
    ax_l2.plot(n, seed_mean(ds["accuracy"]), "o-", label="level 2, nearest stored code")
    ax_l2.plot(n, seed_mean(ds["l1_accuracy"]), "-", color="gray", lw=0.8, label="level 1, nearest code")
    for name, style, label in baselines:
        ax_l1.plot(n, seed_mean(ds[name]), style, label=label)
    for ax, title in ((ax_l1, "Level 1: counterpart of the published model (91 % on MNIST)"),
                      (ax_l2, "Level 2 (exploratory)")):
        ax.axhline(0.1, color="gray", lw=0.7, ls=":", label="chance")
        _log_ticks(ax, n)
        ax.set(xlabel="training images per class", ylabel="held-out accuracy", ylim=(0, 1), title=title)
        ax.legend(fontsize=7, loc="lower right")
    times = seed_mean(ds["train_time"]).values
    ax_time.plot(n, times, "o-")
    _log_ticks(ax_time, n)
    time_ticks = _one_two_five(float(np.min(times)), float(np.max(times)))
    _log_ticks(ax_time, time_ticks, axis="y")
    ax_time.set_ylim(time_ticks[0], time_ticks[-1])  # at least two labelled ticks, even over a narrow range
    ax_time.set(xlabel="training images per class", ylabel="training time (s)",
                title=f"Training time, {ds.attrs.get('schedule', '')} schedule")
    for i, (name, threshold, above, title) in enumerate(CRITERIA_PANELS):
        ax = fig.add_subplot(grid[1, i])
        values = ds[name]
        if "seed" in values.dims:
            for s in values["seed"].values:
                ax.plot(n, values.sel(seed=s), ".", color="C0", alpha=0.5)
        ax.plot(n, seed_mean(values), "o-", color="C0", label="seed mean")
        if name == "l2_same_other_ratio":  # criterion 2 also needs the permutation z
            for x, y, z in zip(n, seed_mean(values).values, seed_mean(ds["l2_permutation_z"]).values):
                ax.annotate(f"z={z:.0f}", (x, y), textcoords="offset points", xytext=(0, 6), ha="center",
                            fontsize=7)
            ax.plot([], [], " ", label=f"z: permutation z, passes >= {MIN_Z:g}")
        ax.axhline(threshold, color="C3", ls="--", label=f"passes {'>=' if above else '<='} {threshold:g}")
        _log_ticks(ax, n)
        ax.set(xlabel="training images per class", title=title)
        ax.legend(fontsize=7)
    return fig
