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


def figure_grid(n_panels: int, width: float = 3.5, height: float = 3.0, extra_height: float = 0.5):
    """A figure with ``n_panels`` axes on a grid of at most 3 columns (2 for 2 or 4 panels); unused cells hidden."""
    from matplotlib.figure import Figure

    n_cols = 2 if n_panels in (2, 4) else min(n_panels, 3)
    n_rows = -(-n_panels // n_cols)
    fig = Figure(figsize=(width * n_cols, height * n_rows + extra_height), layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return fig, axes[:n_panels]


def seed_mean(da: xr.DataArray) -> xr.DataArray:
    """Average over the ``seed`` dimension when there is one."""
    return da.mean("seed") if "seed" in da.dims else da


#: distinct (colour, line style) pairs, so that curves differ in print and in grey scale
STYLES = (("tab:blue", "-"), ("tab:orange", "--"), ("tab:green", ":"), ("tab:red", "-."),
          ("tab:purple", (0, (5, 1, 1, 1, 1, 1))), ("tab:brown", (0, (1, 1))), ("tab:pink", (0, (8, 2))),
          ("tab:gray", (0, (3, 1, 1, 1))), ("tab:olive", (0, (2, 2))), ("tab:cyan", (0, (6, 1, 2, 1))))


def style(i: int) -> dict[str, Any]:
    """Keyword arguments (colour, line style) of the ``i``-th curve; distinct for the first ten."""
    color, linestyle = STYLES[i % len(STYLES)]
    return {"color": color, "linestyle": linestyle}


def seed_spread(da: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray, xr.DataArray]:
    """Mean over ``seed`` and the band mean +- one standard deviation over seeds (zero width without seeds)."""
    mean = seed_mean(da)
    if "seed" not in da.dims or da.sizes["seed"] < 2:
        return mean, mean, mean
    sd = da.std("seed", ddof=1)
    return mean, mean - sd, mean + sd


def plot_with_band(ax: Any, x: Any, da: xr.DataArray, *, lower: float | None = None, upper: float | None = None,
                   **kwargs: Any) -> None:
    """Draw the seed mean of ``da`` against ``x`` with a shaded +- 1 SD band over seeds (clipped to the bounds)."""
    mean, lo, hi = seed_spread(da)
    line, = ax.plot(x, mean, **kwargs)
    if lower is not None or upper is not None:
        lo, hi = lo.clip(lower, upper), hi.clip(lower, upper)
    if "seed" in da.dims and da.sizes["seed"] > 1:
        ax.fill_between(x, lo, hi, color=line.get_color(), alpha=0.18, linewidth=0)


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
