"""Counter-based normal deviates for noise currents: the NumPy reference (twin: ``noise_numba``).

A counter-based normal generator.  The normal deviate number ``c``
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

from engramsim.errors import ValidationError, ValidationTypeError
from engramsim.sim.kernels.splitmix import GOLDEN, mix, splitmix64

__all__ = ["ZIG_F", "ZIG_K", "ZIG_R", "ZIG_W", "check_counter_args", "counter_normals", "noise_values",
           "normal_from_draw", "ziggurat_tables"]

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
            raise ValidationTypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
        if not 0 <= int(value) < top:
            raise ValidationError(f"{name} must be >= 0 and < 2**{top.bit_length() - 1}, got {value}")


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


def noise_values(t0: int, n_steps: int, noise: tuple) -> list[np.ndarray]:
    """Each noise source's currents ``mean + std * z`` of the steps from ``t0`` on: (n_steps, size) arrays."""
    meta, key, mean, std = noise
    to_device = np.asarray if isinstance(mean, np.ndarray) else __import__("cupy").asarray
    out = []
    for q in range(meta.shape[0]):
        _, size, off = (int(x) for x in meta[q])
        z = to_device(counter_normals(int(key[q]), t0, n_steps, size))
        out.append(mean[off:off + size] + std[off:off + size] * z)
    return out

