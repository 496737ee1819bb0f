"""Registered Sparsey experiments: similarity preservation, capacity, and digits.

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
    scikit-learn's bundled 8x8 digits, upsampled to 16x16, binarised and
    complement coded (each pixel an on and an off unit).  A two-level
    :class:`~engramsim.networks.Sparsey` (7x7 level-1 macs on overlapping
    4x4 patches, one mac on top) learns ``per_class`` images per class from
    a fixed development half of the data, one trial each; the held-out half
    is classified by the label of the stored top-level code it overlaps
    most, by the class of largest mean top-level overlap, and by the
    nearest stored level-1 codes.  Reports accuracy and training time, with
    1-nearest-neighbour on the binarised 16x16 pixels, on thinned 16x16
    skeletons and on the binarised 8x8 pixels as baselines.  The settings
    were chosen on the development half (``split="validation"``).
"""

from __future__ import annotations

import time
from dataclasses import replace
from functools import lru_cache
from itertools import pairwise
from typing import Any

import numpy as np
import xarray as xr

from engramsim.experiments import theory
from engramsim.experiments.plotting import figure, seed_mean
from engramsim.experiments.registry import Experiment, as_list, register
from engramsim.experiments.sweep import Metric
from engramsim.networks.sparsey import (
    CSA,
    PRESETS,
    Sparsey,
    SparseyLevel,
    SparseyMac,
    code_overlap,
    csa_preset,
)
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
#: seed of the fixed development / held-out split of the 1797 digits (independent of the run seeds)
DIGITS_HOLDOUT_SEED = 20240917
#: largest number of training images per class the development half holds for every class (87 for 8s)
DIGITS_MAX_PER_CLASS = 80

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


def binarised_digits(threshold: int = DIGITS_THRESHOLD) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 digits, a pixel on where its grey level is >= ``threshold``.

    Returns images (1797, 64) uint8 and labels (1797,).
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    return (digits.images >= threshold).reshape(len(digits.images), -1).astype(np.uint8), digits.target


def thin_images(images: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of binary images (B, rows, cols): one-pixel-wide skeletons (uint8).

    T. Y. Zhang and C. Y. Suen, "A fast parallel algorithm for thinning
    digital patterns", Commun. ACM 27:236 (1984).  Both sub-iterations run
    on the whole batch at once until no pixel changes; pixels outside the
    image count as off.
    """
    img = np.pad(np.asarray(images, dtype=np.uint8), ((0, 0), (1, 1), (1, 1)))
    while True:
        changed = False
        for step in (0, 1):
            # neighbours P2..P9, clockwise from north
            p2, p3, p4, p5 = img[:, :-2, 1:-1], img[:, :-2, 2:], img[:, 1:-1, 2:], img[:, 2:, 2:]
            p6, p7, p8, p9 = img[:, 2:, 1:-1], img[:, 2:, :-2], img[:, 1:-1, :-2], img[:, :-2, :-2]
            ring = (p2, p3, p4, p5, p6, p7, p8, p9, p2)
            n_on = sum(n.astype(np.int16) for n in ring[:8])
            transitions = sum(((a == 0) & (b == 1)).astype(np.int16) for a, b in pairwise(ring))
            if step == 0:
                side = ((p2 & p4 & p6) == 0) & ((p4 & p6 & p8) == 0)
            else:
                side = ((p2 & p4 & p8) == 0) & ((p2 & p6 & p8) == 0)
            remove = (img[:, 1:-1, 1:-1] == 1) & (n_on >= 2) & (n_on <= 6) & (transitions == 1) & side
            if remove.any():
                img = img.copy()
                img[:, 1:-1, 1:-1][remove] = 0
                changed = True
        if not changed:
            return img[:, 1:-1, 1:-1]


def preprocessed_digits(threshold: int = DIGITS_THRESHOLD, image_size: int = 16, thin: bool = True
                        ) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits upsampled, binarised and (optionally) thinned.

    Each image's grey levels are zoomed to ``image_size`` x ``image_size``
    (bilinear, :func:`scipy.ndimage.zoom`, order 1), a pixel is on where the
    interpolated level is >= ``threshold`` (of 16), and with ``thin`` the
    strokes are thinned to one-pixel skeletons (:func:`thin_images`), the
    sparse edge-like inputs Sparsey was published with.  Images left blank
    are kept (the caller drops them).

    Returns images (1797, image_size**2) uint8 and labels (1797,).
    """
    from scipy import ndimage
    from sklearn.datasets import load_digits

    digits = load_digits()
    scale = image_size / digits.images.shape[1]
    grey = ndimage.zoom(digits.images.astype(float), (1, scale, scale), order=1)
    binary = (grey >= threshold).astype(np.uint8)
    if thin:
        binary = thin_images(binary)
    return binary.reshape(len(binary), -1), digits.target


def digits_holdout(labels: np.ndarray) -> np.ndarray:
    """The fixed development half of the digits: per class, a random half (seed :data:`DIGITS_HOLDOUT_SEED`).

    Returns a boolean mask, True for the development images (training images
    and the validation images used while choosing settings); the other half
    is held out as the test set and was never looked at while choosing them.
    """
    rng = np.random.default_rng(DIGITS_HOLDOUT_SEED)
    dev = np.zeros(labels.size, dtype=bool)
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        dev[rng.permutation(idx)[: idx.size // 2]] = True
    return dev


@lru_cache(maxsize=8)
def _cached_digits(threshold: int, image_size: int, thin: bool) -> tuple[np.ndarray, np.ndarray]:
    """:func:`preprocessed_digits`, computed once per process (read-only arrays): thinning takes ~1 s."""
    images, labels = preprocessed_digits(threshold, image_size, thin)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def digits_split(labels: np.ndarray, per_class: int, rng: np.random.Generator, pool: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Indices of ``per_class`` training images per class (shuffled) and of every other image of ``pool``.

    ``pool`` (indices; default every image) is where both are drawn from.
    """
    pool = np.arange(labels.size) if pool is None else np.asarray(pool)
    order = rng.permutation(pool)
    train = np.concatenate([order[labels[order] == c][:per_class] for c in np.unique(labels)])
    return rng.permutation(train), np.setdiff1d(order, train)


def complement_code(images: np.ndarray) -> np.ndarray:
    """Each binary pixel as two units, (x, 1 - x), side by side: shape (B, 2 * n_pixels) uint8.

    Every image then has exactly one active unit per pixel, so a mac's
    U = (matching units) / (active units) is one minus the Hamming distance
    over its receptive field: an absent stroke counts against a match as
    much as an extra one.
    """
    images = np.asarray(images, dtype=np.uint8)
    return np.stack([images, 1 - images], axis=-1).reshape(images.shape[0], -1)


def code_overlap_matrix(a: np.ndarray, b: np.ndarray, cells_per_module: int) -> np.ndarray:
    """``code_overlap`` of every code of ``a`` (A, Q) with every code of ``b`` (B, Q): shape (A, B).

    The same numbers as ``code_overlap(a[:, None], b[None])`` (a CM without
    a winner, -1, matches nothing), computed as a product of sparse one-hot
    matrices instead of an (A, B, Q) comparison.
    """
    from scipy import sparse

    a, b = np.asarray(a), np.asarray(b)
    n_modules = a.shape[1]

    def one_hot(codes: np.ndarray):
        rows, cms = np.nonzero(codes >= 0)
        cols = cms * cells_per_module + codes[rows, cms]
        return sparse.csr_matrix((np.ones(rows.size, dtype=np.float64), (rows, cols)),
                                 shape=(codes.shape[0], n_modules * cells_per_module))

    return np.asarray((one_hot(a) @ one_hot(b).T).toarray()) / n_modules


def nearest_label(test_codes: np.ndarray, train_codes: np.ndarray, train_labels: np.ndarray,
                  cells_per_module: int) -> np.ndarray:
    """Label of the stored code each test code overlaps most (the first on ties)."""
    overlaps = code_overlap_matrix(test_codes, train_codes, cells_per_module)
    return train_labels[overlaps.argmax(axis=1)]


def class_mean_label(test_codes: np.ndarray, train_codes: np.ndarray, train_labels: np.ndarray,
                     cells_per_module: int) -> np.ndarray:
    """The class whose stored codes overlap each test code most on average (the first on ties)."""
    classes = np.unique(train_labels)
    overlaps = code_overlap_matrix(test_codes, train_codes, cells_per_module)
    means = np.stack([overlaps[:, train_labels == c].mean(axis=1) for c in classes], axis=1)
    return classes[means.argmax(axis=1)]


def nearest_pixels(test: np.ndarray, train: np.ndarray, train_labels: np.ndarray) -> np.ndarray:
    """Label of the training image nearest each test image in Hamming distance (the first on ties)."""
    predictions = np.empty(test.shape[0], dtype=train_labels.dtype)
    for start in range(0, test.shape[0], 256):
        hamming = (test[start:start + 256, None, :] != train[None, :, :]).sum(axis=2)
        predictions[start:start + 256] = train_labels[hamming.argmin(axis=1)]
    return predictions


def class_overlaps(codes: np.ndarray, labels: np.ndarray, cells_per_module: int) -> tuple[float, float]:
    """Mean code overlap between distinct stored codes of the same class and of different classes."""
    overlaps = code_overlap_matrix(codes, codes, cells_per_module)
    same = labels[:, None] == labels[None, :]
    off_diagonal = ~np.eye(labels.size, dtype=bool)
    within = overlaps[same & off_diagonal]
    return (float(within.mean()) if within.size else np.nan), float(overlaps[~same].mean())


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
    codes = net.learn(inputs[train])
    train_time = time.perf_counter() - start
    test_codes = net.encode(inputs[test])[0]
    reproduce = train[:200]  # how well level 1 reproduces the codes it stored (a subset: time)
    reproduced = net.encode(inputs[reproduce])[0][0].reshape(reproduce.size, -1)
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
