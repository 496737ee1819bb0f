"""The backend layer: fork safety of Numba's threads, and ``auto`` on a (simulated) CUDA host."""

import multiprocessing as mp

import numpy as np
import pytest

from engramsim.sim import backends
from engramsim.sim.backends import get_backend


def _child_runs_a_numba_model(queue):
    from engramsim.networks import Hopfield
    from engramsim.networks.sparsey import SparseyMac

    mac = SparseyMac(16, n_modules=4, cells_per_module=4, backend="numba", seed=1)
    mac.store(np.eye(16, dtype=np.int8)[:3])
    mem = Hopfield(32, backend="numba", seed=0).store(np.sign(np.random.default_rng(0).standard_normal((2, 32))))
    queue.put(int(mem.recall(mem.patterns).converged.sum()))


def test_a_forked_child_runs_numba_models_after_the_parent_used_parallel_kernels():
    from engramsim.networks.sparsey import SparseyMac

    # the parent runs a parallel (prange) Numba kernel first: with GNU OpenMP this kills forked children
    mac = SparseyMac(16, n_modules=4, cells_per_module=4, backend="numba", seed=0)
    mac.store(np.eye(16, dtype=np.int8)[:3])
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child_runs_a_numba_model, args=(queue,))
    child.start()
    child.join(120)
    assert child.exitcode == 0, f"the forked child died (exit code {child.exitcode})"
    assert queue.get(timeout=5) == 2


@pytest.fixture
def fake_cuda(monkeypatch):
    """Make a CUDA device appear present (the CuPy backend object itself is never built here)."""
    monkeypatch.setattr(backends, "cuda_available", lambda: True)
    monkeypatch.setattr(backends, "_CACHE", {})
    made = []

    class FakeCupyBackend(backends.Backend):
        def __init__(self, name):
            if name != "cupy":
                super().__init__(name)
                return
            self.name, self.xp = "cupy", np
            made.append(name)

    monkeypatch.setattr(backends, "Backend", FakeCupyBackend)
    return made


def test_auto_on_a_cuda_host_never_picks_a_backend_without_the_models_kernels(fake_cuda):
    from engramsim.networks import DenseAssociativeMemory, Hopfield, ModernHopfield
    from engramsim.networks.dendrites import DendriticNeuron
    from engramsim.networks.sparsey import Sparsey, SparseyLevel, SparseyMac
    from engramsim.sim.spiking import IF_curr_exp, Network, Population

    # Hopfield has CuPy kernels: auto takes the GPU
    assert Hopfield(20, backend="auto").backend.name == "cupy"
    # these have host kernels only: auto takes Numba on the same host
    assert DenseAssociativeMemory(20, backend="auto").backend.name == "numba"
    assert SparseyMac(16, n_modules=2, cells_per_module=4, backend="auto").backend.name == "numba"
    levels = [SparseyLevel((2, 2), (3, 3), 5, 6), SparseyLevel((1, 1), None, 7, 6)]
    assert Sparsey((6, 6), levels, backend="auto").backend.name == "numba"
    assert DendriticNeuron(1000, 10, 6, backend="auto").backend.name == "numba"
    # the spiking engine has no CuPy kernel of its own: auto takes Numba
    net = Network(dt=1.0, backend="auto")
    assert net.backend.name == "numba"
    net.add(Population(3, IF_curr_exp()))
    net.run(2.0)
    assert ModernHopfield(20, backend="auto").backend.name == "cupy"  # array code only: runs on CuPy arrays


def test_kernel_fallback_and_missing_kernel_messages():
    numba = get_backend("numba")
    spec = backends.KernelSpec("only_numpy", {"numpy": "engramsim.sim.kernels.binary_numpy:sign_update"})
    assert numba.kernel(spec).__module__ == "engramsim.sim.kernels.binary_numpy"  # numba falls back to numpy
    assert not backends.implements(spec, "numba")
    with pytest.raises(NotImplementedError, match="no kernel 'nope'"):
        numba.kernel("nope")
