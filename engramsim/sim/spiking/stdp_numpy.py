"""Pair STDP with additive weight dependence in the engine: the NumPy reference (twin: ``stdp_numba``).

The engine lays every plastic projection out as a :class:`~engramsim.sim.spiking.layout.Plastic`
tuple (fields named as below).

``plastic`` = (meta, par, row_ptr, col_ptr, col_syn, syn_pre, syn_post, w, w_sent, pre_last, pre_x,
post_last, post_y, hist, hist_n)
    Plastic projections (pair STDP, additive weight dependence).
    ``meta[p]``: pre0, n_pre, post0, n_post, channel, delay (steps, one per
    projection), row_off, col_off, pre_off, post_off; ``par[p]``: amp_plus,
    amp_minus (already times ``w_max``), tau_plus, tau_minus (ms), w_min,
    w_max, sign.  Synapse ``e`` joins local cells ``syn_pre[e]`` and
    ``syn_post[e]`` and has weight ``w[e]`` (unsigned; ``sign * w`` is
    transmitted) and last transmitted weight ``w_sent[e]``.  Row ``j`` is
    ``row_ptr[row_off + j] : row_ptr[row_off + j + 1]``; column ``i`` lists
    ``col_syn[col_ptr[col_off + i] : col_ptr[col_off + i + 1]]``.  Per
    presynaptic cell: ``pre_last`` (step of the last arrival, -1 before the
    first) and ``pre_x`` (sum of ``exp(-lag/tau_plus)`` over the arrivals
    *before* the last one, at the last one); per postsynaptic cell:
    ``post_last`` (step of the last spike, -1 before the first) and
    ``post_y`` (sum of ``exp(-lag/tau_minus)`` over its spikes up to and
    including the last, at the last).  ``hist[t % H, :hist_n[t % H]]`` holds
    the cells that spiked at step ``t`` for the last ``H >= max delay`` steps.

STDP (sPyNNaker's rule, computed eagerly in time order).  At the start of
step ``t`` the presynaptic spikes of step ``t - delay`` arrive: each synapse
of the row is depressed by ``amp_minus * sum exp(-(t - t_post)/tau_minus)``
over the postsynaptic spikes before ``t``, clipped to ``[w_min, w_max]``,
and transmitted with the resulting weight into slot ``t``, which the cells
read in that same step.  After the cells of step ``t`` spiked, each synapse
onto a postsynaptic cell that spiked is potentiated by ``amp_plus * sum
exp(-(t - t_arrival)/tau_plus)`` over the arrivals before ``t`` and clipped.
A pairing at lag zero changes nothing.  This is sPyNNaker's deferred update
(applied at the next arrival, in time order) with the pending changes
already applied: the transmitted weights are the same.  Decays use
``math.exp`` (the C library's ``exp``, as the compiled twin does); NumPy's
own vectorised ``exp`` may differ from it in the last bit.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["clip", "decay", "plastic_arrivals", "plastic_post_spikes"]


def decay(lags, dt, tau):
    """``exp(-(lag * dt) / tau)`` for whole-step ``lags``, through ``math.exp`` like the compiled kernel."""
    values, inverse = np.unique(lags, return_inverse=True)
    return np.array([math.exp(-(float(k) * dt) / tau) for k in values.tolist()]).reshape(-1)[inverse]


def clip(x, lo, hi):
    """``x`` clipped to ``[lo, hi]`` exactly as the compiled kernel does it (compare, then replace)."""
    x = np.where(x < lo, lo, x)
    return np.where(x > hi, hi, x)


def plastic_arrivals(t, dt, buf, plastic):
    """Start of step ``t``: depress, transmit into slot ``t`` and update the presynaptic traces."""
    (meta, par, row_ptr, _, _, _, syn_post, w, w_sent, pre_last, pre_x, post_last, post_y, hist, hist_n) = plastic
    n_hist = hist.shape[0]
    slot = t % buf.shape[0]
    for p in range(meta.shape[0]):
        pre0, n_pre, post0, _, ch, delay, row_off, _, pre_off, post_off = meta[p]
        _, amp_minus, tau_plus, tau_minus, w_min, w_max, sign = par[p]
        h = (t - delay + n_hist) % n_hist
        spikes = hist[h, :hist_n[h]]
        lo, hi = np.searchsorted(spikes, [pre0, pre0 + n_pre])
        for g in spikes[lo:hi]:
            j = g - pre0
            a, b = row_ptr[row_off + j], row_ptr[row_off + j + 1]
            posts = syn_post[a:b]
            last = post_last[post_off + posts]
            seen = np.flatnonzero(last >= 0)
            if seen.size:
                y = post_y[post_off + posts[seen]] * decay(t - last[seen], dt, tau_minus)
                w[a + seen] = clip(w[a + seen] - amp_minus * y, w_min, w_max)
            w_sent[a:b] = w[a:b]
            np.add.at(buf, (slot, ch, post0 + posts), sign * w[a:b])
            k = pre_off + j
            if pre_last[k] >= 0:
                pre_x[k] = (pre_x[k] + 1.0) * math.exp(-(float(t - pre_last[k]) * dt) / tau_plus)
            pre_last[k] = t


def plastic_post_spikes(t, dt, spikes, plastic):
    """End of step ``t``: potentiate the columns of the cells in ``spikes`` and update their traces."""
    (meta, par, _, col_ptr, col_syn, syn_pre, _, w, _, pre_last, pre_x, post_last, post_y, _, _) = plastic
    for p in range(meta.shape[0]):
        _, _, post0, n_post, _, _, _, col_off, pre_off, post_off = meta[p]
        amp_plus, _, tau_plus, tau_minus, w_min, w_max, _ = par[p]
        lo, hi = np.searchsorted(spikes, [post0, post0 + n_post])
        for g in spikes[lo:hi]:
            i = g - post0
            syn = col_syn[col_ptr[col_off + i]:col_ptr[col_off + i + 1]]
            pre = pre_off + syn_pre[syn]
            last = pre_last[pre]
            same = last == t  # an arrival in this very step pairs at lag 0: only the earlier ones count
            x = np.where(same, pre_x[pre], 0.0)
            later = np.flatnonzero((last >= 0) & ~same)
            x[later] = (pre_x[pre[later]] + 1.0) * decay(t - last[later], dt, tau_plus)
            seen = np.flatnonzero(last >= 0)
            w[syn[seen]] = clip(w[syn[seen]] + amp_plus * x[seen], w_min, w_max)
            k = post_off + i
            if post_last[k] >= 0:
                post_y[k] = 1.0 + post_y[k] * math.exp(-(float(t - post_last[k]) * dt) / tau_minus)
            else:
                post_y[k] = 1.0
            post_last[k] = t


