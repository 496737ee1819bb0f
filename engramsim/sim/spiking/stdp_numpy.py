"""Pair STDP with additive weight dependence in the engine: the NumPy reference (twin: ``stdp_numba``).

The engine lays every plastic projection out as a :class:`~engramsim.sim.spiking.layout.Plastic`
tuple (fields named as below).

``plastic`` = (meta, par, row_ptr, col_ptr, col_syn, syn_pre, syn_post, w, w_sent, pre_last, pre_x,
post_last, post_y, hist, hist_n)
    Plastic projections (pair STDP, additive weight dependence).
    ``meta[p]``: pre0, n_pre, post0, n_post, channel, delay (steps, one per
    projection), row_off, col_off, pre_off, post_off; ``par[p]``: amp_plus,
    amp_minus (in the weight's unit), tau_plus, tau_minus (ms), w_min,
    w_max, sign, convention (:data:`ARRIVAL` or :data:`SPYNNAKER7`).
    Synapse ``e`` joins local cells ``syn_pre[e]`` and ``syn_post[e]`` and
    has weight ``w[e]`` (unsigned; ``sign * w`` is transmitted) and last
    transmitted weight ``w_sent[e]``.  Row ``j`` is ``row_ptr[row_off + j] :
    row_ptr[row_off + j + 1]``; column ``i`` lists ``col_syn[col_ptr[col_off
    + i] : col_ptr[col_off + i + 1]]``.  Per presynaptic cell ``pre_last``
    and ``pre_x``, per postsynaptic cell ``post_last`` and ``post_y`` (their
    meaning depends on the convention, below).  ``hist[t % H, :hist_n[t %
    H]]`` holds the cells that spiked at step ``t`` for the last ``H >= max
    delay`` steps.

Two timing conventions of one pair rule (``SpikePairRule(convention=...)``);
both are computed eagerly in time order, so that the weight a spike carries
is the one the deferred rule would give it, and both use ``math.exp`` (the C
library's ``exp``, as the compiled twin does; NumPy's vectorised ``exp`` may
differ from it in the last bit).

``spynnaker7`` (the default; sPyNNaker 7's rule, which reproduces the CA3
memory's published spike tables; the literal deferred form is
:func:`engramsim.learning_rules.stdp.spynnaker7_synapse_history`, which the
tests hold the engine to bit for bit).  The whole delay ``d`` is dendritic:
a postsynaptic spike at step ``q`` is stamped ``q + d``.  ``pre_last`` is
the last spike step ``L`` and ``pre_x`` the trace ``r`` including it
(``r <- r e^{-(t-L) dt/tau_plus} + 1``); ``post_last`` is the last
postsynaptic spike ``p*`` already taken into account and ``post_y`` its
trace ``o(p*)``.  At the end of step ``t`` (:func:`spynnaker7_end_of_step`):

1. every presynaptic spike of step ``t`` depresses its row by the latest
   ``p*`` with ``p* + d <= t`` (lag zero included), ``w <- max(w -
   amp_minus o(p*) e^{-(t-p*-d) dt/tau_minus}, w_min)``, sends the new weights
   into slot ``t + d`` and updates ``r`` and ``L``;
2. the postsynaptic spikes of step ``q = t - d + 1`` potentiate their columns,
   ``w <- min(w + amp_plus r e^{-(q+d-L) dt/tau_plus}, w_max)`` for every
   presynaptic cell that has fired (then ``L < q + d`` always), and update
   ``o`` and ``p*``.

For each synapse this is the deferred rule's sequence of operations (every
potentiation between two presynaptic spikes, in time order, then the
depression, each clamped), so the transmitted weights are identical; ``w``
additionally holds the potentiation of postsynaptic spikes stamped up to
the current step.  Postsynaptic spikes of the same step as a presynaptic
one are stamped later and never pair at lag zero with it.

``arrival`` (validated against Brian2's trace STDP).  Lags are measured from
the presynaptic *arrival*, amplitudes are already multiplied by ``w_max``
and a lag of zero changes nothing.  ``pre_last`` is the step of the last
arrival and ``pre_x`` the sum of ``exp(-lag/tau_plus)`` over the arrivals
*before* it, at it; ``post_last`` the last postsynaptic spike and ``post_y``
the sum of ``exp(-lag/tau_minus)`` over its spikes up to and including it.
At the start of step ``t`` the presynaptic spikes of step ``t - delay``
arrive (:func:`plastic_arrivals`): each synapse of the row is depressed by
``amp_minus * sum exp(-(t - t_post)/tau_minus)`` over the postsynaptic spikes
before ``t``, clipped to ``[w_min, w_max]``, and transmitted into slot ``t``,
which the cells read in that same step.  After the cells of step ``t``
spiked (:func:`plastic_post_spikes`), each synapse onto a postsynaptic cell
that spiked is potentiated by ``amp_plus * sum exp(-(t -
t_arrival)/tau_plus)`` over the arrivals before ``t`` and clipped.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["ARRIVAL", "CONVENTIONS", "SPYNNAKER7", "add_spike_to_trace", "clip", "decay", "plastic_arrivals",
           "plastic_post_spikes", "spynnaker7_end_of_step", "spynnaker7_post_spikes", "spynnaker7_pre_spikes"]

#: timing conventions of the pair rule, as stored in ``par[p, 7]``
ARRIVAL, SPYNNAKER7 = 0, 1
CONVENTIONS = {"arrival": ARRIVAL, "spynnaker7": SPYNNAKER7}


def decay(lags, dt, tau):
    """``exp(-(lag * dt) / tau)`` for whole-step ``lags``, through ``math.exp`` like the compiled kernel."""
    values, inverse = np.unique(lags, return_inverse=True)
    return np.array([math.exp(-(float(k) * dt) / tau) for k in values.tolist()]).reshape(-1)[inverse]


def clip(x, lo, hi):
    """``x`` clipped to ``[lo, hi]`` exactly as the compiled kernel does it (compare, then replace)."""
    x = np.where(x < lo, lo, x)
    return np.where(x > hi, hi, x)


def add_spike_to_trace(last, trace, k, step, dt, tau):
    """Trace ``k`` at a new spike at ``step``: the old one decayed since ``last[k]``, plus one (1 at the first spike).

    The trace of a spike train including its latest spike (``spynnaker7``'s ``r`` and ``o``, ``arrival``'s
    postsynaptic ``y``); ``last[k]`` becomes ``step``.  Plain scalar code, so that the Numba twin compiles this
    very function.
    """
    if last[k] >= 0:
        trace[k] = trace[k] * math.exp(-(float(step - last[k]) * dt) / tau) + 1.0
    else:
        trace[k] = 1.0
    last[k] = step


def plastic_arrivals(t, dt, buf, plastic):
    """Start of step ``t``: depress, transmit into slot ``t`` and update the presynaptic traces."""
    (meta, par, row_ptr, _, _, _, syn_post, w, w_sent, pre_last, pre_x, post_last, post_y, hist, hist_n) = plastic
    n_hist = hist.shape[0]
    slot = t % buf.shape[0]
    for p in range(meta.shape[0]):
        pre0, n_pre, post0, _, ch, delay, row_off, _, pre_off, post_off = meta[p]
        _, amp_minus, tau_plus, tau_minus, w_min, w_max, sign, convention = par[p]
        if convention == SPYNNAKER7:
            continue
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


def spynnaker7_end_of_step(t, dt, spikes, plastic, buf):
    """End of step ``t`` (``spikes``: the cells that fired in it) for the ``spynnaker7`` projections.

    Per projection: :func:`spynnaker7_pre_spikes`, then
    :func:`spynnaker7_post_spikes` for the postsynaptic spikes of step
    ``t - delay + 1`` (``spikes`` itself when the delay is one step, else
    from ``hist``, which holds steps ``t - H .. t - 1`` here).
    """
    meta, hist, hist_n = plastic.meta, plastic.hist, plastic.hist_n
    for p in range(meta.shape[0]):
        if plastic.par[p, 7] != SPYNNAKER7:
            continue
        spynnaker7_pre_spikes(t, dt, spikes, plastic, buf, p)
        delay = int(meta[p, 5])
        if delay == 1:
            posts = spikes
        else:
            h = (t - delay + 1) % hist.shape[0]
            posts = hist[h, :hist_n[h]]
        spynnaker7_post_spikes(t - delay + 1, dt, posts, plastic, p)


def plastic_post_spikes(t, dt, spikes, plastic):
    """End of step ``t``: the ``arrival`` projections potentiate the columns of the cells in ``spikes``."""
    for p in range(plastic.meta.shape[0]):
        if plastic.par[p, 7] == ARRIVAL:
            _arrival_post_spikes(t, dt, spikes, plastic, p)


def _arrival_post_spikes(t, dt, spikes, plastic, p):
    """``arrival`` convention, end of step ``t``: potentiate the columns of ``spikes`` and update their traces."""
    (meta, par, _, col_ptr, col_syn, syn_pre, _, w, _, pre_last, pre_x, post_last, post_y, _, _) = plastic
    _, _, post0, n_post, _, _, _, col_off, pre_off, post_off = meta[p]
    amp_plus, _, tau_plus, tau_minus, w_min, w_max, _, _ = par[p]
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
        add_spike_to_trace(post_last, post_y, post_off + i, t, dt, tau_minus)


def spynnaker7_pre_spikes(t, dt, spikes, plastic, buf, p):
    """``spynnaker7``, end of step ``t``: the presynaptic cells of projection ``p`` in ``spikes`` update and send.

    Each synapse of the row is depressed by its postsynaptic cell's latest
    spike ``p*`` already seen (``p* + d <= t``): ``w <- max(w - amp_minus *
    o(p*) * exp(-(t - p* - d) dt / tau_minus), w_min)``; the row is
    transmitted with the new weights into slot ``t + d``; the presynaptic
    trace becomes ``r <- r exp(-(t - L) dt / tau_plus) + 1`` and ``L <- t``.
    Here ``pre_x`` is ``r`` (the trace *including* the last spike) and
    ``post_y`` is ``o`` at ``post_last``.
    """
    (meta, par, row_ptr, _, _, _, syn_post, w, w_sent, pre_last, pre_x, post_last, post_y, _, _) = plastic
    pre0, n_pre, post0, _, ch, delay, row_off, _, pre_off, post_off = meta[p]
    _, amp_minus, tau_plus, tau_minus, w_min, _, sign, _ = par[p]
    slot = (t + delay) % buf.shape[0]
    lo, hi = np.searchsorted(spikes, [pre0, pre0 + n_pre])
    for g in spikes[lo:hi]:
        j = g - pre0
        a, b = row_ptr[row_off + j], row_ptr[row_off + j + 1]
        posts = syn_post[a:b]
        last = post_last[post_off + posts]
        seen = np.flatnonzero(last >= 0)
        if seen.size:
            x = w[a + seen] - amp_minus * post_y[post_off + posts[seen]] * decay(t - last[seen] - delay, dt,
                                                                                  tau_minus)
            w[a + seen] = np.where(x < w_min, w_min, x)
        w_sent[a:b] = w[a:b]
        np.add.at(buf, (slot, ch, post0 + posts), sign * w[a:b])
        add_spike_to_trace(pre_last, pre_x, pre_off + j, t, dt, tau_plus)


def spynnaker7_post_spikes(q, dt, spikes, plastic, p):
    """``spynnaker7``: the postsynaptic spikes of step ``q`` (stamped ``q + d``) potentiate their columns.

    Called at the end of step ``q + d - 1``, after that step's presynaptic
    updates, so ``L < q + d`` for every presynaptic cell:
    ``w <- min(w + amp_plus * r * exp(-(q + d - L) dt / tau_plus), w_max)``
    where the presynaptic cell has fired; then ``o <- o exp(-(q - p_prev) dt /
    tau_minus) + 1`` and ``post_last <- q``.
    """
    (meta, par, _, col_ptr, col_syn, syn_pre, _, w, _, pre_last, pre_x, post_last, post_y, _, _) = plastic
    _, _, post0, n_post, _, delay, _, col_off, pre_off, post_off = meta[p]
    amp_plus, _, tau_plus, tau_minus, _, w_max, _, _ = par[p]
    lo, hi = np.searchsorted(spikes, [post0, post0 + n_post])
    for g in spikes[lo:hi]:
        i = g - post0
        syn = col_syn[col_ptr[col_off + i]:col_ptr[col_off + i + 1]]
        pre = pre_off + syn_pre[syn]
        last = pre_last[pre]
        seen = np.flatnonzero(last >= 0)
        if seen.size:
            v = w[syn[seen]] + amp_plus * pre_x[pre[seen]] * decay(q + delay - last[seen], dt, tau_plus)
            w[syn[seen]] = np.where(v > w_max, w_max, v)
        add_spike_to_trace(post_last, post_y, post_off + i, q, dt, tau_minus)
