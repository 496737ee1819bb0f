"""Numba twin of :mod:`engramsim.sim.spiking.kernels_numpy` (one compiled loop over a block of steps).

The whole block (cell updates, spike detection, event-driven propagation,
recording) runs in one compiled call, so the per-step cost is the work itself
and no Python.  The floating-point operations are those of the reference, in
the same order (no ``fastmath``, so no reassociation or fused multiply-add),
which is why the tests can ask for identical spikes and state.  Propagation
is serial (scattered additions into the ring buffer); cell updates are cheap
next to it at the sizes that matter.  Plastic projections (pair STDP) follow
the reference's ``plastic_arrivals`` and ``plastic_post_spikes`` synapse by
synapse; their decays use ``math.exp``, which here and in the reference is
the C library's ``exp``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from engramsim.sim.backends import register_kernel
from engramsim.sim.spiking.kernels_numpy import DENSE, SCHEME_2003


@njit(cache=True)
def _lif(t_slot, buf, ext, s, has_ext, g, v, ie, ii, refr, tref, par, spk):
    for k in range(g.shape[0]):
        n = g[k]
        ie[k] += par[3, k] * buf[t_slot, 0, n]
        ii[k] += par[4, k] * buf[t_slot, 1, n]
        if refr[k] <= 0:
            current = (ie[k] - ii[k]) + par[9, k]
            if has_ext:
                current = current + ext[s, n]
            alpha = current * par[1, k] + par[0, k]
            v[k] = alpha - par[2, k] * (alpha - v[k])
        else:
            refr[k] -= 1
        if v[k] >= par[7, k]:
            v[k] = par[8, k]
            refr[k] = tref[k]
            spk[n] = True
        ie[k] *= par[5, k]
        ii[k] *= par[6, k]


@njit(cache=True)
def _izh(t_slot, buf, ext, s, has_ext, dt, g, v, u, par, scheme, spk):
    half = 0.5 * dt
    for k in range(g.shape[0]):
        n = g[k]
        i_ext = par[4, k]
        if has_ext:
            i_ext = i_ext + ext[s, n]
        syn = buf[t_slot, 0, n]
        dta = dt * par[0, k]
        vk, uk = v[k], u[k]
        if scheme[k] == SCHEME_2003:
            i_all = i_ext + syn
            vk = vk + half * (0.04 * (vk * vk) + 5.0 * vk + 140.0 - uk + i_all)
            vk = vk + half * (0.04 * (vk * vk) + 5.0 * vk + 140.0 - uk + i_all)
            uk = uk + dta * (par[1, k] * vk - uk)
        else:
            v_old = vk
            vk = vk + dt * (0.04 * (vk * vk) + 5.0 * vk + 140.0 - uk + i_ext) + syn
            uk = uk + dta * (par[1, k] * v_old - uk)
        if vk >= 30.0:
            vk = par[2, k]
            uk += par[3, k]
            spk[n] = True
        v[k], u[k] = vk, uk


@njit(cache=True)
def _propagate(t, spikes, n_spikes, flat, n_slots, n_total, meta, dense_w, csr_ptr, csr_post, csr_w, csr_d):
    """Scatter the rows of spiking cells into the flattened ring buffer ``flat[(slot*2 + ch)*N + post]``."""
    slot_now = t % n_slots
    for p in range(meta.shape[0]):
        kind, pre0, n_pre, post0, n_post, ch, delay, off = (meta[p, 0], meta[p, 1], meta[p, 2], meta[p, 3],
                                                            meta[p, 4], meta[p, 5], meta[p, 6], meta[p, 7])
        lo = np.searchsorted(spikes[:n_spikes], pre0)
        shared_base = 0
        if delay > 0:
            slot = slot_now + delay
            if slot >= n_slots:
                slot -= n_slots
            shared_base = (slot * 2 + ch) * n_total + post0
        for q in range(lo, n_spikes):
            gidx = spikes[q]
            if gidx >= pre0 + n_pre:
                break
            j = gidx - pre0
            if kind == DENSE:
                row = off + j * n_post
                for i in range(n_post):
                    flat[shared_base + i] += dense_w[row + i]
            elif delay > 0:
                for e in range(csr_ptr[off + j], csr_ptr[off + j + 1]):
                    flat[shared_base + csr_post[e]] += csr_w[e]
            else:
                for e in range(csr_ptr[off + j], csr_ptr[off + j + 1]):
                    slot = slot_now + csr_d[e]
                    if slot >= n_slots:
                        slot -= n_slots
                    flat[(slot * 2 + ch) * n_total + post0 + csr_post[e]] += csr_w[e]


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
            k = post_off + i
            if post_last[k] >= 0:
                post_y[k] = 1.0 + post_y[k] * math.exp(-((t - post_last[k]) * dt) / tau_minus)
            else:
                post_y[k] = 1.0
            post_last[k] = t


@njit(cache=True)
def _chunk(n_steps, t0, dt, buf, lif_g, lif_v, lif_ie, lif_ii, lif_refr, lif_tref, lif_par,
           izh_g, izh_v, izh_u, izh_par, izh_scheme, ext, forced_ptr, forced_idx,
           meta, dense_w, csr_ptr, csr_post, csr_w, csr_d,
           spikes_out, lif_rec, lif_out, izh_rec, izh_out,
           p_meta, p_par, row_ptr, col_ptr, col_syn, syn_pre, syn_post, p_w, p_w_sent, pre_last, pre_x,
           post_last, post_y, hist, hist_n):
    n_slots, _, n_total = buf.shape
    flat = buf.reshape(n_slots * 2 * n_total)
    has_ext = ext.shape[0] > 0
    has_plastic = p_meta.shape[0] > 0
    n_hist = hist.shape[0]
    spk = np.zeros(n_total, dtype=np.bool_)
    spikes = np.empty(n_total, dtype=np.int64)
    for s in range(n_steps):
        t = t0 + s
        slot = t % n_slots
        spk[:] = False
        if has_plastic:
            _plastic_arrivals(t, dt, flat, n_slots, n_total, p_meta, p_par, row_ptr, syn_post, p_w, p_w_sent,
                              pre_last, pre_x, post_last, post_y, hist, hist_n)
        _lif(slot, buf, ext, s, has_ext, lif_g, lif_v, lif_ie, lif_ii, lif_refr, lif_tref, lif_par, spk)
        _izh(slot, buf, ext, s, has_ext, dt, izh_g, izh_v, izh_u, izh_par, izh_scheme, spk)
        buf[slot, :, :] = 0.0
        for e in range(forced_ptr[s], forced_ptr[s + 1]):
            spk[forced_idx[e]] = True
        n_spikes = 0
        for n in range(n_total):
            spikes_out[s, n] = spk[n]
            if spk[n]:
                spikes[n_spikes] = n
                n_spikes += 1
        for r in range(lif_rec.shape[0]):
            lif_out[s, 0, r] = lif_v[lif_rec[r]]
            lif_out[s, 1, r] = lif_ie[lif_rec[r]]
            lif_out[s, 2, r] = lif_ii[lif_rec[r]]
        for r in range(izh_rec.shape[0]):
            izh_out[s, 0, r] = izh_v[izh_rec[r]]
            izh_out[s, 1, r] = izh_u[izh_rec[r]]
        _propagate(t, spikes, n_spikes, flat, n_slots, n_total, meta, dense_w, csr_ptr, csr_post, csr_w, csr_d)
        if has_plastic:
            _plastic_post_spikes(t, dt, spikes, n_spikes, p_meta, p_par, col_ptr, col_syn, syn_pre, p_w, pre_last,
                                 pre_x, post_last, post_y)
            h = t % n_hist
            for q in range(n_spikes):
                hist[h, q] = spikes[q]
            hist_n[h] = n_spikes


@register_kernel("spiking_chunk", "numba")
def spiking_chunk(n_steps, t0, dt, buf, lif, izh, ext, forced_ptr, forced_idx, proj, rec, plastic):
    """Compiled twin of :func:`engramsim.sim.spiking.kernels_numpy.spiking_chunk` (same arguments)."""
    izh_g, izh_v, izh_u, izh_par, izh_scheme = izh
    _chunk(n_steps, t0, dt, buf, *lif, izh_g, izh_v, izh_u, izh_par, izh_scheme, ext, forced_ptr, forced_idx,
           *proj, *rec, *plastic)
