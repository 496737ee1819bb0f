"""The hopfield-capacity experiment: its Dataset, its theory, and finite-size behaviour."""

import numpy as np
import pytest

from engramsim.experiments import run_experiment
from engramsim.experiments.plotting import plot_dataset


def test_small_run_has_the_promised_shape():
    ds = run_experiment("hopfield-capacity",
                        {"rule": ["hebb", "pseudo_inverse"], "n_neurons": 100, "load": [0.05, 0.2, 0.4],
                         "backend": "numba"}, seeds=2, progress=False)
    assert ds["overlap"].dims == ("rule", "n_neurons", "load", "seed")
    for name in ("overlap", "retrieved", "stable_fraction", "theory_one_step_error", "load_50"):
        assert "long_name" in ds[name].attrs and "units" in ds[name].attrs
    assert ds.attrs["alpha_c"] == pytest.approx(0.1379, abs=5e-4)
    # the pseudo-inverse stores every pattern exactly below load 1
    assert np.all(ds["stable_fraction"].sel(rule="pseudo_inverse").values == 1.0)
    fig = plot_dataset(ds)
    assert len(fig.axes) == 3  # one retrieval panel per rule, and the Hebb one-step error


def test_half_retrieval_load_falls_with_n():
    ds = run_experiment("hopfield-capacity",
                        {"rule": "hebb", "n_neurons": [100, 1000], "load": [round(x, 3) for x in np.arange(0.1, 0.41, 0.025)],
                         "n_cues": 60, "backend": "numba"}, seeds=3, progress=False)
    load_50 = ds["load_50"].sel(rule="hebb").values
    assert np.all(np.isfinite(load_50))
    assert load_50[0] > load_50[1] > 0.138 - 0.01


def test_cue_noise_lowers_retrieval():
    base = {"rule": "hebb", "n_neurons": 200, "load": [0.12], "backend": "numba"}
    clean = run_experiment("hopfield-capacity", dict(base, cue_noise=0.0), seeds=2, progress=False)
    noisy = run_experiment("hopfield-capacity", dict(base, cue_noise=0.4), seeds=2, progress=False)
    assert float(noisy["overlap"].mean()) < float(clean["overlap"].mean())


@pytest.mark.parametrize("params, match", [
    ({"load": [0.0]}, "load must be > 0"),
    ({"cue_noise": 0.7}, "cue_noise must be <= 0.5"),
    ({"rule": "oja"}, "rule must be one of"),
    ({"nonsense": 1}, "unknown parameter 'nonsense'"),
])
def test_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        run_experiment("hopfield-capacity", params, progress=False)
