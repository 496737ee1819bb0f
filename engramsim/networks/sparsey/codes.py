"""Codes of a Sparsey mac (winner per CM), their overlaps, and the recall result that holds them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from engramsim.networks.base import RecallResult
from engramsim.errors import ValidationError
from engramsim.sim.validation import check_elements, check_int, check_real_array

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["SparseyRecall", "code_overlap", "codes_to_binary"]


def codes_to_binary(winners: Any, cells_per_module: int) -> np.ndarray:
    """Binary cell vectors of codes given as winners per CM.

    Parameters
    ----------
    winners : int array, shape (..., Q)
        Winning cell of each CM (``0 .. K-1``), or -1 for no winner (an
        inactive mac).
    cells_per_module
        K.

    Returns
    -------
    uint8 ndarray, shape (..., Q * K)
    """
    k = check_int(cells_per_module, "cells_per_module", minimum=1)
    values = check_real_array(winners, "winners", allow_empty=True)
    if values.ndim < 1 or np.any(values != np.round(values)) or np.any((values < -1) | (values >= k)):
        raise ValidationError(f"winners must be an array of integer cell indices in [-1, {k - 1}] "
                              f"(cells_per_module = {k}; -1: no winner), got shape {values.shape}")
    check_elements("winners.size * cells_per_module", values.size, k)
    winners = values.astype(np.int64)
    out = np.zeros(winners.shape[:-1] + (winners.shape[-1], k), dtype=np.uint8)
    active = winners >= 0
    np.put_along_axis(out, np.where(active, winners, 0)[..., None], active[..., None].astype(np.uint8), axis=-1)
    return out.reshape(winners.shape[:-1] + (winners.shape[-1] * k,))


def code_overlap(a: Any, b: Any) -> np.ndarray:
    """``|C(a) & C(b)| / Q``: the fraction of CMs in which two codes share their winner.

    ``a`` and ``b`` are winners per CM (shape (..., Q), broadcast against
    each other); a CM without a winner (-1) matches nothing.
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"codes must have the same number of CMs, got shapes {a.shape} and {b.shape}")
    return np.mean((a == b) & (a >= 0), axis=-1)


# -------------------------------------------------------------------- results
@dataclass
class SparseyRecall(RecallResult):
    """What :meth:`SparseyMac.recall` and :meth:`Sparsey.recall` return.

    ``states`` are the recognised codes as binary cell vectors and
    ``patterns`` the stored inputs; ``overlaps`` is the code overlap
    ``|C & C_mu| / Q`` with each stored code (``stored_winners``).  The
    result holds references to the model's stored arrays, which the model
    replaces (never modifies) when it learns, so building a result costs
    the same however many items are stored.

    Attributes
    ----------
    winners : ndarray of int, shape (B, Q)
        Recognised code: the winning cell of each CM (-1: mac inactive).
    familiarity : ndarray, shape (B,)
        Global familiarity G of each cue (NaN where the mac was inactive).
    stored_winners : ndarray of int, shape (P, Q)
        The stored codes the overlaps refer to.
    level_winners, level_familiarity : lists of ndarray, or None
        For a :class:`Sparsey` hierarchy, every level's codes, shape
        (B, n_macs, Q), and each mac's G, shape (B, n_macs); None for one mac.
    """

    winners: np.ndarray = field(default=None, repr=False)
    familiarity: np.ndarray = field(default=None, repr=False)
    stored_winners: np.ndarray = field(default=None, repr=False)
    level_winners: list[np.ndarray] | None = field(default=None, repr=False)
    level_familiarity: list[np.ndarray] | None = field(default=None, repr=False)

    @property
    def overlaps(self) -> np.ndarray:
        """Code overlap with each stored code, shape (B, P)."""
        return code_overlap(self.winners[:, None, :], self.stored_winners[None, :, :])

    def overlap_with(self, targets: np.ndarray) -> np.ndarray:
        """Code overlap of each recognised code with its own target code (winners, shape (B, Q))."""
        targets = np.asarray(targets)
        if targets.shape != self.winners.shape:
            raise ValueError(f"targets must be codes of shape {self.winners.shape}, got {targets.shape}")
        return code_overlap(self.winners, targets)

    def to_xarray(self) -> xr.Dataset:
        """The result as a Dataset (adds ``winners`` and ``familiarity``)."""
        ds = super().to_xarray()
        ds["winners"] = (("cue", "module"), self.winners, {"long_name": "winning cell per CM (-1: inactive)"})
        ds["familiarity"] = (("cue",), self.familiarity, {"long_name": "global familiarity G", "units": "1"})
        return ds


# ----------------------------------------------------------------- the mac
def _append(buffer: np.ndarray, n_used: int, rows: np.ndarray) -> np.ndarray:
    """``buffer`` with ``rows`` written after its first ``n_used`` rows, grown by doubling when full.

    Rows already written never change, so views of them handed out earlier
    stay valid; appending costs amortised O(len(rows)), not O(n_used).
    """
    needed = n_used + rows.shape[0]
    if needed > buffer.shape[0]:
        grown = np.empty((max(needed, 2 * buffer.shape[0], 16),) + buffer.shape[1:], dtype=buffer.dtype)
        grown[:n_used] = buffer[:n_used]
        buffer = grown
    buffer[n_used:needed] = rows
    return buffer
