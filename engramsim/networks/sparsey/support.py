"""The CSA's support with graded weights or graded inputs, and ways of breaking recognition ties.

The compiled CSA kernels take binary weights and binary inputs.  A mac with
decaying weights (:mod:`.permanence`) or with discounted inputs (the MCH
discount of ambiguous lower macs, :class:`~engramsim.networks.sparsey.hierarchy.MCH`)
computes its support here instead, in NumPy, with the same formulas as
:func:`engramsim.sim.kernels.csa_numpy.csa_familiarity`: with binary weights
and inputs the two give identical numbers.

``U_i = sum_j a_j w_ji / n_active``, with ``a_j`` the input signal (1 for an
active unit, less for a discounted one, 0 for an ignored one), ``w_ji`` the
weight divided by its maximum, and ``n_active`` the number of units with a
signal (SparseyCore's normaliser, the number of active presynaptic inputs
times the largest weight).
"""

from __future__ import annotations

import numpy as np

from engramsim.sim.kernels.splitmix import GOLDEN, mix

__all__ = ["graded_familiarity", "hypothesis_counts", "input_tie_uniforms"]


def graded_familiarity(signal: np.ndarray, weights: np.ndarray, n_modules: int, u_exponent: float,
                       h_support: np.ndarray | None = None, h_exponent: float = 1.0
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """V (B, M), G (B,) and mean V (B,) from graded input signals and weights.

    Parameters
    ----------
    signal : float array (B, R)
        Input signal of the R input units that matter (any unit with a
        signal in some row), each in [0, 1].
    weights : float array (R, M)
        Their weights onto the M cells, each in [0, 1].
    n_modules : int
        Q.
    u_exponent, h_exponent : float
        Exponents of U and H.
    h_support : float array (B, M), optional
        Horizontal support H (rows of NaN: no horizontal input).
    """
    n_active = np.count_nonzero(signal > 0, axis=1)
    v = (signal @ weights) / np.maximum(n_active, 1)[:, None]
    if u_exponent != 1.0:
        v = v**u_exponent
    if h_support is not None:
        has_h = ~np.isnan(h_support[:, 0])
        if has_h.any():
            h = np.where(has_h[:, None], h_support, 1.0)
            if h_exponent != 1.0:
                h = h**h_exponent
            v = np.where(has_h[:, None], v * h, v)
    v = np.minimum(np.maximum(v, 0.0), 1.0)
    g = v.reshape(v.shape[0], n_modules, -1).max(axis=-1).sum(axis=-1) / n_modules
    return v, g, v.sum(axis=1) / v.shape[1]


def hypothesis_counts(v: np.ndarray, threshold: float) -> np.ndarray:
    """SparseyCore's number of competing hypotheses of a mac, per row of V (B, Q, K).

    Per CM, the number of cells with ``V >= threshold``; per mac, the mean
    over its CMs rounded half up, and at least 1.
    """
    per_cm = np.count_nonzero(v >= threshold, axis=-1)
    return np.maximum(1, np.floor(per_cm.mean(axis=-1) + 0.5)).astype(np.int64)


def input_tie_uniforms(inputs: np.ndarray, n_modules: int, key: int) -> np.ndarray:
    """Uniforms (B, Q) in [0, 1) that depend only on each input row and ``key``.

    Used to break recognition ties the same way every time a given input is
    presented (a splitmix64 hash of the row's bits), yet independently across
    inputs and CMs.
    """
    packed = np.packbits(np.asarray(inputs, dtype=np.uint8) > 0, axis=1)
    pad = (-packed.shape[1]) % 8
    words = np.pad(packed, ((0, 0), (0, pad))).view(">u8").astype(np.uint64)
    with np.errstate(over="ignore"):
        h = np.full(inputs.shape[0], np.uint64(key % 2**64), dtype=np.uint64)
        for w in words.T:
            h = mix(h ^ w) + GOLDEN
        counters = h[:, None] + GOLDEN * np.arange(1, n_modules + 1, dtype=np.uint64)[None, :]
        bits = mix(counters) >> np.uint64(11)
    return bits.astype(np.float64) * 2.0**-53
