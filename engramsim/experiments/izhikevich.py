"""Registered experiment ``izhikevich-2003``: the published 1000-cell network, its raster, rates and rhythm.

For each (``n_neurons``, ``connection_probability``, ``duration``, seed) the
network of :func:`engramsim.networks.izhikevich.izhikevich_2003` runs and
the Dataset holds

* the spike raster as a ragged table (``spike_time``, ``spike_neuron`` along
  ``spike``; excitatory cells first; NaN-padded across points),
* the population rate in 1 ms bins (``population_rate`` over ``time``),
* the mean rates ``rate_exc`` and ``rate_inh`` (Hz),
* the power spectrum of the population rate (``spectrum`` over
  ``frequency``; Welch, 256 ms Hann segments, so the frequency grid is the
  same for every duration), and the frequency of its largest peak above 4 Hz
  (``peak_frequency``).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import xarray as xr

from engramsim.experiments.plotting import first_of_other_dims, seed_mean, style
from engramsim.experiments.registry import Experiment, as_list, register
from engramsim.experiments.sweep import Metric
from engramsim.networks.izhikevich import EXCITATORY_FRACTION, izhikevich_2003
from engramsim.sim.validation import check_float, check_int

#: Welch segment length (ms = samples at 1 ms bins); sets the frequency resolution (1000/256 Hz)
SEGMENT_MS = 256
#: peaks below this frequency (Hz) are ignored when naming the dominant rhythm
MIN_PEAK_HZ = 4.0

DEFAULTS: dict[str, Any] = {
    "n_neurons": 1000,
    "connection_probability": 1.0,
    "duration": 1000.0,
    "backend": "auto",
}

METRICS = {
    "spike_time": Metric("spike time", "ms", ("spike",)),
    "spike_neuron": Metric("index of the spiking cell (excitatory cells first)", "1", ("spike",)),
    "population_rate": Metric("population rate in 1 ms bins", "Hz", ("time",)),
    "rate_exc": Metric("mean rate of the excitatory cells", "Hz"),
    "rate_inh": Metric("mean rate of the inhibitory cells", "Hz"),
    "spectrum": Metric("power spectral density of the population rate (Welch)", "Hz^2/Hz", ("frequency",)),
    "peak_frequency": Metric(f"frequency of the largest spectral peak above {MIN_PEAK_HZ} Hz", "Hz"),
}


def check(params: dict[str, Any]) -> None:
    """Reject impossible settings before any work starts."""
    for n in as_list(params["n_neurons"]):
        check_int(n, "n_neurons", minimum=10)
    for p in as_list(params["connection_probability"]):
        check_float(p, "connection_probability", 0.0, 1.0)
    for d in as_list(params["duration"]):
        d = check_float(d, "duration", float(SEGMENT_MS))
        if d != int(d):
            raise ValueError(f"duration must be a whole number of ms, got {d}")


def population_spectrum(rate: np.ndarray, dt_ms: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Welch power spectrum of a rate signal sampled every ``dt_ms``: (frequency in Hz, PSD)."""
    from scipy.signal import welch

    return welch(rate - rate.mean(), fs=1000.0 / dt_ms, window="hann", nperseg=SEGMENT_MS,
                 noverlap=SEGMENT_MS // 2, detrend=False)


def point(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """Run one network and measure it."""
    duration = float(params["duration"])
    model = izhikevich_2003(int(params["n_neurons"]), float(params["connection_probability"]), seed=seed,
                            backend=params["backend"]).run(duration)
    times, cells = model.spikes()
    n, n_exc = model.params["n_neurons"], model.params["n_exc"]
    steps = int(round(duration))
    counts = np.bincount(np.rint(times).astype(np.int64), minlength=steps)
    rate = counts / n * 1000.0
    freq, psd = population_spectrum(rate)
    above = freq >= MIN_PEAK_HZ
    return {
        "spike_time": times,
        "spike_neuron": cells.astype(np.float64),
        "population_rate": rate,
        "rate_exc": model.spikes_exc.steps.size / n_exc / (duration / 1000.0),
        "rate_inh": model.spikes_inh.steps.size / (n - n_exc) / (duration / 1000.0),
        "spectrum": psd,
        "peak_frequency": float(freq[above][np.argmax(psd[above])]),
    }


def finalize(ds: xr.Dataset, params: dict[str, Any]) -> xr.Dataset:
    """Put physical coordinates on ``time`` (ms) and ``frequency`` (Hz)."""
    ds = ds.assign_coords(time=("time", np.arange(ds.sizes["time"], dtype=float), {"units": "ms"}),
                          frequency=("frequency", np.fft.rfftfreq(SEGMENT_MS, 1e-3), {"units": "Hz"}))
    ds.attrs.update(segment_ms=SEGMENT_MS, model="Izhikevich (2003) net.m, half-step scheme, dt = 1 ms")
    return ds


def plot(ds: xr.Dataset):
    """Raster and population rate of the first point (shared time axis), and every point's rate spectrum."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10.0, 5.2), layout="constrained")
    grid = fig.add_gridspec(2, 2, height_ratios=(2.6, 1.0), width_ratios=(1.25, 1.0))
    ax_r = fig.add_subplot(grid[0, 0])
    ax_p = fig.add_subplot(grid[1, 0], sharex=ax_r)
    ax_s = fig.add_subplot(grid[:, 1])
    t, note = first_of_other_dims(ds["spike_time"], ("spike",))
    i, _ = first_of_other_dims(ds["spike_neuron"], ("spike",))
    n = int(i["n_neurons"]) if "n_neurons" in i.coords else int(json.loads(ds.attrs["parameters"])["n_neurons"])
    exc = i.values < round(EXCITATORY_FRACTION * n)
    ax_r.plot(t.values[exc], i.values[exc], ",", color="k")
    ax_r.plot(t.values[~exc], i.values[~exc], ",", color="tab:red")
    ax_r.set(ylabel="cell index", title=f"raster ({note}): excitatory black, inhibitory red", ylim=(0, n))
    ax_r.tick_params(labelbottom=False)
    rate, _ = first_of_other_dims(ds["population_rate"], ("time",))
    ax_p.plot(ds["time"], rate, color="k", lw=0.6)
    r_e, _ = first_of_other_dims(ds["rate_exc"], ())
    r_i, _ = first_of_other_dims(ds["rate_inh"], ())
    ax_p.set(xlabel="time (ms)", ylabel="population rate (Hz)", xlim=(0, float(ds["time"][-1]) + 1.0))
    ax_p.set_title(f"1 ms bins; mean rate E {float(r_e):.1f} Hz, I {float(r_i):.1f} Hz", fontsize=9)
    spectrum = seed_mean(ds["spectrum"])
    others = [d for d in spectrum.dims if d != "frequency"]
    stacked = spectrum.stack(point=others) if others else spectrum.expand_dims(point=[0])
    for k in range(stacked.sizes["point"]):
        label = ", ".join(f"{d}={stacked['point'].values[k][j]}" for j, d in enumerate(others)) if others else None
        ax_s.semilogy(ds["frequency"], stacked.isel(point=k), label=label, **style(k))
    peak, _ = first_of_other_dims(seed_mean(ds["peak_frequency"]), ())
    ax_s.axvline(float(peak), color="k", lw=0.8, ls=":", label=f"largest peak above {MIN_PEAK_HZ:g} Hz: "
                                                                f"{float(peak):.1f} Hz")
    ax_s.axvspan(8, 13, color="tab:blue", alpha=0.1, label="alpha 8-13 Hz")
    ax_s.axvspan(30, 80, color="tab:green", alpha=0.1, label="gamma 30-80 Hz")
    ax_s.set(xlabel="frequency (Hz)", ylabel="PSD of the population rate (Hz^2/Hz)", xlim=(0, 120),
             title="population-rate spectrum\n")
    ax_s.set_title(f"Welch, {SEGMENT_MS} ms Hann segments", fontsize=8, loc="right")
    ax_s.legend(fontsize=7, loc="lower left")
    return fig


EXPERIMENT = register(Experiment(
    name="izhikevich-2003",
    description="Izhikevich (2003) 1000-cell network: raster, population rate, E/I rates and rhythm spectrum",
    point=point, defaults=DEFAULTS, metrics=METRICS, seeds=1, finalize=finalize, plot=plot, check=check,
    parameters={
        "n_neurons": ("cells (80 per cent excitatory, 20 per cent inhibitory)", "1"),
        "connection_probability": ("probability of each synapse (1: all-to-all as published)", "1"),
        "duration": ("simulated time (a whole number, at least one 256 ms spectrum segment)", "ms"),
        "backend": ("compute backend: numpy, numba, cupy or auto", ""),
    },
    example="engramsim run izhikevich-2003 --set duration=500 --out results/izhikevich-500ms.nc",
))
