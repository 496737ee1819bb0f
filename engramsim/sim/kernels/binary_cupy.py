"""CuPy kernels for binary threshold networks.

``sign_sync`` is the NumPy reference itself, run on CuPy arrays (declared in
:data:`engramsim.sim.kernels.BUILTIN_KERNELS`) (each step is
one GPU matrix product over the cues not yet converged).  ``sign_async`` is a
raw CUDA kernel with one thread per state that follows the reference step by
step: the same splitmix64 Fisher-Yates permutation per sweep, fields updated
after each flip.  Tests compare both with the NumPy reference on a GPU and
skip without one.
"""

from __future__ import annotations

import cupy

from engramsim.sim.kernels import NOT_CONVERGED

_ASYNC_SOURCE = r"""
extern "C" __global__
void sign_async(const REAL* coupling, signed char* states, REAL* fields, long long* order,
                const unsigned long long* seeds, long long* steps, signed char* status,
                int n_states, int n_units, int max_sweeps)
{
    int b = blockDim.x * blockIdx.x + threadIdx.x;
    if (b >= n_states) return;
    signed char* s = states + (long long)b * n_units;
    REAL* h = fields + (long long)b * n_units;
    long long* ord = order + (long long)b * n_units;
    unsigned long long rng = seeds[b];
    for (int i = 0; i < n_units; ++i) ord[i] = i;
    for (int sweep = 0; sweep < max_sweeps; ++sweep) {
        for (int i = n_units - 1; i > 0; --i) {
            rng += 0x9E3779B97F4A7C15ULL;
            unsigned long long z = rng;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
            z = z ^ (z >> 31);
            long long j = (long long)(z % (unsigned long long)(i + 1));
            long long t = ord[i]; ord[i] = ord[j]; ord[j] = t;
        }
        steps[b] += 1;
        int flips = 0;
        for (int k = 0; k < n_units; ++k) {
            long long i = ord[k];
            signed char v = s[i];
            if (h[i] > 0) v = 1; else if (h[i] < 0) v = -1;
            if (v != s[i]) {
                s[i] = v;
                const REAL* row = coupling + i * n_units;
                if (v > 0) { for (int m = 0; m < n_units; ++m) h[m] += row[m] + row[m]; }
                else       { for (int m = 0; m < n_units; ++m) h[m] -= row[m] + row[m]; }
                ++flips;
            }
        }
        if (flips == 0) { status[b] = 0; break; }
    }
}
"""

_COMPILED: dict[str, cupy.RawKernel] = {}


def _kernel(dtype) -> cupy.RawKernel:
    real = "float" if cupy.dtype(dtype) == cupy.float32 else "double"
    if real not in _COMPILED:
        _COMPILED[real] = cupy.RawKernel(_ASYNC_SOURCE.replace("REAL", real), "sign_async")
    return _COMPILED[real]


def sign_async(coupling, states, max_sweeps, seeds, fields=None):
    """CUDA twin of :func:`engramsim.sim.kernels.binary_numpy.sign_async` (one thread per state)."""
    coupling = cupy.ascontiguousarray(cupy.asarray(coupling))
    states = cupy.ascontiguousarray(cupy.asarray(states, dtype=cupy.int8))
    if fields is None:
        fields = states.astype(coupling.dtype) @ coupling
    fields = cupy.ascontiguousarray(cupy.asarray(fields, dtype=coupling.dtype))
    n_states, n_units = states.shape
    steps = cupy.zeros(n_states, dtype=cupy.int64)
    status = cupy.full(n_states, NOT_CONVERGED, dtype=cupy.int8)
    order = cupy.empty((n_states, n_units), dtype=cupy.int64)
    seeds = cupy.asarray(seeds, dtype=cupy.uint64)
    threads = 128
    blocks = (n_states + threads - 1) // threads
    _kernel(coupling.dtype)((blocks,), (threads,), (coupling, states, fields, order, seeds, steps, status,
                                                    cupy.int32(n_states), cupy.int32(n_units),
                                                    cupy.int32(max_sweeps)))
    return states, steps, status
