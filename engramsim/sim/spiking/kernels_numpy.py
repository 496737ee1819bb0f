"""NumPy reference of the spiking engine's loop: advance a network by a block of steps.

This is the readable definition of the arithmetic;
:mod:`engramsim.sim.spiking.kernels_numba` is its compiled twin, and the tests
hold the two to identical spikes and state: both perform the same floating
point operations in the same order.  The loop knows no cell type: it calls
each population's step function (declared by its cell type, see
:mod:`engramsim.sim.spiking.cells.base`) on that population's rows of the
state.  It is written against the array namespace of ``buf``, so that the
``cupy`` backend runs the same code on CuPy arrays.

Arguments (built by :mod:`engramsim.sim.spiking.engine`; the named tuples are
described in :mod:`engramsim.sim.spiking.layout`):

``buf`` (D, 2, N)
    Ring buffer of arriving weights: slot ``t % D``, channel 0 excitatory, 1
    inhibitory (one-channel cells read channel 0 only; their inhibitory
    weights are stored negated).
``steps``
    The step functions, indexed by ``cells.meta[q, 6]``.
``ext`` (n_steps, N) or (0, N)
    Injected current per step drawn on the host (already in each cell's
    model units): every current source except the noise sources.

Per step ``t``: plastic arrivals are depressed and transmitted into slot
``t`` (:mod:`engramsim.sim.spiking.stdp_numpy`); the injected current of a
cell is ``inj = ext[s] + sum over its noise sources of (mean + std * z)``
(summed in source order, starting from ``ext[s]`` or 0); every population
steps; slot ``t`` is cleared; spike sources fire; states are recorded; the
spikes are propagated into later slots; plastic columns of the cells that
spiked are potentiated.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engramsim.sim.spiking.layout import Cells, Forced, Noise, Plastic, Record, Static
from engramsim.sim.spiking.noise_numpy import noise_values
from engramsim.sim.spiking.stdp_numpy import plastic_arrivals, plastic_post_spikes, spynnaker7_end_of_step
from engramsim.sim.spiking.xp import namespace

__all__ = ["CSR", "DENSE", "groups_of", "propagate", "scatter_add", "spiking_chunk"]

DENSE, CSR = 0, 1


def scatter_add(xp: Any, array: Any, index: tuple, values: Any) -> None:
    """``array[index] += values`` with repeated indices summed (``np.add.at``; ``cupyx.scatter_add`` on CuPy)."""
    if xp is np:
        np.add.at(array, index, values)
    else:
        import cupyx

        cupyx.scatter_add(array, index, values)


def propagate(t, spikes, buf, proj: Static) -> None:
    """Add the rows of the presynaptic cells in ``spikes`` (ascending global indices) to the ring buffer."""
    xp = namespace(buf)
    meta, dense_w, csr_ptr, csr_post, csr_w, csr_d = proj
    n_slots = buf.shape[0]
    for p in range(meta.shape[0]):
        kind, pre0, n_pre, post0, n_post, ch, delay, off = (int(x) for x in meta[p])
        lo, hi = (int(x) for x in xp.searchsorted(spikes, xp.asarray([pre0, pre0 + n_pre])))
        for g in spikes[lo:hi].tolist():
            j = g - pre0
            if kind == DENSE:
                row = dense_w[off + j * n_post: off + (j + 1) * n_post].astype(xp.float64)
                buf[(t + delay) % n_slots, ch, post0:post0 + n_post] += row
            else:
                a, b = int(csr_ptr[off + j]), int(csr_ptr[off + j + 1])
                slots = (t + delay) % n_slots if delay > 0 else (t + csr_d[a:b]) % n_slots
                posts = post0 + csr_post[a:b].astype(xp.int64)
                scatter_add(xp, buf, (slots, ch, posts), csr_w[a:b].astype(xp.float64))


def groups_of(cells: Cells) -> list[tuple[int, int, Any, Any, int, int]]:
    """Per population with a step kernel: (first cell, size, state rows, parameter rows, step index, channels)."""
    out = []
    for g0, n, s_off, n_state, p_off, n_par, kind, n_ch in (tuple(int(x) for x in row) for row in cells.meta):
        out.append((g0, n, cells.state[s_off:s_off + n_state * n].reshape(n_state, n),
                    cells.par[p_off:p_off + n_par * n].reshape(n_par, n), kind, n_ch))
    return out


def spiking_chunk(n_steps: int, t0: int, dt: float, buf: Any, steps: tuple, cells: Cells, ext: Any, noise: Noise,
                  forced: Forced, static: Static, rec: Record, plastic: Plastic) -> None:
    """Advance the network ``n_steps`` steps from step ``t0``; state arrays are updated in place."""
    xp = namespace(buf)
    n_slots, _, n_total = buf.shape
    has_ext = ext.shape[0] > 0
    has_noise = noise.meta.shape[0] > 0
    # noise of the whole block (the compiled twin draws it step by step: the same numbers)
    noise_all = noise_values(t0, n_steps, noise) if has_noise else []
    inj = xp.zeros(n_total)
    fired = xp.zeros(n_total, dtype=bool)
    has_plastic = plastic.meta.shape[0] > 0
    groups = groups_of(cells)
    spike_ptr, spike_idx, state_pos, state_out = rec
    spike_ptr[0] = 0
    for s in range(n_steps):
        t = t0 + s
        slot = t % n_slots
        fired[:] = False
        if has_plastic:
            plastic_arrivals(t, dt, buf, plastic)
        if has_ext or has_noise:
            inj = ext[s].copy() if has_ext else xp.zeros(n_total)
            for q, values in enumerate(noise_all):  # source by source, as the compiled twin adds them
                g0, size = int(noise.meta[q, 0]), int(noise.meta[q, 1])
                inj[g0:g0 + size] += values[s]
        for g0, n, state, par, kind, n_ch in groups:
            steps[kind](state, par, buf[slot, 0, g0:g0 + n], buf[slot, n_ch - 1, g0:g0 + n], inj[g0:g0 + n], dt,
                        fired[g0:g0 + n])
        buf[slot] = 0.0
        fired[forced.idx[forced.ptr[s]:forced.ptr[s + 1]]] = True
        spikes = xp.flatnonzero(fired)
        spike_idx[spike_ptr[s]:spike_ptr[s] + spikes.size] = spikes
        spike_ptr[s + 1] = spike_ptr[s] + spikes.size
        if state_pos.size:
            state_out[s] = cells.state[state_pos]
        propagate(t, spikes, buf, static)
        if has_plastic:
            plastic_post_spikes(t, dt, spikes, plastic)
            spynnaker7_end_of_step(t, dt, spikes, plastic, buf)
            h = t % plastic.hist.shape[0]
            plastic.hist[h, :spikes.size] = spikes
            plastic.hist_n[h] = spikes.size
