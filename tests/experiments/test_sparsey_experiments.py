"""The registered Sparsey experiments and their theory curves."""

import numpy as np
import pytest

from engramsim.experiments import theory
from engramsim.experiments.registry import get_experiment, run_experiment
from engramsim.experiments.sparsey import (
    class_mean_label,
    code_overlap_matrix,
    complement_code,
    digits_holdout,
    digits_split,
    identification,
    overlapping_variants,
    preprocessed_digits,
    random_sparse_inputs,
    thin_images,
)
from engramsim.networks import csa_preset
from engramsim.networks.sparsey import code_overlap


def _check_dataset(ds):
    for name, var in ds.data_vars.items():
        assert "units" in var.attrs and "long_name" in var.attrs, name


def test_similarity_experiment_rises_monotonically():
    ds = run_experiment("sparsey-similarity", {"csa": ["sparseycore"], "n_stored": [1, 10],
                                               "n_variants": 200}, seeds=2, progress=False)
    _check_dataset(ds)
    assert ds["learn_overlap_monotonic"].all() and ds["recognize_overlap_monotonic"].all()
    one = ds["learn_overlap"].sel(csa="sparseycore", n_stored=1).mean("seed")
    np.testing.assert_allclose(one, ds["theory_learn_overlap"].sel(csa="sparseycore"), atol=0.04)
    assert get_experiment("sparsey-similarity").plot(ds) is not None


def test_capacity_experiment_degrades_with_load():
    ds = run_experiment("sparsey-capacity", {"n_modules": [8], "cells_per_module": [4, 16],
                                             "n_items": [10, 400]}, seeds=1, progress=False)
    _check_dataset(ds)
    acc = ds["accuracy"].isel(seed=0)
    assert np.all(acc.sel(n_items=10) == 1.0)
    assert np.all(acc.sel(n_items=400) < 0.5)
    assert acc.sel(n_items=400, cells_per_module=16) > acc.sel(n_items=400, cells_per_module=4)
    assert get_experiment("sparsey-capacity").plot(ds) is not None


def test_digits_experiment_learns_above_chance():
    ds = run_experiment("sparsey-digits", {"per_class": [5]}, seeds=1, progress=False)
    _check_dataset(ds)
    point = ds.isel(per_class=0, seed=0)
    # chance is 0.1.  Held-out half, 5 per class: seed 0 gives 0.73 (nearest level-2 code), 0.73 (class
    # mean) and 0.75 (nearest level-1 code); seeds 0-4 give 0.69-0.73, 0.72-0.76 and 0.67-0.76.  The
    # previous thinned pipeline gave 0.47 here (DIGITS_THINNED_PIPELINE).
    assert float(point["accuracy"]) > 0.6
    assert float(point["class_accuracy"]) > 0.6
    assert float(point["l1_accuracy"]) > 0.6
    assert float(point["l1_reproduced"]) > 0.6   # level 1 reproduces the codes level 2 learned from
    assert float(point["raw_baseline_accuracy"]) > 0.7
    assert 0.25 < float(point["input_density"]) < 0.4  # binarised strokes, not skeletons
    assert int(point["n_test"]) == 901                 # the held-out half
    assert "complement coding" in ds.attrs["preprocessing"] and "16x16" in ds.attrs["preprocessing"]
    assert "held-out half" in ds.attrs["split"] and "validation" in ds.attrs["settings_chosen_on"]
    assert get_experiment("sparsey-digits").plot(ds) is not None


def test_digits_split_and_readouts():
    labels = np.repeat(np.arange(10), 20)
    dev = digits_holdout(labels)
    assert dev.sum() == 100 and np.all(np.bincount(labels[dev]) == 10)
    np.testing.assert_array_equal(dev, digits_holdout(labels))        # fixed, whatever the run seed
    train, rest = digits_split(labels, 3, np.random.default_rng(0), np.flatnonzero(dev))
    assert train.size == 30 and dev[train].all() and dev[rest].all() and np.intersect1d(train, rest).size == 0
    codes = np.array([[0, 2, -1], [0, 2, 2], [1, 1, 1]])
    np.testing.assert_allclose(code_overlap_matrix(codes, codes, 3),
                               code_overlap(codes[:, None], codes[None]))
    stored, stored_labels = codes[[1, 2]], np.array([7, 3])
    np.testing.assert_array_equal(class_mean_label(codes, stored, stored_labels, 3), [7, 7, 3])
    x = np.array([[1, 0, 1]], dtype=np.uint8)
    np.testing.assert_array_equal(complement_code(x), [[1, 0, 0, 1, 1, 0]])
    with pytest.raises(ValueError, match="split must be one of"):
        run_experiment("sparsey-digits", {"split": "train"}, progress=False)
    with pytest.raises(ValueError, match="l2_g_floor change the sparseycore preset"):
        run_experiment("sparsey-digits", {"csa": "sparseypy"}, progress=False)


def test_thinning_and_preprocessing():
    bar = np.zeros((1, 9, 9), dtype=np.uint8)
    bar[0, 1:8, 3:6] = 1  # a vertical bar three pixels wide
    thin = thin_images(bar)[0]
    assert thin.sum() > 0 and np.all(thin <= bar[0])
    assert np.all(thin.sum(axis=1) <= 1)  # one pixel wide
    images, labels = preprocessed_digits(image_size=16, thin=False)
    assert images.shape == (1797, 256) and labels.shape == (1797,)
    skeletons, _ = preprocessed_digits(image_size=16, thin=True)
    assert np.all(skeletons <= images) and skeletons.mean() < 0.5 * images.mean()


def test_bad_experiment_settings_are_rejected():
    with pytest.raises(ValueError, match="input_overlap must be <= 1"):
        run_experiment("sparsey-similarity", {"input_overlap": [1.5]}, progress=False)
    with pytest.raises(ValueError, match="per_class must be <= 80"):
        run_experiment("sparsey-digits", {"per_class": [500]}, progress=False)
    with pytest.raises(TypeError, match="thin must be True or False"):
        run_experiment("sparsey-digits", {"thin": 1}, progress=False)


def test_input_generators():
    rng = np.random.default_rng(0)
    x = random_sparse_inputs(5, 30, 6, rng)
    assert np.all(x.sum(axis=1) == 6)
    v = overlapping_variants(x[0], 0.5, 10, rng)
    assert np.all(v.sum(axis=1) == 6) and np.all((v & x[0]).sum(axis=1) == 3)
    np.testing.assert_array_equal(identification(np.array([[1.0, 0.5], [1.0, 1.0]])), [True, False])


def test_sparsey_theory():
    csa = csa_preset()
    s = np.array([0.0, 0.05, 1.0])
    out = theory.sparsey_single_item_overlap(s, 8, csa.expansivity, csa.v_to_mu, 0.5)
    # below the G floor eta = 1 and every cell is equally likely: chance 1/K
    np.testing.assert_allclose(out[:2], 1 / 8)
    np.testing.assert_allclose(out[2], 801 / (801 + 7 * 801 / (1 + np.exp(2))))
    np.testing.assert_allclose(theory.sparsey_freeze_load(0.1, 8), np.log(0.5) / (0.1 * np.log(7 / 8)))
    with pytest.raises(ValueError, match="input_overlap must be in"):
        theory.sparsey_single_item_overlap(1.5, 8, csa.expansivity, csa.v_to_mu)
    with pytest.raises(ValueError, match="cells_per_module must be >= 2"):
        theory.sparsey_freeze_load(0.1, 1)
