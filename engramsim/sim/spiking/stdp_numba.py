"""Numba twin of :mod:`engramsim.sim.spiking.stdp_numpy`: the same updates synapse by synapse.

``_plastic_arrivals`` and ``_plastic_post_spikes`` run the ``arrival`` projections (``par[p, 7] == 0``),
``_spynnaker7_end_of_step`` the ``spynnaker7`` ones (``par[p, 7] == 1``), each in the reference's order of
floating-point operations.  Numba's on-disk cache of the kernel loop that calls these functions is not
invalidated when only this file changes; clear ``__pycache__`` after editing it.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from engramsim.sim.spiking.stdp_numpy import add_spike_to_trace

#: the reference's trace update, compiled as it stands
_add_spike_to_trace = njit(cache=True)(add_spike_to_trace)


@njit(cache=True)
def _plastic_arrivals(t, dt, flat, n_slots, n_total, meta, par, row_ptr, syn_post, w, w_sent, pre_last, pre_x,
                      post_last, post_y, hist, hist_n):
    n_hist = hist.shape[0]
    slot = t % n_slots
    for p in range(meta.shape[0]):
        pre0, n_pre, post0, ch, delay = meta[p, 0], meta[p, 1], meta[p, 2], meta[p, 4], meta[p, 5]
        row_off, pre_off, post_off = meta[p, 6], meta[p, 8], meta[p, 9]
        amp_minus, tau_plus, tau_minus, w_min, w_max, sign = par[p, 1], par[p, 2], par[p, 3], par[p, 4], \
            par[p, 5], par[p, 6]
        if par[p, 7] == 1.0:  # spynnaker7: see _spynnaker7_end_of_step
            continue
        h = (t - delay + n_hist) % n_hist
        base = (slot * 2 + ch) * n_total + post0
        for q in range(hist_n[h]):
            g = hist[h, q]
            if g < pre0:
                continue
            if g >= pre0 + n_pre:
                break
            j = g - pre0
            for e in range(row_ptr[row_off + j], row_ptr[row_off + j + 1]):
                i = syn_post[e]
                last = post_last[post_off + i]
                if last >= 0:
                    y = post_y[post_off + i] * math.exp(-((t - last) * dt) / tau_minus)
                    x = w[e] - amp_minus * y
                    if x < w_min:
                        x = w_min
                    if x > w_max:
                        x = w_max
                    w[e] = x
                w_sent[e] = w[e]
                flat[base + i] += sign * w[e]
            k = pre_off + j
            if pre_last[k] >= 0:
                pre_x[k] = (pre_x[k] + 1.0) * math.exp(-((t - pre_last[k]) * dt) / tau_plus)
            pre_last[k] = t


@njit(cache=True)
def _plastic_post_spikes(t, dt, spikes, n_spikes, meta, par, col_ptr, col_syn, syn_pre, w, pre_last, pre_x,
                         post_last, post_y):
    for p in range(meta.shape[0]):
        post0, n_post, col_off, pre_off, post_off = meta[p, 2], meta[p, 3], meta[p, 7], meta[p, 8], meta[p, 9]
        amp_plus, tau_plus, tau_minus, w_min, w_max = par[p, 0], par[p, 2], par[p, 3], par[p, 4], par[p, 5]
        if par[p, 7] == 1.0:  # spynnaker7: see _spynnaker7_end_of_step
            continue
        lo = np.searchsorted(spikes[:n_spikes], post0)
        for q in range(lo, n_spikes):
            g = spikes[q]
            if g >= post0 + n_post:
                break
            i = g - post0
            for c in range(col_ptr[col_off + i], col_ptr[col_off + i + 1]):
                e = col_syn[c]
                k = pre_off + syn_pre[e]
                last = pre_last[k]
                if last >= 0:
                    if last == t:
                        x = pre_x[k]
                    else:
                        x = (pre_x[k] + 1.0) * math.exp(-((t - last) * dt) / tau_plus)
                    v = w[e] + amp_plus * x
                    if v < w_min:
                        v = w_min
                    if v > w_max:
                        v = w_max
                    w[e] = v
            _add_spike_to_trace(post_last, post_y, post_off + i, t, dt, tau_minus)




@njit(cache=True)
def _spynnaker7_end_of_step(t, dt, spikes, n_spikes, flat, n_slots, n_total, meta, par, row_ptr, col_ptr, col_syn,
                            syn_pre, syn_post, w, w_sent, pre_last, pre_x, post_last, post_y, hist, hist_n):
    """Twin of ``stdp_numpy.spynnaker7_end_of_step``: presynaptic spikes of step ``t``, then postsynaptic ones of
    step ``t - delay + 1``, synapse by synapse in the reference's order."""
    n_hist = hist.shape[0]
    for p in range(meta.shape[0]):
        if par[p, 7] != 1.0:
            continue
        pre0, n_pre, post0, n_post, ch, delay = meta[p, 0], meta[p, 1], meta[p, 2], meta[p, 3], meta[p, 4], \
            meta[p, 5]
        row_off, col_off, pre_off, post_off = meta[p, 6], meta[p, 7], meta[p, 8], meta[p, 9]
        amp_plus, amp_minus, tau_plus, tau_minus = par[p, 0], par[p, 1], par[p, 2], par[p, 3]
        w_min, w_max, sign = par[p, 4], par[p, 5], par[p, 6]
        base = (((t + delay) % n_slots) * 2 + ch) * n_total + post0
        lo = np.searchsorted(spikes[:n_spikes], pre0)
        for q in range(lo, n_spikes):
            g = spikes[q]
            if g >= pre0 + n_pre:
                break
            j = g - pre0
            for e in range(row_ptr[row_off + j], row_ptr[row_off + j + 1]):
                i = syn_post[e]
                last = post_last[post_off + i]
                if last >= 0:
                    x = w[e] - amp_minus * post_y[post_off + i] * math.exp(-((t - last - delay) * dt) / tau_minus)
                    if x < w_min:
                        x = w_min
                    w[e] = x
                w_sent[e] = w[e]
                flat[base + i] += sign * w[e]
            _add_spike_to_trace(pre_last, pre_x, pre_off + j, t, dt, tau_plus)
        qs = t - delay + 1
        if delay == 1:
            posts, n_posts = spikes, n_spikes
        else:
            h = qs % n_hist
            posts, n_posts = hist[h], hist_n[h]
        lo = np.searchsorted(posts[:n_posts], post0)
        for q in range(lo, n_posts):
            g = posts[q]
            if g >= post0 + n_post:
                break
            i = g - post0
            for c in range(col_ptr[col_off + i], col_ptr[col_off + i + 1]):
                e = col_syn[c]
                k = pre_off + syn_pre[e]
                last = pre_last[k]
                if last >= 0:
                    v = w[e] + amp_plus * pre_x[k] * math.exp(-((qs + delay - last) * dt) / tau_plus)
                    if v > w_max:
                        v = w_max
                    w[e] = v
            _add_spike_to_trace(post_last, post_y, post_off + i, qs, dt, tau_minus)
