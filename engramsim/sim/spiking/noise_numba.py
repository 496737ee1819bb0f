"""Numba twin of :mod:`engramsim.sim.spiking.noise_numpy`: the counter-based ziggurat, deviate by deviate."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from engramsim.sim.kernels.splitmix_numba import _GOLDEN, _splitmix64
from engramsim.sim.spiking.noise_numpy import ZIG_F, ZIG_K, ZIG_R, ZIG_W, check_counter_args

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

