"""Compute backends: the array module, the kernels and the device behind a model.

A backend is a small object that owns an array module (``numpy`` or ``cupy``)
and hands out kernels.  It alone knows where kernels are and which one to
use:

* a kernel is asked for by name (the built-in table
  :data:`engramsim.sim.kernels.BUILTIN_KERNELS`, or a kernel added with
  :func:`register_kernel`) or by a :class:`KernelSpec` that a component
  declares itself (each spiking cell type declares its step kernels);
* implementations are imported on first use, so a run loads only the
  kernels it needs, and nothing registers kernels by being imported;
* when a backend has no implementation of its own it falls back along
  :data:`FALLBACK` (the NumPy reference, on CuPy arrays only for kernels
  written against the array namespace);
* ``"auto"`` picks the first backend of :data:`PREFERENCE` that is available
  here and has its own implementation of every kernel the model needs.

Choose a backend with :func:`get_backend`::

    >>> from engramsim.sim import get_backend
    >>> get_backend("numpy").name
    'numpy'
    >>> get_backend("numpy").kernel("sign_sync").__module__
    'engramsim.sim.kernels.binary_numpy'
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from engramsim.errors import ValidationError

BACKEND_NAMES = ("numpy", "numba", "cupy", "auto")
#: what ``auto`` tries, best first
PREFERENCE = ("cupy", "numba", "numpy")
#: where a backend without its own implementation of a kernel looks next
FALLBACK = {"cupy": ("numpy",), "numba": ("numpy",), "numpy": ()}


@dataclass(frozen=True)
class KernelSpec:
    """A kernel and where its implementations are.

    Parameters
    ----------
    name
        The kernel's name (for messages).
    sources
        Backend name -> ``"module:attribute"``.
    xp_generic
        The ``"numpy"`` implementation is written against the array namespace
        of its arguments, so the ``cupy`` backend may run it on CuPy arrays.
    compilers
        Backend name -> ``"module:function"`` applied to the loaded attribute
        (e.g. the Numba compiler of a cell type's plain-Python step loop).
    """

    name: str
    sources: Mapping[str, str]
    xp_generic: bool = False
    compilers: Mapping[str, str] = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash((self.name, tuple(sorted(self.sources.items()))))


#: kernels added at run time with :func:`register_kernel`: (name, backend) -> callable
_ADDED: dict[tuple[str, str], Callable[..., Any]] = {}
#: loaded implementations: (spec, backend) -> callable
_LOADED: dict[tuple[KernelSpec, str], Callable[..., Any]] = {}


def register_kernel(name: str, backend: str) -> Callable[[Callable], Callable]:
    """Add ``func`` as kernel ``name`` of ``backend`` (a decorator, for user kernels; called explicitly).

    Parameters
    ----------
    name
        Kernel name models ask for, e.g. ``"sign_sync"``.
    backend
        ``"numpy"``, ``"numba"`` or ``"cupy"``.
    """
    if backend not in PREFERENCE:
        raise ValidationError(f"backend must be one of {PREFERENCE}, got {backend!r}")

    def decorate(func: Callable) -> Callable:
        _ADDED[(name, backend)] = func
        return func

    return decorate


def _load(path: str) -> Any:
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


def configure_numba() -> None:
    """Make Numba's parallel kernels fork-safe (called before any Numba kernel is loaded).

    Numba's default threading layer on Linux is GNU OpenMP when TBB is
    absent, and a process that has used it kills any child it forks ("fork()
    called from a process already using GNU OpenMP"), so a user's
    ``multiprocessing.Pool`` after one engramsim call would die.  The
    ``"forksafe"`` choice takes TBB when installed and otherwise Numba's own
    ``workqueue`` pool, which survives a fork.  A layer the user chose
    (``NUMBA_THREADING_LAYER``) is left alone.
    """
    import numba

    if numba.config.THREADING_LAYER == "default":
        numba.config.THREADING_LAYER = "forksafe"


def kernel_spec(kernel: "str | KernelSpec") -> KernelSpec:
    """The :class:`KernelSpec` of a kernel name (built-in or added) or the spec itself."""
    if isinstance(kernel, KernelSpec):
        return kernel
    from engramsim.sim.kernels import BUILTIN_KERNELS

    if not isinstance(kernel, str):
        raise ValidationError(f"kernel must be a kernel name or a KernelSpec, got {kernel!r}")
    return KernelSpec(kernel, BUILTIN_KERNELS.get(kernel, {}))


def implements(kernel: "str | KernelSpec", backend: str) -> bool:
    """True when ``backend`` has its own implementation of ``kernel`` (no fallback)."""
    spec = kernel_spec(kernel)
    return backend in spec.sources or (spec.name, backend) in _ADDED


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


def backend_available(name: str) -> bool:
    """True when backend ``name`` can run here (CuPy needs a CUDA device; Numba must import)."""
    if name == "cupy":
        return cuda_available()
    if name == "numba":
        return importlib.util.find_spec("numba") is not None
    return name == "numpy"


class Backend:
    """A compute backend: an array module plus the kernels it runs.

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
        if name not in PREFERENCE:
            raise ValidationError(f"backend must be one of {BACKEND_NAMES}, got {name!r}")
        self.name = name
        if name == "cupy":
            if not cuda_available():
                raise RuntimeError("backend='cupy' needs CuPy and a CUDA device; none was found")
            import cupy

            self.xp: ModuleType = cupy
        else:
            self.xp = np

    def kernel(self, kernel: "str | KernelSpec") -> Callable[..., Any]:
        """Return the best implementation of ``kernel`` this backend can run.

        Its own implementation if it has one, else the first of
        :data:`FALLBACK` that has one (for ``cupy``, only array-namespace
        generic NumPy kernels).

        Raises
        ------
        NotImplementedError
            When no implementation can run on this backend.
        """
        spec = kernel_spec(kernel)
        for candidate in (self.name, *FALLBACK[self.name]):
            if candidate != self.name and self.name == "cupy" and not spec.xp_generic:
                continue
            if (spec.name, candidate) in _ADDED:
                return _ADDED[(spec.name, candidate)]
            if candidate in spec.sources:
                key = (spec, candidate)
                if key not in _LOADED:
                    if candidate == "numba":
                        configure_numba()
                    func = _load(spec.sources[candidate])
                    if candidate in spec.compilers:
                        func = _load(spec.compilers[candidate])(func)
                    _LOADED[key] = func
                return _LOADED[key]
        from engramsim.sim.kernels import BUILTIN_KERNELS

        known = sorted({n for n, b in _ADDED if b == self.name} | {n for n, s in BUILTIN_KERNELS.items()
                                                                      if self.name in s})
        raise NotImplementedError(f"backend {self.name!r} has no kernel {spec.name!r}; kernels it has: {known}")

    def has_kernel(self, kernel: "str | KernelSpec") -> bool:
        """Return True when this backend can run ``kernel`` (its own implementation or a fallback)."""
        try:
            self.kernel(kernel)
        except NotImplementedError:
            return False
        return True

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


def get_backend(backend: "str | Backend" = "auto", kernels: Iterable["str | KernelSpec"] = ()) -> Backend:
    """Return the backend called ``backend``.

    Parameters
    ----------
    backend
        ``"numpy"`` (the readable reference), ``"numba"`` (compiled CPU
        kernels, the default on CPU), ``"cupy"`` (CUDA), ``"auto"``, or a
        :class:`Backend` instance, which is returned unchanged.
    kernels
        The kernels the caller needs.  ``"auto"`` picks the first backend of
        :data:`PREFERENCE` that is available here and has its own
        implementation of each of them (so a CUDA host runs a model on CuPy
        only if the model has CuPy kernels).
    """
    if isinstance(backend, Backend):
        return backend
    if not isinstance(backend, str) or backend not in BACKEND_NAMES:
        raise ValidationError(f"backend must be one of {BACKEND_NAMES}, got {backend!r}")
    if backend == "auto":
        needed = [kernel_spec(k) for k in kernels]
        backend = next(name for name in PREFERENCE
                       if backend_available(name) and all(implements(k, name) for k in needed))
    if backend not in _CACHE:
        _CACHE[backend] = Backend(backend)
    return _CACHE[backend]
