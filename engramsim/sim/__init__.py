"""The simulation core: backends, kernels, seeded randomness and input checks.

``sim`` knows nothing of any model; models ask a :class:`Backend` for kernels
by name.
"""

from engramsim.sim.backends import Backend, cuda_available, get_backend, register_kernel
from engramsim.sim.random import as_generator, stream

__all__ = ["Backend", "as_generator", "cuda_available", "get_backend", "register_kernel", "stream"]
