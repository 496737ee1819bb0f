"""The registered HLOP experiments: the permuted-digits data, the issue's targets (3 seeds, rate and spiking),
the subspace-convergence view, and refusals of bad settings."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from engramsim.errors import ValidationError
from engramsim.experiments import run_experiment
from engramsim.experiments.hlop import permuted_digits


@pytest.fixture(autouse=True)
def _quiet_budget_warnings():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="HLOP layer", category=RuntimeWarning)
        yield


def test_permuted_digits_are_upsampled_padded_standardised_permutations():
    from sklearn.datasets import load_digits

    tasks = permuted_digits(3, seed=5)
    assert [tuple(t.x_train.shape) for t in tasks] == [(1297, 784)] * 3
    assert [tuple(t.x_test.shape) for t in tasks] == [(500, 784)] * 3
    x0 = tasks[0].x_train.double().numpy()
    assert abs(x0.mean()) < 1e-6 and x0.std() == pytest.approx(1.0, abs=1e-5)
    # every task holds the same images, its pixels in another order, with the same labels
    for t in tasks[1:]:
        assert np.allclose(np.sort(t.x_train.numpy(), axis=1), np.sort(tasks[0].x_train.numpy(), axis=1))
        assert not np.allclose(t.x_train.numpy(), tasks[0].x_train.numpy())
        assert t.y_train.tolist() == tasks[0].y_train.tolist()
    # each image: the 8x8 digit, every pixel a 3x3 block, padded by 2 (read back up to the standardisation)
    digits = load_digits()
    raw = np.concatenate([t.x_train.numpy() for t in tasks[:1]] + [t.x_test.numpy() for t in tasks[:1]])
    assert raw.shape[0] == 1797
    n_distinct = {len(np.unique(np.round(row, 5))) for row in raw[:20]}
    assert max(n_distinct) <= 17  # at most 17 grey levels 0..16
    counts = np.sort(np.bincount(digits.target))
    labels = np.concatenate([tasks[0].y_train.numpy(), tasks[0].y_test.numpy()])
    assert np.array_equal(np.sort(np.bincount(labels)), counts)


def _bwt(ds, method, network="rate"):
    return ds["bwt"].sel({"method": method, "network": network}).values


def _acc(ds, method, network="rate"):
    return ds["acc"].sel({"method": method, "network": network}).values


@pytest.mark.slow
def test_rate_targets_three_seeds():
    """The issue's targets at the brief's size: HLOP BWT > -3 % where plain training is below -15 %, HLOP ACC
    within 3 points of the exact SVD projection, multitask ceiling reported beside them."""
    ds = run_experiment("hlop-permuted-digits", {"method": ["baseline", "hlop", "svd", "multitask"]}, seeds=3,
                        progress=False)
    assert np.all(_bwt(ds, "baseline") < -0.15), _bwt(ds, "baseline")
    assert np.all(_bwt(ds, "hlop") > -0.03), _bwt(ds, "hlop")
    assert np.all(np.abs(_acc(ds, "hlop") - _acc(ds, "svd")) < 0.03), (_acc(ds, "hlop"), _acc(ds, "svd"))
    assert np.all(_acc(ds, "multitask") > 0.9)
    # the protected subspaces are what the brief asks for: [60, 60, 40] + [60, 20, 10] per task, capped at 100
    dims = ds["protected_dims"].sel({"method": "hlop", "network": "rate"}).isel(seed=0).values
    assert dims[-1].tolist() == [300, 100, 80]
    ortho = ds["orthonormality_error"].sel({"method": "hlop", "network": "rate"}).values
    assert np.all(ortho < 0.1)


@pytest.mark.slow
def test_spiking_targets_three_seeds():
    """LIF network trained through time: the same targets at a reduced size (4 time steps, 2 epochs of lr 0.3;
    the documented full-size run uses 8 steps and 5 epochs of lr 0.1)."""
    ds = run_experiment("hlop-permuted-digits",
                        {"method": ["baseline", "hlop"], "network": "spiking", "timesteps": 4, "epochs": 2, "lr": 0.3},
                        seeds=3, progress=False)
    assert np.all(_bwt(ds, "baseline", "spiking") < -0.15), _bwt(ds, "baseline", "spiking")
    assert np.all(_bwt(ds, "hlop", "spiking") > -0.03), _bwt(ds, "hlop", "spiking")
    assert np.all(_acc(ds, "hlop", "spiking") > 0.85)


def test_subspace_view_and_plots(tmp_path):
    from engramsim.experiments.plotting import plot_dataset, save_figure

    ds = run_experiment("hlop-subspace", {"input_scale": [1.0], "epochs": 2, "k": 10}, progress=False)
    normalised = ds.sel(lr_rule="normalised", input_scale=1.0).isel(seed=0)
    energy = normalised["captured_energy"].values
    assert energy[0] < 0.2 and energy[-1] > 0.8 and energy[-1] <= float(normalised["svd_energy"]) + 1e-9
    assert normalised["mean_angle"].values[-1] < normalised["mean_angle"].values[0] - 20
    assert int(normalised["diverged_epoch"]) == -1
    assert save_figure(plot_dataset(ds), tmp_path / "subspace.png")
    small = run_experiment("hlop-permuted-digits", {"method": ["baseline", "hlop"], "n_tasks": 2, "epochs": 1,
                                                     "hidden": 20}, seeds=1, progress=False)
    assert small["accuracy"].dims[-2:] == ("trained_task", "tested_task")
    assert save_figure(plot_dataset(small), tmp_path / "digits.png")


@pytest.mark.parametrize("override, name", [
    ({"method": "ewc"}, "method"),
    ({"network": "cnn"}, "network"),
    ({"lateral_sizes": "60/60"}, "lateral_sizes"),
    ({"lateral_increments": "a/b/c"}, "lateral_increments"),
    ({"n_tasks": 1}, "n_tasks"),
    ({"svd_energy": 1.5}, "svd_energy"),
])
def test_bad_settings_are_refused_before_any_work(override, name):
    with pytest.raises(ValidationError, match=name):
        run_experiment("hlop-permuted-digits", override, progress=False)


def test_subspace_bad_settings():
    with pytest.raises(ValidationError, match="lr_rule"):
        run_experiment("hlop-subspace", {"lr_rule": "adaptive"}, progress=False)
    with pytest.raises(ValidationError, match="k"):
        run_experiment("hlop-subspace", {"k": 0}, progress=False)
