"""The registered experiments force-sine, reservoir-what-when and reservoir-switch at small sizes."""

import math

import numpy as np
import pytest

from engramsim.experiments.registry import get_experiment, run_experiment
from engramsim.experiments.reservoir import dominant_frequency, recovery_trials


@pytest.fixture(scope="module")
def force_ds():
    return run_experiment("force-sine", {"n_neurons": 200, "duration": 900.0, "rls_start": 300.0,
                                         "rls_stop": 600.0, "backend": "numba"}, progress=False)


def test_force_sine_dataset(force_ds):
    ds = force_ds
    assert ds.sizes["time"] == 900 and ds["time"].values[0] == pytest.approx(1.0)
    for name, var in ds.data_vars.items():
        assert var.attrs["units"] and var.attrs["long_name"], name
    # before RLS the decoder is zero: the RMS error is that of the sine over 1.5 periods, 1/sqrt(2)
    assert ds["rms_error_before"].item() == pytest.approx(1 / math.sqrt(2), abs=2e-3)
    assert ds["rms_error_during"].item() < 0.5
    np.testing.assert_allclose(ds["error"], ds["readout"] - ds["target"])
    np.testing.assert_allclose(ds["target"].values.ravel(), np.sin(2 * np.pi * 5 * ds["time"].values / 1000),
                               atol=1e-12)
    assert get_experiment("force-sine").plot(ds) is not None


def test_dominant_frequency_and_recovery_by_hand():
    t = np.arange(5000) * 1.0
    assert dominant_frequency(np.sin(2 * np.pi * 5.0 * t / 1000), 1.0) == pytest.approx(5.0, abs=0.02)
    err = np.array([1.0] * 10 + [3.0, 3.0, 3.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    # level 1.2 (20% above the last 10 of block 0); 2-trial means from trial 10: 3, 3, 2, 1 -> first <= 1.2 at 3
    assert recovery_trials(err, 10, window=2, baseline=10).tolist() == [5.0]
    assert recovery_trials(np.r_[np.ones(10), 5 * np.ones(10)], 10, window=2, baseline=10).tolist() == [10.0]


def test_what_when_small():
    ds = run_experiment("reservoir-what-when", {"p_a": [0.1, 0.9], "n_neurons": 120, "n_trials": 25,
                                                "trial_length": 400.0, "backend": "numba"}, progress=False)
    assert ds["output_a"].dims == ("p_a", "seed", "time") and ds["time"].values[1] == pytest.approx(1.0)
    assert ds["amplitude_a"].attrs["long_name"]
    assert set(("pearson_r_a", "pearson_r_b", "reported_r_a")) <= set(ds.attrs)
    # the what readouts order the two probability levels
    what = ds["what_a"].isel(seed=0).values
    assert what[1] > what[0] + 0.4
    assert np.all(np.isfinite(ds["peak_error_a"]))
    assert get_experiment("reservoir-what-when").plot(ds) is not None


def test_switch_small():
    ds = run_experiment("reservoir-switch", {"switches": "timing", "n_trials": 8, "n_neurons": 60,
                                             "trial_length": 400.0, "backend": "numba"}, progress=False)
    assert ds["error"].dims == ("seed", "variant", "trial") and ds.sizes["trial"] == 16
    assert list(ds["variant"].values) == ["three-factor", "force", "force-reset"]
    assert list(ds["switch"].values) == ["timing"]
    assert np.all((ds["recovery"] >= 1) & (ds["recovery"] <= 8))
    assert np.all((ds["subspace_angle"] >= 0) & (ds["subspace_angle"] <= 90))
    assert get_experiment("reservoir-switch").plot(ds) is not None


def test_checks_reject_bad_parameters():
    with pytest.raises(ValueError, match="rls_stop must be >= 5000"):
        run_experiment("force-sine", {"rls_start": 5000.0, "rls_stop": 4000.0}, progress=False)
    with pytest.raises(ValueError, match="p_a"):
        run_experiment("reservoir-what-when", {"p_a": [0.5, 1.5]}, progress=False)
    with pytest.raises(ValueError, match="latency_b"):
        run_experiment("reservoir-what-when", {"latency_b": 480.0}, progress=False)
    with pytest.raises(ValueError, match="switches must be one of"):
        run_experiment("reservoir-switch", {"switches": "timing,colour"}, progress=False)
