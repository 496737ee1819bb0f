"""The registered Sparsey experiments and their theory curves."""

import numpy as np
import pytest

from engramsim.experiments import theory
from engramsim.experiments.registry import get_experiment, run_experiment
from engramsim.experiments.sparsey import (
    class_mean_label,
    class_node_label,
    class_structure,
    code_overlap_matrix,
    complement_code,
    digits_holdout,
    digits_split,
    identification,
    overlapping_variants,
    preprocessed_digits,
    random_sparse_inputs,
    similarity_preservation,
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
    # chance is 0.1.  Held-out half, 5 per class, seed 0, measured: 0.79 (level 1, nearest code), 0.72 (level 2,
    # nearest code), 0.79 (level-2 class mean and class nodes), 0.75 (level-1 class nodes)
    assert float(point["l1_accuracy"]) > 0.6            # level 1: the published model's counterpart
    assert float(point["accuracy"]) > 0.6
    assert float(point["class_accuracy"]) > 0.6
    assert float(point["class_node_accuracy"]) > 0.6
    assert float(point["l1_class_node_accuracy"]) > 0.6
    assert float(point["l1_reproduced"]) == 1.0          # staged: level 2 learned exactly what level 1 gives
    # level 2's criteria are computed (their values are reported, not required to pass)
    for name in ("l2_spearman", "l2_same_other_ratio", "l2_permutation_z", "l2_other_overlap_k", "l2_usefulness"):
        assert np.isfinite(float(point[name])), name
    assert float(point["l2_usefulness"]) == pytest.approx(float(point["class_node_accuracy"] - point["l1_accuracy"]))
    assert float(point["raw_baseline_accuracy"]) > 0.7
    assert 0.25 < float(point["input_density"]) < 0.4  # binarised strokes, not skeletons
    assert int(point["n_test"]) == 901                 # the held-out half
    assert "complement coding" in ds.attrs["preprocessing"] and "16x16" in ds.attrs["preprocessing"]
    assert "held-out half" in ds.attrs["split"] and "validation" in ds.attrs["settings_chosen_on"]
    assert "3x3 macs on 3x3 patches of level-1 macs" in ds.attrs["hierarchy"]
    assert "counterpart of the published" in ds.attrs["levels"]
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


def test_class_node_readout_by_hand():
    # K = 3, Q = 2.  Class 7 stores codes (0, 0) and (0, 1); class 3 stores (1, 2).  Count weights:
    # node 7 <- (CM0, cell 0): 2, (CM1, 0): 1, (CM1, 1): 1; node 3 <- (CM0, 1): 1, (CM1, 2): 1.
    train = np.array([[0, 0], [0, 1], [1, 2]])
    labels = np.array([7, 7, 3])
    test = np.array([[0, 2],      # drives 7: 2, 3: 1
                     [1, 0],      # 7: 1, 3: 1 -> tie, the first class (3)
                     [1, 2],      # 7: 0, 3: 2
                     [0, -1],     # inactive CM1: 7: 2, 3: 0
                     [-1, 1]])    # 7: 1, 3: 0
    np.testing.assert_array_equal(class_node_label(test, train, labels, 3), [7, 3, 3, 7, 7])
    # binary (set-once) weights: (0, 2) drives 7: 1, 3: 1 -> the tie goes to 3
    np.testing.assert_array_equal(class_node_label(test[:1], train, labels, 3, binary=True), [3])


def test_level_two_criteria_by_hand():
    # overlaps of 4 codes (Q = 2, K = 2): a = (0, 0), b = (0, 1), c = (1, 1), d = (1, 0)
    codes = np.array([[0, 0], [0, 1], [1, 1], [1, 0]])
    labels = np.array([0, 0, 1, 1])
    # same-class pairs (a, b), (c, d): overlap 1/2 each; other-class pairs: (a, c) 0, (a, d) 1/2,
    # (b, c) 1/2, (b, d) 0 -> mean 1/4; ratio 2
    ratio, z = class_structure(codes, labels, 2, np.random.default_rng(0), n_permutations=50)
    assert ratio == pytest.approx(2.0) and z > 0
    # the three labelings of 4 items into two pairs: differences 1/2 - 1/4 (observed), and for
    # {a, c}/{b, d}: same 0, other 1/2 -> -1/2; {a, d}/{b, c}: same 1/2, other 1/4 -> 1/4.
    # Permutations draw these with probabilities 1/3 each: mean 0, so z = 1/4 / sd > 0 as checked.
    # Spearman by hand: level-2 overlaps of the 6 pairs (ab, ac, ad, bc, bd, cd) = (.5, 0, .5, .5, 0, .5);
    # a "level 1" equal to them up to a monotone map gives rho = 1, its reverse -1
    assert similarity_preservation(codes, codes, 2, 2) == pytest.approx(1.0)
    flipped = np.array([[0, 0], [1, 0], [1, 1], [0, 1]])     # swaps which pairs overlap
    # flipped overlaps: ab 1/2, ac 0, ad 1/2, bc 1/2, bd 0, cd 1/2 ... identical pattern -> rho 1
    assert similarity_preservation(codes, flipped, 2, 2) == pytest.approx(1.0)
    other = np.array([[0, 0], [1, 1], [0, 1], [1, 0]])       # ab 0, ac 1/2, ad 1/2, bc 1/2, bd 1/2, cd 0
    # ranks of (.5, 0, .5, .5, 0, .5) and (0, .5, .5, .5, .5, 0): Pearson of the midranks = -1/2
    assert similarity_preservation(codes, other, 2, 2) == pytest.approx(-0.5)
    assert np.isnan(similarity_preservation(codes, np.zeros((4, 2), dtype=int), 2, 2))


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
    with pytest.raises(ValueError, match="l2_grid must be <= 7"):
        run_experiment("sparsey-digits", {"l2_grid": 8}, progress=False)
    with pytest.raises(ValueError, match="schedule must be one of"):
        run_experiment("sparsey-digits", {"schedule": "greedy"}, progress=False)
    with pytest.raises(TypeError, match="mch must be True or False"):
        run_experiment("sparsey-digits", {"mch": "yes"}, progress=False)


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
