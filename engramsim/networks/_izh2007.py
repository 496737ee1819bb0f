"""Izhikevich (2007) cell update in the FORCE reference's order (temporary home until the cell-type module exists).

Written so that the same source serves NumPy (arrays) and Numba (scalars,
compiled with ``njit(inline="always")``).
"""

from __future__ import annotations


def izhikevich2007_integrate(v, u, current, c_m, k, v_r, v_t, a, b, dt):
    """One forward-Euler step; ``u`` uses the ``v`` of the previous step. Returns ``(v, u)``."""
    v_new = v + dt * (k * (v - v_r) * (v - v_t) - u + current) / c_m
    u_new = u + dt * (a * (b * (v - v_r) - u))
    return v_new, u_new


def izhikevich2007_reset(v, u, v_peak, v_reset, d):
    """End-of-step reset of cells at or above ``v_peak``: ``u += d``, ``v <- v_reset``. Returns ``(v, u)``."""
    fired = v >= v_peak
    return v + (v_reset - v) * fired, u + d * fired
