"""The dense-capacity experiment: its Dataset, the one-step law, and the error-free count."""

import math

import numpy as np
import pytest
import xarray as xr

from engramsim.cli import main
from engramsim.experiments import run_experiment
from engramsim.experiments.dense_capacity import (
    error_free_bracket,
    error_free_patterns_estimate,
    n_patterns_for,
)
from engramsim.experiments.plotting import plot_dataset
from engramsim.experiments.theory import dense_one_step_error, krotov_hopfield_capacity

VARIABLES = ("bit_error", "error_free", "n_patterns", "theory_bit_error", "theory_bit_error_large_n",
             "max_error_free_patterns", "first_failing_patterns", "theory_max_patterns",
             "theory_error_free_patterns")


@pytest.fixture(scope="module")
def bit_error_run():
    """n = 2 and 3 at N = 200, loads where the predicted error lies in [1e-3, 1e-1]."""
    return run_experiment("dense-capacity", {"n": [2, 3], "n_neurons": [200], "load": [0.15, 0.25, 0.4],
                                             "n_probe": 100, "backend": "numba"}, seeds=6, progress=False)


def test_dataset_has_the_promised_variables(bit_error_run):
    ds = bit_error_run
    assert ds["bit_error"].dims == ("n", "n_neurons", "load", "seed")
    for name in ("max_error_free_patterns", "first_failing_patterns", "theory_max_patterns",
                 "theory_error_free_patterns"):
        assert ds[name].dims == ("n", "n_neurons"), name
    for name in VARIABLES + ("n", "n_neurons", "load"):
        assert ds[name].attrs["long_name"] and ds[name].attrs["units"] == "1", name
    # K = round(load N^(n-1) / (2n-3)!!)
    np.testing.assert_array_equal(ds["n_patterns"].sel(n=2, n_neurons=200), [30, 50, 80])
    np.testing.assert_array_equal(ds["n_patterns"].sel(n=3, n_neurons=200), [2000, 3333, 5333])
    np.testing.assert_allclose(ds["theory_max_patterns"].sel(n_neurons=200),
                               krotov_hopfield_capacity(200, [2, 3]))
    assert ds.attrs["experiment"] == "dense-capacity" and ds.attrs["tie"] == "keep"
    assert len(plot_dataset(ds).axes) == 3  # one error panel per order n (2 and 3), and the capacity panel


def test_measured_bit_error_agrees_with_the_finite_n_law(bit_error_run):
    ds = bit_error_run
    for n in (2, 3):
        for load in ds["load"].values:
            k = int(ds["n_patterns"].sel(n=n, n_neurons=200, load=load))
            predicted = float(dense_one_step_error(200, k, n))
            assert predicted == pytest.approx(float(ds["theory_bit_error"].sel(n=n, n_neurons=200, load=load)))
            assert 1e-3 < predicted < 1e-1
            errors = ds["bit_error"].sel(n=n, n_neurons=200, load=load).values
            # bits of one pattern set share its crosstalk: use the spread over seeds,
            # never less than the binomial error of all measured bits together
            bits = errors.size * min(k, 100) * 200
            sigma = max(errors.std(ddof=1) / math.sqrt(errors.size),
                        math.sqrt(predicted * (1 - predicted) / bits))
            assert abs(errors.mean() - predicted) < 4 * sigma, (n, load, errors.mean(), predicted)
    # the large-N law is the same for every n at a given load
    np.testing.assert_allclose(ds["theory_bit_error_large_n"], [0.0049116, 0.0227501, 0.0569231], rtol=1e-4)


def test_error_free_count_follows_the_finite_n_estimate():
    loads = [0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.1, 0.12, 0.15, 0.2]
    ds = run_experiment("dense-capacity", {"n": [2, 3], "n_neurons": [50, 100], "load": loads,
                                           "backend": "numba"}, seeds=3, progress=False)
    low, high = ds["max_error_free_patterns"].values, ds["first_failing_patterns"].values
    assert np.all(np.isfinite(low)) and np.all(np.isfinite(high)) and np.all(low < high)
    estimate = ds["theory_error_free_patterns"].values
    # the measured threshold lies within a factor 2 of where K N P_err = ln 2 ...
    assert np.all(low <= 2 * estimate) and np.all(high >= estimate / 2)
    # ... and, for n = 3, well below eq. 6, which only asks P_err ~ 1/N per bit
    assert np.all(low[1] < 0.8 * ds["theory_max_patterns"].sel(n=3).values)
    # more neurons store more patterns, much more so for n = 3
    assert low[0, 1] > low[0, 0] and low[1, 1] > 2 * low[1, 0]


def test_error_free_bracket_definition():
    # loads given out of order; seed 1 fails at the third-smallest load, seed 0 later;
    # the fifth load is error-free again but does not count (a smaller K failed)
    ok = np.array([[1, 1], [1, 1], [1, 0], [0, 0], [1, 1]])
    loads = [0.1, 0.2, 0.3, 0.4, 0.5]
    order = [4, 0, 2, 3, 1]
    error_free = xr.DataArray(ok[order], dims=("load", "seed"), coords={"load": np.array(loads)[order]})
    counts = xr.DataArray(np.array([10, 20, 30, 40, 50])[order], dims="load",
                          coords={"load": np.array(loads)[order]})
    low, high = error_free_bracket(error_free, counts)
    assert float(low) == 20 and float(high) == 30
    low, high = error_free_bracket(error_free * 0 + 1, counts)
    assert float(low) == 50 and np.isnan(float(high))
    low, high = error_free_bracket(error_free * 0, counts)
    assert np.isnan(float(low)) and float(high) == 10


def test_pattern_counts_and_estimate():
    assert n_patterns_for(2, 100, 0.138) == 14
    assert n_patterns_for(3, 30, 0.1) == 30  # 0.1 * 900 / 3
    assert n_patterns_for(4, 10, 0.3) == 20  # 0.3 * 1000 / 15
    assert n_patterns_for(2, 10, 0.001) == 1
    for n, big_n in [(2, 100), (3, 50), (4, 30)]:
        k = error_free_patterns_estimate(big_n, n)
        errors = [kk * big_n * float(dense_one_step_error(big_n, kk, n)) for kk in (k, k + 1)]
        assert errors[0] <= math.log(2) < errors[1]


@pytest.mark.parametrize("params, error, match", [
    ({"n": [1]}, ValueError, "n must be >= 2"),
    ({"n": [2.5]}, TypeError, "n must be an integer"),
    ({"n_neurons": [1]}, ValueError, "n_neurons must be >= 2"),
    ({"load": [0.0]}, ValueError, "load must be > 0"),
    ({"load": ["x"]}, TypeError, "load must be a real number"),
    ({"n_probe": 0}, ValueError, "n_probe must be >= 1"),
    ({"n": [5], "n_neurons": [100]}, ValueError, r"K=\d+ patterns; K \* n_neurons must be <="),
    ({"backend": "fortran"}, ValueError, "backend must be one of"),
    ({"degree": 3}, ValueError, "unknown parameter 'degree'"),
])
def test_bad_parameters(params, error, match):
    with pytest.raises(error, match=match):
        run_experiment("dense-capacity", params, progress=False)


def test_every_parameter_is_settable_from_the_cli(tmp_path, capsys):
    out = tmp_path / "dense.nc"
    status = main(["run", "dense-capacity", "--set", "n=2,3", "--set", "n_neurons=30", "--set", "load=0.1,0.3",
                   "--set", "n_probe=7", "--set", "backend=numpy", "--set", "seeds=2", "--out", str(out),
                   "--quiet"])
    assert status == 0 and out.exists() and out.with_suffix(".png").exists()
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        assert ds.sizes == {"n": 2, "n_neurons": 1, "load": 2, "seed": 2}
        assert '"n_probe": 7' in ds.attrs["parameters"] and '"backend": "numpy"' in ds.attrs["parameters"]
        assert ds["theory_max_patterns"].attrs["units"] == "1"
    assert main(["run", "dense-capacity", "--set", "n=1", "--out", str(out), "--quiet"]) == 2
    assert "n must be >= 2" in capsys.readouterr().err
