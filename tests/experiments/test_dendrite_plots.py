"""What the active-dendrite figures draw: the theory lines and the Monte-Carlo points, not merely a figure.

The lines' data are compared with exact hypergeometric tails (scipy.stats), and the Monte-Carlo markers
with the experiment's own event counts over its trials.
"""

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import hypergeom

from engramsim.experiments.registry import get_experiment, run_experiment


def _lines(ax):
    return [line for line in ax.get_lines() if line.get_linestyle() not in ("None", "", " ")]


def _markers(ax):
    return [line for line in ax.get_lines() if line.get_marker() == "o"]


def test_false_match_figure_draws_theory_and_monte_carlo():
    trials = 20_000
    ds = run_experiment("dendrite-false-match", {"n": [400, 3000], "a": [40], "s": [12], "theta": [2, 4],
                                                 "mc_trials": trials}, progress=False)
    fig = get_experiment("dendrite-false-match").plot(ds)
    try:
        ax_n, ax_t = fig.axes[:2]
        assert ax_n.get_yscale() == "log" and ax_n.get_xscale() == "log" and ax_t.get_yscale() == "log"
        assert "false-match" in ax_n.get_ylabel() and ax_n.get_xlabel() == "cells n"
        # one theory line per (a, theta) against n, exact hypergeometric tails
        lines = _lines(ax_n)
        assert len(lines) == 2
        for line, theta in zip(lines, (2, 4)):
            x, y = line.get_data()
            np.testing.assert_array_equal(np.asarray(x), [400, 3000])
            np.testing.assert_allclose(np.asarray(y, float), hypergeom.sf(theta - 1, np.array([400, 3000]), 12, 40),
                                       rtol=1e-12)
        # the Monte-Carlo markers are the event counts over the trials, where the rate is shown
        events = ds["mc_false_match_events"].isel(seed=0, a=0, s=0)
        shown = ds["mc_false_match"].isel(seed=0, a=0, s=0).notnull()
        markers = _markers(ax_n)
        assert len(markers) == 2
        for marker, theta in zip(markers, (2, 4)):
            y = np.asarray(marker.get_ydata(), dtype=float)
            want = (events.sel(theta=theta) / trials).where(shown.sel(theta=theta)).values
            np.testing.assert_allclose(y, want, rtol=1e-12, equal_nan=True)
            assert np.isfinite(y).sum() >= 1
        # against theta at the smallest n
        (line,) = _lines(ax_t)
        np.testing.assert_allclose(np.asarray(line.get_ydata(), float), hypergeom.sf(np.array([1, 3]), 400, 12, 40),
                                   rtol=1e-12)
    finally:
        plt.close(fig)


def test_noise_figure_draws_theory_and_monte_carlo():
    trials = 20_000
    ds = run_experiment("dendrite-noise", {"noise": [0.2, 0.4, 0.6], "theta": [6, 10], "a": 50, "s": 16,
                                           "mc_trials": trials}, progress=False)
    fig = get_experiment("dendrite-noise").plot(ds)
    try:
        (ax,) = fig.axes[:1]
        assert ax.get_yscale() == "log"
        v = ds["replaced"].isel(seed=0, theta=0).values
        lines = _lines(ax)
        assert len(lines) == 2
        for line, theta in zip(lines, (6, 10)):
            want = hypergeom.sf(16 - theta, 50, 16, v)  # fewer than theta of the 16 synapses survive
            got = np.asarray(line.get_ydata(), float)
            np.testing.assert_allclose(got[want > 0], want[want > 0], rtol=1e-12)
        markers = _markers(ax)
        assert len(markers) == 2
        events = ds["mc_false_negative_events"].isel(seed=0)
        shown = ds["mc_false_negative"].isel(seed=0).notnull()
        for marker, theta in zip(markers, (6, 10)):
            want = (events.sel(theta=theta) / trials).where(shown.sel(theta=theta)).values
            np.testing.assert_allclose(np.asarray(marker.get_ydata(), float), want, rtol=1e-12, equal_nan=True)
    finally:
        plt.close(fig)
