"""Plot helpers shared by the registered experiments (matplotlib, Agg-safe)."""

from __future__ import annotations

import os
from typing import Any

import xarray as xr


def figure(n_panels: int, width: float = 4.8, height: float = 3.6):
    """A figure with ``n_panels`` side-by-side axes, on a non-interactive canvas."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * n_panels, height), layout="constrained")
    axes = fig.subplots(1, n_panels, squeeze=False)[0]
    return fig, axes


def seed_mean(da: xr.DataArray) -> xr.DataArray:
    """Average over the ``seed`` dimension when there is one."""
    return da.mean("seed") if "seed" in da.dims else da


def first_of_other_dims(da: xr.DataArray, keep: tuple[str, ...]) -> tuple[xr.DataArray, str]:
    """Select the first value of every dimension not in ``keep``; describe the selection."""
    selection = {d: da[d].values[0] for d in da.dims if d not in keep and d in da.coords}
    note = ", ".join(f"{k}={v}" for k, v in selection.items())
    return da.sel(selection), note


def save_figure(fig: Any, path: str | os.PathLike) -> str:
    """Write ``fig`` to ``path`` (PNG by default) and return the path."""
    fig.savefig(os.fspath(path), dpi=120)
    return os.fspath(path)


def plot_dataset(ds: xr.Dataset):
    """Plot a Dataset written by a registered experiment (named in its attributes)."""
    from engramsim.experiments.registry import get_experiment

    name = ds.attrs.get("experiment")
    if not name:
        raise ValueError("the dataset has no 'experiment' attribute; it was not written by engramsim run")
    experiment = get_experiment(name)
    if experiment.plot is None:
        raise ValueError(f"experiment {name!r} has no plot")
    return experiment.plot(ds)
