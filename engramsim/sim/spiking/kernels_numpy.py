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
    Injected current per step drawn on the host (already in each cell's
    model units): every current source except the noise sources.
``noise`` = (meta, key, mean, std)
    Noise current sources, generated inside the kernel.  ``meta[q]``: first
    global cell, size, offset into ``mean`` and ``std``; ``key[q]`` (uint64)
    the source's generator key; ``mean``, ``std`` per cell in model units.
    Cell ``i`` of source ``q`` receives ``mean + std * z`` at step ``t``,
    where ``z = counter_normal(key[q], t * size + i)`` (see below).
``forced_ptr``, ``forced_idx``
    Spikes of spike sources, per step (CSR over steps).
``proj`` = (meta, dense_w, csr_ptr, csr_post, csr_w, csr_d)
    ``meta[p]``: kind (0 dense, 1 CSR), pre0, n_pre, post0, n_post, channel,
    delay (dense; for CSR the delay shared by all synapses, or 0 when
    ``csr_d`` holds one per synapse), offset.  Synaptic events are added projection by
    projection, presynaptic cells in ascending order, each row in order.
    ``dense_w`` and ``csr_w`` are float64, or float32 when every weight is
    exactly a float32 number (each is added as a float64); ``csr_post``
    (post index within the projection) is int32, or uint16 when every CSR
    projection has at most 65536 targets.
``rec`` = (spike_ptr, spike_idx, lif_rec, lif_out, izh_rec, izh_out)
    Outputs: the spikes of block step ``s`` are the global cells
    ``spike_idx[spike_ptr[s]:spike_ptr[s + 1]]`` in ascending order
    (``spike_ptr`` has ``n_steps + 1`` entries, ``spike_idx`` room for
    ``n_steps * N``), and the recorded states.
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

Per step, the injected current of a cell is ``inj = ext[s] + sum over its
noise sources of (mean + std * z)`` (summed in source order, starting from
``ext[s]`` or 0), and the cell update uses ``i_offset + inj``.

Noise: a counter-based normal generator.  The normal deviate number ``c``
of key ``k`` is a function of ``(k, c)`` alone, so it does not depend on the
backend, on how a run is split into blocks, or on the other sources:

* draw 0 is ``mix(k + (c + 1) * GOLDEN)``, the ``c``-th output of the
  splitmix64 generator seeded with ``k``; further draws, needed only when
  the first is rejected, continue a splitmix64 generator from the state
  ``draw 0`` (:func:`engramsim.sim.kernels.splitmix.splitmix64`);
* a draw ``r`` becomes a deviate with a 256-layer ziggurat (Marsaglia &
  Tsang 2000): layer ``r & 255``, sign bit ``r >> 8 & 1``, 52-bit abscissa
  ``r >> 12``.  About 99 % of deviates are accepted at once, by one
  multiplication and one integer comparison; the rest take the wedge test
  (``math.exp``) or the tail beyond ``ZIG_R`` (``math.log``), in the C
  library's functions on both backends.  Uniforms on [0, 1) are
  ``(r >> 11) * 2**-53``.

The tables (:data:`ZIG_W`, :data:`ZIG_K`, :data:`ZIG_F`) are computed once
at import and shared by both backends; every operation is an IEEE
multiplication, addition, comparison or a C library call, so the numpy and
numba generators give the same bits.
"""

from __future__ import annotations

import math

import numpy as np

from engramsim.sim.backends import register_kernel
from engramsim.sim.kernels.splitmix import GOLDEN, mix, splitmix64

DENSE, CSR = 0, 1
SCHEME_2003, SCHEME_EULER = 0, 1

#: right edge of the ziggurat's base layer (256 layers; the value NumPy's ziggurat uses)
ZIG_R = 3.6541528853610088
_2M52 = 2.0 ** -52
_2M53 = 2.0 ** -53


def ziggurat_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tables of the 256-layer ziggurat for the standard normal (Marsaglia & Tsang 2000).

    Layer edges ``X[0..256]``: ``X[1] = ZIG_R``, ``X[k+1] = f^-1(f(X[k]) +
    V / X[k])`` with ``f(x) = exp(-x^2/2)`` and the layer area ``V = R f(R) +
    integral of f beyond R``; ``X[0] = V / f(R)`` (the base layer with the tail
    folded in) and ``X[256] = 0``.

    Returns
    -------
    W : (256,) float64
        ``X[k] * 2**-52``: a 52-bit integer times ``W[k]`` is a point of layer ``k``.
    K : (256,) uint64
        ``floor(2**52 * X[k+1] / X[k])``: integers below it lie in the part of
        layer ``k`` that is under the curve.
    F : (257,) float64
        ``f(X[k])``.
    """
    f = lambda x: math.exp(-0.5 * x * x)  # noqa: E731
    v = ZIG_R * f(ZIG_R) + math.sqrt(math.pi / 2.0) * math.erfc(ZIG_R / math.sqrt(2.0))
    x = [0.0] * 257
    x[0], x[1] = v / f(ZIG_R), ZIG_R
    for k in range(1, 255):
        x[k + 1] = math.sqrt(-2.0 * math.log(v / x[k] + f(x[k])))
    w = np.array([xk * _2M52 for xk in x[:256]])
    k_tab = np.array([math.floor(x[k + 1] / x[k] * 2.0 ** 52) for k in range(256)], dtype=np.uint64)
    f_tab = np.array([f(xk) for xk in x])
    return w, k_tab, f_tab


ZIG_W, ZIG_K, ZIG_F = ziggurat_tables()


def normal_from_draw(draw0: int) -> float:
    """The standard normal deviate whose first 64-bit draw is ``draw0`` (the full ziggurat, scalar).

    This is the whole algorithm, including the rare slow paths; the
    vectorised :func:`counter_normals` uses it where the first draw is
    rejected.
    """
    state = r = int(draw0)
    while True:
        layer = r & 0xFF
        rabs = r >> 12
        x = float(rabs) * float(ZIG_W[layer])
        negative = (r >> 8) & 1
        if rabs < int(ZIG_K[layer]):
            return -x if negative else x
        if layer == 0:  # the tail beyond ZIG_R (Marsaglia 1964)
            while True:
                state, a = splitmix64(state)
                state, b = splitmix64(state)
                xx = -math.log(1.0 - float(a >> 11) * _2M53) / ZIG_R
                yy = -math.log(1.0 - float(b >> 11) * _2M53)
                if yy + yy > xx * xx:
                    break
            x = ZIG_R + xx
            return -x if negative else x
        state, a = splitmix64(state)
        lo = float(ZIG_F[layer])
        y = lo + (float(a >> 11) * _2M53) * (float(ZIG_F[layer + 1]) - lo)
        if y < math.exp(-0.5 * x * x):
            return -x if negative else x
        state, r = splitmix64(state)


def check_counter_args(key: int, first_step: int, n_steps: int, size: int) -> None:
    """Raise a clear error unless ``0 <= key < 2**64`` and the step and size arguments are integers >= 0."""
    for name, value, top in (("key", key, 2 ** 64), ("first_step", first_step, 2 ** 63),
                             ("n_steps", n_steps, 2 ** 63), ("size", size, 2 ** 63)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
        if not 0 <= int(value) < top:
            raise ValueError(f"{name} must be >= 0 and < 2**{top.bit_length() - 1}, got {value}")


def counter_normals(key: int, first_step: int, n_steps: int, size: int) -> np.ndarray:
    """Noise deviates of a block of steps: ``z[s, i]`` is deviate number ``(first_step + s) * size + i``.

    Parameters
    ----------
    key
        The generator key (0 <= key < 2**64).
    first_step, n_steps, size
        The block of steps and the number of cells.

    Returns
    -------
    (n_steps, size) float64
        Standard normal deviates, the same bits as the compiled twin.
    """
    check_counter_args(key, first_step, n_steps, size)
    t = np.arange(first_step, first_step + n_steps, dtype=np.uint64)
    c = t[:, None] * np.uint64(size) + np.arange(size, dtype=np.uint64)[None, :]
    r = mix(np.uint64(key) + (c + np.uint64(1)) * GOLDEN)
    layer = (r & np.uint64(0xFF)).astype(np.intp)
    rabs = r >> np.uint64(12)
    x = rabs.astype(np.float64) * ZIG_W[layer]
    z = np.where(((r >> np.uint64(8)) & np.uint64(1)).astype(bool), -x, x)
    for pos in np.flatnonzero(rabs >= ZIG_K[layer]).tolist():
        z.flat[pos] = normal_from_draw(int(r.flat[pos]))
    return z


@register_kernel("counter_normals", "numpy")
def counter_normals_kernel(key: int, first_step: int, n_steps: int, size: int) -> np.ndarray:
    """:func:`counter_normals` as the numpy backend's kernel (the compiled twin is held to it)."""
    return counter_normals(key, first_step, n_steps, size)


def lif_step(v, ie, ii, refr, tref, par, in_e, in_i, inj):
    """One sPyNNaker ``IF_curr_exp`` step in place; return the boolean spike mask."""
    ie += par[3] * in_e
    ii += par[4] * in_i
    current = ((ie - ii) + par[9]) + inj
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


def izh_step(v, u, par, scheme, syn, inj, dt):
    """One Izhikevich step in place (the 2003 half-step scheme or Euler); return the spike mask."""
    a, b, c, d, ioff = par
    i_ext = ioff + inj
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
                row = dense_w[off + j * n_post: off + (j + 1) * n_post].astype(np.float64)
                buf[(t + delay) % n_slots, ch, post0:post0 + n_post] += row
            else:
                a, b = csr_ptr[off + j], csr_ptr[off + j + 1]
                slots = (t + delay) % n_slots if delay > 0 else (t + csr_d[a:b]) % n_slots
                posts = post0 + csr_post[a:b].astype(np.int64)
                np.add.at(buf, (slots, ch, posts), csr_w[a:b].astype(np.float64))


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


def noise_values(t0: int, n_steps: int, noise: tuple) -> list[np.ndarray]:
    """Each noise source's currents ``mean + std * z`` of steps ``t0 .. t0 + n_steps - 1``: (n_steps, size) arrays."""
    meta, key, mean, std = noise
    out = []
    for q in range(meta.shape[0]):
        _, size, off = (int(x) for x in meta[q])
        z = counter_normals(int(key[q]), t0, n_steps, size)
        out.append(mean[off:off + size] + std[off:off + size] * z)
    return out


@register_kernel("spiking_chunk", "numpy")
def spiking_chunk(n_steps, t0, dt, buf, lif, izh, ext, noise, forced_ptr, forced_idx, proj, rec, plastic):
    """Advance the network ``n_steps`` steps from step ``t0``; state arrays are updated in place."""
    lif_g, lif_v, lif_ie, lif_ii, lif_refr, lif_tref, lif_par = lif
    izh_g, izh_v, izh_u, izh_par, izh_scheme = izh
    spike_ptr, spike_idx, lif_rec, lif_out, izh_rec, izh_out = rec
    n_slots, _, n_total = buf.shape
    n_ch = 2 if lif_g.size else 1  # channel 1 is read (and written) by IF_curr_exp cells only
    has_ext = ext.shape[0] > 0
    has_noise = noise[0].shape[0] > 0
    # noise of the whole block (the compiled twin draws it step by step: the same numbers)
    noise_all = noise_values(t0, n_steps, noise) if has_noise else []
    inj = np.zeros(n_total)
    spk = np.zeros(n_total, dtype=bool)
    has_plastic = plastic[0].shape[0] > 0
    hist, hist_n = plastic[13], plastic[14]
    spike_ptr[0] = 0
    for s in range(n_steps):
        t = t0 + s
        slot = t % n_slots
        spk[:] = False
        if has_plastic:
            plastic_arrivals(t, dt, buf, plastic)
        if has_ext or has_noise:
            inj = ext[s].copy() if has_ext else np.zeros(n_total)
            for q, values in enumerate(noise_all):  # source by source, as the compiled twin adds them
                g0, size = noise[0][q, 0], noise[0][q, 1]
                inj[g0:g0 + size] += values[s]
        if lif_g.size:
            fired = lif_step(lif_v, lif_ie, lif_ii, lif_refr, lif_tref, lif_par, buf[slot, 0, lif_g],
                             buf[slot, 1, lif_g], inj[lif_g])
            spk[lif_g[fired]] = True
        if izh_g.size:
            fired = izh_step(izh_v, izh_u, izh_par, izh_scheme, buf[slot, 0, izh_g], inj[izh_g], dt)
            spk[izh_g[fired]] = True
        buf[slot, :n_ch] = 0.0
        spk[forced_idx[forced_ptr[s]:forced_ptr[s + 1]]] = True
        fired = np.flatnonzero(spk)
        spike_idx[spike_ptr[s]:spike_ptr[s] + fired.size] = fired
        spike_ptr[s + 1] = spike_ptr[s] + fired.size
        if lif_rec.size:
            lif_out[s, 0] = lif_v[lif_rec]
            lif_out[s, 1] = lif_ie[lif_rec]
            lif_out[s, 2] = lif_ii[lif_rec]
        if izh_rec.size:
            izh_out[s, 0] = izh_v[izh_rec]
            izh_out[s, 1] = izh_u[izh_rec]
        propagate(t, fired, buf, proj)
        if has_plastic:
            plastic_post_spikes(t, dt, fired, plastic)
            h = t % hist.shape[0]
            hist[h, :fired.size] = fired
            hist_n[h] = fired.size
