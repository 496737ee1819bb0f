"""Numba twins of :mod:`engramsim.sim.kernels.csa_numpy`.

``csa_support`` sums only the weight rows of the active inputs (O(|x| M) per
input instead of the reference's dense O(N M) product), in integers, then
divides by ``|x|`` exactly as the reference does, so the supports are
identical.  ``csa_sample`` and ``csa_argmax`` walk each CM once with the
reference's arithmetic (a sequential cumulative sum, the same comparisons),
so the winners are identical.  ``csa_familiarity`` and ``csa_choose`` fuse
a whole CSA frame (support, V, G, eta, mu, winners) into one pass per
input with the reference's formulas; the elementary functions (``tanh``,
``pow``) may round differently from NumPy's in the last place, so V, G
and mu agree to ~1e-15 and the winners agree unless a uniform draw lands
within rounding of a boundary of the cumulative distribution.  Batches of 64 inputs or more run in parallel
over the batch; smaller ones serially, which avoids the threading start-up
cost on the single-input learning path.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from engramsim.sim.kernels.csa_numpy import (
    ARGMAX,
    ETA_LINEAR,
    ETA_SPARSEYCORE,
    MU_EXP_LOGIT,
    MU_LOGISTIC,
)

#: batches at least this large run in parallel
PARALLEL_BATCH = 64


@njit(cache=True, inline="always")
def _support_row(weights, x, out):
    n_inputs, n_cells = weights.shape
    counts = np.zeros(n_cells, dtype=np.int64)
    n_active = 0
    for j in range(n_inputs):
        if x[j] != 0:
            n_active += 1
            for i in range(n_cells):
                counts[i] += weights[j, i]
    denominator = np.float64(max(n_active, 1))
    for i in range(n_cells):
        out[i] = np.float64(counts[i]) / denominator


@njit(cache=True)
def _support_serial(weights, inputs, out):
    for b in range(inputs.shape[0]):
        _support_row(weights, inputs[b], out[b])


@njit(cache=True, parallel=True)
def _support_parallel(weights, inputs, out):
    for b in prange(inputs.shape[0]):
        _support_row(weights, inputs[b], out[b])


@njit(cache=True, inline="always")
def _sample_cm(mu, u):
    n_cells = mu.shape[0]
    total = 0.0
    for i in range(n_cells):
        total += mu[i]
    target = u * total
    acc = 0.0
    for i in range(n_cells):
        acc += mu[i]
        if target < acc:
            return i
    return n_cells - 1


@njit(cache=True, inline="always")
def _argmax_cm(v, u):
    n_cells = v.shape[0]
    best = v[0]
    for i in range(1, n_cells):
        if v[i] > best:
            best = v[i]
    n_tied = 0
    for i in range(n_cells):
        if v[i] == best:
            n_tied += 1
    pick = min(np.int64(np.floor(u * n_tied)), n_tied - 1)
    seen = 0
    for i in range(n_cells):
        if v[i] == best:
            if seen == pick:
                return i
            seen += 1
    return n_cells - 1


@njit(cache=True, parallel=True)
def _sample_all(mu, uniforms, winners):
    n_batch, n_modules = uniforms.shape
    for b in prange(n_batch):
        for q in range(n_modules):
            winners[b, q] = _sample_cm(mu[b, q], uniforms[b, q])


@njit(cache=True)
def _sample_all_serial(mu, uniforms, winners):
    n_batch, n_modules = uniforms.shape
    for b in range(n_batch):
        for q in range(n_modules):
            winners[b, q] = _sample_cm(mu[b, q], uniforms[b, q])


@njit(cache=True, parallel=True)
def _argmax_all(v, uniforms, winners):
    n_batch, n_modules = uniforms.shape
    for b in prange(n_batch):
        for q in range(n_modules):
            winners[b, q] = _argmax_cm(v[b, q], uniforms[b, q])


@njit(cache=True)
def _argmax_all_serial(v, uniforms, winners):
    n_batch, n_modules = uniforms.shape
    for b in range(n_batch):
        for q in range(n_modules):
            winners[b, q] = _argmax_cm(v[b, q], uniforms[b, q])


def csa_support(weights: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    """Numba twin of :func:`engramsim.sim.kernels.csa_numpy.csa_support`."""
    weights = np.ascontiguousarray(weights, dtype=np.uint8)
    inputs = np.ascontiguousarray(inputs, dtype=np.uint8)
    out = np.empty((inputs.shape[0], weights.shape[1]), dtype=np.float64)
    if inputs.shape[0] >= PARALLEL_BATCH:
        _support_parallel(weights, inputs, out)
    else:
        _support_serial(weights, inputs, out)
    return out


def csa_sample(mu: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Numba twin of :func:`engramsim.sim.kernels.csa_numpy.csa_sample`."""
    mu = np.ascontiguousarray(mu, dtype=np.float64)
    uniforms = np.ascontiguousarray(uniforms, dtype=np.float64)
    winners = np.empty(uniforms.shape, dtype=np.int64)
    run = _sample_all if uniforms.shape[0] >= PARALLEL_BATCH else _sample_all_serial
    run(mu, uniforms, winners)
    return winners


def csa_argmax(v: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Numba twin of :func:`engramsim.sim.kernels.csa_numpy.csa_argmax`."""
    v = np.ascontiguousarray(v, dtype=np.float64)
    uniforms = np.ascontiguousarray(uniforms, dtype=np.float64)
    winners = np.empty(uniforms.shape, dtype=np.int64)
    run = _argmax_all if uniforms.shape[0] >= PARALLEL_BATCH else _argmax_all_serial
    run(v, uniforms, winners)
    return winners


@njit(cache=True, inline="always")
def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


@njit(cache=True, inline="always")
def _eta(g, k, kind, p):
    if kind == ETA_SPARSEYCORE:
        rect = max(0.0, (g - p[0]) / (1.0 - p[0]))
        return 1.0 + rect ** p[1] * p[2] * k
    if kind == ETA_LINEAR:
        return max(0.0, (g - p[0]) / (1.0 - p[0])) * p[1]
    return p[0] * g ** p[1]


@njit(cache=True, inline="always")
def _mu(v, eta, inflection, kind, p):
    if kind == MU_LOGISTIC:
        if v >= p[2]:
            mu = eta
        else:
            mu = eta * _sigmoid(p[0] * (v - inflection))
        return max(mu, p[1])
    if kind == MU_EXP_LOGIT:
        return eta * _sigmoid(p[0] * v - p[1]) + p[2]
    return eta * _sigmoid(p[0] * v - p[1]) + p[2]


@njit(cache=True, inline="always")
def _familiarity_row(weights, x, h_weights, xh, n_modules, u_exponent, h_exponent, v):
    _support_row(weights, x, v)
    n_cells = v.shape[0]
    if u_exponent != 1.0:
        for i in range(n_cells):
            v[i] = v[i] ** u_exponent
    has_h = False
    for j in range(xh.shape[0]):
        if xh[j] != 0:
            has_h = True
            break
    if has_h:
        h = np.empty(n_cells, dtype=np.float64)
        _support_row(h_weights, xh, h)
        for i in range(n_cells):
            hi = h[i] ** h_exponent if h_exponent != 1.0 else h[i]
            v[i] = v[i] * hi
    total = 0.0
    for i in range(n_cells):
        v[i] = min(max(v[i], 0.0), 1.0)
        total += v[i]
    k = n_cells // n_modules
    g = 0.0
    for q in range(n_modules):
        best = v[q * k]
        for i in range(q * k + 1, (q + 1) * k):
            if v[i] > best:
                best = v[i]
        g += best
    return g / n_modules, total / n_cells


@njit(cache=True, parallel=True)
def _familiarity_all(weights, inputs, h_weights, h_inputs, n_modules, u_exponent, h_exponent, v, g, mean_v):
    for b in prange(inputs.shape[0]):
        g[b], mean_v[b] = _familiarity_row(weights, inputs[b], h_weights, h_inputs[b], n_modules,
                                           u_exponent, h_exponent, v[b])


@njit(cache=True)
def _familiarity_all_serial(weights, inputs, h_weights, h_inputs, n_modules, u_exponent, h_exponent, v, g,
                            mean_v):
    for b in range(inputs.shape[0]):
        g[b], mean_v[b] = _familiarity_row(weights, inputs[b], h_weights, h_inputs[b], n_modules,
                                           u_exponent, h_exponent, v[b])


@njit(cache=True, inline="always")
def _choose_row(v, g, eta_kind, eta_params, mu_kind, mu_params, inflection, readout, uniforms, winners):
    n_modules, k = v.shape
    if readout == ARGMAX:
        for q in range(n_modules):
            winners[q] = _argmax_cm(v[q], uniforms[q])
        return
    eta = _eta(g, k, eta_kind, eta_params)
    mu = np.empty(k, dtype=np.float64)
    for q in range(n_modules):
        for i in range(k):
            mu[i] = _mu(v[q, i], eta, inflection, mu_kind, mu_params)
        winners[q] = _sample_cm(mu, uniforms[q])


@njit(cache=True, parallel=True)
def _choose_all(v, g, eta_kind, eta_params, mu_kind, mu_params, inflection, readout, uniforms, winners):
    for b in prange(v.shape[0]):
        _choose_row(v[b], g[b], eta_kind, eta_params, mu_kind, mu_params, inflection, readout, uniforms[b],
                    winners[b])


@njit(cache=True)
def _choose_all_serial(v, g, eta_kind, eta_params, mu_kind, mu_params, inflection, readout, uniforms, winners):
    for b in range(v.shape[0]):
        _choose_row(v[b], g[b], eta_kind, eta_params, mu_kind, mu_params, inflection, readout, uniforms[b],
                    winners[b])


def csa_familiarity(weights, inputs, h_weights, h_inputs, n_modules, u_exponent, h_exponent):
    """Numba twin of :func:`engramsim.sim.kernels.csa_numpy.csa_familiarity`."""
    inputs = np.ascontiguousarray(inputs, dtype=np.uint8)
    n_batch, n_cells = inputs.shape[0], weights.shape[1]
    v = np.empty((n_batch, n_cells), dtype=np.float64)
    g = np.empty(n_batch, dtype=np.float64)
    mean_v = np.empty(n_batch, dtype=np.float64)
    run = _familiarity_all if n_batch >= PARALLEL_BATCH else _familiarity_all_serial
    run(np.ascontiguousarray(weights, dtype=np.uint8), inputs, np.ascontiguousarray(h_weights, dtype=np.uint8),
        np.ascontiguousarray(h_inputs, dtype=np.uint8), int(n_modules), float(u_exponent), float(h_exponent),
        v, g, mean_v)
    return v, g, mean_v


def csa_choose(v, g, eta_kind, eta_params, mu_kind, mu_params, inflection, readout, uniforms):
    """Numba twin of :func:`engramsim.sim.kernels.csa_numpy.csa_choose`."""
    v = np.ascontiguousarray(v, dtype=np.float64)
    winners = np.empty(v.shape[:2], dtype=np.int64)
    run = _choose_all if v.shape[0] >= PARALLEL_BATCH else _choose_all_serial
    run(v, np.ascontiguousarray(g, dtype=np.float64), int(eta_kind), np.asarray(eta_params, dtype=np.float64),
        int(mu_kind), np.asarray(mu_params, dtype=np.float64), float(inflection), int(readout),
        np.ascontiguousarray(uniforms, dtype=np.float64), winners)
    return winners
