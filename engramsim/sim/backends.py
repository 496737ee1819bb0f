"""Compute backends: the array module, the kernels and the device behind a model.

A backend is a small object that owns an array module (``numpy`` or ``cupy``)
and hands out compiled kernels by name.  Kernels are registered per backend
with :func:`register_kernel`; every fast kernel has a NumPy reference twin
registered under the same name for the ``"numpy"`` backend, and the tests hold
each fast kernel to its twin.

Choose a backend with :func:`get_backend`::

    >>> from engramsim.sim import get_backend
    >>> get_backend("numpy").name
    'numpy'

``"auto"`` picks ``"cupy"`` when a CUDA device is present and ``"numba"``
otherwise.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

BACKEND_NAMES = ("numpy", "numba", "cupy", "auto")

#: kernel registry: (kernel name, backend name) -> callable
_KERNELS: dict[tuple[str, str], Callable[..., Any]] = {}

#: modules that register kernels for each backend, imported on first use
_KERNEL_MODULES = {
    "numpy": (
        "engramsim.sim.kernels.binary_numpy",
        "engramsim.sim.kernels.dense_numpy",
    ),
    "numba": (
        "engramsim.sim.kernels.binary_numba",
        "engramsim.sim.kernels.dense_numba",
    ),
    "cupy": ("engramsim.sim.kernels.binary_cupy",),
}


def register_kernel(name: str, backend: str) -> Callable[[Callable], Callable]:
    """Register ``func`` as kernel ``name`` of ``backend`` (a decorator).

    Parameters
    ----------
    name
        Kernel name models ask for, e.g. ``"sign_sync"``.
    backend
        ``"numpy"``, ``"numba"`` or ``"cupy"``.
    """
    if backend not in BACKEND_NAMES[:3]:
        raise ValueError(f"backend must be one of {BACKEND_NAMES[:3]}, got {backend!r}")

    def decorate(func: Callable) -> Callable:
        _KERNELS[(name, backend)] = func
        return func

    return decorate


def add_kernel_module(backend: str, module: str) -> None:
    """Declare that ``module`` registers kernels for ``backend``.

    Modules are imported lazily the first time a kernel of that backend is
    requested, so optional compilers are only loaded when used.
    """
    if backend not in _KERNEL_MODULES:
        raise ValueError(f"backend must be one of {tuple(_KERNEL_MODULES)}, got {backend!r}")
    if module not in _KERNEL_MODULES[backend]:
        _KERNEL_MODULES[backend] = _KERNEL_MODULES[backend] + (module,)


def cuda_available() -> bool:
    """Return True when CuPy is importable and sees a CUDA device."""
    try:
        import cupy
    except Exception:  # ImportError, or a CUDA library error at import time
        return False
    try:
        return bool(cupy.is_available())
    except Exception:
        return False


class Backend:
    """A compute backend: an array module plus named kernels.

    Parameters
    ----------
    name
        ``"numpy"``, ``"numba"`` or ``"cupy"``.

    Attributes
    ----------
    name : str
        The backend's name.
    xp : module
        The array module models use for bulk array work (``numpy`` or ``cupy``).
    """

    def __init__(self, name: str):
        if name not in _KERNEL_MODULES:
            raise ValueError(f"backend must be one of {BACKEND_NAMES}, got {name!r}")
        self.name = name
        self._loaded: set[str] = set()
        if name == "cupy":
            if not cuda_available():
                raise RuntimeError("backend='cupy' needs CuPy and a CUDA device; none was found")
            import cupy

            self.xp: ModuleType = cupy
        else:
            self.xp = np
            if name == "numba":
                importlib.import_module("numba")

    def _load(self) -> None:
        for module in _KERNEL_MODULES[self.name]:
            if module not in self._loaded:
                importlib.import_module(module)
                self._loaded.add(module)

    def kernel(self, name: str) -> Callable[..., Any]:
        """Return the kernel called ``name`` for this backend.

        Raises
        ------
        NotImplementedError
            When this backend has no kernel of that name.
        """
        self._load()
        try:
            return _KERNELS[(name, self.name)]
        except KeyError:
            raise NotImplementedError(
                f"backend {self.name!r} has no kernel {name!r}; "
                f"kernels it has: {sorted(k for k, b in _KERNELS if b == self.name)}"
            ) from None

    def has_kernel(self, name: str) -> bool:
        """Return True when this backend provides kernel ``name``."""
        self._load()
        return (name, self.name) in _KERNELS

    def asarray(self, array: Any, dtype: Any = None) -> Any:
        """Move ``array`` to this backend's device."""
        return self.xp.asarray(array, dtype=dtype)

    def to_numpy(self, array: Any) -> np.ndarray:
        """Bring ``array`` back to a host NumPy array."""
        if self.name == "cupy" and not isinstance(array, np.ndarray):
            return array.get()
        return np.asarray(array)

    def __repr__(self) -> str:
        return f"Backend({self.name!r})"


_CACHE: dict[str, Backend] = {}


def get_backend(backend: "str | Backend" = "auto") -> Backend:
    """Return the backend called ``backend``.

    Parameters
    ----------
    backend
        ``"numpy"`` (the readable reference), ``"numba"`` (compiled CPU
        kernels, the default on CPU), ``"cupy"`` (CUDA), ``"auto"`` (CuPy when a
        CUDA device is present, else Numba), or a :class:`Backend` instance,
        which is returned unchanged.
    """
    if isinstance(backend, Backend):
        return backend
    if not isinstance(backend, str) or backend not in BACKEND_NAMES:
        raise ValueError(f"backend must be one of {BACKEND_NAMES}, got {backend!r}")
    if backend == "auto":
        backend = "cupy" if cuda_available() else "numba"
    if backend not in _CACHE:
        _CACHE[backend] = Backend(backend)
    return _CACHE[backend]
