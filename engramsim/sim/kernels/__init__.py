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
