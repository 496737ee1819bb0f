"""Error-modulated readout rules: the gated three-factor rule and the two-factor (delta) rule.

These are the readout rules of the reservoir template in
:mod:`engramsim.networks.reservoir` (a package design after the description
of Yamada & Chao's model; their methods were not available).  All are
functions of arrays.

* **Eligibility trace** (presynaptic, for a linear readout):
  ``tau_e de_j/dt = -e_j + r_j``, stepped exactly over ``dt`` with ``r``
  held: ``e <- e exp(-dt/tau_e) + (1 - exp(-dt/tau_e)) r``.
* **Gated three-factor rule**: ``dw_jk = eta g_k epsilon_k e_j`` with the
  signed error ``epsilon_k = target_k - y_k`` and a gate ``g_k`` in [0, 1]
  (the attention / neuromodulatory factor).  With ``normalize=True`` the
  rate is divided by ``e . e`` (a normalised LMS step, so ``eta`` is the
  fraction of the error removed in one update when the gate is open).
* **Two-factor rule**: ``dw_jk = eta epsilon_k x_j`` (presynaptic activity x
  error), used offline at the end of a trial on the trial-averaged features.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from engramsim.sim.validation import check_float, check_real_array

__all__ = ["eligibility_step", "three_factor_update", "two_factor_update"]

#: added to e . e in the normalised rule (features are rates in 1/ms, so e . e is >> this)
NORMALIZE_EPS = 1e-12


def eligibility_step(trace: Any, pre: Any, dt: float, tau: float) -> np.ndarray:
    """Advance the presynaptic eligibility trace by one step of ``dt``.

    Parameters
    ----------
    trace : array, shape (N,)
        Trace ``e`` before the step.
    pre : array, shape (N,)
        Presynaptic activity ``r`` during the step.
    dt, tau
        Step and trace time constant (same unit, both > 0).

    Returns
    -------
    ndarray of float64, shape (N,)
        ``e exp(-dt/tau) + (1 - exp(-dt/tau)) r``.
    """
    e = check_real_array(trace, "trace", ndim=1)
    r = check_real_array(pre, "pre", shape=e.shape)
    dt = check_float(dt, "dt", 0.0, strict_minimum=True)
    tau = check_float(tau, "tau", 0.0, strict_minimum=True)
    decay = math.exp(-dt / tau)
    return e * decay + (1.0 - decay) * r


def _three_factor_inplace(weights: np.ndarray, trace: np.ndarray, error: np.ndarray, gate: np.ndarray,
                          eta: float, normalize: bool) -> None:
    """Unchecked in-place update; the simulation kernels call this."""
    rate = eta / (trace @ trace + NORMALIZE_EPS) if normalize else eta
    weights += rate * np.outer(trace, gate * error)


def three_factor_update(
    weights: Any, trace: Any, error: Any, gate: Any, learning_rate: float, *, normalize: bool = False
) -> np.ndarray:
    """Gated three-factor update ``w + eta g epsilon e`` of a readout (returns a new array).

    Parameters
    ----------
    weights : array, shape (N, K)
        Readout weights (column ``k`` is readout ``k``).
    trace : array, shape (N,)
        Presynaptic eligibility trace ``e``.
    error : array, shape (K,)
        Signed error ``target - output`` per readout.
    gate : array, shape (K,)
        Gate per readout, each in [0, 1].
    learning_rate
        ``eta >= 0``.
    normalize
        Divide the rate by ``e . e`` (normalised LMS).

    Returns
    -------
    ndarray of float64, shape (N, K)
    """
    w = check_real_array(weights, "weights", ndim=2)
    n, k = w.shape
    e = check_real_array(trace, "trace", shape=(n,))
    err = check_real_array(np.atleast_1d(error), "error", shape=(k,))
    g = check_real_array(np.atleast_1d(gate), "gate", shape=(k,))
    if np.any((g < 0) | (g > 1)):
        raise ValueError(f"gate must lie in [0, 1], got values from {g.min()} to {g.max()}")
    eta = check_float(learning_rate, "learning_rate", 0.0)
    _three_factor_inplace(w, e, err, g, eta, bool(normalize))
    return w


def two_factor_update(weights: Any, pre: Any, error: Any, learning_rate: float, *,
                      normalize: bool = False) -> np.ndarray:
    """Two-factor (delta) update ``w + eta x epsilon^T`` (returns a new array).

    Parameters
    ----------
    weights : array, shape (N, K)
    pre : array, shape (N,)
        Presynaptic activity ``x`` (e.g. the post-cue average of the features).
    error : array, shape (K,)
        Signed error ``target - output`` per readout.
    learning_rate
        ``eta >= 0``.
    normalize
        Divide the rate by ``x . x`` (then ``eta = 1`` removes the whole error in one step).

    Returns
    -------
    ndarray of float64, shape (N, K)
    """
    w = check_real_array(weights, "weights", ndim=2)
    n, k = w.shape
    x = check_real_array(pre, "pre", shape=(n,))
    err = check_real_array(np.atleast_1d(error), "error", shape=(k,))
    eta = check_float(learning_rate, "learning_rate", 0.0)
    rate = eta / (x @ x + NORMALIZE_EPS) if normalize else eta
    w += rate * np.outer(x, err)
    return w
