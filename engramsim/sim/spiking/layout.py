"""The named arrays the engine hands to the step-loop kernels (NamedTuples, which Numba accepts as they are).

Global cell indices run over the populations in the order they were added;
every population is one contiguous run of them.

:class:`Cells`
    The populations that have a step kernel.  ``meta[q]``: first global cell,
    size, offset and number of rows of its state in ``state``, offset and
    number of rows of its kernel parameters in ``par``, index of its step
    function in the tuple of step functions, number of input channels.  A
    population's state is ``state[off:off + rows * size].reshape(rows, size)``
    (rows in the order of its cell type's ``state_spec``), and likewise its
    parameters.
:class:`Noise`
    Noise current sources generated inside the kernels.  ``meta[q]``: first
    global cell, size, offset into ``mean`` and ``std``; ``key[q]`` (uint64)
    the source's generator key; ``mean``, ``std`` per cell in model units.
:class:`Static`
    Static projections.  ``meta[p]``: kind (0 dense, 1 CSR), pre0, n_pre,
    post0, n_post, channel, delay (dense; for CSR the delay shared by all
    synapses, or 0 when ``csr_d`` holds one per synapse), offset.  Synaptic
    events are added projection by projection, presynaptic cells in
    ascending order, each row in order.  ``dense_w`` and ``csr_w`` are
    float64, or float32 when every weight is exactly a float32 number (each
    is added as a float64); ``csr_post`` (post index within the projection)
    is int32, or uint16 when every CSR projection has at most 65536 targets.
:class:`Plastic`
    Plastic projections: see :mod:`engramsim.sim.spiking.stdp_numpy`.
:class:`Forced`
    Spikes of spike sources, per block step (CSR over steps).
:class:`Record`
    Outputs of a block: the spikes of block step ``s`` are the global cells
    ``spike_idx[spike_ptr[s]:spike_ptr[s + 1]]`` in ascending order
    (``spike_ptr`` has ``n_steps + 1`` entries); ``state_out[s, r]`` is
    ``Cells.state[state_pos[r]]`` after the update of step ``s``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Cells", "Forced", "Noise", "Plastic", "Record", "Static"]


class Cells(NamedTuple):
    meta: np.ndarray
    state: np.ndarray
    par: np.ndarray


class Noise(NamedTuple):
    meta: np.ndarray
    key: np.ndarray
    mean: np.ndarray
    std: np.ndarray


class Static(NamedTuple):
    meta: np.ndarray
    dense_w: np.ndarray
    csr_ptr: np.ndarray
    csr_post: np.ndarray
    csr_w: np.ndarray
    csr_d: np.ndarray


class Plastic(NamedTuple):
    meta: np.ndarray
    par: np.ndarray
    row_ptr: np.ndarray
    col_ptr: np.ndarray
    col_syn: np.ndarray
    syn_pre: np.ndarray
    syn_post: np.ndarray
    w: np.ndarray
    w_sent: np.ndarray
    pre_last: np.ndarray
    pre_x: np.ndarray
    post_last: np.ndarray
    post_y: np.ndarray
    hist: np.ndarray
    hist_n: np.ndarray


class Forced(NamedTuple):
    ptr: np.ndarray
    idx: np.ndarray


class Record(NamedTuple):
    spike_ptr: np.ndarray
    spike_idx: np.ndarray
    state_pos: np.ndarray
    state_out: np.ndarray
