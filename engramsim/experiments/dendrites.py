"""Registered experiments on active dendrites: theory and Monte Carlo side by side.

* ``dendrite-false-match``: probability that a random SDR (``a`` of ``n``
  cells) activates a segment of ``s`` synapses with threshold ``theta``.
* ``dendrite-noise``: probability that a segment grown on a pattern stays
  silent when a fraction ``noise`` of the pattern's active cells is replaced.
* ``dendrite-union``: false-match rate of a segment storing the union of
  ``n_stored`` patterns' subsamples.

Each point runs one Monte-Carlo histogram, from which every threshold's
rate follows; histograms are cached per process, so the ``theta`` points of
one ``(n, a, s)`` share a run.  A Monte-Carlo rate is reported where the
theory expects at least ``mc_min_expected`` events in ``mc_trials`` trials
(relative standard error about ``1 / sqrt(mc_min_expected)`` or better) and
is NaN elsewhere; the raw event counts are kept in ``*_events``.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import numpy as np
import xarray as xr

from engramsim.experiments import theory
from engramsim.experiments.plotting import figure, seed_mean, style
from engramsim.experiments.registry import Experiment, as_list, register
from engramsim.experiments.sweep import Metric
from engramsim.networks.dendrites import (
    mc_false_match,
    mc_false_negative,
    mc_union_false_match,
)
from engramsim.errors import ValidationError
from engramsim.sim.validation import check_count, check_float, check_int

# ----------------------------------------------------------------------------- shared pieces
_MC_DEFAULTS: dict[str, Any] = {"mc_trials": 1_000_000, "mc_min_expected": 25, "backend": "auto"}


def _check_mc(params: dict[str, Any]) -> None:
    check_count(params["mc_trials"], "mc_trials", "max_trials")
    check_float(params["mc_min_expected"], "mc_min_expected", 0.0)


def _check_all(params: dict[str, Any], name: str, minimum: int, maximum: int | None = None) -> list[int]:
    return [check_int(v, name, minimum=minimum, maximum=maximum) for v in as_list(params[name])]


def _mask(ds: xr.Dataset, mc: str, theory_name: str, params: dict[str, Any]) -> None:
    """NaN the Monte-Carlo rate where the theory expects too few events; add its standard error."""
    trials = int(params["mc_trials"])
    expected_events = ds[theory_name] * trials
    raw = ds[mc]
    ds[mc] = raw.where(expected_events >= float(params["mc_min_expected"]))
    ds[mc].attrs.update(raw.attrs)
    ds[f"{mc}_stderr"] = np.sqrt(ds[mc] * (1.0 - ds[mc]) / trials)
    ds[f"{mc}_stderr"].attrs.update(long_name=f"binomial standard error of {mc}", units="1")
    ds.attrs.update(mc_trials=trials, mc_min_expected=float(params["mc_min_expected"]))


def _events(p: float, trials: int) -> int:
    return round(p * trials)


def _style(index: int) -> str:
    return ["-", "--", ":", "-."][index % 4]


# ----------------------------------------------------------------------------- false match
@functools.lru_cache(maxsize=64)
def _match_histogram(n: int, a: int, s: int, trials: int, seed: int, backend: str):
    return mc_false_match(n, a, s, trials=trials, seed=seed, backend=backend)


FALSE_MATCH_DEFAULTS: dict[str, Any] = {
    "n": [500, 1000, 2000, 5000, 10000, 20000],
    "a": [64, 128, 256],
    "s": [24],
    "theta": [4, 6, 8, 10, 12],
    **_MC_DEFAULTS,
}

FALSE_MATCH_METRICS = {
    "mc_false_match": Metric("Monte-Carlo false-match rate P(overlap >= theta)"),
    "mc_false_match_events": Metric("Monte-Carlo trials with overlap >= theta"),
}


def check_false_match(params: dict[str, Any]) -> None:
    """Reject impossible settings of ``dendrite-false-match`` before any work starts."""
    ns = _check_all(params, "n", 1, 2**32 - 1)
    a_values = _check_all(params, "a", 1)
    s_values = _check_all(params, "s", 0)
    _check_all(params, "theta", 0)
    if max(a_values) > min(ns):
        raise ValidationError(f"a must be <= n at every grid point, got a={max(a_values)} with n={min(ns)}")
    if max(s_values) > min(a_values):
        raise ValidationError(f"s must be <= a (the segment subsamples a pattern), got s={max(s_values)} "
                              f"with a={min(a_values)}")
    _check_mc(params)


def point_false_match(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """Monte-Carlo false-match rate at one (n, a, s, theta, seed)."""
    trials = int(params["mc_trials"])
    hist = _match_histogram(int(params["n"]), int(params["a"]), int(params["s"]), trials, int(seed),
                            str(params["backend"]))
    p = hist.at_least(int(params["theta"]))
    return {"mc_false_match": p, "mc_false_match_events": _events(p, trials)}


def finalize_false_match(ds: xr.Dataset, params: dict[str, Any]) -> xr.Dataset:
    """Add the exact ``theory_false_match`` and mask the Monte Carlo where it cannot resolve the rate."""
    ds["theory_false_match"] = xr.apply_ufunc(theory.dendrite_false_match, ds["n"], ds["a"], ds["s"], ds["theta"])
    ds["theory_false_match"].attrs.update(long_name="false-match rate P_fm(n, a, s, theta), exact", units="1")
    _mask(ds, "mc_false_match", "theory_false_match", params)
    ds["n"].attrs.update(long_name="cells in the population", units="1")
    ds["a"].attrs.update(long_name="active cells per pattern", units="1")
    ds["s"].attrs.update(long_name="synapses on the segment", units="1")
    ds["theta"].attrs.update(long_name="segment threshold (NMDA)", units="1")
    return ds


def _param(ds: xr.Dataset, name: str) -> Any:
    """A parameter's value: its (first) coordinate, else the recorded fixed parameters."""
    if name in ds.coords:
        return ds[name].values.flat[0]
    return json.loads(ds.attrs.get("parameters", "{}")).get(name, "?")


def _positive(da: xr.DataArray) -> xr.DataArray:
    """Zero rates are not drawn on log axes."""
    return da.where(da > 0)


def _errorbar(ax, x, mean, err, color, label=None):
    ax.errorbar(x, mean, yerr=err, fmt="o", ms=4, color=color, capsize=2, label=label)


def _legend_proxies(entries: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """Legend handles not attached to any axes (so that the panels hold data only)."""
    from matplotlib.lines import Line2D

    return [Line2D([], [], label=label, **kw) for label, kw in entries]


def plot_false_match(ds: xr.Dataset):
    """False-match rate against n, one panel per a (one line per theta), and against theta at the smallest n.

    Every curve of a panel has its own colour and line style; the panels
    share the y axis (log).  Lines are the exact theory, dots the Monte Carlo
    with +- one standard error.
    """
    sub = ds.isel(s=0)
    a_values = sub["a"].values
    fig, axes = figure(len(a_values) + 1, width=3.4, height=3.3)
    s_value = int(sub["s"])
    for i, a in enumerate(a_values):
        ax = axes[i]
        if i:
            ax.sharey(axes[0])
        for j, th in enumerate(sub["theta"].values):
            cur = sub.sel(a=a, theta=th)
            kw = style(j)
            ax.plot(cur["n"], _positive(cur["theory_false_match"]), lw=1.2, **kw)
            _errorbar(ax, cur["n"], seed_mean(cur["mc_false_match"]), seed_mean(cur["mc_false_match_stderr"]),
                      kw["color"])
        ax.set(xlabel="cells n", xscale="log", yscale="log", title=f"a = {a}, s = {s_value}")
        ax.set_ylabel("false-match rate" if i == 0 else "")
    ax_t = axes[-1]
    big = sub.isel(n=0)  # the smallest n, where Monte Carlo reaches the most thresholds
    for i, a in enumerate(big["a"].values):
        cur = big.sel(a=a)
        kw = style(len(sub["theta"]) + i)  # colours not used for theta in the other panels
        ax_t.plot(cur["theta"], _positive(cur["theory_false_match"]), lw=1.2, label=f"a = {a}", **kw)
        _errorbar(ax_t, cur["theta"], seed_mean(cur["mc_false_match"]), seed_mean(cur["mc_false_match_stderr"]),
                  kw["color"])
    ax_t.set(xlabel="threshold theta", ylabel="false-match rate", yscale="log",
             title=f"n = {int(big['n'])}, s = {s_value}")
    ax_t.legend(fontsize=7, loc="lower left")
    handles = _legend_proxies([(f"theta = {th}", {**style(j), "lw": 1.2})
                               for j, th in enumerate(sub["theta"].values)])
    handles += _legend_proxies([("Monte Carlo +- 1 s.e.", {"color": "gray", "marker": "o", "ls": "none"})])
    fig.legend(handles=handles, loc="outside upper center", ncol=len(handles), fontsize=8, frameon=False,
               title="lines: exact theory", title_fontsize=8)
    return fig


FALSE_MATCH = register(Experiment(
    name="dendrite-false-match",
    description="Active dendrites: false-match rate of a segment, exact theory against Monte Carlo",
    point=point_false_match, defaults=FALSE_MATCH_DEFAULTS, metrics=FALSE_MATCH_METRICS, seeds=1,
    finalize=finalize_false_match, plot=plot_false_match, check=check_false_match,
    dims=("n", "a", "s", "theta"),
    parameters={
        "n": ("cells in the population", "1"),
        "a": ("active cells of a random SDR", "1"),
        "s": ("synapses on the segment", "1"),
        "theta": ("segment threshold: active synapses needed for a match", "1"),
        "mc_trials": ("Monte-Carlo trials per point", "1"),
        "mc_min_expected": ("least expected events for a Monte-Carlo rate to be reported (else NaN)", "1"),
        "backend": ("compute backend: numpy, numba, cupy or auto", ""),
    },
))


# ----------------------------------------------------------------------------- noise
@functools.lru_cache(maxsize=256)
def _noise_histogram(a: int, s: int, v: int, trials: int, seed: int, backend: str):
    return mc_false_negative(a, s, v, trials=trials, seed=seed, backend=backend)


def replaced_cells(noise: float, a: int) -> int:
    """Number of active cells replaced: ``v = round(noise * a)`` (half to even)."""
    return round(float(noise) * int(a))


NOISE_DEFAULTS: dict[str, Any] = {
    # the authors' grid (plot_noise_results.py): v = 6, 13, ..., 102 of a = 128
    "noise": [v / 128 for v in (6, 13, 19, 26, 32, 38, 45, 51, 58, 64, 70, 77, 83, 90, 96, 102)],
    "theta": [8, 12, 16],
    "a": 128,
    "s": 30,
    **_MC_DEFAULTS,
}

NOISE_METRICS = {
    "mc_false_negative": Metric("Monte-Carlo false-negative rate P(surviving synapses < theta)"),
    "mc_false_negative_events": Metric("Monte-Carlo trials with fewer than theta surviving synapses"),
    "replaced": Metric("active cells replaced by noise v"),
}


def check_noise(params: dict[str, Any]) -> None:
    """Reject impossible settings of ``dendrite-noise`` before any work starts."""
    a_values = _check_all(params, "a", 1, 2**32 - 1)
    s_values = _check_all(params, "s", 0)
    _check_all(params, "theta", 0)
    for noise in as_list(params["noise"]):
        check_float(noise, "noise", 0.0, 1.0)
    if max(s_values) > min(a_values):
        raise ValidationError(f"s must be <= a, got s={max(s_values)} with a={min(a_values)}")
    _check_mc(params)


def point_noise(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """Monte-Carlo false-negative rate at one (noise, theta, seed)."""
    a, s, trials = int(params["a"]), int(params["s"]), int(params["mc_trials"])
    v = replaced_cells(params["noise"], a)
    hist = _noise_histogram(a, s, v, trials, int(seed), str(params["backend"]))
    p = hist.below(int(params["theta"]))
    return {"mc_false_negative": p, "mc_false_negative_events": _events(p, trials), "replaced": v}


def finalize_noise(ds: xr.Dataset, params: dict[str, Any]) -> xr.Dataset:
    """Add the exact ``theory_false_negative`` and mask the Monte Carlo where it cannot resolve the rate."""
    a = ds["a"] if "a" in ds.dims else int(params["a"])
    s = ds["s"] if "s" in ds.dims else int(params["s"])
    v = seed_mean(ds["replaced"]).astype(np.int64)
    ds["theory_false_negative"] = xr.apply_ufunc(theory.dendrite_false_negative, a, s, ds["theta"], v)
    ds["theory_false_negative"].attrs.update(long_name="false-negative rate P_fn(a, s, theta, v), exact", units="1")
    _mask(ds, "mc_false_negative", "theory_false_negative", params)
    ds["noise"].attrs.update(long_name="fraction of the active cells replaced", units="1")
    ds["theta"].attrs.update(long_name="segment threshold (NMDA)", units="1")
    return ds


def plot_noise(ds: xr.Dataset):
    """False-negative rate against noise, one line per theta; log y axis."""
    fig, (ax,) = figure(1, width=5.6, height=4.2)
    sub = ds
    for extra in ("a", "s"):
        if extra in sub.dims:
            sub = sub.isel({extra: 0})
    for i, th in enumerate(sub["theta"].values):
        cur = sub.sel(theta=th)
        kw = style(i)
        ax.plot(cur["noise"], _positive(cur["theory_false_negative"]), lw=1.2, label=f"theta = {th}", **kw)
        _errorbar(ax, cur["noise"], seed_mean(cur["mc_false_negative"]), seed_mean(cur["mc_false_negative_stderr"]),
                  kw["color"])
    ax.set(xlabel="noise (fraction of the a active cells replaced)", ylabel="false-negative rate", yscale="log",
           title=f"a = {_param(sub, 'a')}, s = {_param(sub, 's')} (lines: exact theory)")
    handles = ax.get_legend_handles_labels()[0] + _legend_proxies(
        [("Monte Carlo +- 1 s.e.", {"color": "gray", "marker": "o", "ls": "none"})])
    ax.legend(handles=handles, fontsize=7, loc="lower right")
    return fig


NOISE = register(Experiment(
    name="dendrite-noise",
    description="Active dendrites: false negatives under noise, exact theory against Monte Carlo",
    point=point_noise, defaults=NOISE_DEFAULTS, metrics=NOISE_METRICS, seeds=1,
    finalize=finalize_noise, plot=plot_noise, check=check_noise, dims=("noise", "theta"),
    parameters={
        "noise": ("fraction of the pattern's active cells replaced by other cells", "1"),
        "theta": ("segment threshold: active synapses needed for a match", "1"),
        "a": ("active cells of the pattern", "1"),
        "s": ("synapses the segment grew on the pattern", "1"),
        "mc_trials": ("Monte-Carlo trials per point", "1"),
        "mc_min_expected": ("least expected events for a Monte-Carlo rate to be reported (else NaN)", "1"),
        "backend": ("compute backend: numpy, numba, cupy or auto", ""),
    },
))


# ----------------------------------------------------------------------------- union
UNION_DEFAULTS: dict[str, Any] = {
    # the authors' union figure (sdr_paper_unions.py): a = 200, s = 25, theta = 15
    "n_stored": [1, 2, 3, 4, 5, 6, 8, 10, 12, 14, 16, 19],
    "n": [1000, 10000, 20000],
    "a": 200,
    "s": 25,
    "theta": 15,
    **_MC_DEFAULTS,
    "mc_trials": 200_000,
}

UNION_METRICS = {
    "mc_union_false_match": Metric("Monte-Carlo false-match rate of a union segment"),
    "mc_union_false_match_events": Metric("Monte-Carlo trials with overlap >= theta"),
    "mc_union_synapses": Metric("Monte-Carlo mean number of distinct synapses on the union segment"),
}


def check_union(params: dict[str, Any]) -> None:
    """Reject impossible settings of ``dendrite-union`` before any work starts."""
    ns = _check_all(params, "n", 1, 2**32 - 1)
    _check_all(params, "n_stored", 1)
    a_values = _check_all(params, "a", 1)
    s_values = _check_all(params, "s", 0)
    _check_all(params, "theta", 0)
    if max(a_values) > min(ns) or max(s_values) > min(ns):
        raise ValidationError(f"a and s must be <= n, got a={max(a_values)}, s={max(s_values)} with n={min(ns)}")
    _check_mc(params)


def point_union(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """Monte-Carlo union false-match rate at one (n_stored, n, seed)."""
    trials = int(params["mc_trials"])
    hist = mc_union_false_match(int(params["n"]), int(params["a"]), int(params["s"]), int(params["n_stored"]),
                                trials=trials, seed=seed, backend=params["backend"])
    p = hist.at_least(int(params["theta"]))
    return {"mc_union_false_match": p, "mc_union_false_match_events": _events(p, trials),
            "mc_union_synapses": hist.mean_synapses}


def finalize_union(ds: xr.Dataset, params: dict[str, Any]) -> xr.Dataset:
    """Add both union theories and s_M, and mask the Monte Carlo where it cannot resolve the rate."""
    a, s, theta = (ds[k] if k in ds.dims else int(params[k]) for k in ("a", "s", "theta"))
    m, n = ds["n_stored"], ds["n"]
    ds["theory_union_false_match"] = xr.apply_ufunc(theory.dendrite_union_false_match, n, a, s, theta, m)
    ds["theory_union_false_match"].attrs.update(
        long_name="union false-match rate P_fm(n, a, round(s_M), theta) (Ahmad & Hawkins)", units="1")
    ds["theory_union_false_match_distribution"] = xr.apply_ufunc(
        functools.partial(theory.dendrite_union_false_match, method="distribution"), n, a, s, theta, m)
    ds["theory_union_false_match_distribution"].attrs.update(
        long_name="union false-match rate averaged over the union-size distribution", units="1")
    ds["theory_union_synapses"] = xr.apply_ufunc(
        functools.partial(theory.union_synapse_count, rounded=False), n, s, m)
    ds["theory_union_synapses"].attrs.update(long_name="expected distinct synapses s_M = n (1 - (1 - s/n)^M)",
                                             units="1")
    _mask(ds, "mc_union_false_match", "theory_union_false_match_distribution", params)
    ds["n_stored"].attrs.update(long_name="patterns stored on the segment M", units="1")
    ds["n"].attrs.update(long_name="cells in the population", units="1")
    return ds


def plot_union(ds: xr.Dataset):
    """Union false-match rate against M, one line per n; log y axis."""
    fig, (ax,) = figure(1, width=7.6, height=4.2)
    sub = ds
    for extra in ("a", "s", "theta"):
        if extra in sub.dims:
            sub = sub.isel({extra: 0})
    for i, n in enumerate(sub["n"].values):
        cur = sub.sel(n=n)
        color = f"C{i % 10}"
        ax.plot(cur["n_stored"], cur["theory_union_false_match"], "-", color=color, lw=1, label=f"n = {n}")
        ax.plot(cur["n_stored"], cur["theory_union_false_match_distribution"], ":", color=color, lw=1)
        _errorbar(ax, cur["n_stored"], seed_mean(cur["mc_union_false_match"]),
                  seed_mean(cur["mc_union_false_match_stderr"]), color)
    ax.set(xlabel="patterns stored on the segment M", ylabel="false-match rate", yscale="log",
           title=f"a = {_param(sub, 'a')}, s = {_param(sub, 's')}, theta = {_param(sub, 'theta')}")
    handles = ax.get_legend_handles_labels()[0] + _legend_proxies([
        ("theory: P_fm at the mean union size s_M", {"color": "gray", "ls": "-", "lw": 1}),
        ("theory: averaged over the union size", {"color": "gray", "ls": ":", "lw": 1}),
        ("Monte Carlo +- 1 s.e.", {"color": "gray", "marker": "o", "ls": "none"})])
    fig.legend(handles=handles, fontsize=7, loc="outside right center", frameon=False)
    return fig


UNION = register(Experiment(
    name="dendrite-union",
    description="Active dendrites: false matches of a segment storing a union of patterns",
    point=point_union, defaults=UNION_DEFAULTS, metrics=UNION_METRICS, seeds=1,
    finalize=finalize_union, plot=plot_union, check=check_union, dims=("n_stored", "n"),
    parameters={
        "n_stored": ("patterns whose subsamples the segment stores as a union", "1"),
        "n": ("cells in the population", "1"),
        "a": ("active cells of a random SDR", "1"),
        "s": ("synapses subsampled from each stored pattern", "1"),
        "theta": ("segment threshold: active synapses needed for a match", "1"),
        "mc_trials": ("Monte-Carlo trials per point", "1"),
        "mc_min_expected": ("least expected events for a Monte-Carlo rate to be reported (else NaN)", "1"),
        "backend": ("compute backend: numpy, numba, cupy or auto", ""),
    },
))
