"""Plot pieces shared by the scaling-law experiments: seed bands and the data floor.

The optimizer figures of Cabannes, Dohmatob & Bietti are drawn log-log with
the seed mean and a band of ± 0.5 standard deviation, and no slope lines.
The one exact line they carry here is the data floor
``(1 - 1/M) sum_x p(x) (1 - p(x))^T``
(:func:`engramsim.experiments.theory.scaling.data_floor`): the mass of the
tokens absent from the T samples, which a memory learned from them can only
guess.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

__all__ = ["BAND_STD", "draw_band", "draw_floor", "mean_band"]

#: the half-width of the band, in standard deviations over seeds (the reference notebook's 0.5)
BAND_STD = 0.5


def mean_band(error: xr.DataArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seed mean and the band ``mean ± BAND_STD * std`` (population std over ``seed``) of ``error``."""
    mean = error.mean("seed").values
    spread = BAND_STD * error.std("seed").values
    return mean, mean - spread, mean + spread


def draw_band(ax: Any, x: np.ndarray, error: xr.DataArray, *, label: str, color: Any = None,
              marker: str = "o", linestyle: str = "-") -> Any:
    """Draw the seed mean of ``error`` (dims ``(x, seed)``) with its ± 0.5 std band; returns the line.

    Log axes cannot show values <= 0: a band that reaches below zero is cut at
    a tenth of its mean (the cut is visible as a flat lower edge).
    """
    mean, low, high = mean_band(error)
    shown = np.where(mean > 0, mean, np.nan)
    line, = ax.plot(x, shown, marker=marker, ms=3.5, lw=1.4, ls=linestyle, color=color, label=label)
    low = np.where(low > 0, low, 0.1 * shown)
    ax.fill_between(x, low, np.where(mean > 0, high, np.nan), color=line.get_color(), alpha=0.2, lw=0)
    return line


def draw_floor(ax: Any, floor: float, *, label: str = "data floor (1-1/M) Σ p(1-p)^T") -> None:
    """The exact data floor as a dotted black horizontal line across the axes."""
    ax.axhline(floor, color="k", ls=":", lw=1.2, label=label)
