"""Figures fit for a paper: seed spread drawn, distinct curves, legends off the data."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PolyCollection

from engramsim.experiments.registry import get_experiment, run_experiment


def _dashes(line):
    """The line's dash pattern (offset, on-off sequence); '--' and a custom pattern share a style name."""
    offset, sequence = line._unscaled_dash_pattern
    return (offset, tuple(sequence) if sequence is not None else None)


def _curves(ax):
    return [line for line in ax.get_lines() if line.get_linestyle() not in ("None", "", " ")]


def test_hopfield_capacity_draws_the_seed_spread_and_keeps_its_legend_off_the_panels():
    ds = run_experiment("hopfield-capacity", {"rule": ["hebb", "storkey"], "n_neurons": [40, 80],
                                              "load": [0.1, 0.2, 0.3], "n_cues": 10, "backend": "numpy"},
                        seeds=3, progress=False)
    fig = get_experiment("hopfield-capacity").plot(ds)
    try:
        ax_hebb, ax_storkey, ax_err = fig.axes[:3]
        assert [ax.get_legend() for ax in (ax_hebb, ax_storkey)] == [None, None] and len(fig.legends) == 1
        for ax, rule in ((ax_hebb, "hebb"), (ax_storkey, "storkey")):
            assert ax.get_title() == f"{rule} rule"
            styles = [(line.get_color(), str(line.get_linestyle())) for line in _curves(ax)[:2]]
            assert len(set(c for c, _ in styles)) == 2 and len({_dashes(line) for line in _curves(ax)[:2]}) == 2
            bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
            assert len(bands) == 2  # one +- 1 SD band per N
            for band, n in zip(bands, (40, 80)):
                values = ds["retrieved"].sel(rule=rule, n_neurons=n).values  # (load, seed)
                mean = values.mean(axis=1)
                sd = np.array([np.std(v, ddof=1) for v in values])
                vertices = band.get_paths()[0].vertices
                for x, lo, hi in zip((0.1, 0.2, 0.3), np.clip(mean - sd, 0, 1), np.clip(mean + sd, 0, 1)):
                    ys = vertices[np.isclose(vertices[:, 0], x), 1]
                    assert ys.min() == pytest.approx(lo) and ys.max() == pytest.approx(hi)
        assert ax_err.get_yscale() == "log" and "one-step" in ax_err.get_ylabel()
    finally:
        plt.close(fig)


def test_dendrite_false_match_gives_every_theta_its_own_colour_and_line_style():
    thetas = [2, 3, 4, 5, 6]
    ds = run_experiment("dendrite-false-match", {"n": [400, 3000], "a": [40, 60], "s": [12], "theta": thetas,
                                                 "mc_trials": 2000}, progress=False)
    fig = get_experiment("dendrite-false-match").plot(ds)
    try:
        for ax in fig.axes[:2]:  # one panel per a
            lines = _curves(ax)
            assert len(lines) == len(thetas)
            assert len({line.get_color() for line in lines}) == len(thetas)
            assert len({_dashes(line) for line in lines}) == len(thetas)
            assert ax.get_legend() is None
    finally:
        plt.close(fig)
