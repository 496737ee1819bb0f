"""Recursive least squares (RLS) for FORCE training, in the reference's update order.

Nicola & Clopath (2017, ``IZFORCESINE.m``) update a linear decoder ``phi``
(shape ``(N, K)``, readout ``z = phi^T r``) and the running inverse
correlation matrix ``P`` at an update step as

.. math::

    e = z - x, \\quad c = P r, \\quad \\phi \\leftarrow \\phi - c e^T, \\quad
    P \\leftarrow P - \\frac{c c^T}{1 + r^T c},

where ``x`` is the target and ``z`` is computed with the decoder *before*
the update.  The decoder uses ``c = P r`` with the *old* ``P``; the textbook
form (Sussillo & Abbott 2009) uses the updated ``P``, i.e. ``c / (1 + r^T c)``.
``P`` starts at ``I / lambda`` (``2 I`` in the reference: ``lambda = 1/2``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engramsim.sim.validation import check_float, check_int, check_real_array

__all__ = ["rls_initial_p", "rls_update"]


def rls_initial_p(n: int, regularizer: float = 0.5) -> np.ndarray:
    """The initial inverse correlation matrix ``P0 = I / regularizer``.

    Parameters
    ----------
    n
        Number of features (neurons).
    regularizer
        ``lambda > 0``; the reference's ``P0 = 2 I`` is ``lambda = 0.5``.

    Returns
    -------
    ndarray of float64, shape (n, n)
    """
    n = check_int(n, "n", minimum=1)
    lam = check_float(regularizer, "regularizer", 0.0, strict_minimum=True)
    return np.eye(n) / lam


def _rls_update_inplace(decoder: np.ndarray, p: np.ndarray, r: np.ndarray, error: np.ndarray) -> None:
    """Unchecked in-place RLS step (reference order); the simulation kernels call this."""
    c = p @ r
    decoder -= np.outer(c, error)
    p -= np.outer(c, c) / (1.0 + r @ c)


def rls_update(
    decoder: Any, p: Any, r: Any, error: Any, *, textbook: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """One RLS step on a linear decoder; returns new arrays (the inputs are not changed).

    Parameters
    ----------
    decoder : array, shape (N, K) or (N,)
        Decoder ``phi``; the readout is ``z = phi^T r``.
    p : array, shape (N, N)
        Inverse correlation matrix ``P`` (symmetric positive definite).
    r : array, shape (N,)
        Features (filtered spike trains) at this step.
    error : array, shape (K,) or scalar
        ``z - target`` computed with ``decoder`` (sign as in the reference).
    textbook
        ``False`` (default): the reference's order, ``c = P_old r`` moves the
        decoder.  ``True``: the decoder moves by ``P_new r = c / (1 + r^T c)``.

    Returns
    -------
    decoder, p : ndarray of float64
        The updated decoder (same shape as given) and ``P``.
    """
    phi = check_real_array(decoder, "decoder", ndim=(1, 2))
    n = phi.shape[0]
    pm = check_real_array(p, "p", shape=(n, n))
    rv = check_real_array(r, "r", shape=(n,))
    k = 1 if phi.ndim == 1 else phi.shape[1]
    err = check_real_array(np.atleast_1d(error), "error", shape=(k,))
    phi2 = phi.reshape(n, k)
    if textbook:
        c = pm @ rv
        denom = 1.0 + rv @ c
        phi2 -= np.outer(c / denom, err)
        pm -= np.outer(c, c) / denom
    else:
        _rls_update_inplace(phi2, pm, rv, err)
    return phi2.reshape(phi.shape), pm
