"""The registered active-dendrite experiments: small runs, Dataset layout, theory beside Monte Carlo."""

import numpy as np
import pytest

from engramsim.experiments import theory
from engramsim.experiments.registry import experiments, get_experiment, run_experiment

Z = 4.5


def run(name, **params):
    return run_experiment(name, params, progress=False)


def check_layout(ds, dims, variables):
    for dim in dims:
        assert dim in ds.dims
    for var in variables:
        assert var in ds.data_vars, var
    for var in ds.data_vars:
        assert ds[var].attrs.get("units") and ds[var].attrs.get("long_name"), var


def check_monte_carlo(ds, mc, theory_name):
    """NaN exactly where too few events are expected; within sampling error elsewhere."""
    mc_vals = ds[mc].isel(seed=0)
    expected = ds[theory_name] * ds.attrs["mc_trials"]
    shown = expected >= ds.attrs["mc_min_expected"]
    assert bool((mc_vals.notnull() == shown).all())
    p = ds[theory_name].where(shown)
    sigma = np.sqrt(p * (1 - p) / ds.attrs["mc_trials"])
    assert bool((abs(mc_vals - p) <= Z * sigma + 1e-12).where(shown, True).all())
    assert int(shown.sum()) >= 3


def test_registered_names():
    assert {"dendrite-false-match", "dendrite-noise", "dendrite-union"} <= set(experiments())


def test_false_match_experiment():
    ds = run("dendrite-false-match", n=[500, 2000], a=[32, 64], s=[16], theta=[2, 4, 8], mc_trials=40_000)
    check_layout(ds, ("n", "a", "s", "theta"),
                 ("theory_false_match", "mc_false_match", "mc_false_match_stderr", "mc_false_match_events"))
    np.testing.assert_array_equal(
        ds["theory_false_match"].sel(n=2000, a=64, s=16),
        theory.dendrite_false_match(2000, 64, 16, np.array([2, 4, 8])))
    check_monte_carlo(ds, "mc_false_match", "theory_false_match")
    # the theta points of one (n, a, s) share one Monte-Carlo run: the rate falls with theta
    assert np.all(np.diff(ds["mc_false_match_events"].sel(n=500, a=64, s=16).isel(seed=0)) <= 0)
    assert get_experiment("dendrite-false-match").plot(ds) is not None


def test_false_match_scalar_settings_stay_dimensions():
    ds = run("dendrite-false-match", n=1000, a=50, s=10, theta=3, mc_trials=1000)
    assert dict(ds["theory_false_match"].sizes) == {"n": 1, "a": 1, "s": 1, "theta": 1}


def test_noise_experiment():
    ds = run("dendrite-noise", noise=[0.2, 0.4, 0.6], theta=[6, 10], a=64, s=20, mc_trials=40_000)
    check_layout(ds, ("noise", "theta"), ("theory_false_negative", "mc_false_negative", "replaced"))
    assert ds["replaced"].isel(seed=0, theta=0).values.tolist() == [13, 26, 38]
    np.testing.assert_array_equal(ds["theory_false_negative"].sel(theta=10),
                                  theory.dendrite_false_negative(64, 20, 10, np.array([13, 26, 38])))
    check_monte_carlo(ds, "mc_false_negative", "theory_false_negative")
    assert get_experiment("dendrite-noise").plot(ds) is not None


def test_union_experiment():
    ds = run("dendrite-union", n_stored=[1, 3, 6, 10], n=[1000, 2000], a=64, s=16, theta=8, mc_trials=40_000)
    check_layout(ds, ("n_stored", "n"), ("theory_union_false_match", "theory_union_false_match_distribution",
                                         "mc_union_false_match", "mc_union_synapses", "theory_union_synapses"))
    np.testing.assert_array_equal(ds["theory_union_false_match"].sel(n=1000),
                                  theory.dendrite_union_false_match(1000, 64, 16, 8, np.array([1, 3, 6, 10])))
    check_monte_carlo(ds, "mc_union_false_match", "theory_union_false_match_distribution")
    rel = abs(ds["mc_union_synapses"].isel(seed=0) / ds["theory_union_synapses"] - 1)
    assert float(rel.max()) < 0.01
    assert get_experiment("dendrite-union").plot(ds) is not None


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("dendrite-false-match", {"n": [100], "a": [200]}, "a must be <= n"),
        ("dendrite-false-match", {"s": [80], "a": [64]}, "s must be <= a"),
        ("dendrite-false-match", {"theta": [-1]}, "theta must be >= 0"),
        ("dendrite-false-match", {"mc_trials": 0}, "mc_trials must be >= 1"),
        ("dendrite-noise", {"noise": [1.5]}, "noise must be <= 1.0"),
        ("dendrite-noise", {"s": 200}, "s must be <= a"),
        ("dendrite-union", {"n_stored": [0]}, "n_stored must be >= 1"),
        ("dendrite-union", {"n": [100], "a": 200}, "a and s must be <= n"),
    ],
)
def test_bad_settings_fail_before_work(name, params, message):
    with pytest.raises(ValueError, match=message):
        run(name, **params)
