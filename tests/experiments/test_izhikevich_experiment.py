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


def test_plot_draws_raster_population_rate_and_spectrum(ds):
    fig = get_experiment("izhikevich-2003").plot(ds)
    ax_raster, ax_rate, ax_spectrum = fig.axes
    assert ax_rate.get_ylabel() == "population rate (Hz)" and ax_rate.get_xlabel() == "time (ms)"
    assert ax_rate.get_shared_x_axes().joined(ax_rate, ax_raster)
    assert "PSD" in ax_spectrum.get_ylabel() and ax_spectrum.get_yscale() == "log"
    # the rate panel is the first point's spike count per 1 ms bin over its 200 cells, in Hz
    times = ds["spike_time"].isel(n_neurons=0, seed=0).values
    counts, _ = np.histogram(times[np.isfinite(times)], bins=np.arange(-0.5, 300.5, 1.0))
    (line,) = ax_rate.get_lines()
    np.testing.assert_array_equal(np.asarray(line.get_xdata(), float), np.arange(300.0))
    np.testing.assert_allclose(np.asarray(line.get_ydata(), float), counts / 200 * 1000.0)
    # one spectrum per n_neurons, in distinct colour and line style
    curves = [(str(c.get_color()), str(c.get_linestyle())) for c in ax_spectrum.get_lines()[:2]]
    assert len(set(curves)) == 2


def test_check_rejects_bad_parameters():
    with pytest.raises(ValueError, match="connection_probability must be <= 1.0"):
        run_experiment("izhikevich-2003", {"connection_probability": 1.5}, progress=False)
    with pytest.raises(ValueError, match="duration must be >= 256"):
        run_experiment("izhikevich-2003", {"duration": 100.0}, progress=False)
