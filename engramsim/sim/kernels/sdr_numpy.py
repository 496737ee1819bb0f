"""NumPy reference kernels for sparse distributed representations (SDRs).

An SDR over ``n`` cells is stored bit-packed: ``ceil(n / 64)`` little-endian
``uint64`` words, bit ``i % 64`` of word ``i // 64`` standing for cell ``i``.
The overlap of two SDRs is the population count of their AND.

Monte-Carlo kernels
-------------------
Three kernels estimate the overlap distributions behind the active-dendrite
theory (Ahmad & Hawkins 2016) by drawing random SDRs, trial by trial, and
return a histogram of counts, from which every threshold's rate follows:

* ``sdr_match_histogram``: overlap of a random SDR (``a`` of ``n`` cells)
  with a fixed segment mask (false match);
* ``sdr_noise_histogram``: synapses of an ``s``-synapse segment, subsampled
  from a pattern's ``a`` active cells, that keep their input when ``v`` of
  those cells are replaced by noise (false negative);
* ``sdr_union_histogram``: overlap of a random SDR with the union of
  ``n_stored`` random ``s``-synapse subsamples (union false match), redrawn
  every trial.

Random numbers.  Trial ``t`` owns a splitmix64 stream started at
``mix(seed + (t + 1) * GOLDEN)``; a uniform integer in ``[0, m)`` is the high
part ``floor(r * m / 2^64)`` of a 64-bit draw ``r`` (bias below
``m / 2^64``).  A random ``k``-subset of ``[0, m)`` is drawn with Floyd's
algorithm (``k`` draws, a bitset for membership).  The streams depend on the
trial index only, so the result does not depend on how trials are split
between chunks or threads, and :mod:`engramsim.sim.kernels.sdr_numba`
reproduces these kernels bit for bit.

These references vectorise over a chunk of trials (one Floyd step for all
of them at a time); they are readable, not fast.
"""

from __future__ import annotations

import numpy as np

from engramsim.sim.kernels.splitmix import GOLDEN, mix

WORD_BITS = 64
_LOW32 = np.uint64(0xFFFFFFFF)
_ONE = np.uint64(1)
#: bytes of one bitset array per chunk of trials in the reference kernels
_CHUNK_BYTES = 1 << 24


def n_words(n: int) -> int:
    """Number of 64-bit words holding ``n`` bits."""
    return (int(n) + WORD_BITS - 1) // WORD_BITS


def pack(dense: np.ndarray) -> np.ndarray:
    """Pack a boolean array ``(..., n)`` into ``(..., ceil(n / 64))`` uint64 words."""
    dense = np.asarray(dense, dtype=bool)
    n = dense.shape[-1]
    padded = np.zeros(dense.shape[:-1] + (n_words(n) * WORD_BITS,), dtype=bool)
    padded[..., :n] = dense
    packed = np.packbits(padded, axis=-1, bitorder="little")
    return np.ascontiguousarray(packed).view("<u8").astype(np.uint64)


def unpack(words: np.ndarray, n: int) -> np.ndarray:
    """Inverse of :func:`pack`: ``(..., W)`` words to a boolean ``(..., n)`` array."""
    words = np.ascontiguousarray(words, dtype="<u8")
    bits = np.unpackbits(words.view(np.uint8), axis=-1, bitorder="little")
    return bits[..., :n].astype(bool)


def sdr_overlap(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Overlaps ``|x_i AND y_j|`` of two batches of packed SDRs.

    Parameters
    ----------
    x : (B, W) uint64
    y : (S, W) uint64

    Returns
    -------
    (B, S) int64
    """
    out = np.empty((x.shape[0], y.shape[0]), dtype=np.int64)
    for j in range(y.shape[0]):
        out[:, j] = np.bitwise_count(x & y[j]).sum(axis=1, dtype=np.int64)
    return out


# ----------------------------------------------------------------------------- random numbers
def trial_states(seed: int, start: int, count: int) -> np.ndarray:
    """Initial splitmix64 states of trials ``start .. start + count - 1``."""
    t = np.arange(start + 1, start + count + 1, dtype=np.uint64)
    return mix(np.uint64(seed) + t * GOLDEN)


def draw(states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One splitmix64 step for every trial: (new states, 64-bit outputs)."""
    states = states + GOLDEN
    return states, mix(states)


def below(r: np.ndarray, m: int) -> np.ndarray:
    """``floor(r * m / 2^64)``: a uniform integer in ``[0, m)`` from a 64-bit draw (m < 2^32)."""
    m = np.uint64(m)
    return ((r >> np.uint64(32)) * m + (((r & _LOW32) * m) >> np.uint64(32))) >> np.uint64(32)


def floyd_subsets(bits: np.ndarray, states: np.ndarray, m: int, k: int) -> np.ndarray:
    """Set a random ``k``-subset of ``[0, m)`` in each row of ``bits`` (Floyd's algorithm).

    ``bits`` (T, ceil(m / 64)) must be zero; it is filled in place.  Returns
    the advanced states.
    """
    rows = np.arange(bits.shape[0])
    for j in range(m - k, m):
        states, r = draw(states)
        t = below(r, j + 1)
        taken = (bits[rows, t >> np.uint64(6)] >> (t & np.uint64(63))) & _ONE
        x = np.where(taken == _ONE, np.uint64(j), t)
        bits[rows, x >> np.uint64(6)] |= _ONE << (x & np.uint64(63))
    return states


def _chunks(trials: int, words: int):
    size = max(1, _CHUNK_BYTES // (8 * max(words, 1)))
    for start in range(0, trials, size):
        yield start, min(size, trials - start)


def _popcount_rows(bits: np.ndarray) -> np.ndarray:
    return np.bitwise_count(bits).sum(axis=1, dtype=np.int64)


# ----------------------------------------------------------------------------- Monte Carlo
def sdr_match_histogram(segment: np.ndarray, n: int, a: int, trials: int, seed: int) -> np.ndarray:
    """Histogram of the overlap of random SDRs with a fixed segment.

    Parameters
    ----------
    segment : (ceil(n / 64),) uint64
        Packed mask of the segment's (connected) presynaptic cells.
    n, a : int
        Cells, and active cells of each random SDR (``0 <= a <= n < 2^32``).
    trials : int
        Number of random SDRs.
    seed : int
        In ``[0, 2^64)``.

    Returns
    -------
    (min(a, |segment|) + 1,) int64
        ``hist[b]`` = number of trials with overlap ``b``.
    """
    length = min(a, int(np.bitwise_count(segment).sum())) + 1
    hist = np.zeros(length, dtype=np.int64)
    words = n_words(n)
    for start, count in _chunks(trials, words):
        bits = np.zeros((count, words), dtype=np.uint64)
        floyd_subsets(bits, trial_states(seed, start, count), n, a)
        hist += np.bincount(_popcount_rows(bits & segment), minlength=length)
    return hist


def sdr_noise_histogram(a: int, s: int, v: int, trials: int, seed: int) -> np.ndarray:
    """Histogram of surviving synapses when ``v`` of a pattern's ``a`` active cells are replaced.

    Each trial subsamples ``s`` of the ``a`` cells as synapses (Floyd, first)
    and picks the ``v`` replaced cells (Floyd, second).  The replacement cells
    lie outside the pattern, hence outside the segment, so they need not be
    drawn.

    Returns
    -------
    (s + 1,) int64
        ``hist[k]`` = number of trials in which ``k`` synapses still see an
        active cell.
    """
    hist = np.zeros(s + 1, dtype=np.int64)
    words = n_words(a)
    for start, count in _chunks(trials, 2 * words):
        synapses = np.zeros((count, words), dtype=np.uint64)
        replaced = np.zeros((count, words), dtype=np.uint64)
        states = floyd_subsets(synapses, trial_states(seed, start, count), a, s)
        floyd_subsets(replaced, states, a, v)
        hist += np.bincount(_popcount_rows(synapses & ~replaced), minlength=s + 1)
    return hist


def sdr_union_histogram(n: int, a: int, s: int, n_stored: int, trials: int, seed: int
                        ) -> tuple[np.ndarray, int]:
    """Overlap of a random SDR with a fresh union of ``n_stored`` random ``s``-subsets.

    Each trial draws ``n_stored`` subsets of ``s`` cells (Floyd, one after the
    other), takes their union as the segment, then draws a random SDR of
    ``a`` cells and counts its overlap with the union.

    Returns
    -------
    hist : (a + 1,) int64
        ``hist[b]`` = number of trials with overlap ``b``.
    union_total : int
        Sum over trials of the union size (its mean estimates ``s_M``).
    """
    hist = np.zeros(a + 1, dtype=np.int64)
    union_total = 0
    words = n_words(n)
    for start, count in _chunks(trials, 2 * words):
        union = np.zeros((count, words), dtype=np.uint64)
        states = trial_states(seed, start, count)
        for _ in range(n_stored):
            subset = np.zeros_like(union)
            states = floyd_subsets(subset, states, n, s)
            union |= subset
        pattern = np.zeros_like(union)
        floyd_subsets(pattern, states, n, a)
        hist += np.bincount(_popcount_rows(pattern & union), minlength=a + 1)
        union_total += int(_popcount_rows(union).sum())
    return hist, union_total
