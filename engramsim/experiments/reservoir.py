"""Registered experiments on spiking reservoirs: FORCE on a sine, and the "what" x "when" reservoir template.

* ``force-sine``: Nicola & Clopath's (2017) 5 Hz sine (``IZFORCESINE.m``
  parameters by default: N = 2000, dt = 0.04 ms, 15 s, RLS from 5 s to 10 s).
  The error measure is the RMS of ``readout - target`` in each phase
  (before, during, after RLS), with the Pearson correlation, the dominant
  frequency and the amplitude of the readout after RLS (a generator whose
  phase drifts keeps its frequency and amplitude while its RMS error grows).
* ``reservoir-what-when``: for each ``p_a`` the reservoir template
  (:class:`engramsim.networks.reservoir.Reservoir`) trains on one block,
  then one test trial (learning off) gives the A-window and B-window
  amplitudes (maximum of each channel's output within 3 event widths of its
  latency) and the peak-time error (time of the channel's maximum after the
  cue minus its latency).  ``finalize`` adds Pearson's r of amplitude
  against ``p_a`` (the notes report r = 0.978 for A and -0.989 for B; a
  template, not a replication).
* ``reservoir-switch``: blocks with switches of timing and probability; the
  trial-by-trial error of the three-factor readouts, of FORCE (RLS) without
  and with resetting P at each switch; recovery time in trials after each
  switch; principal angles between the "what" and "when" weight subspaces.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import xarray as xr

from engramsim.experiments.plotting import figure, seed_mean
from engramsim.experiments.registry import Experiment, as_list, register
from engramsim.experiments.sweep import Metric
from engramsim.networks.force import ForceNetwork
from engramsim.networks.reservoir import Reservoir
from engramsim.networks.reservoir_task import Block, make_trials, switch_schedule
from engramsim.sim.validation import check_float, check_int

# ----------------------------------------------------------------------------- force-sine
FORCE_DEFAULTS: dict[str, Any] = {
    "n_neurons": 2000, "dt": 0.04, "duration": 15000.0, "rls_start": 5000.0, "rls_stop": 10000.0,
    "rls_every": 20, "record_every": 1.0, "backend": "auto",
}

FORCE_METRICS = {
    "target": Metric("target sin(2 pi 5 Hz t)", "1", ("time",)),
    "readout": Metric("network readout z", "1", ("time",)),
    "error": Metric("readout - target", "1", ("time",)),
    "rms_error_before": Metric("RMS error before RLS"),
    "rms_error_during": Metric("RMS error while RLS is on"),
    "rms_error_after": Metric("RMS error after RLS stops"),
    "correlation_after": Metric("Pearson r of readout and target after RLS stops"),
    "rate_after": Metric("mean firing rate after RLS stops", "Hz"),
    "frequency_after": Metric("dominant frequency of the readout after RLS stops (FFT peak)", "Hz"),
    "amplitude_after": Metric("readout amplitude after RLS stops (sqrt(2) x its RMS about the mean)"),
}


def dominant_frequency(signal: np.ndarray, dt_ms: float, pad: int = 16) -> float:
    """Frequency (Hz) of the largest peak of the zero-padded amplitude spectrum of ``signal`` (mean removed)."""
    x = np.asarray(signal, float) - np.mean(signal)
    n = pad * x.size
    spectrum = np.abs(np.fft.rfft(x, n))
    return float(np.fft.rfftfreq(n, dt_ms / 1000.0)[np.argmax(spectrum)])


def check_force(params: dict[str, Any]) -> None:
    """Reject impossible settings of ``force-sine`` before any work starts."""
    check_int(params["n_neurons"], "n_neurons", minimum=2)
    dt = check_float(params["dt"], "dt", 0.0, strict_minimum=True)
    duration = check_float(params["duration"], "duration", dt)
    start = check_float(params["rls_start"], "rls_start", 0.0)
    stop = check_float(params["rls_stop"], "rls_stop", start)
    if not start < stop < duration:
        raise ValueError(f"need rls_start < rls_stop < duration, got {start}, {stop}, {duration}")
    check_int(params["rls_every"], "rls_every", minimum=1)
    check_float(params["record_every"], "record_every", dt)


def point_force(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """Train one FORCE network on the sine and measure each phase."""
    net = ForceNetwork(int(params["n_neurons"]), dt=float(params["dt"]), rls_every=int(params["rls_every"]),
                       seed=seed, backend=params["backend"])
    run = net.run(float(params["duration"]), rls_start=float(params["rls_start"]), rls_stop=float(params["rls_stop"]))
    t, err = run.time, run.error[:, 0]
    phases = {"before": t <= params["rls_start"], "during": (t > params["rls_start"]) & (t < params["rls_stop"]),
              "after": t >= params["rls_stop"]}
    out = {f"rms_error_{k}": float(np.sqrt(np.mean(err[m] ** 2))) for k, m in phases.items()}
    after = phases["after"]
    out["correlation_after"] = float(np.corrcoef(run.readout[after, 0], run.target[after, 0])[0, 1])
    out["rate_after"] = float(run.spike_counts[after].sum() / net.core.n / (after.sum() * net.dt / 1000.0))
    out["frequency_after"] = dominant_frequency(run.readout[after, 0], net.dt)
    out["amplitude_after"] = float(np.sqrt(2.0) * np.std(run.readout[after, 0]))
    stride = max(1, int(round(float(params["record_every"]) / net.dt)))
    out.update(target=run.target[stride - 1::stride, 0], readout=run.readout[stride - 1::stride, 0],
               error=err[stride - 1::stride])
    return out


def finalize_force(ds: xr.Dataset, params: dict[str, Any]) -> xr.Dataset:
    """Time coordinate (ms) of the recorded traces."""
    dt = float(params["dt"])
    stride = max(1, int(round(float(params["record_every"]) / dt)))
    ds = ds.assign_coords(time=("time", (np.arange(ds.sizes["time"]) + 1) * stride * dt, {"units": "ms"}))
    ds.attrs.update(model="Nicola & Clopath (2017) IZFORCESINE.m", error_measure="RMS of readout - target")
    return ds


def plot_force(ds: xr.Dataset):
    """Readout against target around the end of RLS, and the error over the whole run."""
    fig, (ax_z, ax_e) = figure(2, width=6.0)
    cur = ds.isel(seed=0) if "seed" in ds.dims else ds
    for d in [d for d in cur["readout"].dims if d != "time"]:
        cur = cur.isel({d: 0})
    t = cur["time"].values
    stop = float(json.loads(ds.attrs.get("parameters", "{}")).get("rls_stop", 2 * t[-1] / 3))
    show = (t > stop - 1000) & (t < stop + 1000)
    ax_z.plot(t[show] / 1000, cur["target"].values[show], "k", lw=2, label="target")
    ax_z.plot(t[show] / 1000, cur["readout"].values[show], "C0--", lw=1.5, label="readout")
    ax_z.axvline(stop / 1000, color="C3", lw=0.8, label="RLS off")
    ax_z.set(xlabel="time (s)", ylabel="signal", title="5 Hz sine: readout around the end of RLS")
    ax_z.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, frameon=False)
    ax_e.plot(t / 1000, cur["error"].values, lw=0.5)
    ax_e.set(xlabel="time (s)", ylabel="readout - target",
             title=f"RMS before {float(cur['rms_error_before']):.2f}, during {float(cur['rms_error_during']):.3f}, "
                   f"after {float(cur['rms_error_after']):.3f}")
    ax_e.title.set_fontsize(8)
    return fig


FORCE_SINE = register(Experiment(
    name="force-sine", description="FORCE (Nicola & Clopath 2017): Izhikevich network learns a 5 Hz sine by RLS",
    point=point_force, defaults=FORCE_DEFAULTS, metrics=FORCE_METRICS, seeds=1, finalize=finalize_force,
    plot=plot_force, check=check_force,
))

# ----------------------------------------------------------------------------- shared reservoir settings
_RESERVOIR_DEFAULTS: dict[str, Any] = {
    "n_neurons": 1000, "dt": 0.1, "latency_a": 150.0, "latency_b": 300.0, "trial_length": 500.0,
    "learning_rate_when": 0.1, "learning_rate_what": 0.1, "feedback_gain": 0.0, "backend": "auto",
}


def _reservoir(params: dict[str, Any], seed: int, readout: str = "three-factor") -> Reservoir:
    return Reservoir(int(params["n_neurons"]), dt=float(params["dt"]), trial_length=float(params["trial_length"]),
                     learning_rate_when=float(params["learning_rate_when"]),
                     learning_rate_what=float(params["learning_rate_what"]),
                     feedback_gain=float(params["feedback_gain"]), readout=readout, seed=seed,
                     backend=params["backend"])


def _check_reservoir(params: dict[str, Any]) -> None:
    check_int(params["n_neurons"], "n_neurons", minimum=4)
    check_int(params["n_trials"], "n_trials", minimum=1)
    length = check_float(params["trial_length"], "trial_length", 0.0, strict_minimum=True)
    for name in ("latency_a", "latency_b"):
        lat = check_float(params[name], name, 0.0, strict_minimum=True)
        if lat + 60.0 > length:
            raise ValueError(f"{name} + 3 event widths (60 ms) must lie within trial_length {length}, got {lat}")


# ----------------------------------------------------------------------------- reservoir-what-when
WHAT_WHEN_DEFAULTS: dict[str, Any] = {"p_a": [round(0.1 * i, 1) for i in range(11)], "n_trials": 100,
                                      **_RESERVOIR_DEFAULTS}

WHAT_WHEN_METRICS = {
    "amplitude_a": Metric("maximum of output A within 3 widths of latency A (test trial)"),
    "amplitude_b": Metric("maximum of output B within 3 widths of latency B (test trial)"),
    "peak_error_a": Metric("time of output A's maximum after the cue minus latency A", "ms"),
    "peak_error_b": Metric("time of output B's maximum after the cue minus latency B", "ms"),
    "what_a": Metric("'what' readout of channel A (test trial)"),
    "what_b": Metric("'what' readout of channel B (test trial)"),
    "output_a": Metric("output of channel A in the test trial", "1", ("time",)),
    "output_b": Metric("output of channel B in the test trial", "1", ("time",)),
    "final_error": Metric("mean training error over the last 10 trials"),
}


def check_what_when(params: dict[str, Any]) -> None:
    """Reject impossible settings of ``reservoir-what-when`` before any work starts."""
    _check_reservoir(params)
    for p in as_list(params["p_a"]):
        check_float(p, "p_a", 0.0, 1.0)


def point_what_when(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """Train on one block with probability ``p_a`` of event A, then test once."""
    res = _reservoir(params, seed)
    p = float(params["p_a"])
    block = Block((p, 1.0 - p), (float(params["latency_a"]), float(params["latency_b"])), int(params["n_trials"]))
    rec = res.train(make_trials([block], seed=seed + 1000))
    pred = res.predict()
    out: dict[str, Any] = {"final_error": float(np.mean(rec.error[-10:]))}
    post = pred.time >= res.cue_duration
    for k, (name, lat) in enumerate((("a", block.latencies[0]), ("b", block.latencies[1]))):
        y = pred.output[:, k]
        window = np.abs(pred.time - lat) <= 3 * res.event_width
        out[f"amplitude_{name}"] = float(y[window].max())
        out[f"peak_error_{name}"] = float(pred.time[post][np.argmax(y[post])] - lat)
        out[f"what_{name}"] = float(pred.what[k])
        out[f"output_{name}"] = y[::10]
    return out


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    if np.std(x) == 0 or np.std(y) == 0:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])


def finalize_what_when(ds: xr.Dataset, params: dict[str, Any]) -> xr.Dataset:
    """Time coordinate and Pearson r of the amplitudes against p(A)."""
    ds = ds.assign_coords(time=("time", np.arange(ds.sizes["time"]) * 10 * float(params["dt"]), {"units": "ms"}))
    # a channel whose event never occurs is never trained (its output is 0): its peak time is undefined
    for name, occurs in (("a", ds["p_a"] > 0), ("b", ds["p_a"] < 1)):
        attrs = ds[f"peak_error_{name}"].attrs
        ds[f"peak_error_{name}"] = ds[f"peak_error_{name}"].where(occurs)
        ds[f"peak_error_{name}"].attrs.update(attrs, note="NaN where the event has probability 0")
    p = ds["p_a"].values.astype(float)
    for name in ("a", "b"):
        amp = seed_mean(ds[f"amplitude_{name}"])
        for d in [d for d in amp.dims if d != "p_a"]:
            amp = amp.isel({d: 0})
        ds.attrs[f"pearson_r_{name}"] = _pearson(p, amp.values) if ds.sizes["p_a"] > 1 else 0.0
    ds.attrs.update(model="reservoir template after Yamada & Chao (not a replication)",
                    reported_r_a=0.978, reported_r_b=-0.989)
    return ds


def plot_what_when(ds: xr.Dataset):
    """Test-trial outputs for each p(A); outputs against their targets at up to three levels; amplitude vs p(A)."""
    from matplotlib import colormaps

    from engramsim.networks.reservoir_task import Block

    fig, (ax_t, ax_c, ax_a) = figure(3, width=4.8)
    cur = ds.isel(seed=0) if "seed" in ds.dims else ds
    params = json.loads(ds.attrs.get("parameters", "{}"))
    lat = (float(params.get("latency_a", 150.0)), float(params.get("latency_b", 300.0)))
    colors = colormaps["viridis"](np.linspace(0, 1, ds.sizes["p_a"]))
    for i, p in enumerate(ds["p_a"].values):
        ax_t.plot(ds["time"], cur["output_a"].sel(p_a=p), color=colors[i], lw=1)
        ax_t.plot(ds["time"], cur["output_b"].sel(p_a=p), color=colors[i], lw=1, ls="--")
    for latency in lat:
        ax_t.axvline(latency, color="grey", lw=0.6)
    ax_t.set(xlabel="time after cue (ms)", ylabel="output (solid A, dashed B)",
             title="test trials, colour = p(A) from 0 (purple) to 1 (yellow)")
    ax_t.title.set_fontsize(8)
    levels = ds["p_a"].values
    shown = levels[np.unique(np.round(np.linspace(0, len(levels) - 1, min(3, len(levels)))).astype(int))]
    t = ds["time"].values
    for j, p in enumerate(shown):
        target = Block((float(p), 1.0 - float(p)), lat, 1).expectation(t, 20.0)
        ax_c.plot(t, target[:, 0] + 1.2 * j, "k:", lw=1)
        ax_c.plot(t, target[:, 1] + 1.2 * j, "k:", lw=1)
        ax_c.plot(t, cur["output_a"].sel(p_a=p) + 1.2 * j, color="C0", lw=1)
        ax_c.plot(t, cur["output_b"].sel(p_a=p) + 1.2 * j, color="C1", lw=1)
        ax_c.annotate(f"p(A) = {p:g}", (t[-1], 1.2 * j + 0.5), ha="right", fontsize=7)
    ax_c.set(xlabel="time after cue (ms)", ylabel="output A (blue), B (orange); target dotted (offset)",
             title="outputs against the expectation p_k bump(t - latency_k)", yticks=[])
    ax_c.title.set_fontsize(8)
    ax_c.yaxis.label.set_fontsize(8)
    for name, color in (("a", "C0"), ("b", "C1")):
        amp = seed_mean(ds[f"amplitude_{name}"])
        ax_a.plot(ds["p_a"], amp, "o-", color=color,
                  label=f"{name.upper()} window, r = {ds.attrs.get(f'pearson_r_{name}', float('nan')):.3f}")
    ax_a.plot([0, 1], [0, 1], "k:", lw=0.8, label="ideal p(A), 1 - p(A)")
    ax_a.plot([0, 1], [1, 0], "k:", lw=0.8)
    ax_a.set(xlabel="p(A)", ylabel="peak output in the event window", title="amplitude against probability")
    ax_a.legend(fontsize=7)
    return fig


WHAT_WHEN = register(Experiment(
    name="reservoir-what-when",
    description="Reservoir template (after Yamada & Chao): what x when readouts, amplitude against p(A)",
    point=point_what_when, defaults=WHAT_WHEN_DEFAULTS, metrics=WHAT_WHEN_METRICS, seeds=1,
    finalize=finalize_what_when, plot=plot_what_when, check=check_what_when, dims=("p_a",),
))

# ----------------------------------------------------------------------------- reservoir-switch
VARIANTS = ("three-factor", "force", "force-reset")
SWITCH_DEFAULTS: dict[str, Any] = {"switches": "timing,probability,both", "n_trials": 100, "p_a": 0.8,
                                   "rls_every": 5.0, **_RESERVOIR_DEFAULTS}

SWITCH_METRICS = {
    "error": Metric("RMS of output - expectation in each training trial", "1", ("variant", "trial")),
    "recovery": Metric("trials after a switch until the 5-trial mean error is within 20% of the last "
                       "20 trials before it (the block length if never)", "trials", ("variant", "switch")),
    "subspace_angle": Metric("principal angles between the what and when weight subspaces", "deg", ("angle",)),
}


def recovery_trials(error: np.ndarray, block_length: int, window: int = 5, baseline: int = 20,
                    tolerance: float = 0.2) -> np.ndarray:
    """Trials after each switch until the moving mean error is within ``tolerance`` of the pre-switch level.

    Returns one value per switch (``block_length`` when the error never gets there within the block).
    """
    n_blocks = len(error) // block_length
    out = []
    for b in range(1, n_blocks):
        start = b * block_length
        level = np.mean(error[max(0, start - baseline):start]) * (1.0 + tolerance)
        block = error[start:start + block_length]
        smooth = np.convolve(block, np.ones(window) / window, mode="valid")
        hit = np.flatnonzero(smooth <= level)
        out.append(float(hit[0] + window) if hit.size else float(block_length))
    return np.array(out)


def check_switch(params: dict[str, Any]) -> None:
    """Reject impossible settings of ``reservoir-switch`` before any work starts."""
    _check_reservoir(params)
    check_float(params["p_a"], "p_a", 0.0, 1.0)
    switch_schedule(tuple(str(params["switches"]).split(",")), n_trials=1)


def point_switch(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """Train the three readout variants on the same reservoir and schedule."""
    n = int(params["n_trials"])
    p = float(params["p_a"])
    blocks = switch_schedule(tuple(str(params["switches"]).split(",")), n_trials=n, probabilities=(p, 1.0 - p),
                             latencies=(float(params["latency_a"]), float(params["latency_b"])))
    trials = make_trials(blocks, seed=seed + 1000)
    errors, recoveries, angles = [], [], None
    for variant in VARIANTS:
        res = _reservoir(params, seed, "three-factor" if variant == "three-factor" else "force")
        res.rls_every = float(params["rls_every"])
        rec = res.train(trials, reset_p_on_switch=variant == "force-reset")
        errors.append(rec.error)
        recoveries.append(recovery_trials(np.array(rec.error), n))
        if variant == "three-factor":
            angles = np.degrees(res.subspace_angles())
    return {"error": np.array(errors), "recovery": np.array(recoveries), "subspace_angle": angles}


def finalize_switch(ds: xr.Dataset, params: dict[str, Any]) -> xr.Dataset:
    """Name the variants, trials and switches."""
    kinds = str(params["switches"]).split(",")
    return ds.assign_coords(variant=("variant", list(VARIANTS)), trial=("trial", np.arange(ds.sizes["trial"])),
                            switch=("switch", kinds[:ds.sizes["switch"]]))


def plot_switch(ds: xr.Dataset):
    """Error against trial across switches (5-trial means), and the subspace angles."""
    fig, (ax_e, ax_a) = figure(2, width=6.0)
    err = seed_mean(ds["error"])
    n = int(json.loads(ds.attrs.get("parameters", "{}")).get("n_trials", 100))
    window = 5
    for i, v in enumerate(ds["variant"].values):
        smooth = np.convolve(err.sel(variant=v).values, np.ones(window) / window, mode="valid")
        ax_e.plot(ds["trial"].values[window - 1:], smooth, color=f"C{i}", lw=1.2, label=str(v))
    for b in range(1, ds.sizes["switch"] + 1):
        ax_e.axvline(b * n - 0.5, color="grey", lw=0.6)
        ax_e.annotate(str(ds["switch"].values[b - 1]), (b * n, 0.0), xycoords=("data", "axes fraction"),
                      xytext=(2, 3), textcoords="offset points", fontsize=7, color="grey")
    ax_e.set(xlabel="trial", ylabel="RMS(output - expectation), 5-trial mean",
             title="trial-by-trial error across switches")
    ax_e.yaxis.label.set_fontsize(9)
    ax_e.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, frameon=False)
    ang = seed_mean(ds["subspace_angle"])
    k = np.arange(1, ang.sizes["angle"] + 1)
    ax_a.bar(k, ang.values, width=0.6)
    ax_a.axhline(90, color="k", ls=":", lw=0.8, label="orthogonal")
    ax_a.set(xlabel="principal angle (1 = largest)", ylabel="angle (deg)", ylim=(0, 95), xticks=k,
             title="'what' vs 'when' readout-weight subspaces")
    ax_a.legend(fontsize=7, loc="lower right")
    return fig


SWITCH = register(Experiment(
    name="reservoir-switch",
    description="Reservoir template: three-factor readouts vs FORCE (with/without P reset) across block switches",
    point=point_switch, defaults=SWITCH_DEFAULTS, metrics=SWITCH_METRICS, seeds=1,
    finalize=finalize_switch, plot=plot_switch, check=check_switch,
))
