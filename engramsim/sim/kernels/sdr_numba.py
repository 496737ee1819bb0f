"""Numba twins of :mod:`engramsim.sim.kernels.sdr_numpy`.

The Monte-Carlo kernels run the trials in parallel blocks; each block owns
its bitsets (one word per 64 cells) and its histogram row.  Inside a trial
the overlap is counted while the random SDR is drawn (each inserted cell is
looked up in the packed segment), and the bitsets are cleared by walking the
inserted cells, so a trial costs O(a) rather than O(n / 64).  Random streams,
draws and Floyd's algorithm are those of the reference, so the histograms are
identical bit for bit.

The noise kernel draws dense subsets (``s`` and ``v`` of ``a`` cells) and
uses a branch-free Floyd step (:func:`_floyd_stamp_step`) on byte-per-cell
sets.  A Floyd step inserts the drawn cell ``t``, or ``j`` when ``t`` is
already taken; written as a select on bitsets, LLVM's x86 cmov-conversion
pass turns that back into a conditional branch, which is harmless when
collisions are rare (``k << m``: false match, union) but is mispredicted on a
large fraction of the steps when ``k`` is a sizeable fraction of ``m`` (about
30 % of the steps for 64 of 128 cells), and those mispredictions cost more
than the draws themselves.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from engramsim.sim.kernels.sdr_numpy import n_words
from engramsim.sim.kernels.splitmix_numba import _GOLDEN, _mix

_LOW32 = np.uint64(0xFFFFFFFF)
_ONE = np.uint64(1)
_U6 = np.uint64(6)
_U63 = np.uint64(63)
_U32 = np.uint64(32)
#: most parallel blocks of trials (each has its own scratch and histogram row)
_MAX_BLOCKS = 256
#: trials interleaved within a block by the noise kernel
_LANES = 4


@njit(cache=True, inline="always")
def _below(r, m):
    # m < 2^32: masking it is a no-op that lets vectorised code use 32x32->64-bit multiplies
    m = m & _LOW32
    return ((r >> _U32) * m + (((r & _LOW32) * m) >> _U32)) >> _U32


@njit(cache=True, inline="always")
def _test(bits, x):
    return (bits[x >> _U6] >> (x & _U63)) & _ONE


@njit(cache=True, inline="always")
def _select(flag, if_set, if_clear):
    """``if_set`` when ``flag`` (0 or 1) is 1, else ``if_clear``, without a branch (collisions are random)."""
    return if_clear ^ ((if_clear ^ if_set) & (np.uint64(0) - flag))


@njit(cache=True, inline="always")
def _set(bits, x):
    bits[x >> _U6] |= _ONE << (x & _U63)


@njit(cache=True, inline="always")
def _clear_word(bits, x):
    # zero the whole word holding x: used only to wipe a set cell by cell
    bits[x >> _U6] = np.uint64(0)


@njit(cache=True)
def _floyd(bits, cells, state, m, k):
    """Floyd's algorithm: a random k-subset of [0, m) into ``bits`` (and ``cells``)."""
    for i in range(k):
        j = np.uint64(m - k + i)
        state = state + _GOLDEN
        t = _below(_mix(state), j + _ONE)
        x = _select(_test(bits, t), j, t)
        _set(bits, x)
        cells[i] = x
    return state


@njit(cache=True)
def _floyd_overlap(bits, cells, state, m, k, other):
    """Like ``_floyd``, also counting the drawn cells that are set in ``other``."""
    hits = 0
    for i in range(k):
        j = np.uint64(m - k + i)
        state = state + _GOLDEN
        t = _below(_mix(state), j + _ONE)
        x = _select(_test(bits, t), j, t)
        _set(bits, x)
        cells[i] = x
        hits += np.int64(_test(other, x))
    return state, hits


@njit(cache=True, inline="always")
def _trial_state(seed, t):
    return _mix(seed + np.uint64(t + 1) * _GOLDEN)


@njit(cache=True)
def _wipe(bits, cells, k):
    """Zero a bitset holding the k cells listed in ``cells``: word by word, or whole when shorter."""
    if bits.shape[0] <= k:
        bits[:] = np.uint64(0)
    else:
        for i in range(k):
            _clear_word(bits, cells[i])


@njit(cache=True, parallel=True)
def _match_loop(segment, n, a, trials, seed, n_blocks, length):
    hist = np.zeros((n_blocks, length), dtype=np.int64)
    words = segment.shape[0]
    for blk in prange(n_blocks):
        bits = np.zeros(words, dtype=np.uint64)
        cells = np.empty(max(a, 1), dtype=np.uint64)
        for t in range(blk * trials // n_blocks, (blk + 1) * trials // n_blocks):
            _, hits = _floyd_overlap(bits, cells, _trial_state(seed, t), n, a, segment)
            hist[blk, hits] += 1
            _wipe(bits, cells, a)
    return hist.sum(axis=0)


@njit(cache=True, inline="always")
def _floyd_stamp_step(flags, t, j, stamp):
    """One Floyd step on a stamped byte-per-cell set, without a data-dependent branch.

    A cell is in the set iff its byte equals ``stamp``.  The step inserts
    ``t``, or ``j`` if ``t`` is taken: it writes the "taken" flag (as
    ``stamp`` or 0) into ``j``'s byte (``j`` is never in the set before its
    step), then stamps ``t`` (a no-op when taken; when ``t == j``, ``t`` is
    not taken and this second store wins).  Returns the flag (0 or 1).
    """
    taken = np.uint8(flags[t] == stamp)
    flags[j] = stamp * taken
    flags[t] = stamp
    return taken


@njit(cache=True)
def _noise_tables(a, s, v):
    """Per draw ``i`` of a noise trial: the bound ``j + 1`` of its Floyd step and ``(i + 1) * GOLDEN``.

    Draws ``0 .. s - 1`` pick the synapses (``s`` of ``a``), draws
    ``s .. s + v - 1`` the replaced cells (``v`` of ``a``); draw ``i`` of a
    trial uses the stream state ``start + (i + 1) * GOLDEN``, as the
    reference's sequential steps do.
    """
    bounds = np.empty(s + v, dtype=np.uint64)
    offsets = np.empty(s + v, dtype=np.uint64)
    for i in range(s):
        bounds[i] = np.uint64(a - s + i + 1)
    for i in range(v):
        bounds[s + i] = np.uint64(a - v + i + 1)
    for i in range(s + v):
        offsets[i] = np.uint64(i + 1) * _GOLDEN
    return bounds, offsets


@njit(cache=True, parallel=True)
def _noise_loop(a, s, v, trials, seed, n_blocks):
    """Noise histogram: each block runs its trials ``_LANES`` at a time.

    The synapse and replaced-cell sets are byte-per-cell and stamped: a
    group of trials owns a stamp in 1..255, a cell is in a set iff its byte
    holds the current stamp, so the sets need no clearing between trials
    (only when the stamps wrap around).  A Floyd step is then a load and two
    stores (:func:`_floyd_stamp_step`), and the lost synapses are counted
    while the replaced cells are drawn (the synapse-membership of the cell a
    step inserts, ``t`` or ``j``), never by sweeping the sets.  For a group
    of trials all draws are computed first (independent counter-based
    states, a loop the compiler vectorises), then the Floyd steps of the
    ``_LANES`` trials are interleaved so that their store-to-load chains
    overlap.  The last group of a block may run past the block's end; those
    trials are not counted.  Scratch: ``2 * _LANES * a`` bytes per block.
    """
    hist = np.zeros((n_blocks, s + 1), dtype=np.int64)
    k = s + v
    bounds, offsets = _noise_tables(a, s, v)
    for blk in prange(n_blocks):
        synapses = np.zeros((_LANES, a), dtype=np.uint8)
        replaced = np.zeros((_LANES, a), dtype=np.uint8)
        draws = np.empty((_LANES, max(k, 1)), dtype=np.uint64)
        lost = np.zeros(_LANES, dtype=np.int64)
        stamp = np.uint8(0)
        lo, hi = blk * trials // n_blocks, (blk + 1) * trials // n_blocks
        for first in range(lo, hi, _LANES):
            if stamp == np.uint8(255):
                synapses[:] = 0
                replaced[:] = 0
                stamp = np.uint8(0)
            stamp = np.uint8(stamp + np.uint8(1))
            for q in range(_LANES):
                start = _trial_state(seed, first + q)
                row = draws[q]
                for i in range(k):
                    row[i] = _below(_mix(start + offsets[i]), bounds[i])
                lost[q] = 0
            for i in range(s):
                j = bounds[i] - _ONE
                for q in range(_LANES):
                    _floyd_stamp_step(synapses[q], draws[q, i], j, stamp)
            for i in range(s, k):
                j = bounds[i] - _ONE
                for q in range(_LANES):
                    t = draws[q, i]
                    syn = synapses[q]
                    in_t = np.int64(syn[t] == stamp)
                    in_j = np.int64(syn[j] == stamp)
                    taken = np.int64(_floyd_stamp_step(replaced[q], t, j, stamp))
                    lost[q] += in_t + taken * (in_j - in_t)  # the inserted cell's synapse flag
            for q in range(_LANES):
                if first + q < hi:
                    hist[blk, s - lost[q]] += 1
    return hist.sum(axis=0)


@njit(cache=True, parallel=True)
def _union_loop(n, a, s, n_stored, trials, seed, n_blocks):
    hist = np.zeros((n_blocks, a + 1), dtype=np.int64)
    sizes = np.zeros(n_blocks, dtype=np.int64)
    words = (n + 63) // 64
    for blk in prange(n_blocks):
        union = np.zeros(words, dtype=np.uint64)
        scratch = np.zeros(words, dtype=np.uint64)
        union_cells = np.empty(max(min(n_stored * s, n), 1), dtype=np.uint64)  # the union has <= n cells
        cells = np.empty(max(a, s, 1), dtype=np.uint64)
        for t in range(blk * trials // n_blocks, (blk + 1) * trials // n_blocks):
            state = _trial_state(seed, t)
            size = 0
            for _ in range(n_stored):
                state = _floyd(scratch, cells, state, n, s)
                for i in range(s):
                    x = cells[i]
                    if not _test(union, x):
                        _set(union, x)
                        union_cells[size] = x
                        size += 1
                _wipe(scratch, cells, s)
            state, hits = _floyd_overlap(scratch, cells, state, n, a, union)
            _wipe(scratch, cells, a)
            _wipe(union, union_cells, size)
            hist[blk, hits] += 1
            sizes[blk] += size
    return hist.sum(axis=0), sizes.sum()


@njit(cache=True, parallel=True)
def _overlap_loop(x, y, out):
    for i in prange(x.shape[0]):
        for j in range(y.shape[0]):
            total = 0
            for w in range(x.shape[1]):
                z = x[i, w] & y[j, w]
                # SWAR population count
                z = z - ((z >> np.uint64(1)) & np.uint64(0x5555555555555555))
                z = (z & np.uint64(0x3333333333333333)) + ((z >> np.uint64(2)) & np.uint64(0x3333333333333333))
                z = (z + (z >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
                total += (z * np.uint64(0x0101010101010101)) >> np.uint64(56)
            out[i, j] = total


def _blocks(trials: int) -> int:
    return max(1, min(int(trials), _MAX_BLOCKS))


def sdr_overlap(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Numba twin of :func:`engramsim.sim.kernels.sdr_numpy.sdr_overlap`."""
    out = np.empty((x.shape[0], y.shape[0]), dtype=np.int64)
    _overlap_loop(np.ascontiguousarray(x, dtype=np.uint64), np.ascontiguousarray(y, dtype=np.uint64), out)
    return out


def sdr_match_histogram(segment: np.ndarray, n: int, a: int, trials: int, seed: int) -> np.ndarray:
    """Numba twin of :func:`engramsim.sim.kernels.sdr_numpy.sdr_match_histogram`."""
    segment = np.ascontiguousarray(segment, dtype=np.uint64)
    if segment.shape[0] != n_words(n):
        raise ValueError(f"segment must hold {n_words(n)} words for n={n}, got {segment.shape[0]}")
    length = min(a, int(np.bitwise_count(segment).sum())) + 1
    full = _match_loop(segment, int(n), int(a), int(trials), np.uint64(seed), _blocks(trials), a + 1)
    return full[:length].copy()


def sdr_noise_histogram(a: int, s: int, v: int, trials: int, seed: int) -> np.ndarray:
    """Numba twin of :func:`engramsim.sim.kernels.sdr_numpy.sdr_noise_histogram`."""
    return _noise_loop(int(a), int(s), int(v), int(trials), np.uint64(seed), _blocks(trials))


def sdr_union_histogram(n: int, a: int, s: int, n_stored: int, trials: int, seed: int
                        ) -> tuple[np.ndarray, int]:
    """Numba twin of :func:`engramsim.sim.kernels.sdr_numpy.sdr_union_histogram`."""
    hist, total = _union_loop(int(n), int(a), int(s), int(n_stored), int(trials), np.uint64(seed),
                              _blocks(trials))
    return hist, int(total)
