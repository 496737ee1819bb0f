"""The multitask-magnetization experiment: its Dataset, the ansatz amplitudes and the breakdown."""

import math

import numpy as np
import pytest
import xarray as xr

from engramsim.cli import main
from engramsim.experiments import run_experiment
from engramsim.experiments.multitask_magnetization import initial_state
from engramsim.experiments.plotting import plot_dataset
from engramsim.experiments.theory import multitask_magnetization
from engramsim.networks import MultitaskHopfield, diluted_patterns

LARGE_N = 6000


def test_dataset_has_the_promised_variables():
    ds = run_experiment("multitask-magnetization",
                        {"dilution": [0.1, 0.7], "n_patterns": [2, 3], "n_neurons": 1000, "backend": "numba"},
                        seeds=2, progress=False)
    assert ds["magnetization"].dims == ("dilution", "n_patterns", "seed", "rank")
    np.testing.assert_array_equal(ds["rank"], [1, 2, 3])
    for name in ("magnetization", "sweeps", "converged", "theory_magnetization", "breakdown_dilution",
                 "hierarchy_consistent", "rank", "dilution", "n_patterns"):
        assert ds[name].attrs["long_name"] and ds[name].attrs["units"] == "1", name
    # K = 2 has no third magnetisation: padded with NaN, in theory too
    assert np.all(np.isnan(ds["magnetization"].sel(n_patterns=2, rank=3)))
    assert np.all(np.isnan(ds["theory_magnetization"].sel(n_patterns=2, rank=3)))
    np.testing.assert_allclose(ds["theory_magnetization"].sel(n_patterns=3, dilution=0.7),
                               multitask_magnetization(0.7, 3))
    # sorted and non-negative
    m = ds["magnetization"].sel(n_patterns=3).values
    assert np.all(np.diff(m, axis=-1) <= 0) and np.all(m >= 0)
    # breakdown: K = 2 never (d < 1); K = 3 at the golden ratio conjugate
    np.testing.assert_allclose(ds["breakdown_dilution"], [1.0, (math.sqrt(5) - 1) / 2], rtol=1e-12)
    np.testing.assert_array_equal(ds["hierarchy_consistent"], [[1, 1], [1, 0]])
    assert ds["converged"].values.all()
    assert "first pattern" in ds.attrs["initial_condition"]
    assert len(plot_dataset(ds).axes) == 2


def test_magnetizations_match_the_ansatz_at_small_dilution():
    """From the first pattern, the blanks fill with the next patterns in a hierarchy.

    Tolerance: 4 / sqrt(N) per rank (the crosstalk noise of each m is about
    (1 - d) / sqrt(N), and the symmetry breaking picks the larger of two noisy
    lower magnetisations, which biases rank 2 upward by about 1 / sqrt(N)).
    """
    dilutions = [0.1, 0.2, 0.3]
    ds = run_experiment("multitask-magnetization",
                        {"dilution": dilutions, "n_patterns": [3], "n_neurons": LARGE_N, "backend": "numba"},
                        seeds=1, progress=False)
    measured = ds["magnetization"].sel(n_patterns=3).isel(seed=0).values
    expected = multitask_magnetization(np.array(dilutions), 3)
    np.testing.assert_allclose(measured, expected, atol=4 / math.sqrt(LARGE_N))
    assert np.all(ds["hierarchy_consistent"] == 1)


def test_ansatz_start_stays_put_inside_and_moves_beyond_the_breakdown():
    ds = run_experiment("multitask-magnetization",
                        {"dilution": [0.2, 0.8], "n_patterns": [3], "n_neurons": 3000, "initial": "ansatz",
                         "backend": "numba"}, seeds=1, progress=False)
    sweeps = ds["sweeps"].sel(n_patterns=3).isel(seed=0).values
    assert sweeps[0] == 1  # a fixed point: the first sweep flips nothing
    assert sweeps[1] > 1  # beyond d = 0.618 the ansatz is not a fixed point
    assert "ansatz" in ds.attrs["initial_condition"]


def test_initial_states():
    patterns = diluted_patterns(3, 500, 0.3, seed=0)
    mem = MultitaskHopfield(500).store(patterns)
    state = initial_state(mem, "first_pattern", seed=4)
    assert state.dtype == np.int8 and set(np.unique(state)) == {-1, 1}
    nonzero = patterns[0] != 0
    np.testing.assert_array_equal(state[nonzero], patterns[0, nonzero])
    np.testing.assert_array_equal(state, initial_state(mem, "first_pattern", seed=4))
    assert not np.array_equal(state, initial_state(mem, "first_pattern", seed=5))
    np.testing.assert_array_equal(initial_state(mem, "ansatz", seed=4), mem.hierarchical_state())
    with pytest.raises(ValueError, match="initial must be one of"):
        initial_state(mem, "random", seed=0)


@pytest.mark.parametrize("params, error, match", [
    ({"dilution": [1.5]}, ValueError, "dilution must be <= 1"),
    ({"dilution": [-0.1]}, ValueError, "dilution must be >= 0"),
    ({"n_patterns": [0]}, ValueError, "n_patterns must be >= 1"),
    ({"n_patterns": [2.5]}, TypeError, "n_patterns must be an integer"),
    ({"n_neurons": 1}, ValueError, "n_neurons must be >= 2"),
    ({"initial": "random"}, ValueError, "initial must be one of"),
    ({"max_steps": 0}, ValueError, "max_steps must be >= 1"),
    ({"backend": "fortran"}, ValueError, "backend must be one of"),
    ({"temperature": 1.0}, ValueError, "unknown parameter 'temperature'"),
])
def test_bad_parameters(params, error, match):
    with pytest.raises(error, match=match):
        run_experiment("multitask-magnetization", params, progress=False)


def test_every_parameter_is_settable_from_the_cli(tmp_path):
    out = tmp_path / "multitask.nc"
    status = main(["run", "multitask-magnetization", "--set", "dilution=0.1:0.3:0.1", "--set", "n_patterns=3",
                   "--set", "n_neurons=400", "--set", "initial=ansatz", "--set", "max_steps=20",
                   "--set", "backend=numpy", "--set", "seeds=1", "--out", str(out), "--quiet"])
    assert status == 0 and out.exists() and out.with_suffix(".png").exists()
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        np.testing.assert_allclose(ds["dilution"], [0.1, 0.2, 0.3])
        assert ds.sizes["rank"] == 3 and ds.attrs["n_neurons"] == 400
        assert '"max_steps": 20' in ds.attrs["parameters"] and '"backend": "numpy"' in ds.attrs["parameters"]
        assert ds["theory_magnetization"].attrs["long_name"]
