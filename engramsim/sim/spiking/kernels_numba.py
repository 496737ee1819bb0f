"""Numba twin of :mod:`engramsim.sim.spiking.kernels_numpy` (one compiled loop over a block of steps).

The whole block (cell updates, spike detection, event-driven propagation,
recording) runs in one compiled call, so the per-step cost is the work itself
and no Python.  The floating-point operations are those of the reference, in
the same order (no ``fastmath``, so no reassociation or fused multiply-add),
which is why the tests can ask for identical spikes and state.

The loop knows no cell type.  Each cell type's module holds the plain-Python
loop of its step (``step_loops``); :func:`compile_step` compiles it with the
one signature every step has, and the loop receives the compiled steps as a
tuple of first-class functions, indexed by each population's ``meta`` entry:
one compiled loop (cached on disk) serves every combination of cell types.
Propagation is serial (scattered additions into the ring buffer); a dense
row is a contiguous, vectorised addition; CSR post indices may be
``uint16`` and weights ``float32`` (added as ``float64``).  Noise currents
are generated in the loop, cell by cell (:mod:`engramsim.sim.spiking.noise_numba`),
and plastic projections follow :mod:`engramsim.sim.spiking.stdp_numba`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
from numba import njit, types
from numba.core.errors import NumbaExperimentalFeatureWarning

from engramsim.sim.spiking.kernels_numpy import DENSE
from engramsim.sim.spiking.layout import Cells, Forced, Noise, Plastic, Record, Static
from engramsim.sim.spiking.noise_numba import _add_noise
from engramsim.sim.spiking.stdp_numba import _plastic_arrivals, _plastic_post_spikes, _spynnaker7_end_of_step

__all__ = ["STEP_SIGNATURE", "compile_step", "spiking_chunk"]

# first-class function types are the way to pass the cell types' steps; they work and cache on disk
warnings.filterwarnings("ignore", category=NumbaExperimentalFeatureWarning, module="numba")

#: the signature of every cell type's step: (state, par, syn_e, syn_i, inj, dt, fired)
STEP_SIGNATURE = types.void(types.float64[:, ::1], types.float64[:, ::1], types.float64[:], types.float64[:],
                            types.float64[:], types.float64, types.boolean[:])

_COMPILED: dict[Callable, Callable] = {}


def compile_step(func: Callable) -> Callable:
    """Compile a cell type's plain-Python step loop with :data:`STEP_SIGNATURE` (cached on disk)."""
    if func not in _COMPILED:
        _COMPILED[func] = njit(STEP_SIGNATURE, cache=True)(func)
    return _COMPILED[func]


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
def _chunk(n_steps, t0, dt, buf, steps, cells, ext, noise, forced, static, rec, plastic):
    n_slots, _, n_total = buf.shape
    flat = buf.reshape(n_slots * 2 * n_total)
    has_ext = ext.shape[0] > 0
    has_noise = noise.meta.shape[0] > 0
    has_plastic = plastic.meta.shape[0] > 0
    n_hist = plastic.hist.shape[0]
    inj = np.zeros(n_total)
    fired = np.zeros(n_total, dtype=np.bool_)
    spikes = np.empty(n_total, dtype=np.int64)
    spike_ptr, spike_idx, state_pos, state_out = rec.spike_ptr, rec.spike_idx, rec.state_pos, rec.state_out
    spike_ptr[0] = 0
    for s in range(n_steps):
        t = t0 + s
        slot = t % n_slots
        if has_plastic:
            _plastic_arrivals(t, dt, flat, n_slots, n_total, plastic.meta, plastic.par, plastic.row_ptr,
                              plastic.syn_post, plastic.w, plastic.w_sent, plastic.pre_last, plastic.pre_x,
                              plastic.post_last, plastic.post_y, plastic.hist, plastic.hist_n)
        if has_ext:
            inj[:] = ext[s]
        elif has_noise:
            inj[:] = 0.0
        if has_noise:
            _add_noise(t, inj, noise.meta, noise.key, noise.mean, noise.std)
        for q in range(cells.meta.shape[0]):
            g0, n, s_off, n_state, p_off, n_par = (cells.meta[q, 0], cells.meta[q, 1], cells.meta[q, 2],
                                                   cells.meta[q, 3], cells.meta[q, 4], cells.meta[q, 5])
            state = cells.state[s_off:s_off + n_state * n].reshape((n_state, n))
            par = cells.par[p_off:p_off + n_par * n].reshape((n_par, n))
            step = steps[cells.meta[q, 6]]
            step(state, par, buf[slot, 0, g0:g0 + n], buf[slot, cells.meta[q, 7] - 1, g0:g0 + n], inj[g0:g0 + n],
                 dt, fired[g0:g0 + n])
        flat[slot * 2 * n_total:(slot * 2 + 2) * n_total] = 0.0
        for e in range(forced.ptr[s], forced.ptr[s + 1]):
            fired[forced.idx[e]] = True
        n_spikes = 0
        for n in range(n_total):
            if fired[n]:
                spikes[n_spikes] = n
                n_spikes += 1
                fired[n] = False
        first = spike_ptr[s]
        for q in range(n_spikes):
            spike_idx[first + q] = spikes[q]
        spike_ptr[s + 1] = first + n_spikes
        for r in range(state_pos.shape[0]):
            state_out[s, r] = cells.state[state_pos[r]]
        _propagate(t, spikes, n_spikes, flat, n_slots, n_total, static.meta, static.dense_w, static.csr_ptr,
                   static.csr_post, static.csr_w, static.csr_d)
        if has_plastic:
            _plastic_post_spikes(t, dt, spikes, n_spikes, plastic.meta, plastic.par, plastic.col_ptr,
                                 plastic.col_syn, plastic.syn_pre, plastic.w, plastic.pre_last, plastic.pre_x,
                                 plastic.post_last, plastic.post_y)
            _spynnaker7_end_of_step(t, dt, spikes, n_spikes, flat, n_slots, n_total, plastic.meta, plastic.par,
                                    plastic.row_ptr, plastic.col_ptr, plastic.col_syn, plastic.syn_pre,
                                    plastic.syn_post, plastic.w, plastic.w_sent, plastic.pre_last, plastic.pre_x,
                                    plastic.post_last, plastic.post_y, plastic.hist, plastic.hist_n)
            h = t % n_hist
            for q in range(n_spikes):
                plastic.hist[h, q] = spikes[q]
            plastic.hist_n[h] = n_spikes


def spiking_chunk(n_steps: int, t0: int, dt: float, buf: np.ndarray, steps: tuple, cells: Cells, ext: np.ndarray,
                  noise: Noise, forced: Forced, static: Static, rec: Record, plastic: Plastic) -> None:
    """Compiled twin of :func:`engramsim.sim.spiking.kernels_numpy.spiking_chunk` (same arguments; ``steps``
    compiled by :func:`compile_step`)."""
    _chunk(n_steps, t0, dt, buf, steps, cells, ext, noise, forced, static, rec, plastic)
