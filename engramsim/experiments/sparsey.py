"""Registered Sparsey experiments: similarity preservation, capacity, and 8x8 digits.

``sparsey-similarity``
    One mac stores ``n_stored`` random sparse inputs.  For each level of
    input overlap ``s`` the experiment makes ``n_variants`` inputs sharing
    a fraction ``s`` of their active units with the first stored input (the
    rest moved to units outside it) and measures the overlap of their codes
    with its code: the code learning would choose (the CSA's sampling,
    :meth:`~engramsim.networks.SparseyMac.propose`) and the recognised code
    (argmax V).  The expected learning overlap for one stored item is drawn
    beside it (:func:`~engramsim.experiments.theory.sparsey_single_item_overlap`).
``sparsey-capacity``
    One mac of Q CMs of K cells learns ``n_items`` random sparse inputs, then
    recognises each: the fraction identified (its recognised code overlaps
    its own stored code more than any other), the fraction whose code is
    reactivated exactly, and the mean overlap with its own code; beside the
    load at which a typical input's weights freeze if codes were random
    (:func:`~engramsim.experiments.theory.sparsey_freeze_load`).
``sparsey-digits``
    A two-level :class:`~engramsim.networks.Sparsey` learns ``per_class``
    binarised 8x8 digits per class (scikit-learn's bundled set), one trial
    each; every other image is classified by the label of the stored
    top-level code it overlaps most.  Reports accuracy and training time,
    with the same 1-nearest-neighbour rule on the binarised pixels as a
    baseline.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import xarray as xr

from engramsim.experiments import theory
from engramsim.experiments.plotting import figure, seed_mean
from engramsim.experiments.registry import Experiment, as_list, register
from engramsim.experiments.sweep import Metric
from engramsim.networks.sparsey import PRESETS, Sparsey, SparseyLevel, SparseyMac, code_overlap, csa_preset
from engramsim.sim.random import stream
from engramsim.sim.validation import check_choice, check_float, check_int

# ------------------------------------------------------------------ inputs


def random_sparse_inputs(n_items: int, n_inputs: int, n_active: int, rng: np.random.Generator) -> np.ndarray:
    """``n_items`` binary inputs of length ``n_inputs`` with exactly ``n_active`` ones each (uint8)."""
    order = np.argsort(rng.random((n_items, n_inputs)), axis=1)[:, :n_active]
    out = np.zeros((n_items, n_inputs), dtype=np.uint8)
    np.put_along_axis(out, order, 1, axis=1)
    return out


def overlapping_variants(base: np.ndarray, overlap: float, n_variants: int, rng: np.random.Generator) -> np.ndarray:
    """Inputs with as many ones as ``base``, sharing ``round(overlap |base|)`` of them with it."""
    on, off = np.flatnonzero(base), np.flatnonzero(base == 0)
    keep = int(round(overlap * on.size))
    if on.size - keep > off.size:
        raise ValueError(f"cannot move {on.size - keep} active units outside an input of {base.size} units "
                         f"with {on.size} active")
    out = np.zeros((n_variants, base.size), dtype=np.uint8)
    kept = np.argsort(rng.random((n_variants, on.size)), axis=1)[:, :keep]
    moved = np.argsort(rng.random((n_variants, off.size)), axis=1)[:, :on.size - keep]
    np.put_along_axis(out, on[kept], 1, axis=1)
    np.put_along_axis(out, off[moved], 1, axis=1)
    return out


# ------------------------------------------------------------ similarity
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
    codes = mac.learn(stored)
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
        ax.legend(fontsize=6)
    return fig


SIMILARITY = register(Experiment(
    name="sparsey-similarity",
    description="Sparsey: code overlap against input overlap (similar inputs, similar codes)",
    point=similarity_point, defaults=SIMILARITY_DEFAULTS, metrics=SIMILARITY_METRICS, seeds=3,
    finalize=finalize_similarity, plot=plot_similarity, check=check_similarity,
    dims=("csa", "n_stored", "input_overlap"),
))


# -------------------------------------------------------------- capacity
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
    mac.learn(items[:2])  # compile and warm up outside the timed region (counted as stored items)
    start = time.perf_counter()
    codes = np.concatenate([mac.codes, mac.learn(items[2:])])
    learn_time = (time.perf_counter() - start) / max(1, items.shape[0] - 2)
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
    for k in ds["cells_per_module"].values:
        for q in ds["n_modules"].values:
            cur = ds.sel(cells_per_module=k, n_modules=q)
            line, = ax_acc.plot(cur["n_items"], seed_mean(cur["accuracy"]), "o-", ms=3, label=f"Q={q}, K={k}")
            ax_time.plot(cur["n_items"], seed_mean(cur["learn_time"]) * 1e6, "o-", ms=3, color=line.get_color())
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


# ----------------------------------------------------------------- digits
#: binarisation threshold on scikit-learn's 0..16 grey levels: a pixel is on at >= 8 (half scale)
DIGITS_THRESHOLD = 8

DIGITS_DEFAULTS: dict[str, Any] = {
    "per_class": [5, 10, 20, 50, 100],
    "threshold": DIGITS_THRESHOLD,
    "l1_modules": 8,
    "l1_cells": 16,
    "l2_modules": 16,
    "l2_cells": 16,
    "csa": "sparseycore",
    "backend": "auto",
}

DIGITS_METRICS = {
    "accuracy": Metric("test accuracy, nearest stored top-level code"),
    "baseline_accuracy": Metric("test accuracy, nearest training image in binarised pixels (Hamming)"),
    "train_time": Metric("single-trial training time", "s"),
    "train_time_per_item": Metric("training time per image", "s"),
    "n_test": Metric("number of test images"),
}


def check_digits(params: dict[str, Any]) -> None:
    """Reject impossible settings before any work starts."""
    for n in as_list(params["per_class"]):
        check_int(n, "per_class", minimum=1, maximum=170)
    check_int(params["threshold"], "threshold", minimum=1, maximum=16)
    for name in ("l1_modules", "l1_cells", "l2_modules", "l2_cells"):
        check_int(params[name], name, minimum=1)
    check_choice(params["csa"], "csa", PRESETS)


def binarised_digits(threshold: int = DIGITS_THRESHOLD) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 digits, a pixel on where its grey level is >= ``threshold``.

    Returns images (1797, 64) uint8 and labels (1797,).
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    return (digits.images >= threshold).reshape(len(digits.images), -1).astype(np.uint8), digits.target


def digits_split(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Indices of ``per_class`` training images per class (shuffled) and of every other image."""
    order = rng.permutation(labels.size)
    train = np.concatenate([order[labels[order] == c][:per_class] for c in np.unique(labels)])
    return rng.permutation(train), np.setdiff1d(order, train)


def nearest_label(test_codes: np.ndarray, train_codes: np.ndarray, train_labels: np.ndarray) -> np.ndarray:
    """Label of the stored code each test code overlaps most (the first on ties)."""
    predictions = np.empty(test_codes.shape[0], dtype=train_labels.dtype)
    for start in range(0, test_codes.shape[0], 256):
        overlaps = code_overlap(test_codes[start:start + 256, None, :], train_codes[None, :, :])
        predictions[start:start + 256] = train_labels[overlaps.argmax(axis=1)]
    return predictions


def digits_network(params: dict[str, Any], seed: int) -> Sparsey:
    """The two-level hierarchy: 3x3 macs on overlapping 4x4 patches, one mac on top."""
    return Sparsey((8, 8), [
        SparseyLevel((3, 3), (4, 4), int(params["l1_modules"]), int(params["l1_cells"])),
        SparseyLevel((1, 1), None, int(params["l2_modules"]), int(params["l2_cells"])),
    ], csa=params["csa"], backend=params["backend"], seed=seed)


def digits_point(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """Train on ``per_class`` images per class, test on the rest."""
    images, labels = binarised_digits(int(params["threshold"]))
    keep = images.sum(axis=1) > 0
    images, labels = images[keep], labels[keep]
    train, test = digits_split(labels, int(params["per_class"]), stream(seed, "split"))
    net = digits_network(params, seed)
    start = time.perf_counter()
    codes = net.learn(images[train])[-1].reshape(train.size, -1)
    train_time = time.perf_counter() - start
    test_codes = net.encode(images[test])[0][-1].reshape(test.size, -1)
    predicted = nearest_label(test_codes, codes, labels[train])
    hamming = (images[test][:, None, :] != images[train][None, :, :]).sum(axis=2)
    return {
        "accuracy": np.mean(predicted == labels[test]),
        "baseline_accuracy": np.mean(labels[train][hamming.argmin(axis=1)] == labels[test]),
        "train_time": train_time,
        "train_time_per_item": train_time / train.size,
        "n_test": test.size,
    }


def plot_digits(ds: xr.Dataset):
    """Accuracy and training time against training images per class."""
    fig, (ax_acc, ax_time) = figure(2)
    n = ds["per_class"]
    ax_acc.plot(n, seed_mean(ds["accuracy"]), "o-", label="Sparsey (nearest top-level code)")
    ax_acc.plot(n, seed_mean(ds["baseline_accuracy"]), "s--", label="1-NN on binarised pixels")
    ax_acc.axhline(0.1, color="gray", lw=0.7, label="chance")
    ax_acc.set(xscale="log", xlabel="training images per class", ylabel="test accuracy", ylim=(0, 1),
               title="8x8 digits, single-trial learning")
    ax_acc.legend(fontsize=7)
    ax_time.plot(n, seed_mean(ds["train_time"]), "o-")
    ax_time.set(xscale="log", yscale="log", xlabel="training images per class", ylabel="training time (s)",
                title="Training time")
    return fig


DIGITS = register(Experiment(
    name="sparsey-digits",
    description="Sparsey: single-trial learning of 8x8 digits, accuracy and time against samples per class",
    point=digits_point, defaults=DIGITS_DEFAULTS, metrics=DIGITS_METRICS, seeds=2,
    plot=plot_digits, check=check_digits, dims=("per_class",),
))
