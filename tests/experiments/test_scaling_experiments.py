"""scaling-dimension, scaling-samples and scaling-optimizers: Datasets, theory, science and Dask.

The paper's five optimizer figures (``scaling-figure``) are tested in ``test_scaling_figures.py``.
"""

import math

import numpy as np
import pytest
import xarray as xr

from engramsim.experiments import run_experiment, theory, write_dataset
from engramsim.experiments.plotting import plot_dataset
from engramsim.experiments.scaling import fit_decay_exponent

D_FIT = [10, 22, 46, 100, 215, 464, 1000]


@pytest.fixture(scope="module")
def dimension_run():
    """N = 1000, M = 5, alpha = 2, infinite data, thresholding at P = floor(d/8); 16 seeds."""
    return run_experiment("scaling-dimension", {"d": D_FIT}, seeds=16, progress=False)


@pytest.fixture(scope="module")
def samples_run():
    """N = 1000, d = 500: the data term; T from 10 to about 5000; 12 seeds."""
    return run_experiment("scaling-samples", {"scheme": ["threshold", "frequency"], "d": 500,
                                              "T": [10, 46, 215, 1000, 4642]}, seeds=12, progress=False)


def _described(ds):
    for name, var in ds.data_vars.items():
        assert var.attrs.get("long_name") and "units" in var.attrs, name


# --------------------------------------------------------------------------- theory functions


def test_theory_exponents_at_alpha_2():
    assert theory.cabannes_exponent("frequency", 2.0) == pytest.approx(0.25)
    assert theory.cabannes_exponent("threshold", 2.0) == pytest.approx(1.0)
    assert theory.cabannes_exponent("data", 2.0) == pytest.approx(0.5)
    assert np.allclose(theory.cabannes_exponent("data", [1.5, 3.0]), [1 / 3, 2 / 3])
    with pytest.raises(ValueError, match="alpha must be > 1"):
        theory.cabannes_exponent("threshold", 1.0)
    with pytest.raises(ValueError, match="term must be one of"):
        theory.cabannes_exponent("fill", 2.0)


def test_unseen_mass_is_the_exact_sum():
    p = (np.arange(1, 51) ** -1.5) / np.sum(np.arange(1, 51) ** -1.5)
    for t in (0, 1, 7, 300):
        assert theory.unseen_mass(t, 50, 1.5) == pytest.approx(np.sum(p * (1 - p) ** t), rel=1e-12)
    # the infinite vocabulary: a large finite N converges to it, and the data exponent shows
    assert theory.unseen_mass(1000, math.inf, 2.0) == pytest.approx(theory.unseen_mass(1000, 10**6, 2.0), abs=2e-6)
    t = np.array([10**4, 10**5])
    slope = np.diff(np.log(theory.unseen_mass(t, math.inf, 2.0))) / np.diff(np.log(t))
    assert -slope[0] == pytest.approx(0.5, abs=0.03)
    with pytest.raises(ValueError, match="alpha must be > 1 when n_tokens is infinite"):
        theory.unseen_mass(10, math.inf, 1.0)


def test_tail_mass():
    assert theory.zipf_tail_mass(0, 100, 2.0) == pytest.approx(1.0)
    assert theory.zipf_tail_mass(100, 100, 2.0) == 0.0
    from scipy.special import zeta
    assert theory.zipf_tail_mass(7, math.inf, 3.0) == pytest.approx(zeta(3.0, 8) / zeta(3.0))
    with pytest.raises(ValueError, match="rank must be <= n_tokens = 10"):
        theory.zipf_tail_mass(11, 10, 2.0)


def test_fit_decay_exponent():
    x = np.array([10.0, 100.0, 1000.0])
    assert fit_decay_exponent(x, 3 * x**-0.7) == pytest.approx(0.7)
    assert fit_decay_exponent(x, np.array([0.1, 0.0, 0.001])) == pytest.approx(1.0)   # zeros are left out
    assert math.isnan(fit_decay_exponent(x, np.zeros(3)))


# --------------------------------------------------------------------------- scaling-dimension


def test_dimension_dataset_shape(dimension_run, tmp_path):
    ds = dimension_run
    assert ds["error"].dims == ("scheme", "d", "seed")
    assert list(ds["d"].values) == D_FIT and float(ds["T"]) == math.inf
    assert ds["fitted_exponent"].dims == ("scheme",) and ds["theory_exponent"].dims == ("scheme",)
    _described(ds)
    assert np.isnan(ds["theory_exponent"].sel(scheme="uniform"))
    assert np.all(ds["n_stored"].sel(scheme="threshold").isel(seed=0).values == np.array(D_FIT) // 8)
    assert np.all(ds["unseen_mass"] == 0.0)
    fig = plot_dataset(ds)
    assert fig.axes[0].get_xscale() == "log" and fig.axes[0].get_yscale() == "log"
    back = xr.open_dataset(write_dataset(ds, tmp_path / "dim.nc"), engine="h5netcdf").load()
    xr.testing.assert_allclose(back["error"], ds["error"])


def test_fitted_exponents_match_theory(dimension_run):
    """q = p falls like d^-1/4 and thresholding at P = d/8 like d^-1 (alpha = 2), within 0.1."""
    fitted = dimension_run["fitted_exponent"]
    theory_exp = dimension_run["theory_exponent"]
    for scheme in ("frequency", "threshold"):
        assert abs(float(fitted.sel(scheme=scheme)) - float(theory_exp.sel(scheme=scheme))) <= 0.1, scheme
    assert float(theory_exp.sel(scheme="frequency")) == 0.25 and float(theory_exp.sel(scheme="threshold")) == 1.0


def test_error_decreases_with_d(dimension_run):
    mean = dimension_run["error"].mean("seed")
    for scheme in ("frequency", "threshold"):
        assert np.all(np.diff(mean.sel(scheme=scheme).values) < 0), scheme


def test_uniform_scheme_stays_high_until_d_approaches_n(dimension_run):
    uniform = dimension_run["error"].mean("seed").sel(scheme="uniform")
    threshold = dimension_run["error"].mean("seed").sel(scheme="threshold")
    small = uniform.sel(d=[d for d in D_FIT if d <= 100]).values     # d <= N / 10
    assert np.all(small > 0.5)
    assert np.all(small > threshold.sel(d=[d for d in D_FIT if d <= 100]).values)
    assert float(uniform.sel(d=100)) > 10 * float(threshold.sel(d=100))
    assert float(uniform.sel(d=1000)) < 0.5 * float(uniform.sel(d=10))  # it drops only as d reaches N


# --------------------------------------------------------------------------- scaling-samples


def test_samples_dataset_and_data_exponent(samples_run):
    ds = samples_run
    assert ds["error"].dims == ("scheme", "T", "seed") and int(ds["d"]) == 500
    _described(ds)
    assert float(ds["theory_exponent"].sel(scheme="threshold")) == 0.5
    assert np.isnan(ds["theory_exponent"].sel(scheme="frequency"))     # it saturates at its d-term
    assert abs(float(ds["fitted_exponent"].sel(scheme="threshold")) - 0.5) <= 0.1
    assert len(plot_dataset(ds).axes) == 1


def test_error_decreases_with_t(samples_run):
    mean = samples_run["error"].mean("seed")
    assert np.all(np.diff(mean.sel(scheme="threshold").values) < 0)
    freq = mean.sel(scheme="frequency").values
    assert freq[-1] < 0.5 * freq[0] and np.all(np.diff(freq) < 0.01)


def test_unseen_mass_matches_its_exact_expectation(samples_run):
    measured = samples_run["unseen_mass"].sel(scheme="threshold")
    se = measured.std("seed") / np.sqrt(measured.sizes["seed"])
    exact = samples_run["theory_unseen_mass"]
    assert np.all(np.abs(measured.mean("seed") - exact) <= 4 * se + 1e-4)


def test_counted_memories_do_not_beat_the_unseen_floor(samples_run):
    """Unseen tokens are only guessed: the error stays above (1 - 1/M) x the exact unseen mass.

    (1 - 1/M) is the miss rate of a guess among M = 5 balanced classes; 15 % covers the seed spread
    and the imbalance of the labels of the unseen tokens.
    """
    floor = (1 - 1 / 5) * samples_run["theory_unseen_mass"]
    mean = samples_run["error"].mean("seed")
    assert np.all(mean >= 0.85 * floor)
    # ... and thresholding at large d nearly reaches it: the error is the data term
    assert np.all(mean.sel(scheme="threshold") <= 1.3 * floor + 0.003)


# --------------------------------------------------------------------------- scaling-optimizers


def test_optimizers_dataset_and_learning_rate_effect():
    """The general grid: Dataset, the exact data floor, no invented exponents, one panel per (optimizer, B)."""
    ds = run_experiment("scaling-optimizers", {"learning_rate": [0.1, 10.0], "batch_size": [64],
                                               "d": [16, 64], "T": 2048, "n_tokens": 60}, seeds=2, progress=False)
    assert ds["error"].dims == ("optimizer", "learning_rate", "batch_size", "d", "seed")
    assert int(ds["T"]) == 2048
    _described(ds)
    # the paper draws no slope on its optimizer figures: no theory or fitted exponents here
    assert "theory_exponent" not in ds and "fitted_exponent" not in ds
    p = (np.arange(1, 61) ** -2.0) / np.sum(np.arange(1, 61) ** -2.0)
    assert float(ds["data_floor"]) == pytest.approx(0.8 * np.sum(p * (1 - p) ** 2048), rel=1e-12)
    # larger SGD steps give a lower error at fixed T (the paper's learning-rate figure)
    sgd = ds["error"].mean("seed").sel(optimizer="sgd", batch_size=64)
    assert np.all(sgd.sel(learning_rate=10.0) < sgd.sel(learning_rate=0.1))
    fig = plot_dataset(ds)
    assert len(fig.axes) == 2 and all(ax.get_yscale() == "log" for ax in fig.axes)


# --------------------------------------------------------------------------- bad settings


@pytest.mark.parametrize("name, params, error, match", [
    ("scaling-dimension", {"d": [10, 20000]}, ValueError, r"threshold cut-off P = floor\(threshold_ratio \* d\) = 2500"),
    ("scaling-dimension", {"d": [0, 10]}, ValueError, "d must be >= 1"),
    ("scaling-dimension", {"n_tokens": math.inf}, ValueError, "n_tokens must be an integer, got float inf"),
    ("scaling-dimension", {"scheme": "fill"}, ValueError, "scheme must be one of"),
    ("scaling-dimension", {"alpha": -1.0}, ValueError, "alpha must be > 0"),
    ("scaling-samples", {"T": [0, 10]}, ValueError, "T must be >= 1"),
    ("scaling-samples", {"embeddings": "shared"}, ValueError, "embeddings must be one of"),
    ("scaling-optimizers", {"T": 1000}, ValueError, "T must be a multiple of batch_size"),
    ("scaling-optimizers", {"T": None}, ValueError, "T must be an integer, got NoneType None"),
    ("scaling-optimizers", {"optimizer": "rmsprop"}, ValueError, "optimizer must be one of"),
])
def test_bad_parameters(name, params, error, match):
    with pytest.raises(error, match=match):
        run_experiment(name, params, progress=False)


# --------------------------------------------------------------------------- Dask


def test_a_dask_cluster_gives_the_serial_result(tmp_path):
    """The same sweep on a real LocalCluster (2 worker processes), by address and through the CLI."""
    from dask.distributed import LocalCluster

    from engramsim.cli import main

    params = {"d": [10, 40, 160], "scheme": ["frequency", "threshold"], "T": 300}
    serial = run_experiment("scaling-dimension", params, seeds=3, progress=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        remote = run_experiment("scaling-dimension", params, seeds=3, scheduler=address, progress=False)
        out = tmp_path / "samples.nc"
        status = main(["run", "scaling-samples", "--scheduler", address, "--set", "T=10,100,1000",
                       "--set", "d=64", "--set", "seeds=2", "--out", str(out), "--quiet", "--no-plot"])
    assert status == 0
    xr.testing.assert_identical(remote.drop_attrs(), serial.drop_attrs())
    assert remote.attrs["points_computed"] == serial.attrs["points_computed"] == 18
    via_cli = xr.open_dataset(out, engine="h5netcdf").load()
    local = run_experiment("scaling-samples", {"T": [10, 100, 1000], "d": 64}, seeds=2, progress=False)
    xr.testing.assert_identical(via_cli.drop_attrs(), local.drop_attrs())
