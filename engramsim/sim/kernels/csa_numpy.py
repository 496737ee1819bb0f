"""NumPy reference kernels for the Code Selection Algorithm (CSA) of Sparsey.

A Sparsey macrocolumn's coding field is ``Q`` winner-take-all competitive
modules (CMs) of ``K`` binary cells; a code is one winner per CM.  Three
kernels do the work that touches every cell:

``csa_support(weights, inputs)``
    The normalised input summation ``U = (x @ W) / |x|`` of every cell, for a
    batch of binary inputs ``x`` (shape (B, N)) and binary weights ``W``
    (shape (N, M), uint8).  The counts are exact integers, so the result is
    the same float64 on every backend.  A row with no active input gives 0.
``csa_sample(mu, uniforms)``
    One winner per CM drawn from ``rho = mu / sum(mu)`` (shape (B, Q, K)) by
    inverse-CDF sampling: the first cell ``i`` with ``u * sum(mu) <
    cumsum(mu)[i]``, where ``u`` is the CM's uniform draw in [0, 1).
``csa_argmax(v, uniforms)``
    The cell of maximal ``v`` per CM; ties are broken by the uniform draw
    (the ``floor(u * n_tied)``-th tied cell), so that an all-equal CM (a
    novel input) does not always pick its first cell.

Two kernels run a whole CSA frame on top of these, for the built-in forms
of ``eta(G)`` and of the V -> mu map (selected by an integer kind and a
parameter vector, so that the compiled twin can fuse them):

``csa_familiarity(weights, inputs, h_weights, h_inputs, n_modules, u_exponent, h_exponent)``
    ``V = U^u_exponent * H^h_exponent`` (H only for rows with an active
    horizontal input), clipped to [0, 1]; ``G = mean_q max_{i in q} V_i``;
    and the mean of ``V`` over the mac (which drives SparseyCore's
    inflection ratchet).
``csa_choose(v, g, eta_kind, eta_params, mu_kind, mu_params, inflection, readout, uniforms)``
    ``eta(G)``, ``mu(V)``, then ``csa_sample`` (readout 0) or ``csa_argmax``
    (readout 1).

The formulas themselves (:func:`eta_sparseycore`, :func:`mu_logistic`, ...)
are plain functions of arrays; the model's strategy objects call them.

The random draws come from the caller, so every backend picks the same
winners from the same draws.  :mod:`engramsim.sim.kernels.csa_numba` holds
the compiled twins; the tests hold them to these, winner for winner.
"""

from __future__ import annotations

import numpy as np



def csa_support(weights: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    """Normalised support ``U = (x @ W) / |x|`` of every cell.

    Parameters
    ----------
    weights : (N, M) uint8 array of 0/1
    inputs : (B, N) uint8 array of 0/1

    Returns
    -------
    (B, M) float64 array in [0, 1]; rows of ``inputs`` with no active unit give 0.
    """
    # float32 sums of 0/1 products are exact integers below 2**24
    counts = inputs.astype(np.float32) @ weights.astype(np.float32)
    n_active = inputs.sum(axis=1, dtype=np.int64)
    support = counts.astype(np.float64) / np.maximum(n_active, 1)[:, None].astype(np.float64)
    return support


def csa_sample(mu: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Sample one winner per CM with probability ``mu / sum(mu)``.

    Parameters
    ----------
    mu : (B, Q, K) float64 array, positive
    uniforms : (B, Q) float64 array in [0, 1)

    Returns
    -------
    (B, Q) int64 array of winners (cell index within the CM).
    """
    cumulative = np.cumsum(mu, axis=-1)
    target = uniforms * cumulative[..., -1]
    winners = np.sum(cumulative <= target[..., None], axis=-1)
    return np.minimum(winners, mu.shape[-1] - 1).astype(np.int64)


def csa_argmax(v: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """The cell of maximal ``v`` per CM, ties broken by ``uniforms``.

    Parameters
    ----------
    v : (B, Q, K) float64 array
    uniforms : (B, Q) float64 array in [0, 1)

    Returns
    -------
    (B, Q) int64 array of winners.
    """
    tied = v == v.max(axis=-1, keepdims=True)
    n_tied = tied.sum(axis=-1)
    pick = np.minimum(np.floor(uniforms * n_tied).astype(np.int64), n_tied - 1)
    rank = np.cumsum(tied, axis=-1) - 1
    return np.argmax(tied & (rank == pick[..., None]), axis=-1).astype(np.int64)


# ------------------------------------------------------------ eta(G) and mu(V)
#: kinds of eta(G): SparseyCore, sparseypy (linear), sparsey-csa (power)
ETA_SPARSEYCORE, ETA_LINEAR, ETA_POWER = 0, 1, 2
#: kinds of mu(V): SparseyCore (logistic), sparseypy (exp-logit), sparsey-csa (offset logistic)
MU_LOGISTIC, MU_EXP_LOGIT, MU_OFFSET_LOGISTIC = 0, 1, 2
#: readouts
SAMPLE, ARGMAX = 0, 1


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function ``1 / (1 + exp(-z))``, as ``(1 + tanh(z / 2)) / 2`` (no overflow)."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def eta_sparseycore(g, k, g_floor, exponent, factor):
    """``1 + max(0, (G - g_floor) / (1 - g_floor))^exponent * factor * K``."""
    rect = np.maximum(0.0, (np.asarray(g, dtype=np.float64) - g_floor) / (1.0 - g_floor))
    return 1.0 + rect**exponent * factor * k


def eta_linear(g, k, g_min, chi):
    """``max(0, (G - g_min) / (1 - g_min)) * chi`` (independent of K)."""
    return np.maximum(0.0, (np.asarray(g, dtype=np.float64) - g_min) / (1.0 - g_min)) * chi


def eta_power(g, k, scale, exponent):
    """``scale * G^exponent`` (independent of K)."""
    return scale * np.asarray(g, dtype=np.float64) ** exponent


def mu_logistic(v, eta, inflection, nonlinearity, floor, upper_v_cutoff):
    """``max(eta * sigmoid(nonlinearity (V - inflection)), floor)``; ``V >= upper_v_cutoff`` gives ``max(eta, floor)``."""
    mu = np.where(v >= upper_v_cutoff, eta, eta * sigmoid(nonlinearity * (v - inflection)))
    return np.maximum(mu, floor)


def mu_exp_logit(v, eta, inflection, nonlinearity, offset, epsilon):
    """``eta * sigmoid(nonlinearity V - offset) + epsilon`` (``inflection`` unused)."""
    return eta * sigmoid(nonlinearity * v - offset) + epsilon


def mu_offset_logistic(v, eta, inflection, slope, offset, floor):
    """``eta * sigmoid(slope V - offset) + floor`` (``inflection`` unused)."""
    return eta * sigmoid(slope * v - offset) + floor


_ETA = {ETA_SPARSEYCORE: (eta_sparseycore, 3), ETA_LINEAR: (eta_linear, 2), ETA_POWER: (eta_power, 2)}
_MU = {MU_LOGISTIC: (mu_logistic, 3), MU_EXP_LOGIT: (mu_exp_logit, 3), MU_OFFSET_LOGISTIC: (mu_offset_logistic, 3)}


def csa_familiarity(weights, inputs, h_weights, h_inputs, n_modules, u_exponent, h_exponent):
    """Local support V (B, M), global familiarity G (B,) and mean V (B,) of a batch.

    Parameters
    ----------
    weights : (N, M) uint8; inputs : (B, N) uint8
        Bottom-up weights and inputs.
    h_weights : (M_h, M) uint8; h_inputs : (B, M_h) uint8
        Horizontal weights and inputs; ``M_h = 0`` (empty arrays) when the
        mac has none.  Rows of ``h_inputs`` with no active unit use U alone.
    n_modules : int
        Q (M = Q K).
    u_exponent, h_exponent : float
    """
    v = csa_support(weights, inputs)
    if u_exponent != 1.0:
        v = v**u_exponent
    if h_inputs.shape[1] > 0:
        has_h = h_inputs.sum(axis=1) > 0
        if has_h.any():
            h = csa_support(h_weights, h_inputs)
            if h_exponent != 1.0:
                h = h**h_exponent
            v = np.where(has_h[:, None], v * h, v)
    v = np.minimum(np.maximum(v, 0.0), 1.0)
    g = v.reshape(v.shape[0], n_modules, -1).max(axis=-1).sum(axis=-1) / n_modules
    return v, g, v.sum(axis=1) / v.shape[1]


def csa_choose(v, g, eta_kind, eta_params, mu_kind, mu_params, inflection, readout, uniforms):
    """Winners (B, Q) of a CSA frame from V (B, Q, K) and G (B,).

    ``eta_params`` and ``mu_params`` hold the parameters of the chosen
    formulas in their signature order; ``readout`` is :data:`SAMPLE` or
    :data:`ARGMAX` (which ignores eta and mu).
    """
    if readout == ARGMAX:
        return csa_argmax(v, uniforms)
    eta_func, n_eta = _ETA[int(eta_kind)]
    mu_func, n_mu = _MU[int(mu_kind)]
    eta = eta_func(g, v.shape[-1], *eta_params[:n_eta])[:, None, None]
    return csa_sample(mu_func(v, eta, inflection, *mu_params[:n_mu]), uniforms)
