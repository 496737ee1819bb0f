"""Kernels for each backend.

Every kernel exists as a NumPy reference (``*_numpy`` modules) and as fast
twins (``*_numba``, ``*_cupy``).  Kernels are looked up by name through
:meth:`engramsim.sim.backends.Backend.kernel`; status codes they return are
defined here.
"""

#: the run ended in a fixed point
CONVERGED = 0
#: synchronous run ended in a 2-cycle (the state equals the one two steps back)
CYCLE = 1
#: the step budget ran out first
NOT_CONVERGED = 2

_FAMILIES = {
    "binary": ("sign_sync", "sign_async"),
    "dense": ("dense_step", "dense_async"),
    "csa": ("csa_support", "csa_sample", "csa_argmax", "csa_familiarity", "csa_choose"),
    "sdr": ("sdr_overlap", "sdr_match_histogram", "sdr_noise_histogram", "sdr_union_histogram"),
}

#: the built-in kernels: name -> backend -> "module:function" (imported on first use, never at package import)
BUILTIN_KERNELS: dict[str, dict[str, str]] = {
    name: {backend: f"engramsim.sim.kernels.{family}_{backend}:{name}" for backend in ("numpy", "numba")}
    for family, names in _FAMILIES.items() for name in names
}
# CuPy: the synchronous sign update is the NumPy reference run on CuPy arrays; the asynchronous one a raw kernel
BUILTIN_KERNELS["sign_sync"]["cupy"] = "engramsim.sim.kernels.binary_numpy:sign_sync"
BUILTIN_KERNELS["sign_async"]["cupy"] = "engramsim.sim.kernels.binary_cupy:sign_async"
BUILTIN_KERNELS["counter_normals"] = {"numpy": "engramsim.sim.spiking.noise_numpy:counter_normals",
                                      "numba": "engramsim.sim.spiking.noise_numba:counter_normals"}
