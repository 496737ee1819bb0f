"""NumPy reference of the reservoir simulation loop (kernel ``"reservoir_run"``).

One loop serves the FORCE network and the three-factor reservoir.  Per step
``t`` of ``dt`` (the order of Nicola & Clopath's ``IZFORCESINE.m``):

1. ``I = ipsc + E z + bias + U x[t]`` (recurrent current, feedback of the
   readout ``z`` of the previous step, bias, external input);
2. Euler step of the 2007 cells (``u`` with the previous ``v``), by
   :func:`engramsim.sim.spiking.cells.izhikevich2007.integrate`;
3. cells with ``v >= v_peak`` spike; ``jd`` is the sum of their rows of
   ``w_pre`` (presynaptic-major weights, in index order);
4. double-exponential filters of the recurrent current and of the spike
   trains (the features ``r``), rise ``tr``, decay ``td``;
5. readout ``z = phi^T x`` of the features ``x = r - offset`` (a fixed
   per-cell baseline; zero for FORCE);
6. learning at the steps flagged in ``learn``: ``mode = 1`` RLS
   (``e = z - target``); ``mode = 2`` gated three-factor rule
   (``epsilon = target - z``) on the presynaptic eligibility trace of ``x``,
   which is stepped every step;
7. reset of the spiking cells (:func:`engramsim.sim.spiking.cells.izhikevich2007.reset`).

All state arrays are updated in place; outputs are written into the given
buffers (``r_sum`` adds ``r`` and ``power_sum[0]`` adds ``x . x`` over the
steps flagged in ``average_mask``).  The return value is the number of spikes (spikes beyond the
capacity of the spike buffers are counted but not stored).
"""

from __future__ import annotations

import math

import numpy as np

from engramsim.learning_rules.rls import _rls_update_inplace
from engramsim.learning_rules.three_factor import _three_factor_inplace
from engramsim.sim.spiking.cells.izhikevich2007 import integrate, reset

MODE_NONE, MODE_RLS, MODE_THREE_FACTOR = 0, 1, 2


def reservoir_run(state, cell, w_pre, encoders, input_encoders, inputs, decoder, offset, p, targets, gate, learn,
                  mode, eta, normalize, tau_e, dt, tr, td, average_mask, out_z, out_count, r_sum, power_sum,
                  spike_step, spike_neuron):
    """Run ``inputs.shape[0]`` steps; see the module docstring.

    ``state`` is ``(v, u, ipsc, h, r, hr, trace, z)``; ``cell`` is
    ``(c_m, k, v_r, v_t, a, b, d, v_reset, v_peak, bias)``, arrays of length N.
    """
    v, u, ipsc, h, r, hr, trace, z = state
    c_m, k, v_r, v_t, a, b, d, v_reset, v_peak, bias = cell
    dec_r, dec_d = math.exp(-dt / tr), math.exp(-dt / td)
    dec_e = math.exp(-dt / tau_e)
    n_steps = inputs.shape[0]
    capacity = spike_step.shape[0]
    n_spikes = 0
    jd = np.zeros_like(v)
    for t in range(n_steps):
        current = ipsc + encoders @ z + bias + input_encoders @ inputs[t]
        v_new, u_new = integrate(v, u, current, c_m, k, v_r, v_t, a, b, dt)
        v[:], u[:] = v_new, u_new
        fired = np.flatnonzero(v >= v_peak)
        jd[:] = 0.0
        for j in fired:
            jd += w_pre[j]
        ipsc[:] = ipsc * dec_r + h * dt
        h[:] = h * dec_d + jd / (tr * td)
        r[:] = r * dec_r + hr * dt
        hr[:] = hr * dec_d + (v >= v_peak) / (tr * td)
        x = r - offset
        z[:] = decoder.T @ x
        out_z[t] = z
        if mode == MODE_THREE_FACTOR:
            trace[:] = trace * dec_e + (1.0 - dec_e) * x
        if learn[t]:
            if mode == MODE_RLS:
                _rls_update_inplace(decoder, p, x, z - targets[t])
            elif mode == MODE_THREE_FACTOR:
                _three_factor_inplace(decoder, trace, targets[t] - z, gate[t], eta, normalize)
        if average_mask[t]:
            r_sum += r
            power_sum[0] += x @ x
        v_new, u_new = reset(v, u, v_peak, v_reset, d)
        v[:], u[:] = v_new, u_new
        out_count[t] = fired.size
        for j in fired:
            if n_spikes < capacity:
                spike_step[n_spikes] = t
                spike_neuron[n_spikes] = j
            n_spikes += 1
    return n_spikes
