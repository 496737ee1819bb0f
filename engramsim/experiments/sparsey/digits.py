"""``sparsey-digits``: a two-level Sparsey learns digits in a single trial each; accuracy and time
against training images per class.

Level 1 (the first internal level) is the counterpart of the published MNIST model, which has one
internal level; level 2 is exploratory, reported with the four criteria of
:mod:`~engramsim.experiments.sparsey.criteria`.  :mod:`.digits_report` records and plots the results.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np

from engramsim.experiments.registry import Experiment, as_list, register
from engramsim.experiments.sparsey.classifiers import (
    class_mean_label,
    class_node_label,
    class_overlaps,
    nearest_label,
    nearest_pixels,
)
from engramsim.experiments.sparsey.criteria import class_structure, similarity_preservation
from engramsim.experiments.sparsey.digits_data import (
    DIGITS_MAX_PER_CLASS,
    DIGITS_THRESHOLD,
    _cached_digits,
    binarised_digits,
    complement_code,
    digits_holdout,
    digits_split,
)
from engramsim.experiments.sparsey.digits_report import finalize_digits, plot_digits
from engramsim.experiments.sweep import Metric
from engramsim.networks.sparsey import (
    CSA,
    MCH,
    PRESETS,
    SCHEDULES,
    TIE_BREAKS,
    Sparsey,
    SparseyLevel,
    WeightTable,
    csa_preset,
)
from engramsim.sim.random import stream
from engramsim.sim.validation import check_bool, check_choice, check_float, check_int

__all__ = ["DIGITS", "DIGITS_DEFAULTS", "DIGITS_METRICS", "DIGITS_ONE_TOP_MAC", "DIGITS_SPLITS",
           "DIGITS_THINNED_PIPELINE", "check_digits", "digits_csa", "digits_network", "digits_point"]


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
    "l2_grid": 3,
    "l2_field": 3,
    "l2_modules": 16,
    "l2_cells": 48,
    "l1_min_on": 0,
    "l2_min_active": 0,
    "mch": False,
    "schedule": "staged",
    "permanence": False,
    "tie_break": "input",
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
    "thin": True, "complement": False, "l2_grid": 1, "l2_field": 7, "l2_modules": 32, "u_exponent": 1.0,
    "nonlinearity": None, "l2_g_floor": None, "l1_saturation": 0.15, "l2_saturation": 0.15,
    "frozen_argmax": None, "schedule": "joint", "tie_break": "random",
}

#: the previous defaults: one level-2 mac over all 49 level-1 macs, every level learning on every frame
#: (``run_experiment("sparsey-digits", DIGITS_ONE_TOP_MAC)``)
DIGITS_ONE_TOP_MAC: dict[str, Any] = {
    "l2_grid": 1, "l2_field": 7, "l2_modules": 64, "schedule": "joint", "tie_break": "random",
}

DIGITS_METRICS = {
    "l1_accuracy": Metric("test accuracy, nearest stored level-1 code (all level-1 macs side by side): "
                          "the counterpart of the published one-internal-level model"),
    "l1_class_node_accuracy": Metric("test accuracy, class nodes on level-1 codes (Hebbian counts)"),
    "accuracy": Metric("test accuracy, nearest stored level-2 code (all level-2 macs side by side)"),
    "class_accuracy": Metric("test accuracy, class of largest mean level-2 code overlap with its stored codes"),
    "class_node_accuracy": Metric("test accuracy, class nodes on level-2 codes (Hebbian counts)"),
    "l2_spearman": Metric("criterion 1: Spearman rho of level-2 against level-1 code overlap over training "
                          "pairs (passes at >= 0.3)"),
    "l2_same_other_ratio": Metric("criterion 2a: same / other class level-2 overlap of stored codes (passes "
                                  "at >= 1.15)"),
    "l2_permutation_z": Metric("criterion 2b: z of same - other class level-2 overlap against 200 label "
                               "permutations (passes at >= 5)"),
    "l2_other_overlap_k": Metric("criterion 3: other-class level-2 overlap times K2 (passes at <= 3)"),
    "l2_usefulness": Metric("criterion 4: level-2 class-node accuracy minus level-1 nearest-code accuracy "
                            "(passes at >= -0.05)"),
    "l2_active_macs": Metric("mean fraction of level-2 macs active on a test image"),
    "baseline_accuracy": Metric("test accuracy, nearest training image in the binarised (not complemented) "
                                "pixels Sparsey reads (Hamming)"),
    "raw_baseline_accuracy": Metric("test accuracy, nearest training image in binarised 8x8 pixels (Hamming)"),
    "thinned_baseline_accuracy": Metric("test accuracy, nearest training image in thinned 16x16 skeletons "
                                        "(Hamming)"),
    "same_class_overlap": Metric("mean level-2 code overlap between stored codes of the same class"),
    "other_class_overlap": Metric("mean level-2 code overlap between stored codes of different classes"),
    "l1_same_class_overlap": Metric("mean level-1 code overlap between stored codes of the same class"),
    "l1_other_class_overlap": Metric("mean level-1 code overlap between stored codes of different classes"),
    "l1_reproduced": Metric("fraction of level-1 CMs whose winner (or inactivity) recognised for a training "
                            "image is the one recorded for it (first 200 training images)"),
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
    field = check_int(params["l1_field"], "l1_field", minimum=1, maximum=size)
    grid = check_int(params["l1_grid"], "l1_grid", minimum=1, maximum=size)
    check_int(params["l2_grid"], "l2_grid", minimum=1, maximum=grid)
    l2_field = check_int(params["l2_field"], "l2_field", minimum=1, maximum=grid)
    for name in ("l1_modules", "l1_cells", "l2_modules", "l2_cells"):
        check_int(params[name], name, minimum=1)
    check_int(params["l1_min_on"], "l1_min_on", minimum=0, maximum=field * field)
    check_int(params["l2_min_active"], "l2_min_active", minimum=0, maximum=l2_field * l2_field)
    for name in ("mch", "permanence"):
        check_bool(params[name], name)
    check_choice(params["schedule"], "schedule", SCHEDULES)
    check_choice(params["tie_break"], "tie_break", TIE_BREAKS)
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



def digits_csa(params: dict[str, Any], level: int) -> str | CSA:
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
    """The two-level hierarchy: a grid of level-1 macs on overlapping square pixel patches, and a grid of
    level-2 macs on overlapping square patches of level-1 macs."""
    size, grid, field_size = int(params["image_size"]), int(params["l1_grid"]), int(params["l1_field"])
    l2_grid, l2_field = int(params["l2_grid"]), int(params["l2_field"])
    l1_on, l2_active = int(params["l1_min_on"]), int(params["l2_min_active"])
    return Sparsey((size, size), [
        SparseyLevel((grid, grid), (field_size, field_size), int(params["l1_modules"]), int(params["l1_cells"]),
                     csa=digits_csa(params, 1), saturation_threshold=float(params["l1_saturation"]),
                     feature_band=(l1_on, field_size * field_size) if l1_on else None),
        SparseyLevel((l2_grid, l2_grid), (l2_field, l2_field), int(params["l2_modules"]), int(params["l2_cells"]),
                     csa=digits_csa(params, 2), saturation_threshold=float(params["l2_saturation"]),
                     feature_band=(l2_active, l2_field * l2_field) if l2_active else None,
                     mch=MCH() if bool(params["mch"]) else None),
    ], channels=2 if bool(params["complement"]) else 1, u_exponent=float(params["u_exponent"]),
        frozen_argmax=params["frozen_argmax"], permanence=WeightTable() if bool(params["permanence"]) else None,
        tie_break=params["tie_break"], backend=params["backend"], seed=seed)


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
    codes = net.store(inputs[train], schedule=params["schedule"]).codes
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
    l1_accuracy = np.mean(nearest_label(l1_test, l1, y_train, k1) == y_test)
    class_node_accuracy = np.mean(class_node_label(top_test, top, y_train, k2) == y_test)
    ratio, z = class_structure(top, y_train, k2, stream(seed, "permutations"))
    return {
        "l1_accuracy": l1_accuracy,
        "l1_class_node_accuracy": np.mean(class_node_label(l1_test, l1, y_train, k1) == y_test),
        "accuracy": np.mean(nearest_label(top_test, top, y_train, k2) == y_test),
        "class_accuracy": np.mean(class_mean_label(top_test, top, y_train, k2) == y_test),
        "class_node_accuracy": class_node_accuracy,
        "l2_spearman": similarity_preservation(top, l1, k2, k1),
        "l2_same_other_ratio": ratio,
        "l2_permutation_z": z,
        "l2_other_overlap_k": other * k2,
        "l2_usefulness": class_node_accuracy - l1_accuracy,
        "l2_active_macs": float(np.mean(test_codes[-1][:, :, 0] >= 0)),
        "baseline_accuracy": np.mean(nearest_pixels(images[test], images[train], y_train) == y_test),
        "raw_baseline_accuracy": np.mean(nearest_pixels(raw[test], raw[train], y_train) == y_test),
        "thinned_baseline_accuracy": np.mean(nearest_pixels(thinned[test], thinned[train], y_train) == y_test),
        "same_class_overlap": same,
        "other_class_overlap": other,
        "l1_same_class_overlap": l1_same,
        "l1_other_class_overlap": l1_other,
        "l1_reproduced": float(np.mean(reproduced == l1[:reproduce.size])),
        "input_density": images.mean(),
        "train_time": train_time,
        "train_time_per_item": train_time / train.size,
        "n_test": test.size,
    }


DIGITS = register(Experiment(
    name="sparsey-digits",
    description="Sparsey: single-trial learning of upsampled, binarised, complement-coded digits; accuracy and "
                "time against samples per class",
    point=digits_point, defaults=DIGITS_DEFAULTS, metrics=DIGITS_METRICS, seeds=2,
    finalize=finalize_digits, plot=plot_digits, check=check_digits, dims=("per_class",),
))
