"""NumPy reference kernel of the spiking engine: advance a network by a block of steps.

This is the readable definition of the arithmetic.
:mod:`engramsim.sim.spiking.kernels_numba` is its compiled twin and the tests
hold the two to identical spikes and state: both perform the same floating
point operations in the same order.

Layout (built by :mod:`engramsim.sim.spiking.engine`):

``buf`` (D, 2, N)
    Ring buffer of arriving weights: slot ``t % D``, channel 0 excitatory, 1
    inhibitory (Izhikevich cells read channel 0 only; their inhibitory weights
    are stored negated).
``lif`` = (g, v, ie, ii, refr, tref, par)
    ``IF_curr_exp`` cells: global indices, state, refractory counters, and
    ``par`` rows: v_rest, R = tau_m/cm, exp(-dt/tau_m), init_E, init_I,
    decay_E, decay_I, v_thresh, v_reset, i_offset.
``izh`` = (g, v, u, par, scheme)
    Izhikevich cells: ``par`` rows a, b, c, d, 1000 * i_offset; ``scheme`` 0
    (the 2003 half steps) or 1 (Euler).
``ext`` (n_steps, N) or (0, N)
    Injected current per step (already in each cell's model units).
``forced_ptr``, ``forced_idx``
    Spikes of spike sources, per step (CSR over steps).
``proj`` = (meta, dense_w, csr_ptr, csr_post, csr_w, csr_d)
    ``meta[p]``: kind (0 dense, 1 CSR), pre0, n_pre, post0, n_post, channel,
    delay (dense; for CSR the delay shared by all synapses, or 0 when
    ``csr_d`` holds one per synapse), offset.  Synaptic events are added projection by
    projection, presynaptic cells in ascending order, each row in order.
``rec`` = (spikes, lif_rec, lif_out, izh_rec, izh_out)
    Outputs: the (n_steps, N) spike raster and recorded states.
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

from engramsim.sim.backends import register_kernel

DENSE, CSR = 0, 1
SCHEME_2003, SCHEME_EULER = 0, 1


def lif_step(v, ie, ii, refr, tref, par, in_e, in_i, ext_row):
    """One sPyNNaker ``IF_curr_exp`` step in place; return the boolean spike mask."""
    ie += par[3] * in_e
    ii += par[4] * in_i
    current = (ie - ii) + par[9]
    if ext_row is not None:
        current = current + ext_row
    alpha = current * par[1] + par[0]
    active = refr <= 0
    v[active] = (alpha - par[2] * (alpha - v))[active]
    refr[~active] -= 1
    fired = v >= par[7]
    v[fired] = par[8][fired]
    refr[fired] = tref[fired]
    ie *= par[5]
    ii *= par[6]
    return fired


def izh_step(v, u, par, scheme, syn, ext_row, dt):
    """One Izhikevich step in place (the 2003 half-step scheme or Euler); return the spike mask."""
    a, b, c, d, ioff = par
    i_ext = ioff if ext_row is None else ioff + ext_row
    half = 0.5 * dt
    dta = dt * a
    pub = scheme == SCHEME_2003
    # published program: v += 0.5 (0.04 v^2 + 5 v + 140 - u + I) twice, then u with the new v
    i_all = i_ext + syn
    with np.errstate(over="ignore", invalid="ignore"):
        return _izh_finish(v, u, c, d, dt, half, dta, b, pub, i_all, i_ext, syn)


def _izh_finish(v, u, c, d, dt, half, dta, b, pub, i_all, i_ext, syn):
    v1 = v + half * (0.04 * (v * v) + 5.0 * v + 140.0 - u + i_all)
    v1 = v1 + half * (0.04 * (v1 * v1) + 5.0 * v1 + 140.0 - u + i_all)
    u1 = u + dta * (b * v1 - u)
    # Euler: old v and u on the right, synaptic weights as voltage jumps
    v2 = v + dt * (0.04 * (v * v) + 5.0 * v + 140.0 - u + i_ext) + syn
    u2 = u + dta * (b * v - u)
    v[:] = np.where(pub, v1, v2)
    u[:] = np.where(pub, u1, u2)
    fired = v >= 30.0
    v[fired] = c[fired]
    u[fired] += d[fired]
    return fired


def propagate(t, spikes, buf, proj):
    """Add the rows of the presynaptic cells in ``spikes`` (ascending global indices) to the ring buffer."""
    meta, dense_w, csr_ptr, csr_post, csr_w, csr_d = proj
    n_slots = buf.shape[0]
    for p in range(meta.shape[0]):
        kind, pre0, n_pre, post0, n_post, ch, delay, off = meta[p]
        lo, hi = np.searchsorted(spikes, [pre0, pre0 + n_pre])
        for g in spikes[lo:hi]:
            j = g - pre0
            if kind == DENSE:
                row = dense_w[off + j * n_post: off + (j + 1) * n_post]
                buf[(t + delay) % n_slots, ch, post0:post0 + n_post] += row
            else:
                a, b = csr_ptr[off + j], csr_ptr[off + j + 1]
                slots = (t + delay) % n_slots if delay > 0 else (t + csr_d[a:b]) % n_slots
                np.add.at(buf, (slots, ch, post0 + csr_post[a:b]), csr_w[a:b])


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


@register_kernel("spiking_chunk", "numpy")
def spiking_chunk(n_steps, t0, dt, buf, lif, izh, ext, forced_ptr, forced_idx, proj, rec, plastic):
    """Advance the network ``n_steps`` steps from step ``t0``; state arrays are updated in place."""
    lif_g, lif_v, lif_ie, lif_ii, lif_refr, lif_tref, lif_par = lif
    izh_g, izh_v, izh_u, izh_par, izh_scheme = izh
    spikes_out, lif_rec, lif_out, izh_rec, izh_out = rec
    n_slots, _, n_total = buf.shape
    has_ext = ext.shape[0] > 0
    spk = np.zeros(n_total, dtype=bool)
    has_plastic = plastic[0].shape[0] > 0
    hist, hist_n = plastic[13], plastic[14]
    for s in range(n_steps):
        t = t0 + s
        slot = t % n_slots
        spk[:] = False
        if has_plastic:
            plastic_arrivals(t, dt, buf, plastic)
        ext_row = ext[s] if has_ext else None
        if lif_g.size:
            fired = lif_step(lif_v, lif_ie, lif_ii, lif_refr, lif_tref, lif_par, buf[slot, 0, lif_g],
                             buf[slot, 1, lif_g], None if ext_row is None else ext_row[lif_g])
            spk[lif_g[fired]] = True
        if izh_g.size:
            fired = izh_step(izh_v, izh_u, izh_par, izh_scheme, buf[slot, 0, izh_g],
                             None if ext_row is None else ext_row[izh_g], dt)
            spk[izh_g[fired]] = True
        buf[slot] = 0.0
        spk[forced_idx[forced_ptr[s]:forced_ptr[s + 1]]] = True
        spikes_out[s] = spk
        if lif_rec.size:
            lif_out[s, 0] = lif_v[lif_rec]
            lif_out[s, 1] = lif_ie[lif_rec]
            lif_out[s, 2] = lif_ii[lif_rec]
        if izh_rec.size:
            izh_out[s, 0] = izh_v[izh_rec]
            izh_out[s, 1] = izh_u[izh_rec]
        fired = np.flatnonzero(spk)
        propagate(t, fired, buf, proj)
        if has_plastic:
            plastic_post_spikes(t, dt, fired, plastic)
            h = t % hist.shape[0]
            hist[h, :fired.size] = fired
            hist_n[h] = fired.size
