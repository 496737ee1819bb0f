"""The registered experiment ``izhikevich-2003``: a small sweep, its Dataset and its plot."""

import numpy as np
import pytest

from engramsim.experiments.izhikevich import SEGMENT_MS
from engramsim.experiments.registry import get_experiment, run_experiment


@pytest.fixture(scope="module")
def ds():
    return run_experiment("izhikevich-2003", {"n_neurons": [200, 400], "duration": 300.0, "backend": "numba"},
                          seeds=2, progress=False)


def test_dataset_shape_units_and_values(ds):
    assert ds["rate_exc"].dims == ("n_neurons", "seed")
    assert ds["spectrum"].dims == ("n_neurons", "seed", "frequency")
    assert ds["frequency"].size == SEGMENT_MS // 2 + 1 and ds["frequency"].values[1] == pytest.approx(1000 / 256)
    assert ds["population_rate"].sizes["time"] == 300
    for name, var in ds.data_vars.items():
        assert var.attrs["units"] and var.attrs["long_name"], name
    assert ds["rate_exc"].attrs["units"] == "Hz"
    # the mean rate equals the spike count of the raster
    sel = ds.isel(n_neurons=0, seed=0)
    n_spikes = int(np.isfinite(sel["spike_time"]).sum())
    n_exc = int((sel["spike_neuron"] < 160).sum())
    assert sel["rate_exc"] == pytest.approx(n_exc / 160 / 0.3)
    assert float(sel["population_rate"].mean()) == pytest.approx(n_spikes / 200 / 0.3)
    assert np.all((ds["rate_exc"] > 1) & (ds["rate_exc"] < 30))
    # the seeds give different networks
    assert not np.array_equal(ds["spectrum"].isel(seed=0).values, ds["spectrum"].isel(seed=1).values)


def test_plot(ds):
    fig = get_experiment("izhikevich-2003").plot(ds)
    assert len(fig.axes) == 2


def test_check_rejects_bad_parameters():
    with pytest.raises(ValueError, match="connection_probability must be <= 1.0"):
        run_experiment("izhikevich-2003", {"connection_probability": 1.5}, progress=False)
    with pytest.raises(ValueError, match="duration must be >= 256"):
        run_experiment("izhikevich-2003", {"duration": 100.0}, progress=False)
