"""``sparsey-digits``: a two-level Sparsey learns digits in a single trial each; accuracy and time
against training images per class."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np
import xarray as xr

from engramsim.experiments.plotting import figure, seed_mean
from engramsim.experiments.registry import Experiment, as_list, register
from engramsim.experiments.sparsey.classifiers import (
    class_mean_label,
    class_overlaps,
    nearest_label,
    nearest_pixels,
)
from engramsim.experiments.sparsey.digits_data import (
    DIGITS_HOLDOUT_SEED,
    DIGITS_MAX_PER_CLASS,
    DIGITS_THRESHOLD,
    _cached_digits,
    binarised_digits,
    complement_code,
    digits_holdout,
    digits_split,
)
from engramsim.experiments.sweep import Metric
from engramsim.networks.sparsey import CSA, PRESETS, Sparsey, SparseyLevel, code_overlap, csa_preset
from engramsim.sim.random import stream
from engramsim.sim.validation import check_choice, check_float, check_int

__all__ = ["DIGITS", "DIGITS_DEFAULTS", "DIGITS_METRICS", "DIGITS_SPLITS", "DIGITS_THINNED_PIPELINE", "check_digits", "digits_network", "digits_point", "finalize_digits", "plot_digits"]


DIGITS_DEFAULTS: dict[str, Any] = {
    "per_class": [5, 10, 20, 50, 80],
    "split": "test",
    "threshold": DIGITS_THRESHOLD,
    "image_size": 16,
    "thin": False,
    "complement": True,
    "l1_grid": 7,
    "l1_field": 4,
    "l1_modules": 16,
    "l1_cells": 48,
    "l2_modules": 64,
    "l2_cells": 48,
    "u_exponent": 10.0,
    "nonlinearity": 10.0,
    "l2_g_floor": 0.9,
    "l1_saturation": 0.1,
    "l2_saturation": 1.0,
    "frozen_argmax": 0.5,
    "csa": "sparseycore",
    "backend": "auto",
}

#: the settings this experiment used before (thinned skeletons, SparseyCore's CSA unchanged at both
#: levels, no complement coding, no post-freeze argmax), for comparison:
#: ``run_experiment("sparsey-digits", DIGITS_THINNED_PIPELINE)``
DIGITS_THINNED_PIPELINE: dict[str, Any] = {
    "thin": True, "complement": False, "l2_modules": 32, "u_exponent": 1.0, "nonlinearity": None,
    "l2_g_floor": None, "l1_saturation": 0.15, "l2_saturation": 0.15, "frozen_argmax": None,
}

DIGITS_METRICS = {
    "accuracy": Metric("test accuracy, nearest stored top-level (level-2) code"),
    "class_accuracy": Metric("test accuracy, class of largest mean top-level code overlap with its stored codes"),
    "l1_accuracy": Metric("test accuracy, nearest stored level-1 code (all level-1 macs side by side)"),
    "baseline_accuracy": Metric("test accuracy, nearest training image in the binarised (not complemented) "
                                "pixels Sparsey reads (Hamming)"),
    "raw_baseline_accuracy": Metric("test accuracy, nearest training image in binarised 8x8 pixels (Hamming)"),
    "thinned_baseline_accuracy": Metric("test accuracy, nearest training image in thinned 16x16 skeletons "
                                        "(Hamming)"),
    "same_class_overlap": Metric("mean top-level code overlap between stored codes of the same class"),
    "other_class_overlap": Metric("mean top-level code overlap between stored codes of different classes"),
    "l1_same_class_overlap": Metric("mean level-1 code overlap between stored codes of the same class"),
    "l1_other_class_overlap": Metric("mean level-1 code overlap between stored codes of different classes"),
    "l1_reproduced": Metric("mean overlap of the level-1 code recognised for a training image with the code "
                            "stored for it (first 200 training images)"),
    "input_density": Metric("mean fraction of on pixels of the binarised images (before complement coding)"),
    "train_time": Metric("single-trial training time", "s"),
    "train_time_per_item": Metric("training time per image", "s"),
    "n_test": Metric("number of test images"),
}

DIGITS_SPLITS = ("test", "validation")


def _optional_float(value: Any, name: str, low: float, high: float | None = None) -> None:
    if value is not None:
        check_float(value, name, low, high)


def check_digits(params: dict[str, Any]) -> None:
    """Reject impossible settings before any work starts."""
    for n in as_list(params["per_class"]):
        check_int(n, "per_class", minimum=1, maximum=DIGITS_MAX_PER_CLASS)
    check_choice(params["split"], "split", DIGITS_SPLITS)
    check_int(params["threshold"], "threshold", minimum=1, maximum=16)
    size = check_int(params["image_size"], "image_size", minimum=8, maximum=64)
    for name in ("thin", "complement"):
        if not isinstance(params[name], (bool, np.bool_)):
            raise TypeError(f"{name} must be True or False, got {params[name]!r}")
    check_int(params["l1_field"], "l1_field", minimum=1, maximum=size)
    check_int(params["l1_grid"], "l1_grid", minimum=1, maximum=size)
    for name in ("l1_modules", "l1_cells", "l2_modules", "l2_cells"):
        check_int(params[name], name, minimum=1)
    check_float(params["u_exponent"], "u_exponent", 0.0, strict_minimum=True)
    _optional_float(params["nonlinearity"], "nonlinearity", 0.0)
    _optional_float(params["l2_g_floor"], "l2_g_floor", 0.0, 0.999)
    for name in ("l1_saturation", "l2_saturation"):
        check_float(params[name], name, 0.0, 1.0)
    _optional_float(params["frozen_argmax"], "frozen_argmax", 0.0, 1.0)
    check_choice(params["csa"], "csa", PRESETS)
    if params["csa"] != "sparseycore" and (params["nonlinearity"] is not None or params["l2_g_floor"] is not None):
        raise ValueError(f"nonlinearity and l2_g_floor change the sparseycore preset; with csa={params['csa']!r} "
                         f"set both to None")



def _digits_csa(params: dict[str, Any], level: int) -> str | CSA:
    """The CSA of one level: the preset, with the sigmoid nonlinearity and (level 2) the G floor replaced."""
    name = params["csa"]
    nonlinearity = params["nonlinearity"]
    g_floor = params["l2_g_floor"] if level == 2 else None
    if name != "sparseycore" or (nonlinearity is None and g_floor is None):
        return name
    preset = csa_preset(name)
    eta, mu = preset.expansivity, preset.v_to_mu
    if g_floor is not None:
        eta = replace(eta, g_floor=float(g_floor))
    if nonlinearity is not None:
        mu = replace(mu, nonlinearity=float(nonlinearity))
    return CSA(eta, mu, preset.learn_readout, preset.recognize_readout, name=f"{name}-digits-l{level}")


def digits_network(params: dict[str, Any], seed: int) -> Sparsey:
    """The two-level hierarchy: a grid of level-1 macs on overlapping square patches, one mac on top."""
    size, grid, field_size = int(params["image_size"]), int(params["l1_grid"]), int(params["l1_field"])
    return Sparsey((size, size), [
        SparseyLevel((grid, grid), (field_size, field_size), int(params["l1_modules"]), int(params["l1_cells"]),
                     csa=_digits_csa(params, 1), saturation_threshold=float(params["l1_saturation"])),
        SparseyLevel((1, 1), None, int(params["l2_modules"]), int(params["l2_cells"]),
                     csa=_digits_csa(params, 2), saturation_threshold=float(params["l2_saturation"])),
    ], channels=2 if bool(params["complement"]) else 1, u_exponent=float(params["u_exponent"]),
        frozen_argmax=params["frozen_argmax"], backend=params["backend"], seed=seed)


def digits_point(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """Train on ``per_class`` development images per class; test on the held-out half (or validate)."""
    threshold, size = int(params["threshold"]), int(params["image_size"])
    raw, labels = binarised_digits(threshold)
    binary, _ = _cached_digits(threshold, size, False)
    thinned, _ = _cached_digits(threshold, size, True)
    images = thinned if bool(params["thin"]) else binary
    keep = (images.sum(axis=1) > 0) & (raw.sum(axis=1) > 0)
    dev = digits_holdout(labels)
    pool = np.flatnonzero(dev & keep)
    train, rest = digits_split(labels, int(params["per_class"]), stream(seed, "split"), pool)
    test = rest if params["split"] == "validation" else np.flatnonzero(~dev & keep)
    inputs = complement_code(images) if bool(params["complement"]) else images
    net = digits_network(params, seed)
    start = time.perf_counter()
    codes = net.store(inputs[train]).codes
    train_time = time.perf_counter() - start
    test_codes = net.recall(inputs[test]).level_winners
    reproduce = train[:200]  # how well level 1 reproduces the codes it stored (a subset: time)
    reproduced = net.recall(inputs[reproduce]).level_winners[0].reshape(reproduce.size, -1)
    k1, k2 = int(params["l1_cells"]), int(params["l2_cells"])
    top, top_test = codes[-1].reshape(train.size, -1), test_codes[-1].reshape(test.size, -1)
    l1, l1_test = codes[0].reshape(train.size, -1), test_codes[0].reshape(test.size, -1)
    same, other = class_overlaps(top, labels[train], k2)
    l1_same, l1_other = class_overlaps(l1, labels[train], k1)
    y_train, y_test = labels[train], labels[test]
    return {
        "accuracy": np.mean(nearest_label(top_test, top, y_train, k2) == y_test),
        "class_accuracy": np.mean(class_mean_label(top_test, top, y_train, k2) == y_test),
        "l1_accuracy": np.mean(nearest_label(l1_test, l1, y_train, k1) == y_test),
        "baseline_accuracy": np.mean(nearest_pixels(images[test], images[train], y_train) == y_test),
        "raw_baseline_accuracy": np.mean(nearest_pixels(raw[test], raw[train], y_train) == y_test),
        "thinned_baseline_accuracy": np.mean(nearest_pixels(thinned[test], thinned[train], y_train) == y_test),
        "same_class_overlap": same,
        "other_class_overlap": other,
        "l1_same_class_overlap": l1_same,
        "l1_other_class_overlap": l1_other,
        "l1_reproduced": float(code_overlap(reproduced, l1[:reproduce.size]).mean()),
        "input_density": images.mean(),
        "train_time": train_time,
        "train_time_per_item": train_time / train.size,
        "n_test": test.size,
    }


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
    l2_csa, l1_csa = _digits_csa(params, 2), _digits_csa(params, 1)

    def describe(csa: str | CSA) -> str:
        if isinstance(csa, str):
            return f"preset {csa}"
        return f"{params['csa']} preset with {csa.expansivity!r}, {csa.v_to_mu!r}"

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
                   f"saturation_threshold={float(params['l1_saturation'])}, CSA {describe(l1_csa)}; "
                   f"level 2: one mac over all level-1 codes, Q={int(params['l2_modules'])}, "
                   f"K={int(params['l2_cells'])}, saturation_threshold={float(params['l2_saturation'])}, "
                   f"CSA {describe(l2_csa)}; u_exponent={float(params['u_exponent'])} at both levels; "
                   f"frozen_argmax={params['frozen_argmax']}"),
        readout=("accuracy and l1_accuracy: label of the stored code with the largest code overlap (first on "
                 "ties); class_accuracy: class with the largest mean overlap over its stored top-level codes"),
        settings_chosen_on="the validation split (split='validation', seeds 0-1, per_class 5, 20, 50); "
                           "see docs/models/sparsey.md",
        chance_accuracy=0.1,
    )
    return ds


def plot_digits(ds: xr.Dataset):
    """Accuracy and training time against training images per class."""
    fig, (ax_acc, ax_time) = figure(2)
    n = ds["per_class"]
    ax_acc.plot(n, seed_mean(ds["accuracy"]), "o-", label="Sparsey, nearest level-2 code")
    ax_acc.plot(n, seed_mean(ds["class_accuracy"]), "v-", label="Sparsey, level-2 class mean overlap")
    ax_acc.plot(n, seed_mean(ds["l1_accuracy"]), "^-", label="Sparsey, nearest level-1 code")
    ax_acc.plot(n, seed_mean(ds["baseline_accuracy"]), "s--", label="1-NN, binarised 16x16 pixels")
    ax_acc.plot(n, seed_mean(ds["thinned_baseline_accuracy"]), "x--", label="1-NN, thinned 16x16 pixels")
    ax_acc.plot(n, seed_mean(ds["raw_baseline_accuracy"]), "d:", label="1-NN, binarised 8x8 pixels")
    ax_acc.axhline(0.1, color="gray", lw=0.7, label="chance")
    ax_acc.set(xscale="log", xlabel="training images per class", ylabel="test accuracy", ylim=(0, 1),
               title="Digits, single-trial learning")
    ax_acc.legend(fontsize=6)
    ax_time.plot(n, seed_mean(ds["train_time"]), "o-")
    ax_time.set(xscale="log", yscale="log", xlabel="training images per class", ylabel="training time (s)",
                title="Training time")
    return fig


DIGITS = register(Experiment(
    name="sparsey-digits",
    description="Sparsey: single-trial learning of upsampled, binarised, complement-coded digits; accuracy and "
                "time against samples per class",
    point=digits_point, defaults=DIGITS_DEFAULTS, metrics=DIGITS_METRICS, seeds=2,
    finalize=finalize_digits, plot=plot_digits, check=check_digits, dims=("per_class",),
))
