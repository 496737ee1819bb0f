"""Numba twin of :mod:`engramsim.networks._reservoir_numpy` (kernel ``"reservoir_run"``).

The same loop, serial, with the neuron update compiled from the one
definition of the 2007 cell (:mod:`engramsim.sim.spiking.cells.izhikevich2007`) and the RLS / three-factor steps written as
loops.  Sums are taken in a different order from NumPy's BLAS (``phi^T r``,
``P r``), so the twins agree to rounding, not bit for bit.  The RLS step is
compiled with ``fastmath`` (reassociated sums).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from engramsim.learning_rules.three_factor import NORMALIZE_EPS
from engramsim.networks._reservoir_numpy import MODE_RLS, MODE_THREE_FACTOR
from engramsim.sim.spiking.cells.izhikevich2007 import numba_helpers

#: the 2007 cell's update, compiled from its one definition in the cell-type module
_integrate, _reset = numba_helpers()


@njit(cache=True, fastmath=True)
def _rls(decoder, p, r, err, c):
    """RLS step in the reference's order (``c = P_old r`` moves the decoder).

    Compiled with ``fastmath`` so that the ``P r`` reductions vectorise (about 3x faster at N = 2000 than
    the strict order); this step is where FORCE spends most of its time.
    """
    n, n_out = decoder.shape
    for i in range(n):
        acc = 0.0
        for j in range(n):
            acc += p[i, j] * r[j]
        c[i] = acc
    denom = 1.0
    for i in range(n):
        denom += r[i] * c[i]
    for i in range(n):
        for q in range(n_out):
            decoder[i, q] -= c[i] * err[q]
    for i in range(n):
        ci = c[i] / denom
        for j in range(n):
            p[i, j] -= ci * c[j]


@njit(cache=True)
def _loop(v, u, ipsc, h, r, hr, trace, z, c_m, k, v_r, v_t, a, b, d, v_reset, v_peak, bias, w_pre, encoders,
          input_encoders, inputs, decoder, offset, p, targets, gate, learn, mode, eta, normalize, tau_e, dt, tr, td,
          average_mask, out_z, out_count, r_sum, power_sum, spike_step, spike_neuron):
    n = v.shape[0]
    n_out = z.shape[0]
    n_in = inputs.shape[1]
    dec_r, dec_d, dec_e = math.exp(-dt / tr), math.exp(-dt / td), math.exp(-dt / tau_e)
    inv_trtd = 1.0 / (tr * td)
    capacity = spike_step.shape[0]
    n_spikes = 0
    jd = np.zeros(n)
    fired = np.empty(n, dtype=np.int64)
    err = np.empty(n_out)
    c = np.empty(n)
    x = np.empty(n)
    for t in range(inputs.shape[0]):
        n_fired = 0
        for i in range(n):
            cur = ipsc[i] + bias[i]
            for q in range(n_out):
                cur += encoders[i, q] * z[q]
            for m in range(n_in):
                cur += input_encoders[i, m] * inputs[t, m]
            vi, ui = _integrate(v[i], u[i], cur, c_m[i], k[i], v_r[i], v_t[i], a[i], b[i], dt)
            v[i] = vi
            u[i] = ui
            if vi >= v_peak[i]:
                fired[n_fired] = i
                n_fired += 1
        jd[:] = 0.0
        for s in range(n_fired):
            row = w_pre[fired[s]]
            for i in range(n):
                jd[i] += row[i]
        for i in range(n):
            ipsc[i] = ipsc[i] * dec_r + h[i] * dt
            h[i] = h[i] * dec_d + jd[i] * inv_trtd
            r[i] = r[i] * dec_r + hr[i] * dt
            hr[i] = hr[i] * dec_d + (inv_trtd if v[i] >= v_peak[i] else 0.0)
            x[i] = r[i] - offset[i]
        for q in range(n_out):
            acc = 0.0
            for i in range(n):
                acc += decoder[i, q] * x[i]
            z[q] = acc
            out_z[t, q] = acc
        if mode == MODE_THREE_FACTOR:
            for i in range(n):
                trace[i] = trace[i] * dec_e + (1.0 - dec_e) * x[i]
        if learn[t]:
            if mode == MODE_RLS:
                for q in range(n_out):
                    err[q] = z[q] - targets[t, q]
                _rls(decoder, p, x, err, c)
            elif mode == MODE_THREE_FACTOR:
                rate = eta
                if normalize:
                    norm = 0.0
                    for i in range(n):
                        norm += trace[i] * trace[i]
                    rate = eta / (norm + NORMALIZE_EPS)
                for q in range(n_out):
                    err[q] = rate * (gate[t, q] * (targets[t, q] - z[q]))
                for i in range(n):
                    for q in range(n_out):
                        decoder[i, q] += trace[i] * err[q]
        if average_mask[t]:
            acc = 0.0
            for i in range(n):
                r_sum[i] += r[i]
                acc += x[i] * x[i]
            power_sum[0] += acc
        for s in range(n_fired):
            i = fired[s]
            vi, ui = _reset(v[i], u[i], v_peak[i], v_reset[i], d[i])
            v[i] = vi
            u[i] = ui
            if n_spikes < capacity:
                spike_step[n_spikes] = t
                spike_neuron[n_spikes] = i
            n_spikes += 1
        out_count[t] = n_fired
    return n_spikes


def reservoir_run(state, cell, w_pre, encoders, input_encoders, inputs, decoder, offset, p, targets, gate, learn,
                  mode, eta, normalize, tau_e, dt, tr, td, average_mask, out_z, out_count, r_sum, power_sum,
                  spike_step, spike_neuron):
    """Numba twin of :func:`engramsim.networks._reservoir_numpy.reservoir_run` (same arguments)."""
    return _loop(*state, *cell, w_pre, encoders, input_encoders, inputs, decoder, offset, p, targets, gate, learn,
                 int(mode), float(eta), bool(normalize), float(tau_e), float(dt), float(tr), float(td),
                 average_mask, out_z, out_count, r_sum, power_sum, spike_step, spike_neuron)
