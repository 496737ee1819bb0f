"""Numba twin of :mod:`engramsim.sim.spiking.kernels_numpy` (one compiled loop over a block of steps).

The whole block (cell updates, spike detection, event-driven propagation,
recording) runs in one compiled call, so the per-step cost is the work itself
and no Python.  The floating-point operations are those of the reference, in
the same order (no ``fastmath``, so no reassociation or fused multiply-add),
which is why the tests can ask for identical spikes and state.  Propagation
is serial (scattered additions into the ring buffer); cell updates are cheap
next to it at the sizes that matter.  Noise currents are generated in the
loop, cell by cell, by the counter-based ziggurat of the reference
(:func:`_counter_normal`, twin of
:func:`engramsim.sim.spiking.kernels_numpy.counter_normals`), so no noise
array is drawn or stored on the host.  The Izhikevich update computes both
schemes and selects, without branches, so that it vectorises.  Synaptic
rows are added through slices (a dense row is a contiguous, vectorised
addition; CSR post indices may be ``uint16``), and weights may be
``float32``, added as ``float64``.  Plastic projections (pair STDP) follow
the reference's ``plastic_arrivals`` and ``plastic_post_spikes`` synapse by
synapse; their decays use ``math.exp``, which here and in the reference is
the C library's ``exp``; the noise generator's rare slow paths use the C
library's ``exp`` and ``log`` in both as well.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from engramsim.sim.backends import register_kernel
from engramsim.sim.kernels.splitmix_numba import _GOLDEN, _splitmix64
from engramsim.sim.spiking.kernels_numpy import (
    DENSE,
    SCHEME_2003,
    ZIG_F,
    ZIG_K,
    ZIG_R,
    ZIG_W,
    check_counter_args,
)

_M8 = np.uint64(0xFF)
_ONE = np.uint64(1)
_ZERO = np.uint64(0)
_S8, _S11, _S12 = np.uint64(8), np.uint64(11), np.uint64(12)
_2M53 = 2.0 ** -53


# The ziggurat tables are read as globals (frozen into the compiled code): passing them as arguments to a
# function called once per deviate costs reference-count updates that are ten times the deviate itself.
_ZW, _ZK, _ZF = ZIG_W, ZIG_K, ZIG_F


@njit(cache=True)
def _normal_slow(r):
    """The ziggurat from a rejected first draw ``r`` (twin of ``kernels_numpy.normal_from_draw``)."""
    zw, zk, zf = _ZW, _ZK, _ZF
    state = r
    while True:
        layer = r & _M8
        rabs = r >> _S12
        x = np.float64(rabs) * zw[layer]
        negative = ((r >> _S8) & _ONE) == _ONE
        if rabs < zk[layer]:
            return -x if negative else x
        if layer == _ZERO:
            while True:
                state, a = _splitmix64(state)
                state, b = _splitmix64(state)
                xx = -math.log(1.0 - np.float64(a >> _S11) * _2M53) / ZIG_R
                yy = -math.log(1.0 - np.float64(b >> _S11) * _2M53)
                if yy + yy > xx * xx:
                    break
            x = ZIG_R + xx
            return -x if negative else x
        state, a = _splitmix64(state)
        lo = zf[layer]
        y = lo + (np.float64(a >> _S11) * _2M53) * (zf[layer + _ONE] - lo)
        if y < math.exp(-0.5 * x * x):
            return -x if negative else x
        state, r = _splitmix64(state)


@njit(cache=True)
def _counter_normal(key, c):
    """Standard normal deviate number ``c`` (uint64) of ``key`` (twin of ``kernels_numpy.counter_normals``)."""
    _, r = _splitmix64(key + c * _GOLDEN)
    layer = r & _M8
    rabs = r >> _S12
    if rabs < _ZK[layer]:
        x = np.float64(rabs) * _ZW[layer]
        return -x if ((r >> _S8) & _ONE) == _ONE else x
    return _normal_slow(r)


@njit(cache=True)
def _counter_normals(key, first_step, n_steps, size):
    out = np.empty((n_steps, size))
    for s in range(n_steps):
        base = np.uint64(first_step + s) * np.uint64(size)
        row = out[s]
        for i in range(size):
            row[i] = _counter_normal(key, base + np.uint64(i))
    return out


@register_kernel("counter_normals", "numba")
def counter_normals(key: int, first_step: int, n_steps: int, size: int) -> np.ndarray:
    """Compiled twin of :func:`engramsim.sim.spiking.kernels_numpy.counter_normals` (same arguments)."""
    check_counter_args(key, first_step, n_steps, size)
    return _counter_normals(np.uint64(key), int(first_step), int(n_steps), int(size))


@njit(cache=True)
def _add_noise(t, inj, n_meta, n_key, n_mean, n_std):
    """Add every noise source's current of step ``t`` to ``inj``, source by source."""
    for q in range(n_meta.shape[0]):
        g0, size, off = n_meta[q, 0], n_meta[q, 1], n_meta[q, 2]
        key = n_key[q]
        base = np.uint64(t) * np.uint64(size)
        dst = inj[g0:g0 + size]
        mean = n_mean[off:off + size]
        std = n_std[off:off + size]
        for i in range(size):
            dst[i] += mean[i] + std[i] * _counter_normal(key, base + np.uint64(i))


@njit(cache=True)
def _lif(t_slot, buf, inj, g, v, ie, ii, refr, tref, par, spk):
    for k in range(g.shape[0]):
        n = g[k]
        ie[k] += par[3, k] * buf[t_slot, 0, n]
        ii[k] += par[4, k] * buf[t_slot, 1, n]
        if refr[k] <= 0:
            current = ((ie[k] - ii[k]) + par[9, k]) + inj[n]
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
def _izh(t_slot, buf, inj, dt, g, v, u, par, scheme, spk, fired):
    """Both schemes for every cell, then a select, as the reference does: a branch-free loop that vectorises."""
    n_izh = g.shape[0]
    if n_izh == 0:
        return
    half = 0.5 * dt
    g0 = g[0]
    if g[n_izh - 1] - g0 == n_izh - 1:  # the cells are one run of global indices (g ascends): slices
        syn_all = buf[t_slot, 0, g0:g0 + n_izh]
        inj_all = inj[g0:g0 + n_izh]
    else:
        syn_all = buf[t_slot, 0][g]
        inj_all = inj[g]
    a, b, c, d, ioff = par[0], par[1], par[2], par[3], par[4]
    for k in range(n_izh):
        i_ext = ioff[k] + inj_all[k]
        syn = syn_all[k]
        dta = dt * a[k]
        vk, uk = v[k], u[k]
        # published program: v += 0.5 (0.04 v^2 + 5 v + 140 - u + I) twice, then u with the new v
        i_all = i_ext + syn
        v1 = vk + half * (0.04 * (vk * vk) + 5.0 * vk + 140.0 - uk + i_all)
        v1 = v1 + half * (0.04 * (v1 * v1) + 5.0 * v1 + 140.0 - uk + i_all)
        u1 = uk + dta * (b[k] * v1 - uk)
        # Euler: old v and u on the right, synaptic weights as voltage jumps
        v2 = vk + dt * (0.04 * (vk * vk) + 5.0 * vk + 140.0 - uk + i_ext) + syn
        u2 = uk + dta * (b[k] * vk - uk)
        pub = scheme[k] == SCHEME_2003
        vk = v1 if pub else v2
        uk = u1 if pub else u2
        f = vk >= 30.0
        v[k] = c[k] if f else vk
        u[k] = uk + d[k] if f else uk
        fired[k] = f
    for k in range(n_izh):
        if fired[k]:
            spk[g[k]] = True


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
        dst = flat[shared_base:shared_base + n_post]
        for q in range(lo, n_spikes):
            gidx = spikes[q]
            if gidx >= pre0 + n_pre:
                break
            j = gidx - pre0
            if kind == DENSE:
                row = dense_w[off + j * n_post:off + (j + 1) * n_post]
                for i in range(n_post):
                    dst[i] += np.float64(row[i])
            elif delay > 0:
                a, b = csr_ptr[off + j], csr_ptr[off + j + 1]
                posts, ws = csr_post[a:b], csr_w[a:b]
                for e in range(b - a):
                    dst[posts[e]] += np.float64(ws[e])
            else:
                for e in range(csr_ptr[off + j], csr_ptr[off + j + 1]):
                    slot = slot_now + csr_d[e]
                    if slot >= n_slots:
                        slot -= n_slots
                    flat[(slot * 2 + ch) * n_total + post0 + np.int64(csr_post[e])] += np.float64(csr_w[e])


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
           izh_g, izh_v, izh_u, izh_par, izh_scheme, ext, n_meta, n_key, n_mean, n_std,
           forced_ptr, forced_idx, meta, dense_w, csr_ptr, csr_post, csr_w, csr_d,
           spike_ptr, spike_idx, lif_rec, lif_out, izh_rec, izh_out,
           p_meta, p_par, row_ptr, col_ptr, col_syn, syn_pre, syn_post, p_w, p_w_sent, pre_last, pre_x,
           post_last, post_y, hist, hist_n):
    n_slots, _, n_total = buf.shape
    n_ch = 2 if lif_g.shape[0] > 0 else 1  # channel 1 is read (and written) by IF_curr_exp cells only
    flat = buf.reshape(n_slots * 2 * n_total)
    has_ext = ext.shape[0] > 0
    has_noise = n_meta.shape[0] > 0
    has_plastic = p_meta.shape[0] > 0
    n_hist = hist.shape[0]
    inj = np.zeros(n_total)
    spk = np.zeros(n_total, dtype=np.bool_)
    izh_fired = np.zeros(izh_g.shape[0], dtype=np.bool_)
    spikes = np.empty(n_total, dtype=np.int64)
    spike_ptr[0] = 0
    for s in range(n_steps):
        t = t0 + s
        slot = t % n_slots
        if has_plastic:
            _plastic_arrivals(t, dt, flat, n_slots, n_total, p_meta, p_par, row_ptr, syn_post, p_w, p_w_sent,
                              pre_last, pre_x, post_last, post_y, hist, hist_n)
        if has_ext:
            inj[:] = ext[s]
        elif has_noise:
            inj[:] = 0.0
        if has_noise:
            _add_noise(t, inj, n_meta, n_key, n_mean, n_std)
        _lif(slot, buf, inj, lif_g, lif_v, lif_ie, lif_ii, lif_refr, lif_tref, lif_par, spk)
        _izh(slot, buf, inj, dt, izh_g, izh_v, izh_u, izh_par, izh_scheme, spk, izh_fired)
        flat[slot * 2 * n_total:(slot * 2 + n_ch) * n_total] = 0.0
        for e in range(forced_ptr[s], forced_ptr[s + 1]):
            spk[forced_idx[e]] = True
        n_spikes = 0
        for n in range(n_total):
            if spk[n]:
                spikes[n_spikes] = n
                n_spikes += 1
                spk[n] = False
        first = spike_ptr[s]
        for q in range(n_spikes):
            spike_idx[first + q] = spikes[q]
        spike_ptr[s + 1] = first + n_spikes
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
def spiking_chunk(n_steps, t0, dt, buf, lif, izh, ext, noise, forced_ptr, forced_idx, proj, rec, plastic):
    """Compiled twin of :func:`engramsim.sim.spiking.kernels_numpy.spiking_chunk` (same arguments)."""
    izh_g, izh_v, izh_u, izh_par, izh_scheme = izh
    _chunk(n_steps, t0, dt, buf, *lif, izh_g, izh_v, izh_u, izh_par, izh_scheme, ext, *noise,
           forced_ptr, forced_idx, *proj, *rec, *plastic)
