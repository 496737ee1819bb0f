"""The specification of one level of a Sparsey hierarchy, and the MCH discount between levels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from engramsim.errors import ValidationError, ValidationTypeError
from engramsim.networks.sparsey.csa import CSA
from engramsim.sim.validation import check_float, check_int

__all__ = ["MCH", "SparseyLevel"]


@dataclass(frozen=True)
class MCH:
    """SparseyCore's discount of a lower mac holding multiple competing hypotheses (MCH).

    A source mac's number of hypotheses ``n`` is, per CM, the number of
    cells with ``V >= v_threshold``, averaged over its CMs, rounded, and at
    least 1 (an unambiguous mac has ``n = 1``).  Its code reaches the level
    above multiplied by ``1 / n``; by ``1 / (1 + n**exponent)`` when ``n >=
    discount_threshold``; and by 0 (ignored) when ``n >= ignore_threshold``.

    Parameters
    ----------
    v_threshold
        ``V_ThreshToBeHypothesis`` (SparseyCore: 0.5).
    ignore_threshold, discount_threshold
        ``MCH_Ignore_Thresh`` and ``MCH_Discount_Thresh``; ``None`` (default):
        not used.
    exponent
        The exponent of the stronger discount.

    Examples
    --------
    >>> MCH(ignore_threshold=4).factor(np.array([1, 2, 3, 4]))
    array([1.        , 0.5       , 0.33333333, 0.        ])
    """

    v_threshold: float = 0.5
    ignore_threshold: int | None = None
    discount_threshold: int | None = None
    exponent: float = 1.0

    def __post_init__(self) -> None:
        check_float(self.v_threshold, "v_threshold", 0.0, 1.0)
        for name in ("ignore_threshold", "discount_threshold"):
            if getattr(self, name) is not None:
                check_int(getattr(self, name), name, minimum=1)
        check_float(self.exponent, "exponent", 0.0)

    def factor(self, n_hypotheses: np.ndarray) -> np.ndarray:
        """The factor on a source mac's code, for its number of hypotheses (float64, same shape)."""
        n = np.maximum(np.asarray(n_hypotheses), 1).astype(np.float64)
        out = 1.0 / n
        if self.discount_threshold is not None:
            out = np.where(n >= self.discount_threshold, 1.0 / (1.0 + n**self.exponent), out)
        if self.ignore_threshold is not None:
            out = np.where(n >= self.ignore_threshold, 0.0, out)
        return out


@dataclass(frozen=True)
class SparseyLevel:
    """One level of a :class:`Sparsey` hierarchy.

    Parameters
    ----------
    grid
        ``(rows, cols)`` of macs.
    receptive_field
        ``(rows, cols)`` of units of the level below that each mac reads:
        pixels for the first level, macs (their whole codes) above.  ``None``
        reads the whole level below.  The fields are spread evenly over the
        level below, first at its top-left corner and last at its
        bottom-right (they overlap when they do not tile it).
    n_modules, cells_per_module
        Q and K of every mac of the level.
    csa, saturation_threshold
        Per-level values of these :class:`SparseyMac` parameters; ``None``
        (default) takes the hierarchy's.  SparseyCore configures each
        region (level) separately in the same way.
    feature_band
        ``(low, high)`` counts of *features* in a mac's receptive field for
        the mac to be active: on-pixels (channel 0 of each pixel) at the
        first level, active macs of the level below above it (Rinkus: "each
        active afferent mac represents the presence of one feature").
        ``None`` (default): no such band.  It applies on top of the
        hierarchy's ``activation_band`` (a fraction of active units).
    mch
        Discount the codes this level reads from ambiguous macs of the level
        below (:class:`MCH`); ``None`` (default): no discount.  Not allowed
        on the first level (input pixels are never discounted).
    """

    grid: tuple[int, int] = (1, 1)
    receptive_field: tuple[int, int] | None = None
    n_modules: int = 8
    cells_per_module: int = 8
    csa: str | CSA | None = None
    saturation_threshold: float | None = None
    feature_band: tuple[int, int] | None = None
    mch: "MCH | None" = None

    def __post_init__(self) -> None:
        # the sizes are checked when the level is made, not only when a hierarchy is built from it
        object.__setattr__(self, "n_modules", check_int(self.n_modules, "n_modules", minimum=1))
        object.__setattr__(self, "cells_per_module", check_int(self.cells_per_module, "cells_per_module",
                                                               minimum=1))


def _pair(value: Any, name: str) -> tuple[int, int]:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValidationTypeError(f"{name} must be a pair (rows, cols) of integers, got {value!r}")
    return check_int(value[0], f"{name}[0]", minimum=1), check_int(value[1], f"{name}[1]", minimum=1)


def _band(value: Any, name: str) -> tuple[int, int] | None:
    """A (low, high) pair of feature counts, low <= high, or None."""
    if value is None:
        return None
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValidationTypeError(f"{name} must be None or a pair (low, high) of counts, got {value!r}")
    low = check_int(value[0], f"{name}[0]", minimum=0)
    high = check_int(value[1], f"{name}[1]", minimum=0)
    if low > high:
        raise ValidationError(f"{name} must have low <= high, got {value!r}")
    return low, high


def _field_starts(n_lower: int, n_macs: int, size: int) -> list[int]:
    if n_macs == 1:
        return [(n_lower - size) // 2]
    return [int(round(i * (n_lower - size) / (n_macs - 1))) for i in range(n_macs)]
